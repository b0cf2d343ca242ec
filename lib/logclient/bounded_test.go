package logclient

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// An answer of exactly the limit is read whole; one byte more fails, and
// no more than the limit is ever handed on. OneByteReader and
// HalfReader make the limit fall inside and at the end of a read.
func TestBoundedBody(t *testing.T) {
	for _, c := range []struct {
		n  int
		ok bool
	}{{0, true}, {10, true}, {16, true}, {17, false}, {1000, false}} {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader,
		} {
			r := wrap(bytes.NewReader(bytes.Repeat([]byte("x"), c.n)))
			b := &boundedBody{rc: io.NopCloser(r), left: 16, max: 16}
			got, err := io.ReadAll(b)
			if (err == nil) != c.ok || (c.ok && len(got) != c.n) || len(got) > 16 {
				t.Errorf("%d bytes: read %d, %v", c.n, len(got), err)
			}
		}
	}
}
