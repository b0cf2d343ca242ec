package logclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

const testOrigin = "example.test/ct-log/monitor"

// testLog is a real Tessera POSIX log in a temporary folder.
type testLog struct {
	dir      string
	app      *tessera.Appender
	reader   tessera.LogReader
	shutdown func(context.Context) error
}

func newTestLog(t *testing.T, signer note.Signer) *testLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	drv, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(256, 20*time.Millisecond).
		WithCheckpointInterval(100 * time.Millisecond).
		WithCheckpointRepublishInterval(0)
	app, shutdown, reader, err := tessera.NewAppender(ctx, drv, opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{dir: dir, app: app, reader: reader, shutdown: shutdown}
	t.Cleanup(func() { shutdown(context.Background()); cancel() })
	return l
}

// add appends entries in order and waits for a checkpoint that holds them.
func (l *testLog) add(t *testing.T, entries ...[]byte) {
	t.Helper()
	ctx := context.Background()
	aw := tessera.NewPublicationAwaiter(ctx, l.reader.ReadCheckpoint, 20*time.Millisecond)
	for _, e := range entries {
		// One at a time, so the indexes are those of the order given.
		if _, _, err := aw.Await(ctx, l.app.Add(ctx, tessera.NewEntry(e))); err != nil {
			t.Fatal(err)
		}
	}
}

// server serves a log folder as tlog-tiles (checkpoint, tiles, entry
// bundles only) and can be told to serve another folder, to cosign the
// checkpoint, or to take entry bundles from another folder.
type server struct {
	mu        sync.Mutex
	dir       string
	entries   string // folder entry bundles come from; "" = dir
	cosigners []note.Signer
	corrupt   bool   // flip a byte in the last cosignature
	old       []byte // serve this checkpoint instead of dir's
	logV      note.Verifier
	url       string
}

func (s *server) set(f func(s *server)) { s.mu.Lock(); f(s); s.mu.Unlock() }

