package e2e

import (
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// waitfile FILE [TIMEOUT] waits until FILE exists and is not empty, for a
// server started in the background (`exec … --addr-file FILE &`) to be
// listening. TIMEOUT is a Go duration (default 30s); reaching it fails the
// script. It only bounds a hang: no test asserts on how long anything took.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile FILE [TIMEOUT]")
	}
	limit := 30 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		if err != nil || d <= 0 {
			ts.Fatalf("waitfile: bad timeout %q", args[1])
		}
		limit = d
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(limit)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not appear within %s", args[0], limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
