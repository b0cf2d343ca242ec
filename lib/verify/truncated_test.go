package verify

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
)

// TestTruncatedFileAgrees: a bundle file cut short anywhere (inside a
// layer the first pass seeks past, its padding, a header, the
// signatures) gets from ct verify - < FILE the exit code, the failures
// (message, where, hint) and the checks that the same bytes get through a
// pipe. The first pass seeks past the layers: a seek past the end of the
// file must be reported where the file ends, inside the blob, as the
// stream reports it, not as a padding or entry after it. (Every cut of
// the vector agreed when this was written; these are a sample.)
func TestTruncatedFileAgrees(t *testing.T) {
	dir := "../../tests/vectors/verify"
	opts := vectorOpts(t, dir)["valid"]
	data, err := os.ReadFile(filepath.Join(dir, "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.ctp")
	for n := 0; n < len(data); n++ {
		if n%100 != 0 && n%512 > 1 && n%512 != 511 { // every 100 bytes, and around each block's edges
			continue
		}
		if err := os.WriteFile(path, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		file, _ := stdinReport(t, path, 0, opts, false)
		stream := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(data[:n])})
		if file.Code != stream.Code {
			t.Errorf("cut at %d: file code %d, stream code %d", n, file.Code, stream.Code)
		}
		if a, b := failures(file), failures(stream); a != b {
			t.Errorf("cut at %d: failures differ:\n file   %s\n stream %s", n, a, b)
		}
		if a, b := sameOutcome(t, file), sameOutcome(t, stream); a != b {
			t.Errorf("cut at %d: reports differ:\n file   %s\n stream %s", n, a, b)
		}
	}
}

// TestLongHeaderFileAgrees: a layer whose header declares more bytes than
// manifest.toml lists, reaching past the end of the file, is a hash
// mismatch at that header (verify.md §2, "Bound"), from a file as from a
// stream. One whose header declares fewer bytes (a hash mismatch, after
// which the reader goes on with the header's size to find a structural
// error that outranks it) in a file that ends inside those bytes: the
// first pass seeks past them, and must report the file ending inside that
// entry's data, where it ends, as the stream does, not a header or padding
// the seek lands beyond (lib/bundle/ustar's skip).
func TestLongHeaderFileAgrees(t *testing.T) {
	dir := "../../tests/vectors/verify"
	opts := vectorOpts(t, dir)["valid"]
	data, err := os.ReadFile(filepath.Join(dir, "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "long.ctp")
	for _, b := range br.Manifest().Blobs {
		if br.Retains(b) {
			continue
		}
		for _, size := range []int64{int64(len(data)), int64(len(data)) + 5000, 1 << 30, b.Size - 1, b.Size / 2} {
			long := bundletest.EditHeader(data, b.Path(), func(h []byte) { copy(h[124:136], fmt.Sprintf("%011o\x00", size)) })
			if size < b.Size {
				// The file ends inside the fewer bytes the header declares.
				h := bytes.Index(long, []byte(b.Path()+"\x00"))
				long = long[:h+512+int(size)/2]
			}
			if err := os.WriteFile(path, long, 0o644); err != nil {
				t.Fatal(err)
			}
			file, _ := stdinReport(t, path, 0, opts, false)
			stream := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(long)})
			if file.Code != stream.Code {
				t.Errorf("%s declaring %d bytes: file code %d, stream code %d", b.Path(), size, file.Code, stream.Code)
			}
			if a, b2 := failures(file), failures(stream); a != b2 {
				t.Errorf("%s declaring %d bytes: failures differ:\n file   %s\n stream %s", b.Path(), size, a, b2)
			}
		}
	}
}

// TestStdinFileWriteOnly: standard input a regular file opened for
// writing only (ct verify - 0>>FILE) cannot be read: 11, with the same
// message and hint as when the same descriptor is read in one pass.
func TestStdinFileWriteOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.ctp")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, streamed := VerifyPath("-", Options{}, PathOptions{Stdin: f}), false
	stream := VerifyPath("-", Options{}, PathOptions{Stdin: struct{ io.Reader }{f}, Stream: func(r io.Reader) io.Reader { streamed = true; return r }})
	if !streamed {
		t.Fatal("not read in one pass")
	}
	if rep.Code != 11 || stream.Code != 11 {
		t.Errorf("codes %d (file), %d (stream), want 11", rep.Code, stream.Code)
	}
	if a, b := failures(rep), failures(stream); a != b {
		t.Errorf("failures differ:\n file   %s\n stream %s", a, b)
	}
}