func startServer(t *testing.T, dir string, logV note.Verifier) *server {
	t.Helper()
	s := &server{dir: dir, logV: logV}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.url = "http://" + ln.Addr().String() + "/"
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	dir, entries, cosigners, corrupt, old := s.dir, s.entries, s.cosigners, s.corrupt, s.old
	s.mu.Unlock()
	p := r.URL.Path
	if r.Method != http.MethodGet || strings.Contains(p, "..") || !(p == "/checkpoint" || strings.HasPrefix(p, "/tile/")) {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(p, "/tile/entries/") && entries != "" {
		dir = entries
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if p == "/checkpoint" && old != nil {
		data = old
	}
	if p == "/checkpoint" && len(cosigners) > 0 {
		n, err := note.Open(data, note.VerifierList(s.logV))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if data, err = note.Sign(n, cosigners...); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if corrupt {
			// The signature line's base64 ends the note: change a
			// character of the last signature.
			i := len(data) - 6
			if data[i] == 'A' {
				data[i] = 'B'
			} else {
				data[i] = 'A'
			}
		}
	}
	w.Write(data)
}

type fixture struct {
	logKey   *keys.PrivateKey
	logVKey  string
	logV     note.Verifier
	signer   note.Signer
	alice    *keys.PrivateKey
	bob      *keys.PrivateKey
	witness  f_note.Signer
	wVKey    string
	stateDir string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{stateDir: t.TempDir()}
	var err error
	gen := func(id string) *keys.PrivateKey {
		k, err := keys.Generate("CT-SIG-01", id)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	fx.logKey, fx.alice, fx.bob = gen("log"), gen("alice"), gen("bob")
	if fx.signer, err = tlog.LogSigner(fx.logKey, testOrigin); err != nil {
		t.Fatal(err)
	}
	if fx.logVKey, err = tlog.LogVerifierKey(fx.logKey.Public(), testOrigin); err != nil {
		t.Fatal(err)
	}
	if fx.logV, err = note.NewVerifier(fx.logVKey); err != nil {
		t.Fatal(err)
	}
	wk := gen("w1")
	if fx.witness, err = tlog.WitnessSigner(wk, "w1.example.test"); err != nil {
		t.Fatal(err)
	}
	if fx.wVKey, err = tlog.WitnessVerifierKey(wk.Public(), "w1.example.test"); err != nil {
		t.Fatal(err)
	}
	return fx
}

// leaf is the log leaf of k's signature over manifest.
func leaf(t *testing.T, k *keys.PrivateKey, manifest string) []byte {
	t.Helper()
	e, err := sig.Sign(k, []byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&tlog.Leaf{Suite: e.Suite, Fingerprint: e.Fingerprint, ManifestDigest: e.ManifestDigest, Signature: e.Signature}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forgedLeaf claims k's fingerprint with a signature k did not make.
func forgedLeaf(t *testing.T, k *keys.PrivateKey, manifest string) []byte {
	t.Helper()
	junk := make([]byte, 64)
	rand.Read(junk)
	b, err := (&tlog.Leaf{Suite: "CT-SIG-01", Fingerprint: k.Fingerprint(), ManifestDigest: sig.ManifestDigest([]byte(manifest)), Signature: junk}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (fx *fixture) opts(url string, watch ...WatchedKey) MonitorOptions {
	return MonitorOptions{URL: url, LogKey: fx.logVKey, Watch: watch, StateDir: fx.stateDir}
}

func withKey(k *keys.PrivateKey) WatchedKey {
	return WatchedKey{Fingerprint: k.Fingerprint(), Key: k.Public()}
}

func run(t *testing.T, o MonitorOptions) *MonitorReport {
	t.Helper()
	r, err := Monitor(context.Background(), o)
	if err != nil {
		t.Fatalf("Monitor: %v (exit %d)", err, exit.CodeOf(err))
	}
	return r
}

func wantCode(t *testing.T, r *MonitorReport, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("code %d (%s), want %d; report %+v", r.Code, r.Result, code, r)
	}
}

func TestMonitorReportsWatchedKeyIncrementally(t *testing.T) {
	fx := newFixture(t)
	lg := newTestLog(t, fx.signer)
	lg.add(t, leaf(t, fx.alice, "m0"), leaf(t, fx.bob, "m1"), []byte("not a ct leaf"))
	srv := startServer(t, lg.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))

	r := run(t, o)
	wantCode(t, r, MonitorSigned)
	if !r.FirstRun || !r.StateAdvanced || len(r.Signed) != 1 || r.Signed[0].Index != 0 || r.Signed[0].Signature != "verified" ||
		r.Signed[0].ManifestDigest != sig.ManifestDigest([]byte("m0")).String() || r.Signed[0].Fingerprint != fx.alice.Fingerprint().String() {
		t.Fatalf("first run: %+v", r)
	}
	if r.Scanned.Entries != 3 || r.Scanned.NotCT != 1 || r.Scanned.To != 3 {
		t.Fatalf("scanned %+v", r.Scanned)
	}

	r = run(t, o)
	wantCode(t, r, MonitorOK)
	if r.FirstRun || r.Scanned.Entries != 0 || len(r.Signed) != 0 {
		t.Fatalf("second run: %+v", r)
	}

	// New entries: alice signs, someone logs a forgery under her
	// fingerprint, bob signs. Scan one entry per run.
	lg.add(t, leaf(t, fx.alice, "m3"), forgedLeaf(t, fx.alice, "m4"), leaf(t, fx.bob, "m5"))
	o.MaxEntries = 1
	r = run(t, o)
	wantCode(t, r, MonitorSigned)
	if len(r.Signed) != 1 || r.Signed[0].Index != 3 || r.Scanned.From != 3 || r.Scanned.To != 4 || r.Scanned.Remaining != 2 {
		t.Fatalf("third run: %+v", r)
	}
	r = run(t, o)
	// A forgery is listed but does not alarm: a verifier never accepts
	// it (ct verify recomputes the leaf from a signature that verifies).
	wantCode(t, r, MonitorOK)
	if len(r.Forged) != 1 || r.Forged[0].Index != 4 || r.Forged[0].Signature != "invalid" || r.Forged[0].Problem == "" {
		t.Fatalf("fourth run: %+v", r)
	}
	o.MaxEntries = 0
	r = run(t, o)
	wantCode(t, r, MonitorOK)
	if r.Scanned.From != 5 || r.Scanned.To != 6 || r.Scanned.Remaining != 0 {
		t.Fatalf("fifth run: %+v", r.Scanned)
	}

	// Watching by fingerprint alone: the signature cannot be checked.
	o2 := fx.opts(srv.url, WatchedKey{Fingerprint: fx.alice.Fingerprint()})
	o2.StateDir = t.TempDir()
	r = run(t, o2)
	wantCode(t, r, MonitorSigned)
	if len(r.Signed) != 3 || r.Signed[2].Index != 4 || r.Signed[0].Signature != "unchecked" || len(r.Forged) != 0 {
		t.Fatalf("by fingerprint: %+v", r)
	}
}

// An older checkpoint (a lagging cache) that is consistent with the stored
// one is no alarm, and the state does not go back.
func TestMonitorOlderCheckpoint(t *testing.T) {
	fx := newFixture(t)
	lg := newTestLog(t, fx.signer)
	lg.add(t, leaf(t, fx.bob, "m0"), leaf(t, fx.bob, "m1"))
	old, err := os.ReadFile(filepath.Join(lg.dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	lg.add(t, leaf(t, fx.bob, "m2"), leaf(t, fx.bob, "m3"), leaf(t, fx.bob, "m4"))
	srv := startServer(t, lg.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))
	wantCode(t, run(t, o), MonitorOK)
	srv.set(func(s *server) { s.old = old })
	r := run(t, o)
	wantCode(t, r, MonitorOK)
	if r.Checkpoint.Size != 2 || r.Previous.Size != 5 || r.Scanned.Entries != 0 {
		t.Fatalf("older checkpoint: %+v", r)
	}
	// An older checkpoint from a fork is caught by the same proof.
	other := newTestLog(t, fx.signer)
	other.add(t, leaf(t, fx.bob, "m0"), leaf(t, fx.bob, "X"))
	forked, err := os.ReadFile(filepath.Join(other.dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	srv.set(func(s *server) { s.old = forked })
	r = run(t, o)
	wantCode(t, r, MonitorInconsistent)
	if r.Problems[0].Kind != "inconsistent" || r.StateAdvanced {
		t.Fatalf("older forked checkpoint: %+v", r)
	}
}

func TestMonitorWitnessQuorum(t *testing.T) {
	fx := newFixture(t)
	lg := newTestLog(t, fx.signer)
	lg.add(t, leaf(t, fx.bob, "m0"))
	srv := startServer(t, lg.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))
	o.Witnesses, o.Quorum = []string{fx.wVKey}, 1

	r := run(t, o)
	wantCode(t, r, MonitorUnwitnessed)
	if len(r.Witnesses.Cosigned) != 0 || len(r.Problems) != 1 || r.Problems[0].Kind != "under-quorum" {
		t.Fatalf("unwitnessed: %+v", r)
	}

	srv.set(func(s *server) { s.cosigners = []note.Signer{fx.witness} })
	r = run(t, o)
	wantCode(t, r, MonitorOK)
	if len(r.Witnesses.Cosigned) != 1 || r.Witnesses.Cosigned[0] != "w1.example.test" {
		t.Fatalf("witnessed: %+v", r.Witnesses)
	}

	// A cosignature that does not verify is not counted.
	srv.set(func(s *server) { s.corrupt = true })
	r = run(t, o)
	wantCode(t, r, MonitorUnwitnessed)
	if len(r.Witnesses.Invalid) != 1 || len(r.Witnesses.Cosigned) != 0 {
		t.Fatalf("bad cosignature: %+v", r.Witnesses)
	}

	// A watched signature ranks before the missing quorum.
	lg.add(t, leaf(t, fx.alice, "m1"))
	r = run(t, o)
	wantCode(t, r, MonitorSigned)
}

// fork makes two logs with the same key and origin and the same size but
// different entry 1.
func forkedLogs(t *testing.T, fx *fixture) (a, b *testLog) {
	a, b = newTestLog(t, fx.signer), newTestLog(t, fx.signer)
	a.add(t, leaf(t, fx.bob, "m0"), leaf(t, fx.alice, "m1"), leaf(t, fx.bob, "m2"))
	b.add(t, leaf(t, fx.bob, "m0"), leaf(t, fx.bob, "other"), leaf(t, fx.bob, "m2"))
	return a, b
}

func TestMonitorFork(t *testing.T) {
	fx := newFixture(t)
	a, b := forkedLogs(t, fx)
	srv := startServer(t, a.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))
	o.Witnesses, o.Quorum = []string{fx.wVKey}, 1

	wantCode(t, run(t, o), MonitorSigned)
	state := statePath(fx.stateDir, testOrigin)
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}

	// Same size, other root: a fork. It ranks before the missing quorum.
	srv.set(func(s *server) { s.dir = b.dir })
	r := run(t, o)
	wantCode(t, r, MonitorInconsistent)
	checkEvidence(t, r, "fork", before)
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) || r.StateAdvanced {
		t.Fatal("state advanced after a fork")
	}

	// The forked log grows: the consistency proof from the stored
	// checkpoint fails.
	b.add(t, leaf(t, fx.bob, "m3"))
	r = run(t, o)
	wantCode(t, r, MonitorInconsistent)
	checkEvidence(t, r, "inconsistent", before)
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Fatal("state advanced after an inconsistent checkpoint")
	}
	// One line, roots in base64 (not the merkle library's byte lists).
	for _, p := range r.Problems {
		if p.Kind == "inconsistent" && !regexp.MustCompile(`^the consistency proof from size 3 to 4 does not verify: the log rewrote its history \(it leads to root [A-Za-z0-9+/]{43}=, not [A-Za-z0-9+/]{43}=\)$`).MatchString(p.Message) {
			t.Fatalf("inconsistency message: %q", p.Message)
		}
	}

	// The honest log grows: consistent again, nothing new watched.
	a.add(t, leaf(t, fx.bob, "m3"))
	srv.set(func(s *server) { s.dir = a.dir; s.cosigners = []note.Signer{fx.witness} })
	wantCode(t, run(t, o), MonitorOK)
}

func checkEvidence(t *testing.T, r *MonitorReport, kind string, stored []byte) {
	t.Helper()
	var p *Problem
	for i := range r.Problems {
		if r.Problems[i].Kind == kind {
			p = &r.Problems[i]
		}
	}
	if p == nil || len(p.Evidence) != 3 {
		t.Fatalf("no %s problem with evidence: %+v", kind, r.Problems)
	}
	var st monitorState
	if _, err := tomlDecode(stored, &st); err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Evidence {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".stored.checkpoint") && string(data) != st.Checkpoint {
			t.Fatalf("evidence %s is not the stored checkpoint", f)
		}
	}
}

func TestMonitorEntriesNotMatchingCheckpoint(t *testing.T) {
	fx := newFixture(t)
	a, b := forkedLogs(t, fx)
	// Checkpoint and tiles of a, entry bundles of b: entry 1 (alice's
	// signature) is hidden behind another entry of the same tree size.
	srv := startServer(t, a.dir, fx.logV)
	srv.set(func(s *server) { s.entries = b.dir })
	o := fx.opts(srv.url, withKey(fx.alice))
	r := run(t, o)
	wantCode(t, r, MonitorInconsistent)
	if len(r.Problems) != 1 || r.Problems[0].Kind != "entries-mismatch" || r.StateAdvanced || len(r.Signed) != 0 {
		t.Fatalf("mismatch: %+v", r)
	}
	if _, err := os.Stat(statePath(fx.stateDir, testOrigin)); !os.IsNotExist(err) {
		t.Fatalf("state written: %v", err)
	}
	// Served honestly, the same run finds alice's entry.
	srv.set(func(s *server) { s.entries = "" })
	wantCode(t, run(t, o), MonitorSigned)

	// Resuming mid-tree (from > 0, to < size): the check uses the tree
	// before the scanned range and a consistency proof after it.
	a.add(t, leaf(t, fx.bob, "m3"), leaf(t, fx.bob, "m4"), leaf(t, fx.bob, "m5"))
	b.add(t, leaf(t, fx.bob, "m3"), leaf(t, fx.bob, "X"), leaf(t, fx.bob, "m5"))
	srv.set(func(s *server) { s.entries = b.dir })
	o.MaxEntries = 2
	r = run(t, o)
	wantCode(t, r, MonitorInconsistent)
	if r.Problems[0].Kind != "entries-mismatch" {
		t.Fatalf("mid-tree mismatch: %+v", r.Problems)
	}
}

func TestMonitorUnreachableAndMalformed(t *testing.T) {
	fx := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Monitor(context.Background(), fx.opts("http://"+addr+"/", withKey(fx.alice)))
	if exit.CodeOf(err) != exit.Network {
		t.Fatalf("unreachable: %v (exit %d)", err, exit.CodeOf(err))
	}

	// A checkpoint over 8 KiB, and one not signed by the log key.
	for name, body := range map[string][]byte{
		"big":      bytes.Repeat([]byte("x"), MaxCheckpointSize+1),
		"unsigned": []byte(testOrigin + "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— other Zm9v\n"),
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) })}
		go srv.Serve(ln)
		_, err = Monitor(context.Background(), fx.opts("http://"+ln.Addr().String()+"/", withKey(fx.alice)))
		srv.Close()
		if exit.CodeOf(err) != exit.Malformed {
			t.Fatalf("%s checkpoint: %v (exit %d)", name, err, exit.CodeOf(err))
		}
	}
}

