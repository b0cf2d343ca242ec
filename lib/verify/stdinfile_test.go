package verify

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// vectorOpts returns the options each vector of tests/vectors/verify is
// verified with (its trusted key and policy), by vector name.
func vectorOpts(t *testing.T, dir string) map[string]Options {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.expect"))
	if len(files) < 15 {
		t.Fatalf("found %d vectors", len(files))
	}
	out := map[string]Options{}
	for _, f := range files {
		exp, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			fields[k] = v
		}
		k, err := keys.ReadPublicFile(filepath.Join(dir, fields["trusted"]))
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Trusted: []TrustedKey{{Key: k, Source: "--key"}}}
		if pf := fields["policy"]; pf != "" {
			p, err := policy.Load(filepath.Join(dir, pf))
			if err != nil {
				t.Fatal(err)
			}
			opts.Policy, opts.PolicyName = p, pf
		}
		out[strings.TrimSuffix(filepath.Base(f), ".expect")] = opts
	}
	return out
}

// stdinReport verifies data given as standard input, a real *os.File
// (a shell's < FILE) at offset off, and says whether it was read in one
// pass (PathOptions.Stream is called only then).
func stdinReport(t *testing.T, path string, off int64, opts Options, skip bool) (rep *Report, streamed bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rep = VerifyPath("-", opts, PathOptions{Stdin: f, SkipContent: skip, Stream: func(r io.Reader) io.Reader {
		streamed = true
		return r
	}})
	return rep, streamed
}

// TestStdinFileVectors: standard input redirected from a vector's file is
// read like the named file (not in one pass), and its report is the named
// file's exactly, the bundle named "-". Against the one-pass report of the
// same bytes, the exit code, verdict and every failure (code, message,
// hint) are the same; what differs is what already differs between a
// named file and a stream (sameOutcome).
func TestStdinFileVectors(t *testing.T) {
	dir := "../../tests/vectors/verify"
	for name, opts := range vectorOpts(t, dir) {
		path := filepath.Join(dir, name+".ctp")
		rep, streamed := stdinReport(t, path, 0, opts, false)
		if streamed {
			t.Errorf("%s: a regular file on standard input was read in one pass", name)
		}
		if rep.Bundle != "-" {
			t.Errorf("%s: bundle %q, want -", name, rep.Bundle)
		}
		got := reportJSON(t, rep)
		named := strings.ReplaceAll(reportJSON(t, VerifyPath(path, opts, PathOptions{})), path, "-")
		if got != named {
			t.Errorf("%s: stdin file and named file differ:\n stdin %s\n named %s", name, got, named)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		srep := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(data)})
		if a, b := sameOutcome(t, rep), sameOutcome(t, srep); a != b {
			t.Errorf("%s: stdin file and stream differ:\n file   %s\n stream %s", name, a, b)
		}
	}
}

// sameOutcome is rep as reportJSON shows it (every failure with its code
// and hint, in order) less what a file and a stream report differently:
// where the "blobs" check stands among the checks (a stream hashes the
// blobs as it passes them, a file after its first pass).
func sameOutcome(t *testing.T, rep *Report) string {
	r := *rep
	r.Checks = append([]Check(nil), rep.Checks...)
	sort.SliceStable(r.Checks, func(i, j int) bool { return r.Checks[i].Name < r.Checks[j].Name })
	return reportJSON(t, &r)
}

