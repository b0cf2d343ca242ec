package regnet

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvIdle, "2m")
	t.Setenv(EnvMaxRedirects, "3")
	l, err := FromEnv()
	if err != nil || l.Idle.String() != "2m0s" || l.MaxRedirects != 3 || l.Connect != Defaults().Connect {
		t.Fatalf("%+v %v", l, err)
	}
	t.Setenv(EnvRequest, "soon")
	if _, err := FromEnv(); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), EnvRequest) {
		t.Fatalf("bad duration: %v", err)
	}
	// The transport reports it on the first request.
	_, err = (&http.Client{Transport: New(nil, false)}).Get("http://127.0.0.1:1/v2/")
	if exit.CodeOf(err) != exit.Usage {
		t.Fatalf("request with a bad environment: %v", err)
	}
}

func TestRedirectCap(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, r.URL.Path+"?"+r.URL.RawQuery+"x", http.StatusFound)
	}))
	defer srv.Close()
	l := Defaults()
	l.MaxRedirects = 3
	// No CheckRedirect cap, as go-containerregistry's client.
	c := &http.Client{Transport: NewWithLimits(nil, false, l), CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	_, err := c.Get(srv.URL + "/v2/r/manifests/1")
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "more than 3 times") {
		t.Fatalf("%v", err)
	}
	if n.Load() != 4 {
		t.Fatalf("%d requests, want 1 + 3 redirects", n.Load())
	}
}

func TestDigestChecked(t *testing.T) {
	content := []byte(`{"schemaVersion":2}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(content)
	}))
	defer srv.Close()
	c := &http.Client{Transport: NewWithLimits(nil, false, Defaults())}
	get := func(path string) error {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	other := "sha256:" + strings.Repeat("0", 64)
	for _, p := range []string{"/v2/a/b/blobs/" + other, "/v2/a/manifests/" + other} {
		if err := get(p); exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "tampering") {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if err := get("/v2/a/manifests/latest"); err != nil {
		t.Fatalf("by tag: %v", err)
	}
	// Not a blob: bounded.
	l := Defaults()
	l.MaxManifest = 5
	c = &http.Client{Transport: NewWithLimits(nil, false, l)}
	if err := get("/v2/a/manifests/latest"); exit.CodeOf(err) != exit.Malformed {
		t.Fatalf("over the limit: %v", err)
	}
}

// The idle clock runs only while ct waits for data: a reader that pauses
// between reads (a slow disk, a busy CPU) is not a stalled registry.
func TestSlowReaderIsNotAStall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	l := Defaults()
	l.Idle = 20 * time.Millisecond
	c := &http.Client{Transport: NewWithLimits(nil, false, l)}
	resp, err := c.Get(srv.URL + "/v2/a/manifests/latest")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(10 * l.Idle)
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 100 {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
}

// TestEnvHelp: the help names every variable FromEnv reads, with its
// default as Defaults has it.
func TestEnvHelp(t *testing.T) {
	d := Defaults()
	want := map[string]time.Duration{EnvConnect: d.Connect, EnvTLSHandshake: d.TLSHandshake,
		EnvResponseHeader: d.ResponseHeader, EnvIdle: d.Idle, EnvRequest: d.Request}
	seen := map[string]bool{}
	for _, line := range strings.Split(EnvHelp, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "CT_REGISTRY_") {
			continue
		}
		seen[f[0]] = true
		def := strings.TrimSuffix(f[len(f)-1], ")")
		if f[0] == EnvMaxRedirects {
			if def != strconv.Itoa(d.MaxRedirects) {
				t.Errorf("%s: default %s, want %d", f[0], def, d.MaxRedirects)
			}
			continue
		}
		got, err := time.ParseDuration(def)
		if err != nil || got != want[f[0]] {
			t.Errorf("%s: default %q, want %v", f[0], def, want[f[0]])
		}
	}
	for _, e := range []string{EnvMaxRedirects, EnvConnect, EnvTLSHandshake, EnvResponseHeader, EnvIdle, EnvRequest} {
		if !seen[e] {
			t.Errorf("EnvHelp lacks %s", e)
		}
	}
}
