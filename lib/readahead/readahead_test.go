package readahead

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
)

func data(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// readAllChunks reads r to its end with ReadChunk (chunks of at most max
// bytes) and returns what it read and the error that ended it.
func readAllChunks(r *Reader, max int) ([]byte, error) {
	var out []byte
	for {
		b, err := r.ReadChunk(max)
		if len(b) > max {
			return out, errors.New("chunk over max")
		}
		if len(b) > 0 && err != nil {
			return out, errors.New("bytes and an error together")
		}
		out = append(out, b...)
		if err != nil {
			return out, err
		}
	}
}

// waitExit waits for the reading goroutine to return: it must, whatever the
// test did (no timeout: a goroutine that never returns hangs the test).
func waitExit(r *Reader) { <-r.exited }

// The consumer gets the source's bytes, in order, whatever the source's
// read sizes, the ring's shape or the consumer's chunk size; then io.EOF,
// for good.
func TestSameBytes(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 4095, 4096, 4097, 100000, 3<<20 + 17} {
		want := data(n)
		sources := map[string]func() io.Reader{
			"plain":    func() io.Reader { return bytes.NewReader(want) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(want)) },
			"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(want)) },
			"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(want)) },
		}
		for name, src := range sources {
			if name == "one byte" && n > 4097 {
				continue
			}
			for _, ring := range [][2]int{{2, 1}, {2, 4096}, {3, 1000}, {DefaultBuffers, DefaultSize}} {
				if ring[1] < 1000 && n > 100000 {
					continue // a million hand-offs prove nothing more
				}
				r := NewSize(src(), ring[0], ring[1])
				got, err := readAllChunks(r, 777)
				if err != io.EOF || !bytes.Equal(got, want) {
					t.Fatalf("%d bytes, %s, ring %v: got %d bytes (equal %v), %v", n, name, ring, len(got), bytes.Equal(got, want), err)
				}
				if b, err := r.ReadChunk(10); len(b) != 0 || err != io.EOF {
					t.Fatalf("after the end: %d bytes, %v", len(b), err)
				}
				if m, err := r.Read(make([]byte, 10)); m != 0 || err != io.EOF {
					t.Fatalf("Read after the end: %d, %v", m, err)
				}
				r.Close()
				waitExit(r)

				r = NewSize(src(), ring[0], ring[1])
				got, err = io.ReadAll(r) // Read, with io.ReadAll's growing buffers
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%d bytes, %s, ring %v, Read: got %d bytes, %v", n, name, ring, len(got), err)
				}
				r.Close()
				waitExit(r)
			}
		}
	}
}

// failAfter returns n bytes of data, then err: with the last bytes when
// together is set, else on the next call.
type failAfter struct {
	data     []byte
	err      error
	together bool
	step     int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	m := min(len(p), len(f.data), f.step)
	copy(p, f.data[:m])
	f.data = f.data[m:]
	if len(f.data) == 0 && f.together {
		return m, f.err
	}
	return m, nil
}

// A source error mid-stream reaches the consumer as the same error value,
// after every byte read before it, and stays.
func TestErrorMidStream(t *testing.T) {
	boom := errors.New("disk on fire")
	want := data(300000)
	for _, together := range []bool{false, true} {
		for _, step := range []int{1000, 65536, 1 << 20} {
			r := NewSize(&failAfter{data: want, err: boom, together: together, step: step}, 3, 4096)
			got, err := readAllChunks(r, 1<<20)
			if err != boom || !bytes.Equal(got, want) {
				t.Fatalf("together %v, step %d: %d bytes, error %v; want %d bytes, %v", together, step, len(got), err, len(want), boom)
			}
			for i := 0; i < 3; i++ {
				if b, err := r.ReadChunk(10); len(b) != 0 || err != boom {
					t.Fatalf("the error is not sticky: %d bytes, %v", len(b), err)
				}
				if m, err := r.Read(make([]byte, 10)); m != 0 || err != boom {
					t.Fatalf("Read: the error is not sticky: %d, %v", m, err)
				}
			}
			r.Close()
			waitExit(r)
		}
	}
	// io.ErrUnexpectedEOF (a truncated source) passes as it is, too.
	r := New(&failAfter{data: want[:100], err: io.ErrUnexpectedEOF, step: 7})
	if got, err := io.ReadAll(r); err != io.ErrUnexpectedEOF || len(got) != 100 {
		t.Fatalf("truncated source: %d bytes, %v", len(got), err)
	}
	r.Close()
	waitExit(r)
}

