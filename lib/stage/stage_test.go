package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/exit"
)

// A Ctrl-C that comes while the rewrite works from its own copy of the
// input (so no read of in notices it) still leaves no output file.
func TestRunInterruptedAfterReading(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ctp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, IO{Input: in, Output: out, Quiet: true, Verb: "testing"},
		func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			cancel() // the signal arrives after the last read
			_, err = w.Write(data)
			return err
		})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run after a Ctrl-C: error %v, want interrupted", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output file after a Ctrl-C: stat error %v, want it absent", err)
	}
}

func TestRunWrites(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ctp")
	name, err := Run(context.Background(), IO{Input: in, Output: out, Quiet: true, Verb: "testing"},
		func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
			_, err := io.Copy(w, r)
			return err
		})
	if err != nil || name != out {
		t.Fatalf("Run: %q, %v", name, err)
	}
	if got, _ := os.ReadFile(out); string(got) != "bundle" {
		t.Fatalf("output %q, want %q", got, "bundle")
	}
}

// -o naming a descriptor whose file is the input (ct sign x.ctp
// -o /dev/stdout >> x.ctp, or the same with - < x.ctp) is refused (64)
// before a byte is written, as standard output that is the input is:
// lib/outfile writes such a name through the descriptor, in place.
func TestRunRefusesOutputDescriptorThatIsTheInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := os.OpenFile(in, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	stdin, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	link := filepath.Join(dir, "stdout") // as /dev/stdout
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", app.Fd()), link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []IO{
		{Input: in, Output: link},
		{Input: "-", Stdin: stdin, Output: link},
		{Input: in, Output: fmt.Sprintf("/dev/fd/%d", app.Fd())},
	} {
		c.Quiet, c.Verb = true, "testing"
		_, err := Run(context.Background(), c, func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
			data, err := io.ReadAll(r) // all, first: appending while reading would not end
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		})
		var ee *exit.Error
		if !errors.As(err, &ee) || ee.Code != exit.Usage || !strings.Contains(err.Error(), "is the input bundle itself") {
			t.Errorf("-o %s: error %v, want usage (64) naming the input", c.Output, err)
		}
	}
	if got, _ := os.ReadFile(in); string(got) != "bundle" {
		t.Fatalf("input after the refusals: %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v", err)
	}
}

// -o naming a terminal (ct sign x.ctp -o /dev/stdout on one, or
// -o /dev/stderr, -o /dev/tty) is refused (64) before a byte is written,
// as standard output on a terminal is: lib/outfile writes such a name in
// place, and a bundle's bytes on a terminal help no one (and may drive it).
func TestRunRefusesOutputTerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	defer tty.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "stdout") // as /dev/stdout on a terminal
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", tty.Fd()), link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{link, tty.Name()} {
		wrote := false
		_, err := Run(context.Background(), IO{Input: in, Output: out, Quiet: true, Verb: "testing", RedirectHint: "redirect %s"},
			func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
				wrote = true
				_, err := io.Copy(w, r)
				return err
			})
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "terminal") || wrote {
			t.Errorf("-o %s (a terminal): %v (wrote %v), want usage (64) before a byte", out, err, wrote)
		}
	}
}
