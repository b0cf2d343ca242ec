// Package spooltest makes the hostile streams the tests of lib/spool's
// callers feed them: a bundle head declaring more than any disk holds,
// endless bytes, a blob header that declares more than manifest.toml.
package spooltest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
)

// Extra is the number of layers HugeHead adds, each of the largest size a
// blob may have (bundle.MaxBlobSize, 1 TiB): 1000 TiB, more than any
// TMPDIR has free.
const Extra = 1000

// HugeHead returns the head of the bundle data (manifest.toml through the
// blobs/sha256/ directory entry, every entry as the writer writes it) with
// Extra layers of 1 TiB added to manifest.toml, followed by endless bytes:
// a stream that passes every check before the first blob, and would fill
// any disk it were copied to; and the length of the head.
func HugeHead(data []byte) (stream io.Reader, headLen int64, err error) {
	br, err := bundle.NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		return nil, 0, err
	}
	m := br.Manifest()
	var layer bundle.Blob
	for _, b := range m.Blobs {
		if b.Role == bundle.RoleLayer {
			layer = b
		}
	}
	for i := range Extra {
		sum := sha256.Sum256(fmt.Appendf(nil, "layer %d", i))
		layer.Digest, layer.Size = "sha256:"+hex.EncodeToString(sum[:]), bundle.MaxBlobSize
		m.Blobs = append(m.Blobs, layer)
	}
	sort.Slice(m.Blobs, func(i, j int) bool { return m.Blobs[i].Digest < m.Blobs[j].Digest })
	var head bytes.Buffer
	if _, err := bundle.NewWriter(&head, m, bundle.WriterOptions{ModTime: br.ModTime()}); err != nil {
		return nil, 0, err
	}
	n := int64(head.Len())
	return io.MultiReader(&head, Endless('x')), n, nil
}

// Endless yields the byte b for ever.
type Endless byte

func (e Endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// Counted is a pipe-like source (no Seek) that counts the bytes read
// through it in N: how far a reader got into a stream. N is atomic: a
// test reads it while the goroutine feeding a pipe from it may still run.
type Counted struct {
	R io.Reader
	N atomic.Int64
}

func (c *Counted) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N.Add(int64(n))
	return n, err
}

// LongBlob returns the bundle data with the header of its first blob
// declaring size bytes (a header as the writer writes it, so only the
// size disagrees with manifest.toml), followed by endless bytes. A reader
// calls the size difference a hash mismatch; a size over manifest.toml's
// stops it at that header (verify.md §2), so a copy made while it reads
// ends there, far before the declared bytes.
func LongBlob(data []byte, size int64) (io.Reader, error) {
	br, err := bundle.NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		return nil, err
	}
	b := br.Manifest().Blobs[0]
	lie, err := ustar.Encode(b.Path(), ustar.TypeReg, size, br.ModTime().Unix())
	if err != nil {
		return nil, err
	}
	off := br.Offset()
	if !bytes.HasPrefix(data[off:], []byte(b.Path()+"\x00")) {
		return nil, fmt.Errorf("no header of %s at byte %d", b.Path(), off)
	}
	stream := append(append(bytes.Clone(data[:off]), lie...), data[off+ustar.BlockSize:]...)
	return io.MultiReader(bytes.NewReader(stream), Endless('x')), nil
}
