package logclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// A monitor stopped by SIGINT or SIGTERM (its context cancelled) while it
// reads the log says "interrupted" with exit 11, as other commands do, not
// "unreachable" (12, with a hint to check the URL), and stores no state.
func TestMonitorInterrupted(t *testing.T) {
	fx := newFixture(t)
	asked := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // a log that answers slowly
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-asked; cancel() }()
	_, err := Monitor(ctx, fx.opts(srv.URL+"/", withKey(fx.alice)))
	if exit.CodeOf(err) != exit.IO || exit.HintOf(err) == "" {
		t.Fatalf("interrupted: %v (exit %d)", err, exit.CodeOf(err))
	}
	if _, err := os.Stat(statePath(fx.stateDir, testOrigin)); !os.IsNotExist(err) {
		t.Fatalf("state stored after an interrupted run: %v", err)
	}
}
