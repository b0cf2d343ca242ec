// Package outfile writes an output file atomically: data goes to a temporary
// file in the destination's directory, which is synced and renamed over the
// destination only on Commit. A failed or interrupted run leaves no partial
// file under the destination's name, and the temporary file is removed by
// Abort (deferred by callers) on every error path.
package outfile

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
)

// File is an output file in the making.
type File struct {
	*os.File
	path   string
	done   bool
	direct bool // path is a device, FIFO or socket, written in place
}

// Create starts writing path. The temporary file is created next to path so
// that the final rename stays on one file system.
//
// A path that names something other than a regular file or a directory (a
// device such as /dev/null, a FIFO, a socket) is written directly, in
// place: renaming a file over it would replace the device itself (run as
// root, `-o /dev/null` used to turn /dev/null into a regular file). Nothing
// there can be made atomic, and Commit only closes it.
//
// A path that names one of the process's own descriptors (/dev/stdout,
// /dev/fd/N, /proc/self/fd/N, or a symlink to one) is written through that
// descriptor, in place, like a device: its file may be regular (a shell's
// > y.ctp), but renaming a file over the name would replace the symlink
// (run as root, /dev/stdout itself) and leave the descriptor's file empty.
func Create(path string) (*File, error) {
	if n, ok := descriptor(path); ok {
		fd, err := syscall.Dup(n)
		if err != nil {
			return nil, IOError(path, err, "cannot open output")
		}
		syscall.CloseOnExec(fd)
		return &File{File: os.NewFile(uintptr(fd), path), path: path, direct: true}, nil
	}
	if fi, err := os.Stat(path); err == nil {
		switch {
		case fi.IsDir():
			return nil, exit.New(exit.Usage, "%s is a directory", path).At(path).
				WithHint("name a file to write, e.g. %s", filepath.Join(path, "out.ctp"))
		case !fi.Mode().IsRegular():
			f, err := openDirect(path)
			if err == nil {
				return &File{File: f, path: path, direct: true}, nil
			}
			if err != errBecameRegular {
				return nil, err
			}
			// replaced by a regular file since the Stat: replace it too
		}
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, IOError(path, err, "cannot create output file")
	}
	return &File{File: f, path: path}, nil
}

// IsDescriptor reports whether path names one of the process's own
// descriptors (/dev/stdout, /dev/fd/N, /proc/self/fd/N, or a symlink to
// one), which Create writes through in place: its file is neither replaced
// nor, by a caller, to be read as the output's old content.
func IsDescriptor(path string) bool {
	_, ok := descriptor(path)
	return ok
}

// ToStdout reports whether an output named path goes to standard output:
// "" or "-", or a name of one of the process's descriptors whose file is
// standard output's (-o /dev/stdout, /dev/fd/1, or a descriptor duplicated
// from it), written through in place. A report printed "on stdout with
// -o FILE" (--json) goes to standard error then, never into the data
// (ct export -o /dev/stdout --json | ssh … appended the report to the
// archive).
func ToStdout(path string) bool {
	if path == "" || path == "-" {
		return true
	}
	n, ok := descriptor(path)
	if !ok {
		return false
	}
	var a, b syscall.Stat_t
	if syscall.Fstat(n, &a) != nil || syscall.Fstat(1, &b) != nil {
		return n == 1
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// ReportStream is where a report meant for standard output goes when the
// data goes to output: standard error when output is standard output
// (ToStdout), else standard output.
func ReportStream(output string) *os.File {
	if ToStdout(output) {
		return os.Stderr
	}
	return os.Stdout
}

// descriptor returns N when path, through its symlinks, names the
// process's own descriptor N: an entry of /proc/self/fd (which /dev/fd and
// /dev/stdout lead to on Linux). Such an entry is itself a symlink to the
// descriptor's file, which is not followed.
func descriptor(path string) (int, bool) {
	self, err := filepath.EvalSymlinks("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	p, err := filepath.Abs(path)
	if err != nil {
		return 0, false
	}
	for i := 0; i < 40; i++ { // the kernel's limit on a chain of symlinks
		dir, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err != nil {
			return 0, false
		}
		if dir == self {
			n, err := strconv.Atoi(filepath.Base(p))
			return n, err == nil && n >= 0
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return 0, false
		}
		t, err := os.Readlink(p)
		if err != nil {
			return 0, false
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(dir, t)
		}
		p = t
	}
	return 0, false
}

// fifoWaiting is called once openDirect waits, interruptibly, for a
// reader of a FIFO (tests).
var fifoWaiting = func() {}

// openDirect opens a device, FIFO or socket for writing. Opening a FIFO
// blocks until a reader opens it, as `cat > fifo` does; commands have
// taken over Ctrl-C and SIGTERM by then (cli.Context) to clean up, so the
// wait watches for them itself: otherwise only SIGKILL would end it.
//
// A path that is a regular file by the time it is opened (replaced since
// the caller's Stat) gives errBecameRegular, so that it is replaced as one
// instead of overwritten in place without truncation.
func openDirect(path string) (*os.File, error) {
	f, err := openDirectOnce(path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, IOError(path, err, "cannot open output")
		}
		return nil, errBecameRegular
	}
	return f, nil
}

var errBecameRegular = errors.New("a regular file")

func openDirectOnce(path string) (*os.File, error) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		// A reader is there (or it is not a FIFO): back to blocking
		// writes, which a slow reader paces.
		if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
			f.Close()
			return nil, IOError(path, err, "cannot open output")
		}
		return f, nil
	} else if !errors.Is(err, syscall.ENXIO) {
		return nil, IOError(path, err, "cannot open output")
	} else if fi, serr := os.Stat(path); serr != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		// ENXIO from a socket (or a device with no driver) is final: no
		// reader will come to wait for.
		return nil, IOError(path, err, "cannot open output").
			WithHint("a socket or such a device cannot be opened as a file: write to a file, a FIFO or standard output")
	}
	// A FIFO without a reader: wait for one, or for Ctrl-C.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		done <- opened{f, err}
	}()
	fifoWaiting()
	select {
	case o := <-done:
		if o.err != nil {
			return nil, IOError(path, o.err, "cannot open output")
		}
		return o.f, nil
	case sig := <-sigs:
		go func() { // the open ends when a reader comes, or with the process
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, exit.New(exit.Cancelled, "stopped (%v) while waiting for a reader of the FIFO; nothing was written", sig).At(path).
			WithHint("start the reader first (e.g. cat %s > out.ctp in another shell), or write to a file", path)
	}
}

