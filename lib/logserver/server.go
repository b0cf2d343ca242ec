package logserver

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/tessera"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

// Storage drivers ct-log serve builds in.
const (
	StoragePOSIX = "posix"
	StorageMySQL = "mysql"
)

// Config is what ct-log serve runs.
type Config struct {
	Storage  string // StoragePOSIX (default) or StorageMySQL
	Dir      string // the POSIX log directory
	MySQLDSN string // go-sql-driver/mysql DSN of the MySQL/MariaDB database

	Origin string      // the log's origin (its checkpoints' first line)
	Signer note.Signer // the log key, named Origin (tlog.LogSigner)

	Listen   string // host:port; "" is 127.0.0.1:0
	AddrFile string // when set, gets the bound host:port once listening

	Witnesses []Witness
	Quorum    int // witnesses whose cosignatures a checkpoint waits for; 0 is all
	// WitnessTimeout bounds one round of cosigning (0: Tessera's 5 s).
	WitnessTimeout time.Duration

	CheckpointInterval time.Duration // 0: 1 s
	// RepublishInterval is how often an unchanged checkpoint is signed and
	// sent to the witnesses again (0: 30 s, or CheckpointInterval if
	// longer; negative: never), so that a
	// checkpoint published while witnesses were down gets their
	// cosignatures once they are back, even if the log does not grow.
	RepublishInterval time.Duration
	BatchMaxAge       time.Duration // 0: Tessera's 250 ms
	Limits            Limits        // zero: DefaultLimits

	// Log receives status lines and server-side errors; nil is stderr.
	Log io.Writer
}

// republishInterval resolves RepublishInterval against the checkpoint
// interval: 0 is the default, or the checkpoint interval when that is
// longer (Tessera refuses a shorter one: --checkpoint-interval 1m alone
// must not fail over a flag the operator never gave); a shorter one given
// is a usage error; negative is never.
func republishInterval(republish, checkpoint time.Duration) (time.Duration, error) {
	if republish == 0 {
		return max(DefaultRepublishInterval, checkpoint), nil
	}
	if republish > 0 && republish < checkpoint {
		return 0, exit.New(exit.Usage, "--republish-interval %v is shorter than --checkpoint-interval %v", republish, checkpoint).
			WithHint("republishing happens at most once per checkpoint interval: make it at least %v, or negative for never", checkpoint)
	}
	return republish, nil
}

// DefaultRepublishInterval replaces Tessera's 10 minutes: a submitter
// waiting for the quorum after a witness came back (ct sign --log, whose
// default --timeout is 30 s) would otherwise wait for the log to grow.
const DefaultRepublishInterval = 30 * time.Second

// Witness is a witness the log asks for cosignatures (C2SP tlog-witness).
type Witness struct {
	VKey string   // its cosignature/v1 verifier key
	URL  *url.URL // its base URL; the log POSTs to URL/add-checkpoint
}

