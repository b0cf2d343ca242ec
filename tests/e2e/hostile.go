package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/rogpeppe/go-internal/testscript"
)

// hostile MODE starts, for the rest of the script, a registry on 127.0.0.1
// that answers the /v2/ ping like a registry and every other request as
// MODE says, and sets $HOSTILE to its host:port (issue 8 §5: registries are
// strangers):
//
//	redirect       a same-host redirect loop (a fresh URL each time)
//	huge           an endless 200 body without Content-Length
//	stall-headers  no response headers, ever
//	stall-body     headers and a few bytes of a body, then nothing
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hostile redirect|huge|stall-headers|stall-body")
	}
	mode := args[0]
	switch mode {
	case "redirect", "huge", "stall-headers", "stall-body":
	default:
		ts.Fatalf("hostile: unknown mode %q", mode)
	}
	done := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		i := n.Add(1)
		switch mode {
		case "redirect":
			w.Header().Set("Location", r.URL.Path+"?hop="+strings.Repeat("x", int(i%50)))
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "huge":
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for j := 0; j < 200; j++ { // 200 MiB at most, if nothing stops reading
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "stall-headers":
			select {
			case <-r.Context().Done():
			case <-done:
			}
		case "stall-body":
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"schemaVersion":2,`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}
	}))
	ts.Defer(func() { close(done); srv.Close() })
	ts.Setenv("HOSTILE", strings.TrimPrefix(srv.URL, "http://"))
}