// Path is the destination path.
func (f *File) Path() string { return f.path }

// Regular reports whether f is written to a new regular file (so it can be
// written at offsets, synced and renamed into place), not directly to a
// device, FIFO or socket.
func (f *File) Regular() bool { return !f.direct }

// Commit syncs the data, renames the temporary file to the destination and
// syncs the directory.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	if f.direct {
		f.done = true
		if err := f.File.Close(); err != nil {
			return IOError(f.path, err, "cannot write output")
		}
		return nil
	}
	if err := f.File.Chmod(0o644); err != nil {
		f.Abort()
		return IOError(f.path, err, "cannot set mode of output file")
	}
	if err := f.File.Sync(); err != nil {
		f.Abort()
		return IOError(f.path, err, "cannot write output file")
	}
	if err := f.File.Close(); err != nil {
		f.Abort()
		return IOError(f.path, err, "cannot write output file")
	}
	if err := os.Rename(f.File.Name(), f.path); err != nil {
		os.Remove(f.File.Name())
		f.done = true
		return IOError(f.path, err, "cannot move output file into place")
	}
	f.done = true
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file. It is safe to call after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	if !f.direct {
		os.Remove(f.File.Name())
	}
}

// IOError classifies a write-side error: a full disk and a missing
// permission get their own hint, everything else is plain exit.IO.
func IOError(path string, err error, msg string) *exit.Error {
	e := exit.Wrap(exit.IO, err, "%s", msg).At(path)
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		e.Msg = "disk full: " + msg
		e.WithHint("free space on that file system or write elsewhere with -o")
	case errors.Is(err, os.ErrPermission):
		e.WithHint("check the permissions of %s or write elsewhere with -o", filepath.Dir(path))
	case errors.Is(err, os.ErrNotExist):
		e.WithHint("create the directory %s first", filepath.Dir(path))
	}
	return e
}

// Place moves the finished file staged to path: a rename, unless path names
// an existing device, FIFO or socket, or one of the process's own
// descriptors (/dev/stdout, whose file may be regular), which is written
// in place instead (and staged removed), for the reasons Create gives. An
// error that already is an *exit.Error (Ctrl-C while waiting for a FIFO's
// reader, a descriptor that is not open) carries its own code and path.
func Place(staged, path string) error {
	if IsDescriptor(path) {
		src, err := os.Open(staged)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := Create(path) // through a dup of the descriptor
		if err != nil {
			return err
		}
		defer dst.Abort()
		if _, err := io.Copy(dst, src); err != nil {
			return err
		}
		if err := dst.Commit(); err != nil {
			return err
		}
		return os.Remove(staged)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return os.Rename(staged, path)
	}
	src, err := os.Open(staged)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openDirect(path) // a FIFO: wait for its reader, or Ctrl-C
	if err == errBecameRegular {
		return os.Rename(staged, path)
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Remove(staged)
}
