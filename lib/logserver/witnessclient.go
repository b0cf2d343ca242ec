package logserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxWitnessAnswer bounds what the log reads of a witness's answer to
// add-checkpoint: a few cosignature lines, or "N\n" for a 409. Tessera
// reads the answer with io.ReadAll, so an unbounded one (a hostile or
// broken witness streaming for the whole witness timeout) would grow the
// log's memory at every checkpoint.
const maxWitnessAnswer = 64 << 10

// witnessClient is the HTTP client Tessera pushes checkpoints with: bounded
// answers, a deadline, and no redirect (a witness's URL is configured).
func witnessClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: boundedTransport{rt: http.DefaultTransport, max: maxWitnessAnswer},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("a witness that redirects is not followed: configure its final URL")
		},
	}
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
