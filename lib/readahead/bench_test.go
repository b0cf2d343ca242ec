package readahead

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
)

// BenchmarkSHA256OneStream is the floor of verifying a stream: Go's
// crypto/sha256 (SHA-NI where the CPU has it) over one stream in 1 MiB
// writes, no reading. bench/run.sh prints it beside openssl speed. Besides
// MB/s (wall time) it reports MB/cpu-s, by CPU time as openssl speed
// counts, which other work on the machine disturbs less.
func BenchmarkSHA256OneStream(b *testing.B) {
	buf := bytes.Repeat([]byte{0x5a}, DefaultSize)
	h := sha256.New()
	b.SetBytes(DefaultSize)
	n, start := 0, cpuTime()
	for b.Loop() {
		h.Write(buf)
		n++
	}
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(n)*DefaultSize/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

// zeros is an endless source that costs no more than a copy.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// BenchmarkHashAhead: SHA-256 in the read-ahead buffers of an endless
// source; compare with BenchmarkSHA256OneStream for the cost of reading
// ahead (on an idle second core it is hidden).
func BenchmarkHashAhead(b *testing.B) {
	r := New(zeros{})
	defer r.Close()
	h := sha256.New()
	b.SetBytes(DefaultSize)
	for b.Loop() {
		for left := DefaultSize; left > 0; {
			c, err := r.ReadChunk(left)
			if err != nil {
				b.Fatal(err)
			}
			h.Write(c)
			left -= len(c)
		}
	}
}

var _ io.Reader = zeros{}
