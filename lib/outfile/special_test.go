package outfile

import (
	"context"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// -o naming a device must write to the device, not rename a file over it:
// run as root, `ct pack IMG -o /dev/null` replaced /dev/null with a regular
// file (found on this project's CI machine).
func TestDeviceIsWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node here (needs root): %v", err) // CI runs as root
	}
	f, err := Create(dev)
	if err != nil {
		t.Fatal(err)
	}
	if f.Regular() {
		t.Fatal("a device reported as a regular output")
	}
	if _, err := f.Write([]byte("bundle bytes")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(dev)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("the device was replaced: %v %v", fi.Mode(), err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("left %d entries beside the device", len(es))
	}
}

func TestFIFOIsWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	f, err := Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("through the pipe"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through the pipe" {
		t.Fatalf("reader got %q", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", err)
	}
}

func TestDirectoryRefused(t *testing.T) {
	if _, err := Create(t.TempDir()); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("directory: %v", err)
	}
}

// A regular file is still replaced atomically, and an abort leaves it.
func TestRegularReplacedAtomically(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out")
	os.WriteFile(p, []byte("old"), 0o644)
	f, err := Create(p)
	if err != nil || !f.Regular() {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	f.Abort()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("aborted write changed the file: %q", b)
	}
	f, _ = Create(p)
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Fatalf("got %q", b)
	}
}

func TestPlaceIntoDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node here (needs root): %v", err)
	}
	staged := filepath.Join(dir, "staged")
	os.WriteFile(staged, []byte("archive"), 0o644)
	if err := Place(staged, dev); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dev); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("the device was replaced: %v", err)
	}
	if _, err := os.Stat(staged); !os.IsNotExist(err) {
		t.Fatal("staged file left behind")
	}
	other := filepath.Join(dir, "file")
	os.WriteFile(staged, []byte("archive"), 0o644)
	if err := Place(staged, other); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(other); string(b) != "archive" {
		t.Fatalf("got %q", b)
	}
}

// A FIFO nobody reads blocks Create, as `cat > fifo` blocks; Ctrl-C must
// still end it although the command has taken over SIGINT (cli.Context)
// to clean up: before, only SIGKILL did.
func TestFIFOWithoutReaderIsInterruptible(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt) // as cli.Context
	defer stop()
	waiting := make(chan struct{})
	fifoWaiting = func() { close(waiting) }
	defer func() { fifoWaiting = func() {} }()
	res := make(chan error, 1)
	go func() {
		f, err := Create(fifo)
		if err == nil {
			f.Abort()
		}
		res <- err
	}()
	select {
	case <-waiting:
	case err := <-res:
		t.Fatalf("Create returned without a reader: %v", err)
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("Create blocked opening the FIFO without watching for Ctrl-C")
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	err := <-res
	if exit.CodeOf(err) != exit.Cancelled || !strings.Contains(err.Error(), fifo) {
		t.Fatalf("Ctrl-C while waiting for a reader: %v", err)
	}
	<-ctx.Done() // the command's own handler saw it too
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", err)
	}
}

// ct import --to docker-archive:FIFO places the finished archive through
// Place: the same wait for a reader, the same Ctrl-C, and the staged file
// stays for the caller's clean-up.
func TestPlaceIntoFIFOWithoutReaderIsInterruptible(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(dir, "staged")
	os.WriteFile(staged, []byte("archive"), 0o644)
	_, stop := signal.NotifyContext(context.Background(), os.Interrupt) // as cli.Context
	defer stop()
	waiting := make(chan struct{})
	fifoWaiting = func() { close(waiting) }
	defer func() { fifoWaiting = func() {} }()
	res := make(chan error, 1)
	go func() { res <- Place(staged, fifo) }()
	select {
	case <-waiting:
	case err := <-res:
		t.Fatalf("Place returned without a reader: %v", err)
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("Place blocked opening the FIFO without watching for Ctrl-C")
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	if err := <-res; exit.CodeOf(err) != exit.Cancelled {
		t.Fatalf("Ctrl-C while waiting for a reader: %v", err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", err)
	}
}

// A path that was a device at the Stat but is a regular file when opened
// must not be written in place: O_WRONLY without O_TRUNC would leave the
// old file's tail after a shorter output.
func TestOpenDirectRefusesRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out")
	os.WriteFile(p, []byte("a longer old file"), 0o644)
	if f, err := openDirect(p); err != errBecameRegular {
		if f != nil {
			f.Close()
		}
		t.Fatalf("openDirect of a regular file: %v", err)
	}
}

// -o naming a Unix socket: open(2) gives ENXIO, as for a FIFO without a
// reader, but no reader ever comes. It is refused (11) at once, with a
// hint saying what to write to instead; before, Create tried it again as
// a FIFO to wait for and said only "no such device or address".
func TestSocketRefusedNotWaitedFor(t *testing.T) {
	dir, err := os.MkdirTemp("", "ct-sock-") // short: a socket path has a small limit
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no Unix socket here: %v", err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		f, err := Create(sock)
		if err == nil {
			f.Abort()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if exit.CodeOf(err) != exit.IO || !strings.Contains(exit.HintOf(err), "socket") {
			t.Fatalf("-o SOCKET: %v (code %d, hint %q), want exit 11 naming a socket", err, exit.CodeOf(err), exit.HintOf(err))
		}
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("Create waited for a reader of a socket")
	}
}
