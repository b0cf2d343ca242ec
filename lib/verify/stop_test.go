package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
)

// longHeaderHead returns valid.ctp up to and including the header of its
// first blob, that header declaring 1 TiB (bundle.MaxBlobSize) where
// manifest.toml says a few hundred bytes.
func longHeaderHead(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(data), "valid.ctp")
	if err != nil {
		t.Fatal(err)
	}
	b, off := br.Manifest().Blobs[0], br.Offset()
	if !bytes.HasPrefix(data[off:], []byte(b.Path()+"\x00")) {
		t.Fatalf("no header of %s at byte %d", b.Path(), off)
	}
	hdr, err := ustar.Encode(b.Path(), ustar.TypeReg, bundle.MaxBlobSize, br.ModTime().Unix())
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(data[:off]), hdr...)
}

// TestLongBlobHeaderAnsweredAtOnce: ct verify of a stream whose first blob
// header declares 1 TiB, and which then stalls (a pipe whose writer stays
// open) or ends, answers 1 without reading the declared bytes (verify.md
// §2: the reader stops at that header); so does ct verify of the same
// bytes in a file. It used to read on through the declared bytes for a
// structural failure that would outrank the mismatch: on the stalled pipe
// for ever, and 10 (truncated) where the stream or the file ends.
func TestLongBlobHeaderAnsweredAtOnce(t *testing.T) {
	head := longHeaderHead(t)
	check := func(what string, rep *Report) {
		t.Helper()
		err := rep.Err()
		if rep.Code != int(exit.HashMismatch) || !strings.Contains(err.Error(), "not read past this entry's header") {
			t.Fatalf("%s: code %d: %v", what, rep.Code, err)
		}
		var skipped bool
		for _, c := range rep.Checks {
			skipped = skipped || (c.Skipped && c.Name == "rest of the bundle")
			if c.OK && (c.Name == "blobs" || c.Name == "image graph" || c.Name == "trust") {
				t.Errorf("%s: check %s passed", what, c.Name)
			}
		}
		if !skipped {
			t.Errorf("%s: no skipped check says the rest was not read: %+v", what, rep.Checks)
		}
	}

	// A pipe that stalls after the header. (The guard only turns a hang
	// into a failure; nothing here measures time.)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close() // the writer stays open until the test ends
	if _, err := w.Write(head); err != nil {
		t.Fatal(err)
	}
	done := make(chan *Report, 1)
	go func() { done <- VerifyPath("-", Options{}, PathOptions{Stdin: r}) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	select {
	case rep := <-done:
		check("stalled pipe", rep)
	case <-ctx.Done():
		t.Fatal("ct verify waits for the declared bytes of a stalled stream")
	}

	// A stream that ends after the header, and a file of the same bytes.
	check("stream", VerifyPath("-", Options{}, PathOptions{Stdin: bytes.NewReader(head)}))
	path := filepath.Join(t.TempDir(), "long.ctp")
	if err := os.WriteFile(path, head, 0o644); err != nil {
		t.Fatal(err)
	}
	check("file", VerifyPath(path, Options{}, PathOptions{}))
}
