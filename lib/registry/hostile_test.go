package registry

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/verify"
)

// hostile is a registry on 127.0.0.1 that answers the /v2/ ping like a
// registry and everything else as mode says.
type hostile struct {
	mode     string // redirect, huge, stall-headers, stall-body
	requests atomic.Int64
	sent     atomic.Int64 // body bytes written
	release  chan struct{}
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	n := h.requests.Add(1)
	switch h.mode {
	case "redirect": // same host, a fresh URL each time: only a count stops it
		w.Header().Set("Location", r.URL.Path+"?hop="+strings.Repeat("x", int(n%7))+string(rune('a'+n%26)))
		w.WriteHeader(http.StatusTemporaryRedirect)
	case "huge": // an endless manifest without Content-Length
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for i := 0; i < 200; i++ { // 200 MiB at most, if nothing stops reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
			h.sent.Add(int64(len(chunk)))
		}
	case "stall-headers":
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
	case "stall-body":
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"schemaVersion":2,`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
	}
}

// tinyTimeouts makes the transport give up quickly; no test asserts how
// long anything takes.
func tinyTimeouts(t *testing.T) {
	t.Setenv(regnet.EnvResponseHeader, "300ms")
	t.Setenv(regnet.EnvIdle, "300ms")
	t.Setenv(regnet.EnvRequest, "5s")
}

// The three commands that talk to registries, each against host/REPO.
var registryOps = map[string]func(ctx context.Context, t *testing.T, host string) error{
	"pack": func(ctx context.Context, t *testing.T, host string) error {
		ref, err := source.Parse(host + "/r/app:1")
		if err != nil {
			t.Fatal(err)
		}
		root, err := source.Open(ref, source.Options{Context: ctx})
		if err == nil {
			root.Close()
		}
		return err
	},
	"push": func(ctx context.Context, t *testing.T, host string) error {
		path, _, _ := signedBundle(t)
		_, err := Push(ctx, PushRequest{Bundle: path, Ref: host + "/r/app:1", Quiet: true})
		return err
	},
	"fetch": func(ctx context.Context, t *testing.T, host string) error {
		_, _, err := Fetch(ctx, FetchRequest{Ref: host + "/r/app:1", Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true, NoVerify: true})
		return err
	},
}

func TestHostileRegistry(t *testing.T) {
	cases := []struct {
		mode string
		code exit.Code
		msg  string
	}{
		{"redirect", exit.Network, "redirected"},
		{"huge", exit.Malformed, "limit"},
		{"stall-headers", exit.Network, "no response headers"},
		{"stall-body", exit.Network, "no data for"},
	}
	for _, c := range cases {
		for _, op := range []string{"pack", "push", "fetch"} {
			if op == "push" && (c.mode == "huge" || c.mode == "stall-body") {
				continue // push reads no manifest before uploading; redirect and header stalls cover it
			}
			t.Run(c.mode+"/"+op, func(t *testing.T) {
				tinyTimeouts(t)
				h := &hostile{mode: c.mode, release: make(chan struct{})}
				srv := httptest.NewServer(h)
				defer srv.Close()
				defer close(h.release)
				// A guard so that a broken bound fails the test instead of hanging it.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				err := registryOps[op](ctx, t, strings.TrimPrefix(srv.URL, "http://"))
				if err == nil {
					t.Fatal("no error from a hostile registry")
				}
				if ctx.Err() != nil {
					t.Fatalf("not bounded by the transport: %v", err)
				}
				if got := exit.CodeOf(err); got != c.code || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("exit %d %v; want %d with %q", got, err, c.code, c.msg)
				}
				if c.mode == "redirect" && h.requests.Load() > 50 {
					t.Fatalf("%d requests to a redirect loop", h.requests.Load())
				}
				if c.mode == "huge" && h.sent.Load() > 64<<20 {
					t.Fatalf("read %d bytes of an endless manifest", h.sent.Load())
				}
			})
		}
	}
}

// tamperer serves a real registry but replaces one blob's content with
// other bytes of the same size.
type tamperer struct {
	next   http.Handler
	digest string
}

func (tm *tamperer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+tm.digest) {
		rec := httptest.NewRecorder()
		tm.next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body = append([]byte{}, body...)
			body[len(body)/2] ^= 1
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
		return
	}
	tm.next.ServeHTTP(w, r)
}

// Content that does not match its digest is tampering (exit 1, naming the
// digest and the registry), not a network error.
func TestTamperedBlob(t *testing.T) {
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	tm := &tamperer{next: reg}
	srv := httptest.NewServer(tm)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	path, k, m := signedBundle(t)
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: host + "/r/app:1", Quiet: true}); err != nil {
		t.Fatal(err)
	}
	var layer string
	for _, b := range m.Blobs {
		if b.Role == "layer" {
			layer = b.Digest
		}
	}
	tm.digest = layer
	check := func(t *testing.T, err error) {
		t.Helper()
		if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "tampering") ||
			!strings.Contains(err.Error(), layer) || !strings.Contains(err.Error(), host) {
			t.Fatalf("exit %d: %v; want 1, tampering, %s at %s", exit.CodeOf(err), err, layer, host)
		}
	}
	t.Run("fetch", func(t *testing.T) {
		_, _, err := Fetch(ctx, FetchRequest{Ref: host + "/r/app:1", Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true,
			Verify: verify.Options{Trusted: []verify.TrustedKey{{Key: k.Public(), Source: "test"}}}})
		check(t, err)
	})
	t.Run("pack", func(t *testing.T) {
		ref, _ := source.Parse(host + "/r/app:1")
		root, err := source.Open(ref, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		ls, err := root.Image.Layers()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := ls[0].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		check(t, err)
	})
}
