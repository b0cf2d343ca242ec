package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// countingRT records requests and answers none.
type countingRT struct{ n atomic.Int32 }

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("should not be called")
}

func TestPlainHTTPGuard(t *testing.T) {
	for _, tc := range []struct {
		url      string
		insecure bool
		refused  bool
	}{
		{"http://10.0.0.1/v2/", false, true},
		{"http://192.168.1.5:5000/v2/", false, true},
		{"http://registry.example.com/v2/", false, true},
		{"http://10.0.0.1/v2/", true, false},
		{"https://10.0.0.1/v2/", false, false},
		{"http://127.0.0.1:5000/v2/", false, false},
		{"http://127.1.2.3/v2/", false, false},
		{"http://localhost:5000/v2/", false, false},
		{"http://[::1]:5000/v2/", false, false},
	} {
		next := &countingRT{}
		g := NewPlainHTTPGuard(next, tc.insecure)
		req, _ := http.NewRequest(http.MethodGet, tc.url, strings.NewReader("body"))
		_, err := g.RoundTrip(req)
		sent := next.n.Load() > 0
		if tc.refused {
			if sent {
				t.Errorf("%s: request was sent", tc.url)
			}
			if exit.CodeOf(err) != exit.Network || !strings.Contains(exit.HintOf(err), "--insecure-registry") {
				t.Errorf("%s: %v (hint %q)", tc.url, err, exit.HintOf(err))
			}
		} else if !sent {
			t.Errorf("%s: not sent: %v", tc.url, err)
		}
	}
}

func newRegistry(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestRegistry(t *testing.T) {
	host := newRegistry(t)
	img, idx := testImage(t, "amd64", ""), testIndex(t)
	tag, _ := name.NewTag(host + "/app:v1")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	itag, _ := name.NewTag(host + "/multi:v1")
	if err := remote.WriteIndex(itag, idx); err != nil {
		t.Fatal(err)
	}
	opts := Options{Keychain: authn.NewMultiKeychain(), UserAgent: "ct-test", Context: context.Background()}
	open := func(src string) (*Root, error) {
		ref, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		return Open(ref, opts)
	}

	r, err := open(host + "/app:v1")
	if err != nil {
		t.Fatalf("%v (hint %s)", err, exit.HintOf(err))
	}
	defer r.Close()
	if want := mustDigest(t, img); r.Descriptor.Digest != want || r.Image == nil {
		t.Fatalf("root %+v, want %s", r.Descriptor, want)
	}
	got, want := layerBytes(t, r.Image), layerBytes(t, img)
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("layer %d differs", i)
		}
	}

	r, err = open("docker://" + host + "/multi@" + mustDigest(t, idx).String())
	if err != nil {
		t.Fatal(err)
	}
	if r.Index == nil || r.Descriptor.Digest != mustDigest(t, idx) {
		t.Fatalf("index root %+v", r.Descriptor)
	}
	armImg, _, err := SelectPlatform(r.Index, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if err != nil {
		t.Fatal(err)
	}
	if mustDigest(t, armImg) != mustDigest(t, testImage(t, "arm64", "v8")) {
		t.Error("wrong arm64 image")
	}

	for _, src := range []string{host + "/app:nope", host + "/nothere:v1"} {
		_, err = open(src)
		if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "image not found in registry") {
			t.Errorf("%s: %v", src, err)
		}
		if h := exit.HintOf(err); !strings.Contains(h, "skopeo list-tags docker://"+host+"/") {
			t.Errorf("%s: hint %q", src, h)
		}
	}

	// A closed port on loopback: unreachable.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	if _, err := open(dead + "/app:v1"); exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "registry unreachable") {
		t.Errorf("dead registry: %v", err)
	}
}

func TestClassifyError(t *testing.T) {
	ref, _ := Parse("ghcr.io/o/app:v1")
	req, _ := http.NewRequest(http.MethodGet, "https://ghcr.io/v2/o/app/manifests/v1", nil)
	for _, tc := range []struct {
		err  error
		msg  string
		hint string
	}{
		{&transport.Error{StatusCode: 404, Request: req}, "image not found in registry", "skopeo list-tags docker://ghcr.io/o/app"},
		{&transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}, "image not found in registry", "list-tags"},
		{&transport.Error{StatusCode: 401, Errors: []transport.Diagnostic{{Code: transport.UnauthorizedErrorCode}}}, "authentication refused", "docker login ghcr.io"},
		{&transport.Error{StatusCode: 403}, "authentication refused", "podman login ghcr.io"},
		{&transport.Error{StatusCode: 500}, "registry error", "retry"},
		{fmt.Errorf("get: %w", &net.DNSError{Err: "no such host", Name: "ghcr.io", IsNotFound: true}), "registry unreachable", "network"},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "registry unreachable", "network"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "registry unreachable", "network"},
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), "TLS failure", "--insecure-registry"},
		{errors.New("http: server gave HTTP response to HTTPS client"), "TLS failure", "--insecure-registry"},
	} {
		err := ClassifyError(ref, tc.err)
		if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(exit.HintOf(err), tc.hint) {
			t.Errorf("ClassifyError(%v) = %v (hint %q); want %q / %q", tc.err, err, exit.HintOf(err), tc.msg, tc.hint)
		}
		if !strings.Contains(err.Error(), "registry docker://ghcr.io/o/app:v1") {
			t.Errorf("Where missing: %v", err)
		}
	}
	already := exit.New(exit.Malformed, "x")
	if ClassifyError(ref, already) != error(already) {
		t.Error("an *exit.Error must pass through")
	}
	if ClassifyError(ref, nil) != nil {
		t.Error("nil must stay nil")
	}
	local, _ := Parse("oci:/x")
	if exit.CodeOf(ClassifyError(local, errors.New("boom"))) != exit.IO {
		t.Error("local errors are IO")
	}
}
