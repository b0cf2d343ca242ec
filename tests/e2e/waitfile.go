package e2e

import (
	"os"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdWaitFile: `waitfile FILE [TIMEOUT]` waits until FILE exists and is not
// empty (a server started with `exec … &` writes its --addr-file once it
// listens), for at most TIMEOUT (a Go duration, default 30s), and sets
// $WAITED to its content without surrounding white space, so that a
// script can use it: `waitfile log.addr` then `--log http://$WAITED`.
// It is no timing assertion: the timeout only stops a server that never
// starts from hanging the test.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile FILE [TIMEOUT]")
	}
	timeout := 30 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("waitfile: timeout %q: %v", args[1], err)
		}
		timeout = d
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	for {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			ts.Setenv("WAITED", strings.TrimSpace(string(data)))
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not appear within %s", args[0], timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
