package archive

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/verify"
)

// reportsJSON is reps as ct verify --json prints them, one a line.
func reportsJSON(t *testing.T, reps []*verify.Report) string {
	t.Helper()
	var b strings.Builder
	for _, r := range reps {
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// stdinFileReports runs VerifyPath("-") with the file path as standard
// input (a real *os.File, as a shell's < FILE gives it), and says whether
// it was read in one pass (PathOptions.Stream is called only then).
func stdinFileReports(t *testing.T, path string, opts verify.Options) (reps []*verify.Report, streamed bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	po := verify.PathOptions{Stdin: f, Stream: func(r io.Reader) io.Reader { streamed = true; return r }}
	return VerifyPath("-", opts, po, t.TempDir()), streamed
}

// TestStdinFile: ct verify - < FILE reads an export archive (every vector
// of tests/vectors/archive) and a bundle like the named file, no progress
// shown, with the reports of the named file (named "-") and of the same
// bytes read in one pass.
func TestStdinFile(t *testing.T) {
	dir := "../../tests/vectors/archive"
	files, _ := filepath.Glob(filepath.Join(dir, "*.tar"))
	if len(files) < 10 {
		t.Fatalf("found %d vectors in %s", len(files), dir)
	}
	k, err := keys.ReadPublicFile(filepath.Join(dir, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "trusted.pub"}}}
	for _, path := range files {
		reps, streamed := stdinFileReports(t, path, opts)
		if streamed {
			t.Errorf("%s: read in one pass", path)
		}
		got := reportsJSON(t, reps)
		if named := strings.ReplaceAll(reportsJSON(t, VerifyPath(path, opts, verify.PathOptions{}, t.TempDir())), path, "-"); got != named {
			t.Errorf("%s: stdin file and named file differ:\n%s\n%s", path, got, named)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if stream := reportsJSON(t, VerifyPath("-", opts, verify.PathOptions{Stdin: bytes.NewReader(data)}, t.TempDir())); got != stream {
			t.Errorf("%s: stdin file and stream differ:\n%s\n%s", path, got, stream)
		}
	}
	// A bundle on standard input goes to verify.VerifyPath as a file.
	vdir := "../../tests/vectors/verify"
	vk, err := keys.ReadPublicFile(filepath.Join(vdir, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	vopts := verify.Options{Trusted: []verify.TrustedKey{{Key: vk, Source: "--key"}}}
	reps, streamed := stdinFileReports(t, filepath.Join(vdir, "valid.ctp"), vopts)
	if streamed || len(reps) != 1 || reps[0].Code != 0 || reps[0].Bundle != "-" {
		t.Errorf("bundle: streamed %v, %d reports: %s", streamed, len(reps), reportsJSON(t, reps))
	}
}