// ParseWitness parses a --witness value "VKEY=URL", where VKEY may be a
// file holding the key (tlog.VKeyArg). The URL starts at the first
// "=http://" or "=https://", as a vkey never holds one.
func ParseWitness(s string) (Witness, error) {
	i := strings.Index(s, "=http://")
	if j := strings.Index(s, "=https://"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i <= 0 {
		return Witness{}, exit.New(exit.Usage, "--witness %q is not VKEY=URL", s).
			WithHint("the log needs each witness's key and where to reach it: its cosignature/v1 verifier key (or the file ct-witness serve --print-vkey wrote) and its http(s) base URL, e.g. --witness w1.vkey=http://127.0.0.1:8081")
	}
	vkey, raw := s[:i], s[i+1:]
	// The key may be the file ct-witness serve --print-vkey wrote.
	vkey, err := tlog.VKeyArg(vkey, "witness")
	if err != nil {
		return Witness{}, err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Witness{}, exit.New(exit.Usage, "--witness URL %q is not an http(s) URL with a host", raw)
	}
	if err := checkWitnessVKey(vkey); err != nil {
		return Witness{}, exit.Wrap(exit.Usage, err, "--witness key %q is not a witness verifier key", vkey).
			WithHint("a witness key is a cosignature/v1 note verifier key (NAME+HASH+BASE64, algorithm 0x04); ct-witness prints it")
	}
	return Witness{VKey: vkey, URL: u}, nil
}

// checkWitnessVKey accepts a cosignature/v1 verifier key (algorithm 0x04,
// C2SP tlog-cosignature) only: formats and Tessera would also take a plain
// Ed25519 key (0x01) such as a log's, which ct never names a witness by.
func checkWitnessVKey(vkey string) error {
	if _, err := f_note.NewVerifierForCosignatureV1(vkey); err != nil {
		return err
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return fmt.Errorf("malformed verifier key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) == 0 || key[0] != 0x04 {
		return fmt.Errorf("not a cosignature/v1 key (algorithm 0x04)")
	}
	return nil
}

// Server is a running log.
type Server struct {
	Addr string // the bound host:port
	srv  *http.Server
	done chan error
	stop func() error
}

// Start opens the storage, starts Tessera and listens. The log runs until
// ctx is done or Close is called; Wait returns then.
func Start(ctx context.Context, c Config) (*Server, error) {
	if c.Log == nil {
		c.Log = os.Stderr
	}
	if c.Signer == nil || c.Signer.Name() != c.Origin || c.Origin == "" {
		return nil, exit.New(exit.Usage, "the log key must be named after the origin %q", c.Origin)
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = time.Second
	}
	if c.CheckpointInterval > 10*time.Minute {
		return nil, exit.New(exit.Usage, "--checkpoint-interval %v is over 10m", c.CheckpointInterval).
			WithHint("witnesses and submitters wait for checkpoints: keep it at seconds")
	}
	if c.BatchMaxAge <= 0 {
		c.BatchMaxAge = tessera.DefaultBatchMaxAge
	}
	var err error
	if c.RepublishInterval, err = republishInterval(c.RepublishInterval, c.CheckpointInterval); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, w := range c.Witnesses {
		name, _, _ := strings.Cut(w.VKey, "+")
		if seen[name] {
			return nil, exit.New(exit.Usage, "witness %q is given twice", termsafe.Escape(name)).
				WithHint("give each witness once: Tessera would count it twice toward --quorum, and verifiers count distinct witnesses")
		}
		seen[name] = true
	}
	if c.Quorum <= 0 {
		c.Quorum = len(c.Witnesses)
	}
	if c.Quorum > len(c.Witnesses) {
		return nil, exit.New(exit.Usage, "--quorum %d with %d witnesses", c.Quorum, len(c.Witnesses)).
			WithHint("the quorum is at most the number of --witness flags")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	var cleanup []func()
	undo := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	ok := false
	defer func() {
		if !ok {
			undo()
		}
	}()

	httpClient := witnessClient()
	var driver tessera.Driver
	switch c.Storage {
	case "", StoragePOSIX:
		if c.Dir == "" {
			return nil, exit.New(exit.Usage, "POSIX storage needs --dir DIR")
		}
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot create the log directory").At(c.Dir)
		}
		unlock, err := lockDir(c.Dir)
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, unlock)
		if driver, err = posix.New(ctx, posix.Config{Path: c.Dir, HTTPClient: httpClient}); err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot open the POSIX log").At(c.Dir)
		}
	case StorageMySQL:
		if c.CheckpointInterval < time.Second {
			return nil, exit.New(exit.Usage, "--checkpoint-interval %v is under 1s, the least Tessera's MySQL driver takes", c.CheckpointInterval)
		}
		if c.MySQLDSN == "" {
			return nil, exit.New(exit.Usage, "MySQL storage needs --mysql-dsn DSN or CT_LOG_MYSQL_DSN").
				WithHint("a go-sql-driver/mysql DSN, e.g. 'ctlog:PASS@tcp(127.0.0.1:3306)/ctlog'; create the tables with Tessera's storage/mysql/schema.sql first (docs/log-server.md)")
		}
		db, err := openMySQL(ctx, c.MySQLDSN)
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { db.Close() })
		// Tessera's MySQL driver pushes checkpoints to the witnesses with
		// http.DefaultClient: make it the POSIX driver's client (a
		// process-wide setting; ct-log serve is one log per process).
		useAsDefault(http.DefaultClient, httpClient)
		if driver, err = tmysql.New(ctx, db); err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot open the MySQL log").
				WithHint("create the tables with Tessera's storage/mysql/schema.sql (docs/log-server.md)")
		}
	default:
		return nil, exit.New(exit.Usage, "unknown --storage %q", c.Storage).WithHint("posix or mysql")
	}

	raw, where, err := readStoredCheckpoint(ctx, c, driver)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		if err := checkStoredCheckpoint(raw, where, c.Origin, c.Signer); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(c.Log, "ct-log: no checkpoint in %s: starting a new, empty log %s\n", termsafe.Escape(where), termsafe.Escape(c.Origin))
	}

	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(c.Signer).
		WithBatching(tessera.DefaultBatchMaxSize, c.BatchMaxAge).
		WithCheckpointInterval(c.CheckpointInterval).
		WithCheckpointRepublishInterval(max(c.RepublishInterval, 0)). // Tessera: 0 is never
		// A leaf seen recently gets the index it got then (in memory only:
		// docs/log-server.md, duplicates).
		WithAntispam(tessera.DefaultAntispamInMemorySize, nil)
	if len(c.Witnesses) > 0 {
		// A WitnessGroup's children have an unexported type: fill the
		// exported field instead of NewWitnessGroup's variadic argument.
		g := tessera.WitnessGroup{N: c.Quorum}
		for _, w := range c.Witnesses {
			tw, err := tessera.NewWitness(w.VKey, w.URL)
			if err != nil {
				return nil, exit.Wrap(exit.Usage, err, "witness key %q", w.VKey)
			}
			g.Components = append(g.Components, tw)
		}
		// FailOpen: the log starts and keeps publishing when witnesses are
		// down; submitters and verifiers enforce the quorum
		// (docs/log-server.md).
		opts = opts.WithWitnesses(g, &tessera.WitnessOptions{Timeout: c.WitnessTimeout, FailOpen: true})
	}
	// Tessera's goroutines live until the appender is shut down, not as
	// long as the caller's ctx: a cancelled ctx must still let them finish
	// the batch in hand.
	appCtx, appCancel := context.WithCancel(context.WithoutCancel(ctx))
	cleanup = append(cleanup, appCancel)
	app, shutdown, reader, err := tessera.NewAppender(appCtx, driver, opts)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot start the log")
	}

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot listen on %s", c.Listen).
			WithHint("pick a free address with --listen HOST:PORT (127.0.0.1:0 picks a free port)")
	}
	cleanup = append(cleanup, func() { ln.Close() })
	addr := ln.Addr().String()
	if c.AddrFile != "" {
		if err := writeAddrFile(c.AddrFile, addr); err != nil {
			return nil, err
		}
	}
	errLog := log.New(c.Log, "ct-log: ", 0)
	s := &Server{
		Addr: addr,
		srv: &http.Server{
			Handler:           Handler(app.Add, reader, c.Limits, errLog),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      c.Limits.AddTimeout + 10*time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          errLog,
		},
		done: make(chan error, 1),
	}
	s.stop = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.srv.Shutdown(sctx)
		if e := shutdown(sctx); e != nil && err == nil {
			err = e
		}
		undo()
		return err
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	go func() {
		// Stop taking requests; Wait's stop lets those in flight finish
		// (an added entry gets its index) before Tessera shuts down.
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.srv.Shutdown(sctx)
	}()
	ok = true
	return s, nil
}

