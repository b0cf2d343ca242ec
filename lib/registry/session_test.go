package registry

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/verify"
)

func count(reqs []string, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// ct import's path through one Session: the warm-up sends the ping and
// nothing else; every blob-API blob (BlobAPIBlobs: the bundle's and its
// artifact's) is uploaded through the session; PushParts with them
// marked uploaded then pings no more and looks up or uploads no blob,
// and what it pushed fetches back as the identical bundle.
func TestSessionWarmUploadPush(t *testing.T) {
	l, host := newRecorder(t)
	path, k, _ := signedBundle(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s0, err := scan(f, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref := host + "/r/app:1"
	s := NewSession(ctx, source.Options{})

	s.warm(ref)
	warm := l.since(0)
	if count(warm, "GET /v2/") != len(warm) || len(warm) == 0 {
		t.Fatalf("the warm-up sent %v, want only the ping", warm)
	}

	u, err := s.Uploader(ref)
	if err != nil {
		t.Fatal(err)
	}
	uploaded := map[string]bool{}
	for _, a := range BlobAPIBlobs(s0.m, s0.manifest, s0.sigs, s0.proofs) {
		a := a
		open := func() (io.ReadCloser, error) {
			if a.Data != nil {
				return io.NopCloser(bytes.NewReader(a.Data)), nil
			}
			return io.NopCloser(io.NewSectionReader(f, s0.off[a.Blob.Digest], a.Blob.Size)), nil
		}
		if err := u.Upload(a.Blob, open); err != nil {
			t.Fatal(err)
		}
		uploaded[a.Blob.Digest] = true
	}
	ups := l.since(len(warm))
	if count(ups, "GET /v2/") != 0 || count(ups, "PUT /v2/r/app/blobs/") != len(uploaded) {
		t.Fatalf("uploads of %d blobs sent %v", len(uploaded), ups)
	}

	n := len(l.since(0))
	parts := Parts{Name: path, Manifest: s0.m, ManifestBytes: s0.manifest, Signatures: s0.sigs, Proofs: s0.proofs,
		ModTime: time.Unix(s0.mtime, 0), Session: s, Uploaded: func(d string) bool { return uploaded[d] },
		Open: func(b bundle.Blob) (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(f, s0.off[b.Digest], b.Size)), nil
		}}
	if _, err = PushParts(ctx, ref, parts, source.Options{}, true, 0); err != nil {
		t.Fatal(err)
	}
	push := l.since(n)
	for _, r := range push {
		if r == "GET /v2/" || strings.HasPrefix(r, "HEAD /v2/r/app/blobs/") || strings.Contains(r, "/blobs/uploads") {
			t.Fatalf("PushParts sent %q (all: %v)", r, push)
		}
	}
	// With a session of its own (which has not uploaded them itself),
	// PushParts still neither looks up nor uploads a blob marked uploaded.
	n = len(l.since(0))
	parts.Session = NewSession(ctx, source.Options{})
	if _, err = PushParts(ctx, host+"/r/app:2", parts, source.Options{}, true, 0); err != nil {
		t.Fatal(err)
	}
	push = l.since(n)
	if count(push, "GET /v2/") == 0 || count(push, "HEAD /v2/r/app/blobs/") != 0 || count(push, "POST /v2/r/app/blobs/uploads") != 0 {
		t.Fatalf("PushParts with its own session sent %v", push)
	}

	out := filepath.Join(t.TempDir(), "back.ctp")
	if _, rep, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out, Quiet: true,
		Verify: verify.Options{Trusted: []verify.TrustedKey{{Key: k.Public(), Source: "test"}}}}); err != nil {
		t.Fatalf("fetch: %v (%v)", err, rep)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatal("fetched bundle differs from the pushed one")
	}
}
