package logserver

import (
	"errors"
	"net/http"
	"time"

	"github.com/cerro-torre/ct/lib/logclient"
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
		Transport: logclient.BoundedTransport(http.DefaultTransport, maxWitnessAnswer),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("a witness that redirects is not followed: configure its final URL")
		},
	}
}

// useAsDefault makes dflt (http.DefaultClient) the witness client c, whole:
// its bounded answers, its deadline and its refusal of redirects, unless
// something in the process configured dflt already.
func useAsDefault(dflt, c *http.Client) {
	if dflt.Transport == nil && dflt.CheckRedirect == nil && dflt.Jar == nil && dflt.Timeout == 0 {
		*dflt = *c
	}
}
