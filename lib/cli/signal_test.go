package cli

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterruptEnds: the first Ctrl-C cancels Context; a command
// that cannot see it (blocked reading a stalled pipe) still ends on the
// second, by the signal, instead of swallowing every further Ctrl-C.
func TestSecondInterruptEnds(t *testing.T) {
	if os.Getenv("CT_CLI_SIGNAL_CHILD") == "1" {
		ctx, stop := Context()
		defer stop()
		os.Stdout.WriteString("ready\n")
		<-ctx.Done()
		os.Stdout.WriteString("cancelled\n")
		select {} // blocked where the context is not looked at
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSecondInterruptEnds$")
	cmd.Env = append(os.Environ(), "CT_CLI_SIGNAL_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line := func(want string) {
		buf := make([]byte, len(want)+1)
		if _, err := io.ReadFull(out, buf); err != nil || string(buf) != want+"\n" {
			t.Fatalf("child said %q (%v), want %q", buf, err, want)
		}
	}
	line("ready")
	cmd.Process.Signal(os.Interrupt)
	line("cancelled")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The handler is removed just after the context is cancelled, on
	// another goroutine: interrupt until the child ends (a hang guard, not
	// a timing check).
	for guard := time.Now().Add(2 * time.Minute); ; {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("child ended with %v, want killed by SIGINT", err)
			}
			if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
				t.Fatalf("child ended with %v, want killed by SIGINT", err)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(guard) {
			t.Fatal("the child swallowed every Ctrl-C after the first")
		}
	}
}