// A source error before any byte, and a source that makes no progress.
func TestErrorAtOnce(t *testing.T) {
	boom := errors.New("no such device")
	r := New(iotest.ErrReader(boom))
	if b, err := r.Peek(512); len(b) != 0 || err != boom {
		t.Fatalf("Peek: %d bytes, %v", len(b), err)
	}
	if _, err := r.ReadChunk(1); err != boom {
		t.Fatalf("ReadChunk: %v", err)
	}
	r.Close()
	waitExit(r)

	r = New(readerFunc(func(p []byte) (int, error) { return 0, nil }))
	if _, err := io.ReadAll(r); err != io.ErrNoProgress {
		t.Fatalf("a source that returns nothing forever: %v, want io.ErrNoProgress", err)
	}
	r.Close()
	waitExit(r)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// Peek shows the start without consuming it, and only before a read.
func TestPeek(t *testing.T) {
	want := data(10000)
	r := NewSize(iotest.HalfReader(bytes.NewReader(want)), 2, 4096)
	h, err := r.Peek(512)
	if err != nil || !bytes.Equal(h, want[:512]) {
		t.Fatalf("Peek: %d bytes, %v", len(h), err)
	}
	if h, err = r.Peek(PeekMax); err != nil || !bytes.Equal(h, want[:PeekMax]) {
		t.Fatalf("second Peek: %d bytes, %v", len(h), err)
	}
	if _, err = r.Peek(PeekMax + 1); err != errPeek {
		t.Fatalf("Peek of more than PeekMax: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after Peek: %d bytes, %v", len(got), err)
	}
	if _, err := r.Peek(1); err != errPeek {
		t.Fatalf("Peek after reading: %v", err)
	}
	r.Close()
	waitExit(r)

	// A stream shorter than the peek: all of it, and io.EOF.
	r = New(bytes.NewReader(want[:100]))
	if h, err := r.Peek(512); err != io.EOF || !bytes.Equal(h, want[:100]) {
		t.Fatalf("short Peek: %d bytes, %v", len(h), err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, want[:100]) {
		t.Fatalf("after a short Peek: %d bytes, %v", len(got), err)
	}
	r.Close()
	waitExit(r)

	// An empty stream.
	r = New(bytes.NewReader(nil))
	if h, err := r.Peek(512); err != io.EOF || len(h) != 0 {
		t.Fatalf("empty Peek: %d bytes, %v", len(h), err)
	}
	r.Close()
	waitExit(r)
}

// blocking is a source whose Read waits until released, then fails.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blocking) Read(p []byte) (int, error) {
	close(b.entered)
	<-b.release
	return len(p), errors.New("released")
}

// Close stops the goroutine: when the consumer stops early (the ring is
// full and nobody reads it), when the stream was read to its end, and when
// the source blocks (Close returns at once; the goroutine returns as soon
// as the source's Read does). Reads after Close fail. No goroutine is left.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	var readers []*Reader
	for i := 0; i < 20; i++ {
		// The consumer reads one chunk of a long stream and stops: the
		// goroutine is blocked on a full ring.
		r := NewSize(bytes.NewReader(data(1<<20)), 2, 4096)
		if _, err := r.ReadChunk(10); err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
		// Read to the end.
		r = New(bytes.NewReader(data(1000)))
		if _, err := io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
		// Never read at all.
		readers = append(readers, New(iotest.OneByteReader(bytes.NewReader(data(100000)))))
	}
	for _, r := range readers {
		r.Close()
		r.Close() // twice is fine
		if _, err := r.ReadChunk(1); err != errClosed {
			t.Fatalf("ReadChunk after Close: %v", err)
		}
		if _, err := r.Read(make([]byte, 1)); err != errClosed {
			t.Fatalf("Read after Close: %v", err)
		}
		if _, err := r.Peek(1); err != errClosed {
			t.Fatalf("Peek after Close: %v", err)
		}
	}
	// Every goroutine returns (the last deferred call of each closes its
	// exited channel; let them finish).
	// A generous bound on a loaded machine (100,000 yields were not
	// always enough under make test): it only stops a leak from passing.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	for _, r := range readers {
		waitExit(r)
	}

	// A source blocked in Read: Close does not wait for it.
	b := &blocking{entered: make(chan struct{}), release: make(chan struct{})}
	r := New(b)
	<-b.entered
	r.Close()
	select {
	case <-r.exited:
		t.Fatal("the goroutine returned while its source's Read had not")
	default:
	}
	close(b.release)
	waitExit(r)
	// A generous bound on a loaded machine (100,000 yields were not
	// always enough under make test): it only stops a leak from passing.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// Close gives the buffers back: a closed reader's buffers serve the next
// reader (memory stays flat when ct verify FILE reads blob after blob).
func TestBuffersReused(t *testing.T) {
	r := New(bytes.NewReader(data(5 << 20)))
	if _, err := r.ReadChunk(1); err != nil {
		t.Fatal(err)
	}
	r.Close()
	waitExit(r)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 20; i++ {
		r := New(bytes.NewReader(nil))
		io.Copy(io.Discard, r)
		r.Close()
		<-r.exited
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 20*DefaultSize {
		t.Fatalf("20 readers allocated %d bytes: the ring is not reused", grew)
	}
}

// pieces gives its pieces one Read each, then waits until released, then
// ends.
type pieces struct {
	parts   [][]byte
	waiting chan struct{}
	release chan struct{}
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.parts) == 0 {
		close(p.waiting)
		<-p.release
		return 0, io.EOF
	}
	n := copy(b, p.parts[0])
	p.parts[0] = p.parts[0][n:]
	if len(p.parts[0]) == 0 {
		p.parts = p.parts[1:]
	}
	return n, nil
}

// A slow source (a pipe whose writer pauses): every byte the source gave
// reaches the consumer while the source waits, none is held back to fill
// a buffer. Only at the start, Peek waits for PeekMax bytes, as bufio's
// would. (ct verify of an export archive from a FIFO must start unpacking
// from the first 2 KiB while the writer waits for it.)
func TestSlowSource(t *testing.T) {
	want := data(5000)
	src := &pieces{parts: [][]byte{want[:100], want[100:700], want[700:2048], want[2048:2100], want[2100:]},
		waiting: make(chan struct{}), release: make(chan struct{})}
	r := NewSize(src, 3, 4096)
	if h, err := r.Peek(PeekMax); err != nil || !bytes.Equal(h, want[:PeekMax]) {
		t.Fatalf("Peek: %d bytes, %v", len(h), err)
	}
	got := make([]byte, 0, len(want))
	for len(got) < len(want) { // the source has not been released: these reads must not wait for it
		b, err := r.ReadChunk(1 << 20)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, b...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("wrong bytes")
	}
	<-src.waiting
	close(src.release)
	if b, err := r.ReadChunk(1); len(b) != 0 || err != io.EOF {
		t.Fatalf("end: %d bytes, %v", len(b), err)
	}
	r.Close()
	waitExit(r)
}
