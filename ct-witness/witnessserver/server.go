package witnessserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/stdr"
	"github.com/transparency-dev/witness/config"
	psql "github.com/transparency-dev/witness/persistence/sqlite"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// Bounds on every request (docs/witness.md). The body limit is the
// witness library's own (witness.MaxRequestBodyBytes, 16 KiB).
const (
	DefaultListen     = "127.0.0.1:0"
	DefaultInFlight   = 64
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	requestTimeout    = 20 * time.Second
	maxHeaderBytes    = 16 << 10
)

// MaxBody is the largest add-checkpoint request body accepted.
var MaxBody = witness.MaxRequestBodyBytes

// Options configure a witness server.
type Options struct {
	DB       string      // sqlite state file (created if missing)
	Signer   note.Signer // the witness's cosignature/v1 signer (tlog.WitnessSigner)
	Logs     []Log       // the logs it cosigns for (LoadLogs)
	LogsFile string      // where Logs came from, for errors
	Listen   string      // host:port; DefaultListen when empty
	AddrFile string      // if set, the bound host:port is written here atomically once listening
	InFlight int         // concurrent requests; DefaultInFlight when 0
	Log      io.Writer   // one line per refused or cosigned checkpoint; nil for none
}

// Server is a running witness.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	closeDB func() error
	served  chan error
	logs    map[string]Log
	h       *witness.HTTPHandler
	sem     chan struct{}
	out     io.Writer
}

// Start opens the state, checks it against the configured logs, listens
// and serves in the background until Shutdown.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Signer == nil {
		return nil, exit.New(exit.Usage, "no witness key")
	}
	if len(o.Logs) == 0 {
		return nil, exit.New(exit.Usage, "no logs to witness").At(o.LogsFile).
			WithHint("give --logs LOGS.toml or --log with each log's verifier key (ct-log serve --print-vkey)")
	}
	if o.DB == "" || strings.ContainsAny(o.DB, "?#") {
		return nil, exit.New(exit.Usage, "--db %q: give a file name without '?' or '#'", termsafe.Escape(o.DB))
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultInFlight
	}
	// Logs built by a caller rather than ParseLogs have no verifier yet:
	// the witness library would call a nil one on the first request.
	o.Logs = append([]Log(nil), o.Logs...)
	for i, l := range o.Logs {
		if l.verifier != nil {
			continue
		}
		v, err := note.NewVerifier(l.Key)
		if err != nil || v.Name() != l.Origin {
			return nil, exit.New(exit.Usage, "log %q: key %q is not a note verifier key named after it", termsafe.Escape(l.Origin), termsafe.Escape(l.Key))
		}
		o.Logs[i].verifier = v
	}
	unlock, err := lockDB(o.DB)
	if err != nil {
		return nil, err
	}
	// One connection: the witness library reads and then writes a log's
	// checkpoint in one transaction, and two such transactions on two
	// connections (two logs pushing at once) make sqlite answer
	// SQLITE_BUSY at once (busy_timeout cannot help a read that becomes a
	// write), which the library turns into 429: a Tessera log does not
	// retry it and publishes without this witness's cosignature. Over one
	// connection database/sql queues the transactions instead; each is a
	// few milliseconds (TestConcurrentLogs).
	p, closeState, err := psql.New(ctx, psql.Opts{Path: o.DB, MaxOpenConns: 1})
	if err != nil {
		unlock()
		return nil, exit.Wrap(exit.IO, err, "cannot open the witness state").At(o.DB).
			WithHint("--db names an sqlite file the witness may create and write; its folder must exist")
	}
	closeDB := func() error {
		err := closeState()
		unlock()
		return err
	}
	ok := false
	defer func() {
		if !ok {
			closeDB()
		}
	}()
	if err := checkStored(ctx, p, o); err != nil {
		return nil, err
	}
	cl := make([]config.Log, 0, len(o.Logs))
	logs := map[string]Log{}
	for _, l := range o.Logs {
		cl = append(cl, config.Log{Origin: l.Origin, VKey: l.Key})
		logs[l.Origin] = l
	}
	if err := p.AddLogs(ctx, cl); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot record the logs in the witness state").At(o.DB)
	}
	w, err := witness.New(ctx, witness.Opts{
		Persistence: p,
		Signers:     []note.Signer{o.Signer},
		// Only the configured logs are witnessed; an unknown origin is
		// (nil, false, nil), which the witness answers 404. (The sqlite
		// persistence's Log returns an error for it: that would be 500.)
		VerifierForLog: func(_ context.Context, origin string) (note.Verifier, bool, error) {
			l, ok := logs[origin]
			if !ok {
				return nil, false, nil
			}
			return l.verifier, true, nil
		},
	})
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot start the witness")
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot listen on %s", termsafe.Escape(o.Listen)).
			WithHint("--listen takes HOST:PORT; port 0 picks a free one")
	}
	s := &Server{ln: ln, closeDB: closeDB, served: make(chan error, 1), logs: logs,
		h: witness.NewHTTPHandler(w), sem: make(chan struct{}, o.InFlight), out: o.Log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", s.addCheckpoint)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if o.AddrFile != "" {
		if err := writeAddr(o.AddrFile, ln.Addr().String()); err != nil {
			ln.Close()
			return nil, err
		}
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	ok = true
	return s, nil
}

