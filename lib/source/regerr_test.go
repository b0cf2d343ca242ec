package source

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestRegistryText: a registry's error is told in words, without Go's map
// rendering, the request URL, or what the message's where already names.
func TestRegistryText(t *testing.T) {
	te := &transport.Error{StatusCode: http.StatusNotFound, Errors: []transport.Diagnostic{
		{Code: transport.ManifestUnknownErrorCode, Message: "manifest unknown", Detail: map[string]any{"Tag": "bookworm"}},
	}}
	ref := &Ref{Given: "r.example/app:bookworm", Transport: TransportDocker, Registry: "r.example", Repository: "app", Tag: "bookworm"}
	err := ClassifyError(ref, te)
	msg := err.Error()
	for _, bad := range []string{"map[", "GET ", "(tag bookworm)"} {
		if strings.Contains(msg, bad) {
			t.Errorf("%q contains %q", msg, bad)
		}
	}
	if !strings.Contains(msg, "the registry said: manifest unknown (HTTP 404 Not Found)") {
		t.Errorf("got %q", msg)
	}
	// a detail the where does not name is kept, in words
	te.Errors[0].Detail = map[string]any{"Tag": "trixie", "Size": 3.0}
	if msg := ClassifyError(ref, te).Error(); !strings.Contains(msg, "manifest unknown (size 3, tag trixie)") {
		t.Errorf("got %q", msg)
	}
	// classification by code still sees the transport error
	te.Errors[0].Code = transport.DeniedErrorCode
	if msg := ClassifyError(ref, te).Error(); !strings.Contains(msg, "authentication refused") {
		t.Errorf("got %q", msg)
	}
	// no diagnostics: the status
	if msg := (registryText{te: &transport.Error{StatusCode: 502}}).Error(); msg != "the registry answered HTTP 502 Bad Gateway" {
		t.Errorf("got %q", msg)
	}
}

// TestRefReason: an invalid registry reference says why, not ggcr's bare
// "could not parse reference".
func TestRefReason(t *testing.T) {
	for in, want := range map[string]string{
		"UPPER/Case:tag":             `repository "UPPER/Case": only lowercase letters, digits and _ - . / are allowed`,
		"localhost:5000/app:bad!tag": `tag "bad!tag": only letters, digits and _ - . are allowed`,
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "could not parse") {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}

// TestNetReason: an unreachable registry is said in words, without Go's
// request URLs, and classification still sees the cause.
func TestNetReason(t *testing.T) {
	ref := &Ref{Given: "127.0.0.1:1/app:1", Transport: TransportDocker, Registry: "127.0.0.1:1", Repository: "app", Tag: "1"}
	_, dialErr := net.Dial("tcp", "127.0.0.1:1")
	if dialErr == nil {
		t.Skip("something listens on port 1")
	}
	err := ClassifyError(ref, &url.Error{Op: "Get", URL: "https://127.0.0.1:1/v2/", Err: dialErr})
	if msg := err.Error(); !strings.HasSuffix(msg, "registry unreachable: connection refused") || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %q", msg)
	}
}
