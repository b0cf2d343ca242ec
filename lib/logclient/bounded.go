package logclient

import (
	"fmt"
	"io"
	"net/http"
)

// BoundedTransport wraps rt so that no answer body yields more than max
// bytes: reading past them fails. Tessera and the tlog-tiles client read
// answers with io.ReadAll, so an unbounded one (a hostile or broken log or
// witness streaming until the timeout) would grow memory without bound.
// ct-log serve's client for its witnesses uses it too.
func BoundedTransport(rt http.RoundTripper, max int64) http.RoundTripper {
	return boundedTransport{rt: rt, max: max}
}

type boundedTransport struct {
	rt  http.RoundTripper
	max int64
}

func (b boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: b.max, max: b.max}
	return resp, nil
}

type boundedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("answer over %d bytes", b.max)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the limit tells a longer answer
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, fmt.Errorf("answer over %d bytes", b.max)
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
