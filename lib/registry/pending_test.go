package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
)

// TestFetchSignedPending: a bundle artifact whose manifest.toml lists a
// pending attestation and which carries signatures (pushed by a
// non-conforming tool: ct push refuses it) is malformed for ct fetch too
// (attestations.md §9.3: every reader), with or without --no-verify, and
// nothing is written. It used to be rebuilt and written under --no-verify.
func TestFetchSignedPending(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "pending-signed.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{}
	var mb []byte
	var sigs []bundle.Entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		switch {
		case h.Name == bundle.ManifestName:
			mb = b
		case strings.HasPrefix(h.Name, "blobs/sha256/") && h.Typeflag == tar.TypeReg:
			blobs["sha256:"+strings.TrimPrefix(h.Name, "blobs/sha256/")] = b
		case strings.HasPrefix(h.Name, bundle.SignaturesDir) && h.Typeflag == tar.TypeReg:
			sigs = append(sigs, bundle.Entry{Name: h.Name, Data: b})
		}
	}
	m, err := bundle.ParseManifest(mb)
	if err != nil || !m.HasPending() || len(sigs) != 1 {
		t.Fatalf("vector: %v, pending %v, %d signatures", err, m != nil && m.HasPending(), len(sigs))
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/r/app:1"
	ctx := context.Background()
	if _, err := PushParts(ctx, ref, Parts{Name: "pending-signed", Manifest: m, ManifestBytes: mb, Signatures: sigs, ModTime: time.Unix(0, 0),
		Open: func(b bundle.Blob) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blobs[b.Digest])), nil }}, source.Options{}, true, 1); err != nil {
		t.Fatal(err)
	}
	for _, noVerify := range []bool{true, false} {
		out := filepath.Join(t.TempDir(), "x.ctp")
		_, _, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out, Quiet: true, NoVerify: noVerify})
		if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "pending") {
			t.Errorf("no-verify %v: got %v (code %d), want malformed naming the pending attestation", noVerify, err, exit.CodeOf(err))
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("no-verify %v: a bundle was written", noVerify)
		}
	}
}
