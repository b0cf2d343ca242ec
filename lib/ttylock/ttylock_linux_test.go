package ttylock

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the slave side of a fresh pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return s
}

// TestMain doubles as the other process: with TTYLOCK_HOLD=PATH it takes the
// lock of that terminal, says so, and holds it until its stdin closes.
func TestMain(m *testing.M) {
	if path := os.Getenv("TTYLOCK_HOLD"); path != "" {
		tty, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			os.Exit(2)
		}
		release, err := Acquire(tty, nil)
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		var b [1]byte
		os.Stdin.Read(b[:])
		release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hold starts a process that holds tty's lock; closing the returned pipe
// ends it.
func hold(t *testing.T, tty *os.File) (stop func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TTYLOCK_HOLD="+tty.Name())
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		in.Close()
		t.Fatalf("the other process did not take the lock: %q %v (%v)", line, err, cmd.Wait())
	}
	return func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOtherProcessWaits(t *testing.T) {
	tty := openPTY(t)
	f := openLockFile(tty)
	if f == nil {
		t.Fatalf("no lock file for %s", tty.Name())
	}
	defer f.Close()
	if f.Name() == "/dev/tty" {
		t.Fatal("the lock is /dev/tty, shared by every terminal")
	}
	stop := hold(t, tty)
	if tryLock(f) {
		t.Fatal("the lock was free while another process held it")
	}
	cancel := make(chan struct{})
	close(cancel)
	if _, err := Acquire(tty, cancel); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Acquire while another process holds the lock, cancelled: %v", err)
	}
	// A different terminal is not held up.
	other := openPTY(t)
	release, err := Acquire(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	release()
	stop()
	release, err = Acquire(tty, nil) // would wait forever if the lock were still held
	if err != nil {
		t.Fatal(err)
	}
	release()
}

func TestWriterPassesThrough(t *testing.T) {
	var b bytes.Buffer
	w := &lockedWriter{w: &b, f: openLockFile(openPTY(t))}
	if _, err := w.Write([]byte("50%")); err != nil || b.String() != "50%" {
		t.Fatalf("%q %v", b.String(), err)
	}
}
