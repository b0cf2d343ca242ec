package logserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/cerro-torre/ct/lib/tlog"
)

// Limits bound what one request may cost.
type Limits struct {
	// MaxInFlight is the number of requests served at once; more get 429.
	MaxInFlight int
	// AddTimeout bounds the wait for an added entry to be sequenced.
	AddTimeout time.Duration
	// ReadTimeout bounds a read of the checkpoint or a tile.
	ReadTimeout time.Duration
}

// DefaultLimits are ct-log serve's limits.
var DefaultLimits = Limits{MaxInFlight: 1024, AddTimeout: 30 * time.Second, ReadTimeout: 10 * time.Second}

// retryAfter is the Retry-After, in seconds, of a 429.
const retryAfter = "1"

// AddFunc adds an entry and returns the future of its index
// (tessera.Appender.Add).
type AddFunc = tessera.AddFn

// Handler returns the log's HTTP handler: POST /add through add, and the
// tlog-tiles read endpoints through r. errLog receives server-side errors
// (never shown to clients); nil discards them.
func Handler(add AddFunc, r tessera.LogReader, lim Limits, errLog *log.Logger) http.Handler {
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	h := &handler{add: add, r: r, lim: lim, log: errLog, slots: make(chan struct{}, lim.MaxInFlight)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add", h.handleAdd)
	mux.HandleFunc("GET /checkpoint", h.handleCheckpoint)
	mux.HandleFunc("GET /tile/entries/{index...}", h.handleEntries)
	mux.HandleFunc("GET /tile/{level}/{index...}", h.handleTile)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusNotFound, "not found: this log serves POST /add, GET /checkpoint, GET /tile/... (C2SP tlog-tiles)")
	})
	return h.limit(mux)
}

type handler struct {
	add   AddFunc
	r     tessera.LogReader
	lim   Limits
	log   *log.Logger
	slots chan struct{}
}

// limit refuses a request with 429 when MaxInFlight are being served.
func (h *handler) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			w.Header().Set("Retry-After", retryAfter)
			plain(w, http.StatusTooManyRequests, "too many requests in flight; retry later")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

func (h *handler) handleAdd(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, tlog.MaxLeafSize)
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			plain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("leaf over the %d-byte limit", tlog.MaxLeafSize))
			return
		}
		plain(w, http.StatusBadRequest, "cannot read the request body")
		return
	}
	if _, err := tlog.ParseLeaf(data); err != nil {
		plain(w, http.StatusBadRequest, "leaf rejected (docs/spec/log.md): "+err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.lim.AddTimeout)
	defer cancel()
	idx, err := h.wait(ctx, h.add(ctx, tessera.NewEntry(data)))
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%d\n", idx.Index)
	case errors.Is(err, tessera.ErrPushback):
		w.Header().Set("Retry-After", retryAfter)
		plain(w, http.StatusTooManyRequests, "the log is busy; retry later")
	case ctx.Err() != nil:
		plain(w, http.StatusServiceUnavailable, "the entry was not sequenced in time; retry later (the same leaf gets the same index while this log remembers it)")
	default:
		h.log.Printf("POST /add: %v", err)
		plain(w, http.StatusInternalServerError, "the log could not add the entry; see its log")
	}
}

// wait resolves f, giving up when ctx is done (the future itself may not
// watch ctx).
func (h *handler) wait(ctx context.Context, f tessera.IndexFuture) (tessera.Index, error) {
	type res struct {
		i   tessera.Index
		err error
	}
	c := make(chan res, 1)
	go func() { i, err := f(); c <- res{i, err} }()
	select {
	case r := <-c:
		return r.i, r.err
	case <-ctx.Done():
		return tessera.Index{}, ctx.Err()
	}
}

func (h *handler) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.lim.ReadTimeout)
	defer cancel()
	cp, err := h.r.ReadCheckpoint(ctx)
	if h.readFailed(w, "checkpoint", cp, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
}

func (h *handler) handleTile(w http.ResponseWriter, r *http.Request) {
	level, index, p, err := layout.ParseTileLevelIndexPartial(r.PathValue("level"), r.PathValue("index"))
	if err != nil {
		plain(w, http.StatusBadRequest, "malformed tile path")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.lim.ReadTimeout)
	defer cancel()
	t, err := h.r.ReadTile(ctx, level, index, p)
	if h.readFailed(w, "tile", t, err) {
		return
	}
	serveImmutable(w, t)
}

func (h *handler) handleEntries(w http.ResponseWriter, r *http.Request) {
	index, p, err := layout.ParseTileIndexPartial(r.PathValue("index"))
	if err != nil {
		plain(w, http.StatusBadRequest, "malformed entry bundle path")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.lim.ReadTimeout)
	defer cancel()
	b, err := h.r.ReadEntryBundle(ctx, index, p)
	if h.readFailed(w, "entry bundle", b, err) {
		return
	}
	serveImmutable(w, b)
}

// readFailed answers a failed read: 404 for what does not exist (yet), 500
// for anything else (logged, not shown).
func (h *handler) readFailed(w http.ResponseWriter, what string, data []byte, err error) bool {
	switch {
	case err == nil && data != nil:
		return false
	case err == nil || errors.Is(err, fs.ErrNotExist):
		plain(w, http.StatusNotFound, what+" not found")
	default:
		h.log.Printf("reading %s: %v", what, err)
		plain(w, http.StatusInternalServerError, "cannot read the "+what)
	}
	return true
}

// serveImmutable writes a tile or entry bundle: its path names its
// contents, full or partial (C2SP tlog-tiles), so it never changes.
func serveImmutable(w http.ResponseWriter, data []byte) {
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}
