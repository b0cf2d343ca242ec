package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cerro-torre/ct/lib/source"
)

// On a registry that asks for a token, the warm-up sends the ping and
// one token request, for the push scope of the destination repository
// alone, and nothing about any blob or manifest.
func TestSessionWarmTokenRegistry(t *testing.T) {
	var mu sync.Mutex
	var reqs []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		switch {
		case r.URL.Path == "/token":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token":"t"}`))
		case r.Header.Get("Authorization") != "Bearer t":
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="reg"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}`, http.StatusUnauthorized)
		default:
			http.Error(w, `{"errors":[{"code":"UNSUPPORTED","message":"no"}]}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	s := NewSession(context.Background(), source.Options{})
	s.warm(host + "/r/app:1")
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 || reqs[0] != "GET /v2/" || !strings.HasPrefix(reqs[1], "GET /token?") {
		t.Fatalf("the warm-up sent %v, want the ping and one token request", reqs)
	}
	if !strings.Contains(reqs[1], "scope=repository%3Ar%2Fapp%3Apush%2Cpull") || strings.Count(reqs[1], "scope=") != 1 {
		t.Fatalf("token request %q: want the push scope of r/app alone", reqs[1])
	}
}
