// Package readahead reads a stream on a second goroutine, ahead of its
// consumer, so that reading (read(2), pread(2): the kernel's copy) overlaps
// what the consumer does with the bytes (SHA-256). Memory is a small fixed
// ring of large buffers, whatever the stream's length.
//
// ReadChunk hands out the bytes in the ring's buffers themselves, so a
// consumer that hashes them copies nothing; Read copies, like any reader.
// The source's bytes and its errors reach the consumer unchanged and in
// order: the bytes read before an error, then that error (the same value),
// from then on.
//
// Close stops the goroutine. A goroutine blocked in the source's Read (a
// pipe whose writer sends nothing) cannot be interrupted: Close does not
// wait for it, and it exits as soon as that Read returns, dropping what it
// read. So no goroutine outlives its source.
package readahead

import (
	"errors"
	"io"
	"sync"
)

// Default ring: 4 buffers of 1 MiB (4 MiB per reader).
const (
	DefaultBuffers = 4
	DefaultSize    = 1 << 20
)

// errClosed is returned by reads after Close.
var errClosed = errors.New("readahead: read after Close")

// errPeek is returned by Peek once bytes have been consumed, or for more
// than PeekMax bytes.
var errPeek = errors.New("readahead: Peek after a read, or of more than PeekMax bytes")

// PeekMax is the most Peek returns: the goroutine passes on no buffer with
// fewer bytes, except at the stream's end or error.
const PeekMax = 512

// maxEmptyReads is how many (0, nil) reads in a row make io.ErrNoProgress,
// as bufio does.
const maxEmptyReads = 100

type chunk struct {
	buf []byte // a ring buffer, filled with n bytes
	n   int
	err error // after the n bytes
}

// Reader reads ahead of its consumer. Its methods are for one consumer
// goroutine; only the reading goroutine runs beside it.
type Reader struct {
	full   chan chunk    // filled buffers, in stream order
	free   chan []byte   // buffers the consumer is done with
	stop   chan struct{} // closed by Close
	exited chan struct{} // closed when the goroutine has returned
	once   sync.Once

	cur    chunk // the buffer being consumed
	pos    int   // consumed bytes of cur
	have   bool  // cur holds a buffer
	err    error // sticky: the source's error, io.EOF, or errClosed
	read   bool  // bytes were consumed (Peek is refused then)
	closed bool
}

// New starts reading src ahead with the default ring.
func New(src io.Reader) *Reader { return NewSize(src, DefaultBuffers, DefaultSize) }

