package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lockName is the lock file of the destination path: beside it, not in it,
// because an oci: install swaps the whole folder (a lock inside would move
// with the old layout) and a new destination does not exist yet.
func lockName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".ct-import.lock")
}

// stagingPrefix starts the names of the staging folders made beside path.
func stagingPrefix(path string) string { return "." + filepath.Base(path) + ".ct-import-" }

// lockDest takes the exclusive lock of the destination path (flock on
// .NAME.ct-import.lock beside it), waiting for another import into the
// same destination to finish, and then removes what killed imports left
// beside it (sweepStale). The returned function releases the lock and
// removes the lock file: a waiter that then holds a lock on the removed
// file sees that the path names another file (or none) and tries again.
func lockDest(ctx context.Context, path string, log io.Writer) (func(), error) {
	parent := filepath.Dir(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, ioErr(parent, err, "cannot create folder")
	}
	name := lockName(path)
	said := false
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, ioErr(name, err, "cannot open the destination's lock file")
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			if sameFile(f, name) {
				if err := sweepStale(path, log); err != nil {
					f.Close()
					return nil, err
				}
				return func() { os.Remove(name); f.Close() }, nil
			}
			f.Close() // the holder removed it as we opened it
			continue
		}
		f.Close()
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return nil, ioErr(name, err, "cannot lock the destination")
		}
		if !said {
			fmt.Fprintf(log, "waiting for another ct import into %s to finish (lock %s)\n", path, name)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, interrupted(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sameFile reports whether the open file f is still the file at name.
func sameFile(f *os.File, name string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(name)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// sweepStale removes the staging folders .NAME.ct-import-* that killed
// imports left beside path. It runs under the destination's lock, so no
// import of path is running. One exception is kept: when path is absent
// and .NAME.ct-import-*.old holds the previous oci: layout (an import killed
// between the two renames of the swap fallback), that layout is moved back.
func sweepStale(path string, log io.Writer) error {
	parent := filepath.Dir(path)
	ents, err := os.ReadDir(parent)
	if err != nil {
		return ioErr(parent, err, "cannot read folder")
	}
	prefix := stagingPrefix(path)
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || !isStaging(n, prefix) {
			continue
		}
		p := filepath.Join(parent, n)
		if strings.HasSuffix(n, ".old") {
			if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
				if err := os.Rename(p, path); err != nil {
					return ioErr(p, err, "cannot move the previous destination back into place")
				}
				fmt.Fprintf(log, "restored %s from %s, left by an interrupted import\n", path, p)
				continue
			}
		}
		if err := os.RemoveAll(p); err != nil {
			return ioErr(p, err, "cannot remove the staging folder of an interrupted import")
		}
		fmt.Fprintf(log, "removed %s, left by an interrupted import\n", p)
	}
	return nil
}

// isStaging reports whether n is prefix followed by the digits os.MkdirTemp
// adds (and, for the swap fallback's folder, ".old"): the staging folders
// of this destination, not those of a destination whose name extends it.
func isStaging(n, prefix string) bool {
	rest, ok := strings.CutPrefix(n, prefix)
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, ".old")
	if rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ctxSource makes every blob read of a source stop when ctx is cancelled.
type ctxSource struct {
	ctx context.Context
	BlobSource
}

func (c ctxSource) Open(d string) (io.ReadCloser, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, interrupted(err)
	}
	rc, err := c.BlobSource.Open(d)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{ctxReader{c.ctx, rc}, rc}, nil
}

// localPath is the file-system path of a destination, "" for a registry.
func localPath(d Destination) string {
	switch d := d.(type) {
	case *DirDest:
		return d.Path
	case *OCIDest:
		return d.Path
	case *DockerArchiveDest:
		if d.special() {
			return "" // a device or FIFO: nothing beside it to lock or sweep
		}
		return d.Path
	}
	return ""
}
