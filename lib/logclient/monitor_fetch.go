package logclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// Size limits of what a monitor reads from a log (C2SP tlog-tiles). A tile
// holds at most 256 hashes of 32 bytes; an entry bundle at most 256
// entries, each a 2-byte length and at most 65,535 bytes (Tessera's entry
// limit, and the most the length can say); a checkpoint with its
// cosignatures is a few hundred bytes, 8 KiB is generous.
const (
	MaxCheckpointSize  = 8 << 10
	maxTileSize        = layout.TileWidth * 32
	maxEntryBundleSize = layout.EntryBundleWidth * (2 + 65535)
)

// fetchTimeout bounds each request to the log.
const fetchTimeout = 30 * time.Second

// errNotFound marks a 404: the tile-tiles client falls back from a partial
// to a full resource on it.
var errNotFound = errors.New("not found (404)")

// fetchError is a failed read from the log: unreachable (exit 12) or an
// answer that is not what tlog-tiles allows (exit 10).
type fetchError struct {
	code exit.Code
	url  string
	err  error
}

func (e *fetchError) Error() string { return fmt.Sprintf("%s: %v", e.url, e.err) }
func (e *fetchError) Unwrap() error { return e.err }

// fetcher reads a tlog-tiles log over HTTP, each answer bounded.
type fetcher struct {
	root *url.URL
	c    *http.Client
}

func newFetcher(base string, c *http.Client) (*fetcher, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, exit.New(exit.Usage, "log URL %q is not an http(s) URL", termsafe.Escape(base)).
			WithHint("give the log's tlog-tiles base URL, e.g. https://log.example/ct/")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	if c == nil {
		c = &http.Client{Timeout: fetchTimeout, CheckRedirect: sameHostRedirect}
	}
	return &fetcher{root: u, c: c}, nil
}

func (f *fetcher) get(ctx context.Context, p string, limit int64) ([]byte, error) {
	u := f.root.JoinPath(p).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &fetchError{exit.Usage, u, err}
	}
	r, err := f.c.Do(req)
	if err != nil {
		return nil, &fetchError{exit.Network, u, err}
	}
	defer r.Body.Close()
	switch r.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, &fetchError{exit.Network, u, errNotFound}
	default:
		return nil, &fetchError{exit.Network, u, fmt.Errorf("HTTP status %d", r.StatusCode)}
	}
	if r.ContentLength > limit {
		return nil, &fetchError{exit.Malformed, u, fmt.Errorf("answer of %d bytes is over the %d-byte limit", r.ContentLength, limit)}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, &fetchError{exit.Network, u, err}
	}
	if int64(len(b)) > limit {
		return nil, &fetchError{exit.Malformed, u, fmt.Errorf("answer is over the %d-byte limit", limit)}
	}
	return b, nil
}

// partialOrFull reads a partial resource (p > 0), and the full one when
// the partial one is gone (the tree grew), as tlog-tiles clients do.
func partialOrFull(ctx context.Context, p uint8, get func(uint8) ([]byte, error)) ([]byte, error) {
	b, err := get(p)
	if p > 0 && errors.Is(err, errNotFound) {
		return get(0)
	}
	return b, err
}

func (f *fetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return f.get(ctx, layout.CheckpointPath, MaxCheckpointSize)
}

// ReadTile reads a hash tile; its size is checked against its width, so a
// proof is never built from a short or long tile.
func (f *fetcher) ReadTile(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(ctx, p, func(p uint8) ([]byte, error) {
		path := layout.TilePath(l, i, p)
		b, err := f.get(ctx, path, maxTileSize)
		if err != nil {
			return nil, err
		}
		want := int(p) * 32
		if p == 0 {
			want = maxTileSize
		}
		if len(b) != want {
			return nil, &fetchError{exit.Malformed, f.root.JoinPath(path).String(), fmt.Errorf("tile of %d bytes; a tile of width %d has %d", len(b), want/32, want)}
		}
		return b, nil
	})
}

func (f *fetcher) ReadEntryBundle(ctx context.Context, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(ctx, p, func(p uint8) ([]byte, error) {
		return f.get(ctx, layout.EntriesPath(i, p), maxEntryBundleSize)
	})
}

// classify turns an error from the fetcher, or from the Tessera client
// code that called it, into an exit.Error: unreachable is 12, malformed
// data 10, interrupted 11.
func classify(err error, what string) *exit.Error {
	if errors.Is(err, context.Canceled) {
		// SIGINT or SIGTERM (cli.Context), seen by the request or the
		// Tessera code around it: 11, as other commands' "interrupted".
		return exit.Wrap(exit.IO, err, "%s: interrupted", what).
			WithHint("the monitor state was not changed; run the command again")
	}
	var fe *fetchError
	if errors.As(err, &fe) {
		e := exit.Wrap(fe.code, err, "%s", what)
		if fe.code == exit.Network {
			e.WithHint("check that the log URL is right and the log is up; the state was not changed, run again later")
		}
		return e
	}
	return exit.Wrap(exit.Malformed, err, "%s: the log's data is malformed", what)
}
