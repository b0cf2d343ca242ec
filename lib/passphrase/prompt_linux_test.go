package passphrase

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/exit"
)

type result struct {
	p   []byte
	err error
}

// start runs ask on the pty in a goroutine and waits until its prompt is
// shown, so the test types only when the prompt reads with echo off.
func start(t *testing.T, p *pty, ctx context.Context, what string, confirm bool, checkNew ...func([]byte) error) <-chan result {
	t.Helper()
	ch := make(chan result, 1)
	check := noCheck
	if len(checkNew) > 0 {
		check = checkNew[0]
	}
	go func() {
		b, err := ask(ctx, p.slave, what, confirm, check)
		ch <- result{b, err}
	}()
	p.waitFor(t, ": passphrase for "+what+": ")
	if p.lflag(t)&unix.ECHO != 0 {
		t.Fatal("echo is on while the prompt is open")
	}
	return ch
}

// echoOn checks the terminal is back to its settings from before the prompt.
func echoOn(t *testing.T, p *pty, before uint32) {
	t.Helper()
	if got := p.lflag(t); got != before {
		t.Fatalf("local modes after the prompt = %#x, before = %#x (echo %v)", got, before, got&unix.ECHO != 0)
	}
}

func TestPromptTyped(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	if before&unix.ECHO == 0 {
		t.Fatal("a fresh pty has echo off")
	}
	ch := start(t, p, nil, "key ci (ci.key)", false)
	p.typ(t, "s3cret\n")
	r := <-ch
	if r.err != nil || string(r.p) != "s3cret" {
		t.Fatalf("got %q, %v", r.p, r.err)
	}
	echoOn(t, p, before)
	out := p.waitFor(t, "\n")
	if strings.Contains(out, "s3cret") {
		t.Fatalf("the passphrase was echoed: %q", out)
	}
	if !strings.HasSuffix(out, ": passphrase for key ci (ci.key): \r\n") {
		t.Fatalf("the prompt did not end its line: %q", out)
	}
}

func noCheck([]byte) error { return nil }

// A new passphrase the caller refuses (too short) ends the prompt after the
// first answer: it is not asked again, and echo is back on.
func TestPromptConfirmRefused(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	short := func(b []byte) error {
		if len(b) < 12 {
			return exit.New(exit.Usage, "too short")
		}
		return nil
	}
	ch := start(t, p, nil, "new key ci", true, short)
	p.typ(t, "short\n")
	r := <-ch
	if exit.CodeOf(r.err) != exit.Usage || r.p != nil || !strings.Contains(r.err.Error(), "too short") {
		t.Fatalf("got %q, %v", r.p, r.err)
	}
	echoOn(t, p, before)
	if out := p.waitFor(t, "\n"); strings.Contains(out, "repeat") {
		t.Fatalf("asked again after a refused passphrase: %q", out)
	}
	ch = start(t, p, nil, "new key cj", true, short)
	p.typ(t, "long enough passphrase\n")
	p.waitFor(t, ": repeat the passphrase for new key cj: ")
	p.typ(t, "long enough passphrase\n")
	if r := <-ch; r.err != nil || string(r.p) != "long enough passphrase" {
		t.Fatalf("got %q, %v", r.p, r.err)
	}
}

func TestPromptConfirm(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	ch := start(t, p, nil, "new key ci", true)
	p.typ(t, "one\n")
	p.waitFor(t, ": repeat the passphrase for new key ci: ")
	p.typ(t, "one\n")
	if r := <-ch; r.err != nil || string(r.p) != "one" {
		t.Fatalf("got %q, %v", r.p, r.err)
	}
	echoOn(t, p, before)

	ch = start(t, p, nil, "new key cj", true)
	p.typ(t, "one\n")
	p.waitFor(t, ": repeat the passphrase for new key cj: ")
	p.typ(t, "two\n")
	if r := <-ch; exit.CodeOf(r.err) != exit.Usage || !strings.Contains(r.err.Error(), "differ") {
		t.Fatalf("two different answers: %v", r.err)
	}
	echoOn(t, p, before)
}