func TestMonitorUsage(t *testing.T) {
	fx := newFixture(t)
	for name, o := range map[string]MonitorOptions{
		"no key":        fx.opts("http://127.0.0.1:1/"),
		"bad log key":   {URL: "http://127.0.0.1:1/", LogKey: "nope", Watch: []WatchedKey{withKey(fx.alice)}},
		"origin":        {URL: "http://127.0.0.1:1/", LogKey: fx.logVKey, Origin: "other", Watch: []WatchedKey{withKey(fx.alice)}},
		"quorum":        {URL: "http://127.0.0.1:1/", LogKey: fx.logVKey, Quorum: 1, Watch: []WatchedKey{withKey(fx.alice)}},
		"witness twice": {URL: "http://127.0.0.1:1/", LogKey: fx.logVKey, Witnesses: []string{fx.wVKey, fx.wVKey}, Watch: []WatchedKey{withKey(fx.alice)}},
		"url":           {URL: "ftp://x/", LogKey: fx.logVKey, Watch: []WatchedKey{withKey(fx.alice)}},
	} {
		o.StateDir = fx.stateDir
		if _, err := Monitor(context.Background(), o); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%s: %v (exit %d)", name, err, exit.CodeOf(err))
		}
	}
}

func tomlDecode(b []byte, v any) (toml.MetaData, error) { return toml.Decode(string(b), v) }

