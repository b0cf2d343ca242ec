package archive

import (
	"crypto/sha256"
	"errors"
	"io"
)

const (
	hashChunk = 1 << 20 // bytes read, written and hashed at a time
	hashBufs  = 4       // chunks in flight: memory is hashBufs × hashChunk
)

// hashCopier copies a blob to the archive and hashes it in one pass over
// each byte, with the hashing on another goroutine: while chunk i is hashed,
// chunk i+1 is read and written. The bytes hashed are the bytes written
// (each chunk is read once into a buffer that is written, then hashed, and
// reused only after both), so a source that changes under the copy still
// gives a digest of what the archive holds.
type hashCopier struct {
	free chan []byte
}

func newHashCopier() *hashCopier {
	c := &hashCopier{free: make(chan []byte, hashBufs)}
	for i := 0; i < hashBufs; i++ {
		c.free <- make([]byte, hashChunk)
	}
	return c
}

// copy copies src to w until EOF. It returns the SHA-256 of the bytes
// written, their count, and the first read error (rerr) or write error
// (werr).
func (c *hashCopier) copy(w io.Writer, src io.Reader) (sum []byte, n int64, rerr, werr error) {
	work := make(chan []byte, hashBufs)
	done := make(chan []byte, 1)
	go func() {
		h := sha256.New()
		for b := range work {
			h.Write(b)
			c.free <- b[:cap(b)]
		}
		done <- h.Sum(nil)
	}()
	for {
		buf := <-c.free
		k, err := io.ReadFull(src, buf)
		if k > 0 {
			if _, werr = w.Write(buf[:k]); werr != nil {
				c.free <- buf
				break
			}
			n += int64(k)
			work <- buf[:k]
		} else {
			c.free <- buf
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(work)
	sum = <-done
	return sum, n, rerr, werr
}
