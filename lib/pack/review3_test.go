package pack

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// Hostile ways to serve a layer to the offset writer, which trusts
// lib/regnet's digest check instead of hashing again: each must fail with
// exit 1 and leave no file. A redirect to another blob of the same size
// (regnet must check the digest the first request named, not the one it
// was sent to), a Content-Length that cuts the blob short (the body ends
// "cleanly" at the lie), one that claims more and sends other bytes.
func TestWriteFileHostileTransport(t *testing.T) {
	// Two layers of the same size: the redirect target is a real blob.
	src, content, hooks := packRegistry(t, 4096, 4096, 1000)
	var a, b string
	for d, c := range content {
		if len(c) != 4096 {
			continue
		}
		if a == "" {
			a = d
		} else {
			b = d
		}
	}
	cases := map[string]blobHook{
		"redirect to another blob": func(w http.ResponseWriter, r *http.Request, c []byte) {
			http.Redirect(w, r, strings.Replace(r.URL.Path, a, b, 1), http.StatusTemporaryRedirect)
		},
		"short Content-Length": func(w http.ResponseWriter, r *http.Request, c []byte) {
			w.Header().Set("Content-Length", itoa(len(c)-1))
			w.WriteHeader(http.StatusOK)
			w.Write(c[:len(c)-1])
		},
		"zeros for the blob": func(w http.ResponseWriter, r *http.Request, c []byte) {
			w.Header().Set("Content-Length", itoa(len(c)))
			w.WriteHeader(http.StatusOK)
			w.Write(make([]byte, len(c)))
		},
		"partial content": func(w http.ResponseWriter, r *http.Request, c []byte) {
			w.Header().Set("Content-Range", "bytes 0-99/"+itoa(len(c)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(c[:100])
		},
	}
	for name, h := range cases {
		hooks[a] = h
		dir, err := runTo(t, context.Background(), src)
		if err == nil || exit.CodeOf(err) == exit.OK {
			t.Fatalf("%s: the pack passed", name)
		}
		if name != "partial content" && exit.CodeOf(err) != exit.HashMismatch {
			t.Fatalf("%s: exit %d, %v", name, exit.CodeOf(err), err)
		}
		assertEmpty(t, dir)
	}
	// A redirect to the same content elsewhere is fine (registries send
	// blobs to storage), and the bytes are the blob's.
	hooks[a] = func(w http.ResponseWriter, r *http.Request, c []byte) {
		if r.URL.Query().Get("x") == "" {
			http.Redirect(w, r, r.URL.Path+"?x=1", http.StatusTemporaryRedirect)
			return
		}
		w.Write(c)
	}
	if _, err := runTo(t, context.Background(), src); err != nil {
		t.Fatalf("redirect to the same content: %v", err)
	}
}

// A zero-byte layer served with bytes: longer than manifest.toml says,
// refused before anything is written at its offset (which is the next
// entry's header).
func TestWriteFileZeroByteLayerWithContent(t *testing.T) {
	src, content, hooks := packRegistry(t, 0, 1000)
	for d, c := range content {
		if len(c) == 0 {
			hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) { w.Write([]byte("x")) }
		}
	}
	dir, err := runTo(t, context.Background(), src)
	if exit.CodeOf(err) != exit.HashMismatch {
		t.Fatalf("exit %d, %v", exit.CodeOf(err), err)
	}
	assertEmpty(t, dir)
}