func TestMonitorStateIO(t *testing.T) {
	fx := newFixture(t)
	lg := newTestLog(t, fx.signer)
	lg.add(t, leaf(t, fx.bob, "m0"))
	srv := startServer(t, lg.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))
	// The state folder is a file.
	o.StateDir = filepath.Join(t.TempDir(), "file")
	os.WriteFile(o.StateDir, nil, 0o600)
	if _, err := Monitor(context.Background(), o); exit.CodeOf(err) != exit.IO {
		t.Fatalf("state folder is a file: %v (exit %d)", err, exit.CodeOf(err))
	}
	// A state file that is not ct's.
	o.StateDir = t.TempDir()
	os.WriteFile(statePath(o.StateDir, testOrigin), []byte("format = 1\norigin = \"x\"\n"), 0o600)
	if _, err := Monitor(context.Background(), o); exit.CodeOf(err) != exit.IO {
		t.Fatalf("foreign state: %v (exit %d)", err, exit.CodeOf(err))
	}
}

// TestMonitorRedirectElsewhere: a log that redirects the monitor to
// another host is not followed there (as a submitter does not).
func TestMonitorRedirectElsewhere(t *testing.T) {
	fx := newFixture(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL)
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirect.Close()
	_, err := Monitor(context.Background(), fx.opts(redirect.URL+"/", withKey(fx.alice)))
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "redirect to another host") {
		t.Fatalf("redirect: %v (exit %d)", err, exit.CodeOf(err))
	}
}

// TestMonitorForkEvidenceUnwritable: a fork found when its evidence cannot
// be written is still reported as a fork (exit 2), not hidden behind the
// I/O error, and the state does not advance.
func TestMonitorForkEvidenceUnwritable(t *testing.T) {
	fx := newFixture(t)
	a, b := forkedLogs(t, fx)
	srv := startServer(t, a.dir, fx.logV)
	o := fx.opts(srv.url, withKey(fx.alice))
	wantCode(t, run(t, o), MonitorSigned)
	state := statePath(fx.stateDir, testOrigin)
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o.Now = func() time.Time { return when }
	// A folder where the first evidence file would go: it cannot be written.
	blocked := filepath.Join(fx.stateDir, tlog.LogID(testOrigin)+".evidence.20260102T030405Z.fork.stored.checkpoint")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	srv.set(func(s *server) { s.dir = b.dir })
	r := run(t, o)
	wantCode(t, r, MonitorInconsistent)
	if len(r.Problems) != 1 || r.Problems[0].Kind != "fork" || !strings.Contains(r.Problems[0].Message, "evidence could not be saved") {
		t.Fatalf("problems: %+v", r.Problems)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) || r.StateAdvanced {
		t.Fatal("state advanced after a fork")
	}
}
