package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/source"
)

// hugeLayers is how many layers of the largest size a blob may have
// (bundle.MaxBlobSize, 1 TiB) hugeParts adds: more than any TMPDIR has
// free.
const hugeLayers = 1000

// hugeParts returns the bundle at path with hugeLayers layers of 1 TiB
// added to its manifest.toml, signed again by k: a bundle artifact whose
// manifest.toml declares more than any disk holds. The added layers are
// reported as uploaded, so that pushing it uploads none of them.
func hugeParts(t *testing.T, path string, sign func([]byte) bundle.Entry) Parts {
	t.Helper()
	p := partsOf(t, path)
	m := *p.Manifest
	m.Blobs = append([]bundle.Blob(nil), m.Blobs...)
	layer, _ := m.Blob(layerOf(&m))
	added := map[string]bool{}
	for i := range hugeLayers {
		sum := sha256.Sum256(fmt.Appendf(nil, "huge layer %d", i))
		layer.Digest, layer.Size = "sha256:"+hex.EncodeToString(sum[:]), bundle.MaxBlobSize
		m.Blobs = append(m.Blobs, layer)
		added[layer.Digest] = true
	}
	m.SortBlobs()
	w, err := bundle.NewWriter(io.Discard, &m, bundle.WriterOptions{ModTime: p.ModTime})
	if err != nil {
		t.Fatal(err)
	}
	p.Manifest, p.ManifestBytes = &m, w.ManifestBytes()
	p.Signatures = []bundle.Entry{sign(p.ManifestBytes)}
	p.Uploaded = func(d string) bool { return added[d] }
	return p
}

// TestFetchSpoolNoRoom: ct fetch to standard output or to a FIFO rebuilds
// the bundle in a temporary file in TMPDIR (it verifies it before a byte
// goes out). A bundle artifact whose manifest.toml declares more than
// TMPDIR has free is refused once the bundle's head is written (io.Copy
// of every blob into os.CreateTemp's file used to fill TMPDIR first):
// exit 11 with lib/spool's wording, no blob of the image downloaded,
// nothing written to the output, nothing left in TMPDIR.
func TestFetchSpoolNoRoom(t *testing.T) {
	rec, host := newRecorder(t)
	path, alice, m := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	res0, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(mb []byte) bundle.Entry {
		e, _, err := sig.BundleEntry(alice, mb)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	huge := hugeParts(t, path, sign)
	res, err := PushParts(ctx, ref, huge, source.Options{}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	layer := layerOf(m)

	// With room, the genuine bundle comes out whole, and its temporary
	// copy is removed.
	t.Run("room", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(r); got <- b }()
		_, _, err = Fetch(ctx, FetchRequest{Ref: ref, Artifact: res0.ArtifactDigest, Stdout: w, Quiet: true, Verify: trusting(alice)})
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(path)
		if b := <-got; !bytes.Equal(b, want) {
			t.Errorf("standard output has %d bytes, not the %d of the bundle pushed", len(b), len(want))
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("left in TMPDIR: %v", left)
		}
	})

	for _, to := range []string{"stdout", "fifo"} {
		t.Run(to, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			rec.reset()
			req := FetchRequest{Ref: ref, Artifact: res.ArtifactDigest, Quiet: true, Verify: trusting(alice)}
			var out *os.File // the read end of what ct fetch writes to
			outName := "-"
			switch to {
			case "stdout":
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				defer w.Close()
				req.Stdout, out = w, r
			case "fifo":
				fifo := filepath.Join(t.TempDir(), "out.ctp")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				req.Output, out, outName = fifo, r, fifo
			}
			_, _, err := Fetch(ctx, req)
			if exit.CodeOf(err) != exit.IO || !strings.HasPrefix(err.Error(), "bundle "+outName+": the bundle needs ") ||
				!strings.Contains(err.Error(), "TMPDIR "+tmp+" has") ||
				!strings.Contains(err.Error(), "as its manifest.toml declares") {
				t.Fatalf("got %v (code %d), want an I/O error about TMPDIR's room", err, exit.CodeOf(err))
			}
			if n := rec.count("GET", "/blobs/"+layer); n != 0 {
				t.Errorf("the image's layer was downloaded %d times", n)
			}
			if req.Stdout != nil {
				req.Stdout.Close()
			}
			if b, _ := io.ReadAll(out); len(b) != 0 {
				t.Errorf("%d bytes written to %s", len(b), to)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}