// NewSize starts reading src ahead with a ring of n buffers (at least 2)
// of size bytes each (at least PeekMax).
//
// Each Read of the source that returns bytes fills one buffer (a file
// fills it whole; a pipe gives what it holds, up to 64 KiB on Linux) and
// the buffer goes to the consumer at once: bytes never wait in the reader
// while it waits for the source, except at the start, where the first
// buffer waits for PeekMax bytes (for Peek), as bufio's Peek would.
func NewSize(src io.Reader, n, size int) *Reader {
	if n < 2 {
		n = 2
	}
	if size < PeekMax {
		size = PeekMax
	}
	r := &Reader{
		full:   make(chan chunk, n),
		free:   make(chan []byte, n),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	for i := 0; i < n; i++ {
		r.free <- getBuf(size)
	}
	go r.fill(src)
	return r
}

// fill is the reading goroutine: it fills free buffers from src and passes
// them on, until the source ends or fails, or the reader is closed.
func (r *Reader) fill(src io.Reader) {
	var buf []byte // in this goroutine's hands
	defer func() {
		putBuf(buf)
		select {
		case <-r.stop: // closed: nobody reads the channels any more
			r.drain()
		default: // the stream ended: the consumer still reads what was sent
		}
		close(r.exited)
	}()
	for first := true; ; first = false {
		buf = nil
		select {
		case <-r.stop: // before taking a buffer, even when one is free
			return
		default:
		}
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		c := chunk{buf: buf}
		empty := 0
		for c.n < len(buf) && c.err == nil {
			m, err := src.Read(buf[c.n:])
			if m < 0 || m > len(buf)-c.n {
				m, err = 0, errors.New("readahead: the source returned an invalid count")
			}
			c.n += m
			c.err = err
			if m == 0 && err == nil {
				if empty++; empty >= maxEmptyReads {
					c.err = io.ErrNoProgress
				}
			} else {
				empty = 0
			}
			select {
			case <-r.stop:
				return
			default:
			}
			if m > 0 && (c.n >= PeekMax || !first) {
				break // pass on what the source gave: its next Read may wait
			}
		}
		select {
		case r.full <- c:
			buf = nil
		case <-r.stop:
			return
		}
		if c.err != nil {
			return
		}
	}
}

// next makes cur a buffer with unconsumed bytes, or sets r.err. It returns
// false when there is nothing more to consume.
func (r *Reader) next() bool {
	for {
		if r.have && r.pos < r.cur.n {
			return true
		}
		if r.have {
			if r.cur.err != nil {
				r.err = r.cur.err
			}
			r.free <- r.cur.buf // never blocks: the channel holds every buffer
			r.have = false
		}
		if r.err != nil {
			return false
		}
		r.cur, r.pos, r.have = <-r.full, 0, true
	}
}

// ReadChunk returns the next bytes of the stream, at most max of them, in
// the reader's own buffer: the slice is valid until the next call of any
// method. At the end of the stream it returns io.EOF; after a source error,
// that error. It returns bytes and no error, or no bytes and an error.
func (r *Reader) ReadChunk(max int) ([]byte, error) {
	if r.closed {
		return nil, errClosed
	}
	if max <= 0 {
		return nil, nil
	}
	if !r.next() {
		return nil, r.err
	}
	end := r.pos + max
	if end > r.cur.n {
		end = r.cur.n
	}
	b := r.cur.buf[r.pos:end]
	r.pos = end
	r.read = true
	return b, nil
}

// Read copies the next bytes of the stream into p.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if r.closed {
			return 0, errClosed
		}
		return 0, nil
	}
	b, err := r.ReadChunk(len(p))
	return copy(p, b), err
}

// Peek returns the first n bytes of the stream without consuming them
// (fewer only at the end of the stream or an error, which it then returns
// too). It is for looking at the start of a stream: it must come before
// any read, and n at most PeekMax.
func (r *Reader) Peek(n int) ([]byte, error) {
	if r.closed {
		return nil, errClosed
	}
	if r.read || n > PeekMax {
		return nil, errPeek
	}
	if !r.next() {
		return nil, r.err
	}
	if n > r.cur.n {
		return r.cur.buf[:r.cur.n], r.cur.err
	}
	return r.cur.buf[:n], nil
}

// Close stops reading ahead. It does not close the source. Reads after
// Close fail. Close does not wait for a Read of the source in progress.
func (r *Reader) Close() error {
	r.once.Do(func() {
		close(r.stop)
		r.closed = true
		if r.have {
			putBuf(r.cur.buf)
		}
		r.have = false
		r.cur = chunk{}
		r.drain()
	})
	return nil
}

// drain gives the buffers waiting in the channels back to the pool. Both
// the goroutine (as it exits, after its last send) and Close (after the
// consumer's last use) call it, so every buffer of a closed reader whose
// goroutine has exited goes back.
func (r *Reader) drain() {
	for {
		select {
		case b := <-r.free:
			putBuf(b)
		case c := <-r.full:
			putBuf(c.buf)
		default:
			return
		}
	}
}

// pool keeps buffers of DefaultSize between readers (ct verify FILE reads
// each blob through its own reader).
var pool sync.Pool

func getBuf(size int) []byte {
	if size == DefaultSize {
		if b, ok := pool.Get().(*[]byte); ok {
			return *b
		}
	}
	return make([]byte, size)
}

func putBuf(b []byte) {
	if cap(b) == DefaultSize {
		b = b[:DefaultSize]
		pool.Put(&b)
	}
}
