package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// tlogfixture start|add NAME MANIFEST|fork|honest runs a real Tessera POSIX
// log in this process for ct log monitor (until ct-log serve can be used
// instead): two logs with the same key and origin, A = [bob m0, alice m1,
// a non-ct entry] and its fork B = [bob m0, bob other, a non-ct entry],
// served on 127.0.0.1 as tlog-tiles with a witness cosignature on each
// checkpoint. start sets LOGURL, LOGVKEY, WITNESSVKEY, WITNESS2VKEY, ALICEFP and writes
// $WORK/alice.pub; add appends NAME's signature over MANIFEST to A; fork
// serves B, honest A again.
func cmdTLogFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: tlogfixture start|add NAME MANIFEST|fork|honest")
	}
	tlogMu.Lock()
	defer tlogMu.Unlock()
	fx := tlogFixtures[ts]
	if args[0] != "start" && fx == nil {
		ts.Fatalf("tlogfixture: run tlogfixture start first")
	}
	switch args[0] {
	case "start":
		tlogFixtures[ts] = startTLogFixture(ts)
	case "add":
		if len(args) != 3 || fx.keys[args[1]] == nil {
			ts.Fatalf("usage: tlogfixture add alice|bob MANIFEST")
		}
		fx.a.add(ts, fx.leaf(ts, args[1], args[2]))
	case "fork":
		fx.serving.Store(fx.b.dir)
	case "honest":
		fx.serving.Store(fx.a.dir)
	default:
		ts.Fatalf("tlogfixture: unknown %q", args[0])
	}
}

var (
	tlogMu       sync.Mutex
	tlogFixtures = map[*testscript.TestScript]*tlogFixture{}
)

type tlogFixture struct {
	keys    map[string]*keys.PrivateKey
	a, b    *fixtureLog
	serving atomicString
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) Store(s string) { a.mu.Lock(); a.s = s; a.mu.Unlock() }
func (a *atomicString) Load() string   { a.mu.Lock(); defer a.mu.Unlock(); return a.s }

type fixtureLog struct {
	dir    string
	app    *tessera.Appender
	reader tessera.LogReader
}

func (fx *tlogFixture) leaf(ts *testscript.TestScript, who, manifest string) []byte {
	e, err := sig.Sign(fx.keys[who], []byte(manifest))
	ts.Check(err)
	b, err := (&tlog.Leaf{Suite: e.Suite, Fingerprint: e.Fingerprint, ManifestDigest: e.ManifestDigest, Signature: e.Signature}).Encode()
	ts.Check(err)
	return b
}

func (l *fixtureLog) add(ts *testscript.TestScript, entries ...[]byte) {
	ctx := context.Background()
	aw := tessera.NewPublicationAwaiter(ctx, l.reader.ReadCheckpoint, 20*time.Millisecond)
	for _, e := range entries {
		if _, _, err := aw.Await(ctx, l.app.Add(ctx, tessera.NewEntry(e))); err != nil {
			ts.Fatalf("tlogfixture: %v", err)
		}
	}
}

const fixtureOrigin = "example.test/ct-log/e2e"

func startTLogFixture(ts *testscript.TestScript) *tlogFixture {
	fx := &tlogFixture{keys: map[string]*keys.PrivateKey{}}
	for _, id := range []string{"alice", "bob", "log", "witness", "witness2"} {
		k, err := keys.Generate("CT-SIG-01", id)
		ts.Check(err)
		fx.keys[id] = k
	}
	signer, err := tlog.LogSigner(fx.keys["log"], fixtureOrigin)
	ts.Check(err)
	vkey, err := tlog.LogVerifierKey(fx.keys["log"].Public(), fixtureOrigin)
	ts.Check(err)
	logV, err := note.NewVerifier(vkey)
	ts.Check(err)
	wSigner, err := tlog.WitnessSigner(fx.keys["witness"], "w1.example.test")
	ts.Check(err)
	wVKey, err := tlog.WitnessVerifierKey(fx.keys["witness"].Public(), "w1.example.test")
	ts.Check(err)
	w2VKey, err := tlog.WitnessVerifierKey(fx.keys["witness2"].Public(), "w2.example.test")
	ts.Check(err)
	pub, err := keys.EncodePublic(fx.keys["alice"].Public())
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), "alice.pub"), pub, 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	newLog := func(name string) *fixtureLog {
		dir := filepath.Join(ts.Getenv("WORK"), ".tlog-"+name)
		drv, err := posix.New(ctx, posix.Config{Path: dir})
		ts.Check(err)
		opts := tessera.NewAppendOptions().WithCheckpointSigner(signer).
			WithBatching(256, 20*time.Millisecond).WithCheckpointInterval(100 * time.Millisecond).
			WithCheckpointRepublishInterval(0)
		app, shutdown, reader, err := tessera.NewAppender(ctx, drv, opts)
		ts.Check(err)
		ts.Defer(func() { shutdown(context.Background()) })
		return &fixtureLog{dir: dir, app: app, reader: reader}
	}
	ts.Defer(cancel)
	fx.a, fx.b = newLog("a"), newLog("b")
	fx.a.add(ts, fx.leaf(ts, "bob", "m0"), fx.leaf(ts, "alice", "m1"), []byte("not a ct leaf"))
	fx.b.add(ts, fx.leaf(ts, "bob", "m0"), fx.leaf(ts, "bob", "other"), []byte("not a ct leaf"))
	fx.serving.Store(fx.a.dir)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if r.Method != http.MethodGet || strings.Contains(p, "..") || !(p == "/checkpoint" || strings.HasPrefix(p, "/tile/")) {
			http.NotFound(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(fx.serving.Load(), filepath.FromSlash(p)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if p == "/checkpoint" {
			n, err := note.Open(data, note.VerifierList(logV))
			if err == nil {
				data, err = note.Sign(n, wSigner)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Write(data)
	})}
	go srv.Serve(ln)
	ts.Defer(func() {
		srv.Close()
		tlogMu.Lock()
		delete(tlogFixtures, ts)
		tlogMu.Unlock()
	})
	ts.Setenv("LOGURL", "http://"+ln.Addr().String()+"/")
	ts.Setenv("LOGVKEY", vkey)
	ts.Setenv("WITNESSVKEY", wVKey)
	ts.Setenv("WITNESS2VKEY", w2VKey) // a witness that never cosigns
	ts.Setenv("ALICEFP", fx.keys["alice"].Fingerprint().String())
	return fx
}
