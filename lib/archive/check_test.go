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
		// Unsigned: refused on its heads (verify.md §3), its blobs hashed
		// against the index but never unpacked.
		if r.Archive != arc || r.Code != 2 || r.Package == "" {
			t.Errorf("report %s: archive %q, code %d, content %v", r.Bundle, r.Archive, r.Code, r.ContentChecked)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// Signed and trusted: unpacked, rebuilt and verified in full.
	k := newKey(t, "alice")
	cp := func(p string) string {
		b, _ := os.ReadFile(p)
		q := filepath.Join(t.TempDir(), filepath.Base(p))
		os.WriteFile(q, b, 0o644)
		return q
	}
	sa, sb := signFile(t, cp(a), k), signFile(t, cp(b), k)
	var sbuf bytes.Buffer
	if _, err := Export([]string{sa, sb}, ExportOptions{}, &sbuf); err != nil {
		t.Fatal(err)
	}
	sarc := filepath.Join(dir, "s.tar")
	os.WriteFile(sarc, sbuf.Bytes(), 0o644)
	for _, r := range VerifyPath(sarc, trusting(k), verify.PathOptions{}, tmp) {
		if r.Code != 0 || !r.ContentChecked {
			t.Errorf("trusted %s: code %d, content %v: %v", r.Bundle, r.Code, r.ContentChecked, r.Err())
		}
		if c := findCheck(r, "blobs"); c == nil || !c.OK {
			t.Errorf("%s: blobs not checked: %+v", r.Bundle, r.Checks)
		}
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

// AfterHeads decides before any blob is written: with nothing wanted, every
// blob is hashed (a changed one still fails) but the folder stays empty.
func TestStageAfterHeadsWritesNothingUnwanted(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	var buf bytes.Buffer
	if _, err := Export([]string{a}, ExportOptions{}, &buf); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	called := false
	st, err := StageWith(bytes.NewReader(buf.Bytes()), "x.tar", out, StageOptions{AfterHeads: func(st *Staged) (func(string) bool, error) {
		called = len(st.Items) == 1
		return func(string) bool { return false }, nil
	}})
	if err != nil || !called || st == nil {
		t.Fatalf("stage: %v (AfterHeads called with the heads: %v)", err, called)
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Fatalf("unwanted blobs written: %v", left)
	}
	bad := append([]byte(nil), buf.Bytes()...)
	bad[bytes.Index(bad, []byte("layer a"))] = 'L'
	if _, err := StageWith(bytes.NewReader(bad), "x.tar", t.TempDir(), StageOptions{AfterHeads: func(*Staged) (func(string) bool, error) {
		return func(string) bool { return false }, nil
	}}); err == nil {
		t.Fatal("a changed blob that was not wanted went unnoticed")
	}
}
