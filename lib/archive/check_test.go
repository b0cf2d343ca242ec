package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/verify"
)

// TestCheck: ct verify ARCHIVE verifies every bundle (unsigned ones fail
// with 2, as a bundle file does), one report each naming the archive,
// writes nothing but its private folder, which it removes; a changed blob
// byte fails the archive with 1 and reports no bundle valid.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	b := makeBundle(t, dir, "b", "layer b")
	var buf bytes.Buffer
	if _, err := Export([]string{a, b}, ExportOptions{}, &buf); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(dir, "x.tar")
	if err := os.WriteFile(arc, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	reps := VerifyPath(arc, verify.Options{}, verify.PathOptions{}, tmp)
	if len(reps) != 2 {
		t.Fatalf("%d reports", len(reps))
	}
	for _, r := range reps {
		if r.Archive != arc || r.Code != 2 || !r.ContentChecked || r.Package == "" {
			t.Errorf("report %s: archive %q, code %d, content %v", r.Bundle, r.Archive, r.Code, r.ContentChecked)
		}
		if c := findCheck(r, "blobs"); c == nil || !c.OK {
			t.Errorf("%s: blobs not checked: %+v", r.Bundle, r.Checks)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// From a stream too.
	if reps := VerifyPath("-", verify.Options{}, verify.PathOptions{Stdin: bytes.NewReader(buf.Bytes())}, tmp); len(reps) != 2 {
		t.Fatalf("stdin: %d reports", len(reps))
	}
	// A bundle file still goes to the bundle verifier.
	if reps := VerifyPath(a, verify.Options{}, verify.PathOptions{}, tmp); len(reps) != 1 || reps[0].Archive != "" || reps[0].Code != 2 {
		t.Fatalf("bundle: %+v", reps)
	}
	// One byte of a layer changed: the archive fails with 1.
	bad := append([]byte(nil), buf.Bytes()...)
	i := bytes.Index(bad, []byte("layer b"))
	if i < 0 {
		t.Fatal("layer b not in the archive")
	}
	bad[i] = 'L'

	if err := os.WriteFile(arc, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	reps = VerifyPath(arc, verify.Options{}, verify.PathOptions{}, tmp)
	if len(reps) != 1 || reps[0].Valid || reps[0].Bundle != arc || reps[0].Archive != arc {
		t.Fatalf("tampered: %+v", reps)
	}
	if reps[0].Code != 1 {
		t.Errorf("tampered: code %d: %v", reps[0].Code, reps[0].Err())
	}
}

func findCheck(r *verify.Report, name string) *verify.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}