// Wait blocks until the server stops (ctx done or Close), then shuts the
// log down: the entries accepted so far are integrated and the storage
// lock is released.
func (s *Server) Wait() error {
	err := <-s.done
	if e := s.stop(); e != nil && err == nil {
		err = exit.Wrap(exit.IO, e, "shutting the log down")
	}
	if err != nil {
		return exit.Wrap(exit.IO, err, "serving the log")
	}
	return nil
}

// Close stops the server; Wait returns after.
func (s *Server) Close() { s.srv.Close() }

// Run starts the log and serves until ctx is done.
func Run(ctx context.Context, c Config) error {
	if c.Log == nil {
		c.Log = os.Stderr
	}
	LibraryLogTo(c.Log)
	s, err := Start(ctx, c)
	if err != nil {
		return err
	}
	w := c.Log
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "ct-log: serving %s (%s storage) on http://%s/%s\n", termsafe.Escape(c.Origin), storageName(c.Storage), s.Addr, witnessSummary(c))
	return s.Wait()
}

func storageName(s string) string {
	if s == "" {
		return StoragePOSIX
	}
	return s
}

func openMySQL(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "the MySQL DSN does not parse").
			WithHint("a go-sql-driver/mysql DSN: USER:PASS@tcp(HOST:PORT)/DBNAME")
	}
	where := cfg.Addr + "/" + cfg.DBName
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "the MySQL DSN").At(where)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, exit.Wrap(exit.Network, err, "cannot reach the MySQL database").At(where).
			WithHint("check that the server runs and the DSN's user, password and database are right")
	}
	return db, nil
}

// writeAddrFile writes addr and a newline to path atomically.
func writeAddrFile(path, addr string) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.WriteString(f, addr+"\n"); err != nil {
		return outfile.IOError(path, err, "cannot write the address file")
	}
	return f.Commit()
}

// LockName is the lock file ct-log serve holds in a POSIX log directory.
const LockName = ".ct-log.lock"

func lockPath(dir string) string { return filepath.Join(dir, LockName) }

// witnessSummary is what the serving line says of the witnesses, so that an
// operator sees at start whom the log asks and how many it waits for.
func witnessSummary(c Config) string {
	if len(c.Witnesses) == 0 {
		return ", no witnesses"
	}
	names := make([]string, len(c.Witnesses))
	for i, w := range c.Witnesses {
		names[i], _, _ = strings.Cut(w.VKey, "+")
		names[i] = termsafe.Escape(names[i]) + " at " + termsafe.Escape(w.URL.String())
	}
	q := c.Quorum
	if q <= 0 || q > len(c.Witnesses) {
		q = len(c.Witnesses)
	}
	return fmt.Sprintf(", witnesses %s (waits for %d of %d)", strings.Join(names, ", "), q, len(c.Witnesses))
}