// TestStdinFileFallsBack: standard input that is not a regular file at
// offset 0 is read in one pass, as before: a pipe, and a file already
// partly read (its bundle starts where the reading stopped: here a
// bundle after 10 other bytes, as { head -c 10 >/dev/null; ct verify -; }
// < FILE reads it).
func TestStdinFileFallsBack(t *testing.T) {
	dir := "../../tests/vectors/verify"
	name := "valid"
	opts, ok := vectorOpts(t, dir)[name]
	if !ok {
		t.Fatalf("no vector %s", name)
	}
	data, err := os.ReadFile(filepath.Join(dir, name+".ctp"))
	if err != nil {
		t.Fatal(err)
	}
	shifted := filepath.Join(t.TempDir(), "shifted")
	if err := os.WriteFile(shifted, append([]byte("0123456789"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, streamed := stdinReport(t, shifted, 10, opts, false)
	if !streamed || rep.Code != 0 || rep.Bundle != "-" {
		t.Errorf("offset 10: streamed %v, code %d, bundle %q: %v", streamed, rep.Code, rep.Bundle, rep.Err())
	}
	// From offset 0 the same file is not a bundle: read as a file, code 10.
	if rep, streamed := stdinReport(t, shifted, 0, opts, false); streamed || rep.Code != 10 {
		t.Errorf("offset 0: streamed %v, code %d", streamed, rep.Code)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(data); pw.Close() }()
	defer pr.Close()
	streamed = false
	rep = VerifyPath("-", opts, PathOptions{Stdin: pr, Stream: func(r io.Reader) io.Reader { streamed = true; return r }})
	if !streamed || rep.Code != 0 {
		t.Errorf("pipe: streamed %v, code %d: %v", streamed, rep.Code, rep.Err())
	}
}

// TestStdinFileExplain: ct explain - < FILE seeks past the blobs, as on
// the named file (the content is not checked), and hashes them with
// --verify; from a pipe it hashes them, having read them anyway.
func TestStdinFileExplain(t *testing.T) {
	dir := "../../tests/vectors/verify"
	opts := vectorOpts(t, dir)["valid"]
	path := filepath.Join(dir, "valid.ctp")
	rep, streamed := stdinReport(t, path, 0, opts, true)
	if streamed || rep.ContentChecked || rep.Code != 0 {
		t.Errorf("explain: streamed %v, content checked %v, code %d", streamed, rep.ContentChecked, rep.Code)
	}
	if rep, _ := stdinReport(t, path, 0, opts, false); !rep.ContentChecked || rep.Code != 0 {
		t.Errorf("explain --verify: content checked %v, code %d", rep.ContentChecked, rep.Code)
	}
}

// TestFileHashesBlobsBeforeLateFailure: a bundle with a changed layer
// byte whose structure fails after that layer: an extra entry after the
// blobs, or non-zero padding right after the changed layer. A stream has
// hashed the layer before it meets the failure and reports both (10, also
// 1); a file, named or on standard input, reports both too, not only the
// first.
func TestFileHashesBlobsBeforeLateFailure(t *testing.T) {
	dir := "../../tests/vectors/verify"
	all := vectorOpts(t, dir)
	for _, c := range []struct{ vector, where string }{{"extra-entry", "after the blobs"}, {"valid", "in the padding"}} {
		data, err := os.ReadFile(filepath.Join(dir, c.vector+".ctp"))
		if err != nil {
			t.Fatal(err)
		}
		cr := &countingReader{r: bytes.NewReader(data)}
		tr := tar.NewReader(cr)
		var off, size int64
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.HasPrefix(h.Name, "blobs/") && h.Size%512 != 0 && h.Size > size {
				off, size = cr.n, h.Size
			}
		}
		if size == 0 {
			t.Fatal("no blob with padding")
		}
		data[off+size/2] ^= 1
		if c.where == "in the padding" {
			data[off+size] = 'x'
		}
		path := filepath.Join(t.TempDir(), "x.ctp")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stream := VerifyPath("-", all[c.vector], PathOptions{Stdin: bytes.NewReader(data)})
		if len(stream.Others()) != 1 || exit.CodeOf(stream.Others()[0]) != exit.HashMismatch || stream.Code != 10 {
			t.Fatalf("%s: stream: code %d, others %v", c.where, stream.Code, stream.Others())
		}
		file, _ := stdinReport(t, path, 0, all[c.vector], false)
		if a, b := sameOutcome(t, file), sameOutcome(t, stream); a != b {
			t.Errorf("%s: file and stream differ:\n file   %s\n stream %s", c.where, a, b)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzStdinFileAgrees: any byte string on standard input as a regular
// file gets the exit code and every failure (message, hint) that the same
// bytes get through a pipe (verify.md §3 "Reading the input").
func FuzzStdinFileAgrees(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.data)
	f.Add(fx.data[:2048])
	f.Add([]byte{})
	vecs, _ := filepath.Glob("../../tests/vectors/verify/*.ctp")
	for _, v := range vecs {
		if data, err := os.ReadFile(v); err == nil {
			f.Add(data)
		}
	}
	opts := fx.trust(fx.alice)
	path := filepath.Join(f.TempDir(), "b.ctp")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, _ := stdinReport(t, path, 0, opts, false)
		stream := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(data)})
		if file.Code != stream.Code {
			t.Fatalf("file code %d (%v), stream code %d (%v)", file.Code, file.Err(), stream.Code, stream.Err())
		}
		if a, b := failures(file), failures(stream); a != b {
			t.Fatalf("failures differ:\n file   %s\n stream %s", a, b)
		}
	})
}

// failures lists rep's failures (code, message, hint), sorted: the order
// of the also: lines may differ between a file and a stream.
func failures(rep *Report) string {
	var l []string
	for _, e := range append([]error{rep.Err()}, rep.Others()...) {
		if e != nil {
			l = append(l, fmt.Sprintf("%d %v [%s]", exit.CodeOf(e), e, exit.HintOf(e)))
		}
	}
	sort.Strings(l[min(1, len(l)):]) // the deciding one first, the others in any order
	return strings.Join(l, "\n")
}