func TestPromptEmpty(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	ch := start(t, p, nil, "key ci", false)
	p.typ(t, "\n")
	if r := <-ch; exit.CodeOf(r.err) != exit.Usage || !strings.Contains(r.err.Error(), "empty passphrase") {
		t.Fatalf("empty answer: %v", r.err)
	}
	echoOn(t, p, before)
}

// Ctrl-D on an empty line cancels (x/term's ReadPassword would wait on).
func TestPromptCtrlD(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	ch := start(t, p, nil, "key ci", false)
	p.typ(t, "\x04")
	r := <-ch
	if exit.CodeOf(r.err) != exit.Cancelled || !strings.Contains(r.err.Error(), "passphrase prompt for key ci cancelled (Ctrl-D)") {
		t.Fatalf("Ctrl-D: %v (code %d)", r.err, exit.CodeOf(r.err))
	}
	echoOn(t, p, before)
}

// Ctrl-C at the prompt: the terminal sends SIGINT to its foreground process
// group; this test process is not in that group, so the test sends the
// same signal to itself. The prompt catches it: the test binary lives on.
func TestPromptSignals(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGINT, "Ctrl-C"}, {syscall.SIGTERM, "signal terminated"}, {syscall.SIGHUP, "signal hangup"}, {syscall.SIGPIPE, "signal broken pipe"}, {syscall.SIGQUIT, `Ctrl-\`}} {
		t.Run(c.name, func(t *testing.T) {
			p := openPTY(t)
			before := p.lflag(t)
			ch := start(t, p, nil, "key ci", false)
			if err := syscall.Kill(os.Getpid(), c.sig); err != nil {
				t.Fatal(err)
			}
			r := <-ch
			if exit.CodeOf(r.err) != exit.Cancelled || !strings.Contains(r.err.Error(), "("+c.name+")") {
				t.Fatalf("%v: %v (code %d)", c.sig, r.err, exit.CodeOf(r.err))
			}
			echoOn(t, p, before)
		})
	}
}

func TestPromptContext(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := start(t, p, ctx, "key ci", false)
	cancel()
	if r := <-ch; exit.CodeOf(r.err) != exit.Cancelled || !strings.Contains(r.err.Error(), "(interrupted)") {
		t.Fatalf("cancelled context: %v", r.err)
	}
	echoOn(t, p, before)
	p.waitFor(t, "\r\n")
	// A context that ended before the prompt (a Ctrl-C the prompt was not
	// yet listening for) never shows the prompt.
	shown := p.shown()
	if _, err := ask(ctx, p.slave, "key late", false, noCheck); exit.CodeOf(err) != exit.Cancelled {
		t.Fatalf("context ended before the prompt: %v", err)
	}
	if p.shown() != shown {
		t.Fatalf("a prompt was shown after the context ended: %q", p.shown())
	}
}

// The context of cli.Context names its signal: Ctrl-C reads the same whether
// the prompt or the context saw it first.
func TestPromptSignalContext(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT)
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	<-ctx.Done()
	p := openPTY(t)
	if _, err := ask(ctx, p.slave, "key ci", false, noCheck); exit.CodeOf(err) != exit.Cancelled || !strings.Contains(err.Error(), "(Ctrl-C)") {
		t.Fatalf("Ctrl-C before the prompt: %v", err)
	}
}

// Two prompts of one process take turns, each on its own line.
func TestPromptTurns(t *testing.T) {
	p := openPTY(t)
	before := p.lflag(t)
	first := start(t, p, nil, "key one", false)
	second := make(chan result, 1)
	go func() {
		b, err := ask(nil, p.slave, "key two", false, noCheck)
		second <- result{b, err}
	}()
	p.typ(t, "1\n")
	if r := <-first; r.err != nil || string(r.p) != "1" {
		t.Fatalf("first: %q %v", r.p, r.err)
	}
	out := p.waitFor(t, ": passphrase for key two: ")
	p.typ(t, "2\n")
	if r := <-second; r.err != nil || string(r.p) != "2" {
		t.Fatalf("second: %q %v", r.p, r.err)
	}
	if !strings.Contains(out, ": passphrase for key one: \r\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("the prompts did not come one per line: %q", out)
	}
	echoOn(t, p, before)
}
