package passphrase

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal for tests: the code under test gets the slave
// as its terminal; the test types into the master and reads what was shown.
type pty struct {
	master, slave *os.File
	mu            sync.Mutex
	cond          *sync.Cond
	out           bytes.Buffer
	closed        bool
}

func openPTY(t *testing.T) *pty {
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
	p := &pty{master: m, slave: s}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			if err != nil {
				p.closed = true
			}
			p.cond.Broadcast()
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { s.Close(); m.Close() })
	return p
}

// waitFor blocks until the terminal has shown s (go test's -timeout ends a
// test that never gets there) and returns everything shown so far.
func (p *pty) waitFor(t *testing.T, s string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for !bytes.Contains(p.out.Bytes(), []byte(s)) {
		if p.closed {
			t.Fatalf("the terminal closed before showing %q; it showed %q", s, p.out.String())
		}
		p.cond.Wait()
	}
	return p.out.String()
}

func (p *pty) shown() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *pty) typ(t *testing.T, s string) {
	t.Helper()
	if _, err := p.master.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// lflag returns the slave's local modes (ECHO, ICANON, ISIG).
func (p *pty) lflag(t *testing.T) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag
}
