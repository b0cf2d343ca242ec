// Package hostile is a registry that misbehaves on purpose, for tests of
// issue 8 §5 (registries are strangers): the unit tests of lib/registry and
// the e2e scripts (the testscript command `hostile`) run ct against it on
// 127.0.0.1. It answers the /v2/ ping like a registry and every other
// request as its mode says.
package hostile

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
)

// Modes lists the ways the registry misbehaves:
//
//	redirect       a same-host redirect loop (a fresh URL each time, so only a count stops it)
//	huge           an endless 200 body without Content-Length (200 MiB at most)
//	stall-headers  no response headers, ever
//	stall-body     headers and a few bytes of a body, then nothing
var Modes = []string{"redirect", "huge", "stall-headers", "stall-body"}

// Registry is an http.Handler; serve it with httptest.NewServer.
type Registry struct {
	Mode     string
	Requests atomic.Int64 // requests other than the ping
	Sent     atomic.Int64 // body bytes written in mode huge
	// Release, when closed, ends the stalls (so a test's server can close).
	Release chan struct{}
}

// New returns a Registry in mode, or nil for an unknown mode.
func New(mode string) *Registry {
	for _, m := range Modes {
		if m == mode {
			return &Registry{Mode: mode, Release: make(chan struct{})}
		}
	}
	return nil
}

func (h *Registry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	n := h.Requests.Add(1)
	switch h.Mode {
	case "redirect":
		w.Header().Set("Location", r.URL.Path+"?hop="+strings.Repeat("x", int(n%7))+string(rune('a'+n%26)))
		w.WriteHeader(http.StatusTemporaryRedirect)
	case "huge":
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for i := 0; i < 200; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			h.Sent.Add(int64(len(chunk)))
		}
	case "stall-headers":
		select {
		case <-r.Context().Done():
		case <-h.Release:
		}
	case "stall-body":
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"schemaVersion":2,`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-h.Release:
		}
	}
}
