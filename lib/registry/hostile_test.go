package registry

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/cerro-torre/ct/lib/regnet/hostile"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/verify"
)

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
				h := hostile.New(c.mode)
				srv := httptest.NewServer(h)
				defer srv.Close()
				defer close(h.Release)
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
				if c.mode == "redirect" && h.Requests.Load() > 50 {
					t.Fatalf("%d requests to a redirect loop", h.Requests.Load())
				}
				if c.mode == "huge" && h.Sent.Load() > 64<<20 {
					t.Fatalf("read %d bytes of an endless manifest", h.Sent.Load())
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
