package spool

import (
	"bytes"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
)

// maxHead bounds what Deferred keeps in memory waiting for a bundle's
// head: manifest.toml and summary.json at their limits, oci-layout,
// index.json at its limit, the headers and the two directory entries.
const maxHead = 3*bundle.MaxManifestSize + bundle.MaxSummarySize + 16<<10

// Deferred is a temporary file for a bundle that ct writes itself and
// holds back until it is whole (ct sign --log, ct log submit and strip to
// standard output or a pipe: a failure after the blobs writes nothing
// there; ct fetch to standard output or a FIFO or device, which verifies
// it first). The file is made when the bundle's head has been written, once
// TMPDIR is known to have room for what its manifest.toml declares (Room),
// and it is bounded as File is. Write errors other than those verdicts
// are the file system's (disk full).
type Deferred struct {
	name, pattern, instead string
	head                   bytes.Buffer
	f                      *File
}

// NewDeferred returns a Deferred for the bundle name (for messages) whose
// file will be made with os.CreateTemp(TMPDIR, pattern); instead is the
// hint's other way out of a full TMPDIR ("write to a file with -o FILE",
// or "" for none).
func NewDeferred(name, pattern, instead string) *Deferred {
	return &Deferred{name: name, pattern: pattern, instead: instead}
}

// Write writes p: into memory until the head is complete, then to the
// file.
func (d *Deferred) Write(p []byte) (int, error) {
	if d.f != nil {
		return d.f.Write(p)
	}
	d.head.Write(p)
	var err error
	if d.head.Len() > maxHead {
		// Not a bundle's head: no room check is possible, but nothing
		// is held in memory past the bound either.
		err = d.open(nil, 0)
	} else if br, rerr := bundle.NewReader(bytes.NewReader(d.head.Bytes()), d.name); rerr == nil {
		err = d.open(br.Manifest(), br.Offset())
	} // else the head is not complete yet
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// open makes the file (for the bundle whose manifest is m and head is head
// bytes long, when m is known) and writes what was held back.
func (d *Deferred) open(m *bundle.Manifest, head int64) error {
	var err error
	max := int64(-1)
	if m != nil {
		var need int64
		need, max = Size(m, head)
		if err := Room(os.TempDir(), need, d.name, d.instead); err != nil {
			return err
		}
	}
	d.f, err = create(max, d.name, d.pattern, d.instead)
	if err != nil {
		return err
	}
	_, err = d.f.Write(d.head.Bytes())
	d.head = bytes.Buffer{}
	return err
}

// File returns the file, positioned at its start, with everything written
// (made now if the head never completed: a writer that wrote less than a
// bundle's head).
func (d *Deferred) File() (*File, error) {
	if d.f == nil {
		if err := d.open(nil, 0); err != nil {
			return nil, err
		}
	}
	return d.f, d.f.Rewind()
}

// Remove removes the file if it was made.
func (d *Deferred) Remove() {
	if d.f != nil {
		d.f.Remove()
	}
}
