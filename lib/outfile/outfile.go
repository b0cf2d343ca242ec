// Package outfile writes an output file atomically: data goes to a temporary
// file in the destination's directory, which is synced and renamed over the
// destination only on Commit. A failed or interrupted run leaves no partial
// file under the destination's name, and the temporary file is removed by
// Abort (deferred by callers) on every error path.
package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
)

// File is an output file in the making.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path. The temporary file is created next to path so
// that the final rename stays on one file system.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, IOError(path, err, "cannot create output file")
	}
	return &File{File: f, path: path}, nil
}

// Path is the destination path.
func (f *File) Path() string { return f.path }

// Commit syncs the data, renames the temporary file to the destination and
// syncs the directory.
func (f *File) Commit() error {
	if f.done {
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
	os.Remove(f.File.Name())
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
