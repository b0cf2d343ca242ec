package archive

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// ct export -o FIFO (or /dev/null) writes in place (outfile): the check
// for an archive to protect must not open the FIFO to sniff it, which
// waits for a writer that never comes (the reader at the other end is
// waiting for ct), and there is nothing there to compare later.
func TestCheckOutputFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	type res struct {
		exists bool
		err    error
	}
	done := make(chan res, 1)
	go func() {
		e, err := CheckOutput(fifo, false)
		done <- res{e, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.exists {
			t.Fatalf("CheckOutput(FIFO) = %v, %v; want false, nil", r.exists, r.err)
		}
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("CheckOutput blocked opening the FIFO to sniff it")
	}
}

// ct import --to docker-archive:/dev/null (or a FIFO) is written in place:
// there is no archive to merge, so it is neither refused as "not a
// docker-archive" (/dev/null reads empty) nor opened to read (a FIFO would
// block the import for good).
func TestDockerArchiveKeepSpecial(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{fifo}
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		paths = append(paths, dev)
	} else {
		t.Logf("no device node (needs root): %v", err)
	}
	for _, p := range paths {
		done := make(chan error, 1)
		go func() {
			_, err := (&DockerArchiveDest{Path: p}).keep(nil)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("docker-archive:%s: %v", p, err)
			}
		case <-time.After(time.Minute): // a hang guard, not a timing check
			t.Fatalf("docker-archive:%s: blocked opening it to read an archive to merge", p)
		}
	}
}

// docker-archive:/dev/null stages and locks nothing beside the device: a
// user who may not write to /dev could not import into /dev/null at all
// ("cannot open the destination's lock file"), and root's import staged a
// whole layout in /dev. A regular path keeps staging beside itself.
func TestDockerArchiveSpecialStagesInTmp(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	d := &DockerArchiveDest{Path: fifo}
	if got := d.TempDir(); filepath.Dir(got) == dir || got == fifo {
		t.Errorf("TempDir of docker-archive:FIFO = %s, beside the FIFO", got)
	}
	if got := localPath(d); got != "" {
		t.Errorf("docker-archive:FIFO is locked at %s", got)
	}
	file := filepath.Join(dir, "out.tar")
	if got := (&DockerArchiveDest{Path: file}).TempDir(); got != file {
		t.Errorf("TempDir of docker-archive:FILE = %s", got)
	}
	if got := localPath(&DockerArchiveDest{Path: file}); got != file {
		t.Errorf("docker-archive:FILE is locked at %q", got)
	}
}

// docker-archive:/dev/stdout > img.tar (or /dev/fd/N): the archive goes
// through the descriptor, like docker-archive:/dev/null, whatever its file
// (here a regular one the shell opened, non-empty and not an archive).
// Before, its regular file made the name look like a file to replace: the
// import locked and staged in /dev (refused to a user who may not write
// there; as root, /dev/stdout was renamed over), and the file the shell
// emptied was refused as "not a docker-archive" without --force.
func TestDockerArchiveDescriptorIsSpecial(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "img.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("not an archive\n"); err != nil {
		t.Fatal(err)
	}
	fd := strconv.Itoa(int(f.Fd()))
	link := filepath.Join(dir, "stdout") // as /dev/stdout -> /proc/self/fd/1
	if err := os.Symlink("/proc/self/fd/"+fd, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, "/dev/fd/" + fd} {
		d := &DockerArchiveDest{Path: p}
		if got := d.TempDir(); filepath.Dir(got) == filepath.Dir(p) || got == p {
			t.Errorf("TempDir of docker-archive:%s = %s, beside it", p, got)
		}
		if got := localPath(d); got != "" {
			t.Errorf("docker-archive:%s is locked at %s", p, got)
		}
		if _, err := d.keep(nil); err != nil {
			t.Errorf("docker-archive:%s: %v", p, err)
		}
	}
}
