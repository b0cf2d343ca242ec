package logserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
)

// TestAddAnswers checks how POST /add reports what Tessera's future
// returns: pushback is 429 with Retry-After, no index in time is 503, any
// other failure is 500 without the internal error. (The success path and
// the reads run against real storage in server_test.go.)
func TestAddAnswers(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	for _, c := range []struct {
		name string
		fut  tessera.IndexFuture
		code int
		body string
	}{
		{"pushback", func() (tessera.Index, error) { return tessera.Index{}, tessera.ErrPushback }, 429, "busy"},
		{"wrapped pushback", func() (tessera.Index, error) {
			return tessera.Index{}, errors.Join(errors.New("x"), tessera.ErrPushbackIntegration)
		}, 429, "busy"},
		{"too slow", func() (tessera.Index, error) { <-block; return tessera.Index{}, nil }, 503, "not sequenced in time"},
		{"failure", func() (tessera.Index, error) { return tessera.Index{}, errors.New("disk on fire /secret/path") }, 500, "could not add"},
		{"ok", func() (tessera.Index, error) { return tessera.Index{Index: 42}, nil }, 200, "42\n"},
	} {
		lim := DefaultLimits
		lim.AddTimeout = 50 * time.Millisecond
		h := Handler(func(context.Context, *tessera.Entry) tessera.IndexFuture { return c.fut }, nil, lim, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/add", strings.NewReader(string(testLeaf(t, 1)))))
		body := rec.Body.String()
		if rec.Code != c.code || !strings.Contains(body, c.body) || strings.Contains(body, "secret") {
			t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, body, c.code, c.body)
		}
		if (rec.Code == http.StatusTooManyRequests) != (rec.Header().Get("Retry-After") != "") {
			t.Errorf("%s: %d with Retry-After %q", c.name, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
}
