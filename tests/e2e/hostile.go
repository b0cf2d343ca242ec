package e2e

import (
	"net/http/httptest"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/regnet/hostile"
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
	h := hostile.New(args[0])
	if h == nil {
		ts.Fatalf("hostile: unknown mode %q (want one of %s)", args[0], strings.Join(hostile.Modes, ", "))
	}
	srv := httptest.NewServer(h)
	ts.Defer(func() { close(h.Release); srv.Close() })
	ts.Setenv("HOSTILE", strings.TrimPrefix(srv.URL, "http://"))
}
