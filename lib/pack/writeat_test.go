package pack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
)

// blobHook, when set for a digest, serves that blob instead of the registry.
type blobHook func(w http.ResponseWriter, r *http.Request, content []byte)

// packRegistry starts go-containerregistry's registry behind a hook that
// can replace how chosen blobs are served, and pushes an image with layers
// of the given sizes (random bytes; sizes off the 512-byte grid, one empty
// layer) to REG/test/img:v1. It returns the reference, the layers' content
// by digest, and the hook map (set entries before packing).
func packRegistry(t *testing.T, sizes ...int) (string, map[string][]byte, map[string]blobHook) {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	content := map[string][]byte{}
	hooks := map[string]blobHook{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			d := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			mu.Lock()
			h, c := hooks[d], content[d]
			mu.Unlock()
			if h != nil {
				h(w, r, c)
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	rng := rand.New(rand.NewSource(int64(len(sizes))))
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for _, n := range sizes {
		b := make([]byte, n)
		rng.Read(b)
		var err error
		if img, err = mutate.AppendLayers(img, static.NewLayer(b, types.OCILayer)); err != nil {
			t.Fatal(err)
		}
		content[bundle.Digest(b)] = b
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	ref, _ := name.ParseReference(host+"/test/img:v1", name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return host + "/test/img:v1", content, hooks
}

var testSizes = []int{3<<20 + 17, 0, 511, 512, 1<<20 + 1, 2 << 20, 700_001}

func testPlan(t *testing.T, src string) *Plan {
	t.Helper()
	ref, err := source.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	root, err := source.Open(ref, source.Options{Context: context.Background()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	plan, err := NewPlan(root, Options{Tool: bundle.Tool{Name: "test", Version: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Transport == source.TransportDocker {
		plan.Prefetch = 4
		plan.RawBlob = root.OpenBlob
	}
	return plan
}

func fakeSign(m []byte) ([]bundle.Entry, error) {
	return []bundle.Entry{{Name: "signatures/b.sig", Data: []byte("two")}, {Name: "signatures/a.sig", Data: []byte(bundle.Digest(m))}}, nil
}

// The offset writer and the streaming writer give the same bundle, byte for
// byte: headers, padding, blob order, signatures and the end of archive.
func TestWriteFileSameBytesAsStream(t *testing.T) {
	src, _, _ := packRegistry(t, testSizes...)
	mtime := time.Unix(1700000000, 0)
	for _, sign := range []func([]byte) ([]bundle.Entry, error){nil, fakeSign} {
		var stream bytes.Buffer
		if err := testPlan(t, src).Write(context.Background(), &stream, mtime, nil, nil, sign); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(t.TempDir(), "x.ctp"))
		if err != nil {
			t.Fatal(err)
		}
		var progress countWriter
		n, err := testPlan(t, src).WriteFile(context.Background(), f, mtime, &progress, nil, sign)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, _ := os.ReadFile(f.Name())
		if n != int64(len(got)) || !bytes.Equal(got, stream.Bytes()) {
			t.Fatalf("WriteFile wrote %d bytes (says %d), the stream %d; equal: %v", len(got), n, stream.Len(), bytes.Equal(got, stream.Bytes()))
		}
		if want := testPlan(t, src).TotalSize(); progress.n != want {
			t.Fatalf("progress saw %d bytes, the blobs are %d", progress.n, want)
		}
		if _, _, err := bundle.Check(bytes.NewReader(got), "x.ctp"); err != nil {
			t.Fatal(err)
		}
	}
	// And through Run: -o FILE (offset writer) equals standard output (stream).
	out := filepath.Join(t.TempDir(), "run.ctp")
	req := Request{Source: src, Output: out, Quiet: true, Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}}
	if _, err := Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	so, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer so.Close()
	req.Output, req.Stdout = "", so
	if _, err := Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(so.Name())
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("ct pack -o FILE (%d bytes) and ct pack > FILE (%d bytes) differ", len(a), len(b))
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func biggest(content map[string][]byte) string {
	var d string
	for k, v := range content {
		if d == "" || len(v) > len(content[d]) {
			d = k
		}
	}
	return d
}

func runTo(t *testing.T, ctx context.Context, src string) (string, error) {
	dir := t.TempDir()
	_, err := Run(ctx, Request{Source: src, Output: filepath.Join(dir, "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	return dir, err
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("failed pack left %v", ents)
	}
}

// A registry that serves other bytes for a blob (same length) fails the
// pack with exit 1 (hash mismatch) naming the blob, and leaves no file.
func TestWriteFileHashMismatch(t *testing.T) {
	src, content, hooks := packRegistry(t, testSizes...)
	d := biggest(content)
	hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) {
		bad := bytes.Clone(c)
		bad[len(bad)/2] ^= 1
		w.Write(bad)
	}
	dir, err := runTo(t, context.Background(), src)
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), d) {
		t.Fatalf("tampered blob: exit %d, %v", exit.CodeOf(err), err)
	}
	assertEmpty(t, dir)
	// One byte too many: also a mismatch.
	hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) { w.Write(append(bytes.Clone(c), 0)) }
	dir, err = runTo(t, context.Background(), src)
	if exit.CodeOf(err) != exit.HashMismatch {
		t.Fatalf("long blob: exit %d, %v", exit.CodeOf(err), err)
	}
	assertEmpty(t, dir)
}

// A registry that drops the connection in the middle of a blob fails the
// pack (a network error, not a mismatch: the content was not wrong, it did
// not arrive) and leaves no file.
func TestWriteFileFailsMidBlob(t *testing.T) {
	src, content, hooks := packRegistry(t, testSizes...)
	d := biggest(content)
	hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) {
		w.Header().Set("Content-Length", itoa(len(c)))
		w.WriteHeader(http.StatusOK)
		w.Write(c[:len(c)/2])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	dir, err := runTo(t, context.Background(), src)
	if err == nil || exit.CodeOf(err) == exit.HashMismatch || exit.CodeOf(err) == exit.OK {
		t.Fatalf("blob cut short: exit %d, %v", exit.CodeOf(err), err)
	}
	assertEmpty(t, dir)
}

// Cancelling (Ctrl-C) while blobs download stops the pack with exit.IO
// "interrupted", the stalled download included, and leaves no file.
func TestWriteFileCancel(t *testing.T) {
	src, content, hooks := packRegistry(t, testSizes...)
	d := biggest(content)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) {
		w.Header().Set("Content-Length", itoa(len(c)))
		w.WriteHeader(http.StatusOK)
		w.Write(c[:1000])
		w.(http.Flusher).Flush()
		cancel() // the user presses Ctrl-C while this blob is half sent
		<-r.Context().Done()
	}
	dir, err := runTo(t, ctx, src)
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("cancelled pack: exit %d, %v", exit.CodeOf(err), err)
	}
	assertEmpty(t, dir)
}

// WriteFile returns only when every download goroutine has stopped: after
// a failure, a cancellation and a success alike, none is left running.
func TestWriteFileNoGoroutineLeak(t *testing.T) {
	plan := testPlan(t, "oci:"+testLayout(t))
	plan.Prefetch = 4
	before := runtime.NumGoroutine()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		mod  func(p *Plan) context.Context
	}{
		{"ok", func(p *Plan) context.Context { return context.Background() }},
		{"fail", func(p *Plan) context.Context {
			for _, b := range p.Manifest.Blobs {
				if b.Role == bundle.RoleLayer {
					p.open[b.Digest] = func() (io.ReadCloser, error) { return nil, boom }
				}
			}
			return context.Background()
		}},
		{"cancel", func(p *Plan) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	} {
		p := *plan
		p.writeback = true // its goroutine must stop too
		p.open = map[string]func() (io.ReadCloser, error){}
		for k, v := range plan.open {
			p.open[k] = v
		}
		ctx := tc.mod(&p)
		f, err := os.Create(filepath.Join(t.TempDir(), "x.ctp"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.WriteFile(ctx, f, time.Time{}, nil, nil, nil)
		f.Close()
		if (err == nil) != (tc.name == "ok") {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.name == "fail" && !errors.Is(err, boom) {
			t.Fatalf("fail: the opener's error is lost: %v", err)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Fatalf("%s: %d goroutines after WriteFile, %d before:\n%s", tc.name, n, before, buf[:runtime.Stack(buf, true)])
		}
	}
}

// A registry layer comes through source.Root.OpenBlob, whose body is
// lib/regnet's: it has verified the digest, so WriteFile hashes nothing
// twice. (If a transport layer ever hid that body, WriteFile would hash the
// blob itself: correct, only slower; this test says so.)
func TestRawBlobIsVerifiedByTransport(t *testing.T) {
	src, content, _ := packRegistry(t, 1000)
	plan := testPlan(t, src)
	for d := range content {
		rc, err := plan.RawBlob(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		vd, ok := rc.(verifiedDigest)
		if !ok {
			t.Fatalf("the registry body %T does not report a verified digest", rc)
		}
		if vd.VerifiedDigest() != "" {
			t.Fatal("verified before it was read")
		}
		io.Copy(io.Discard, rc)
		if got := vd.VerifiedDigest(); got != d {
			t.Fatalf("verified %q, want %s", got, d)
		}
		rc.Close()
	}
}

// Where no transport vouches for a blob (a layout, an archive, an opener
// that is not lib/regnet's body), WriteFile hashes it itself: other bytes of
// the right length, or too few, are exit 1.
func TestWriteFileHashesUnverifiedBlobs(t *testing.T) {
	for _, cut := range []bool{false, true} {
		plan := testPlan(t, "oci:"+testLayout(t))
		for _, b := range plan.Manifest.Blobs {
			if b.Role == bundle.RoleLayer {
				size := b.Size
				plan.open[b.Digest] = func() (io.ReadCloser, error) {
					bad := bytes.Repeat([]byte{'x'}, int(size))
					if cut {
						bad = bad[:size-1]
					}
					return io.NopCloser(bytes.NewReader(bad)), nil
				}
				break
			}
		}
		f, err := os.Create(filepath.Join(t.TempDir(), "x.ctp"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = plan.WriteFile(context.Background(), f, time.Time{}, nil, nil, nil)
		f.Close()
		if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "the source served wrong content") {
			t.Fatalf("cut %v: exit %d, %v", cut, exit.CodeOf(err), err)
		}
	}
}