// checkStored refuses a configured log whose key differs from the one the
// state holds: the sqlite persistence never updates a stored key (INSERT
// OR IGNORE), so the new key would be silently ignored.
func checkStored(ctx context.Context, p *psql.Persistence, o Options) error {
	stored := map[string]string{}
	for l, err := range p.Logs(ctx) {
		if err != nil {
			return exit.Wrap(exit.IO, err, "cannot read the logs in the witness state").At(o.DB)
		}
		stored[l.Origin] = l.VKey
	}
	for _, l := range o.Logs {
		old, ok := stored[l.Origin]
		if !ok || old == l.Key {
			continue
		}
		return exit.New(exit.Malformed,
			"log %q: %s names key %s, but the witness state %s holds key %s for it; the witness never changes a log's key by itself",
			termsafe.Escape(l.Origin), l.source(), termsafe.Escape(l.Key), termsafe.Escape(o.DB), termsafe.Escape(old)).
			At(l.where(o.LogsFile)).
			WithHint("a new key may be an attacker's: ask the log's operator. If the log really has a new key (a new log), witness it under a new origin, or start a new state with another --db (it trusts the next checkpoint of every log on first use); to keep witnessing the old log, put its old key back")
	}
	return nil
}

func writeAddr(path, addr string) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.WriteString(addr + "\n"); err != nil {
		return outfile.IOError(path, err, "cannot write address file")
	}
	return f.Commit()
}

// Addr is the bound address, host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done receives the error that ended serving (nil after Shutdown).
func (s *Server) Done() <-chan error { return s.served }

// Shutdown stops accepting, lets requests in flight finish (until ctx is
// done) and closes the state.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	if cerr := s.closeDB(); err == nil && cerr != nil {
		err = exit.Wrap(exit.IO, cerr, "cannot close the witness state")
	}
	return err
}

// Run starts a witness and serves until ctx is done (SIGTERM, SIGINT),
// then shuts it down. ready, if set, is called once listening.
func Run(ctx context.Context, o Options, ready func(addr string)) error {
	if o.Log != nil {
		LibraryLogTo(o.Log)
	}
	s, err := Start(ctx, o)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s.Addr())
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = s.Shutdown(sctx)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return exit.Wrap(exit.IO, serveErr, "witness stopped serving")
	}
	return err
}

// addCheckpoint is C2SP tlog-witness POST /add-checkpoint: bounded, then
// checked enough to answer 404 (unknown log), 403 (no valid signature by
// the log's key) and 413 (too large) as the spec says, then handed to the
// witness library, which checks consistency and cosigns.
func (s *Server) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests in flight", http.StatusTooManyRequests)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	if r.ContentLength > MaxBody {
		s.refuse(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("body larger than %d bytes", MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.refuse(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("body larger than %d bytes", MaxBody))
			return
		}
		s.refuse(w, http.StatusBadRequest, "", "cannot read body")
		return
	}
	i := bytes.Index(body, []byte("\n\n"))
	if !bytes.HasPrefix(body, []byte("old ")) || i < 0 {
		s.refuse(w, http.StatusBadRequest, "", `body is not "old N", proof lines, a blank line and a checkpoint`)
		return
	}
	cp := body[i+2:]
	origin, _, found := strings.Cut(string(cp), "\n")
	if !found {
		s.refuse(w, http.StatusBadRequest, "", "no checkpoint")
		return
	}
	l, known := s.logs[origin]
	if !known {
		s.refuse(w, http.StatusNotFound, origin, "unknown log")
		return
	}
	if _, err := note.Open(cp, note.VerifierList(l.verifier)); err != nil {
		var unv *note.UnverifiedNoteError
		if errors.As(err, &unv) {
			s.refuse(w, http.StatusForbidden, origin, "no valid signature by the log's key")
			return
		}
		s.refuse(w, http.StatusBadRequest, origin, "checkpoint is not a signed note")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec := &statusWriter{ResponseWriter: w}
	s.h.AddCheckpoint(rec, r)
	switch rec.status {
	case http.StatusOK:
		s.logf("%s: cosigned", origin)
	case http.StatusUnprocessableEntity:
		s.logf("%s: refused (422): not consistent with the checkpoint cosigned before (a fork, or a bad proof)", origin)
	case http.StatusConflict:
		// the log's normal retry path: it asked with a stale old size
	default:
		s.logf("%s: refused (%d)", origin, rec.status)
	}
}

func (s *Server) refuse(w http.ResponseWriter, code int, origin, why string) {
	if origin != "" {
		s.logf("%s: refused (%d): %s", origin, code, why)
	} else {
		s.logf("refused (%d): %s", code, why)
	}
	http.Error(w, why, code)
}

func (s *Server) logf(format string, args ...any) {
	if s.out == nil {
		return
	}
	fmt.Fprintf(s.out, "ct-witness: %s\n", termsafe.Escape(fmt.Sprintf(format, args...)))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// LibraryLogTo sends the libraries' own logs to w, with control characters
// escaped line by line: klog (among others the witness's "INCONSISTENT
// CHECKPOINTS!" report of a fork, which quotes both checkpoints), and the
// standard log and slog default loggers (the witness's HTTP handler reports
// unexpected errors there). These are process-wide settings.
func LibraryLogTo(w io.Writer) {
	ew := escapingWriter{w}
	log.SetOutput(ew)
	klog.SetLoggerWithOptions(stdr.New(log.New(ew, "", log.LstdFlags)),
		klog.WriteKlogBuffer(func(b []byte) { ew.Write(b) }))
}

type escapingWriter struct{ w io.Writer }

func (e escapingWriter) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		lines[i] = termsafe.EscapeControls(l)
	}
	if _, err := io.WriteString(e.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}
