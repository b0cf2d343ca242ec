package witnessserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/tlog"
)

const (
	origin      = "log.test/ct"
	witnessName = "w1.test"
)

// fixture is a log key, a witness key (as ct key files) and a logs file.
type fixture struct {
	dir       string
	logSigner note.Signer
	logVKey   string
	wKeyFile  string
	wPubFile  string
	logsFile  string
	db        string
}

func newKey(t testing.TB, id string) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate("CT-SIG-01", id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	lk := newKey(t, "log")
	var err error
	if f.logSigner, err = tlog.LogSigner(lk, origin); err != nil {
		t.Fatal(err)
	}
	if f.logVKey, err = tlog.LogVerifierKey(lk.Public(), origin); err != nil {
		t.Fatal(err)
	}
	wk := newKey(t, "witness1")
	priv, err := keys.EncodePrivateUnencrypted(wk)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.EncodePublic(wk.Public())
	if err != nil {
		t.Fatal(err)
	}
	f.wKeyFile = filepath.Join(f.dir, "witness1.key")
	f.wPubFile = filepath.Join(f.dir, "witness1.pub")
	must(t, os.WriteFile(f.wKeyFile, priv, 0o600))
	must(t, os.WriteFile(f.wPubFile, pub, 0o644))
	f.logsFile = filepath.Join(f.dir, "logs.toml")
	f.writeLogs(t, f.logVKey)
	f.db = filepath.Join(f.dir, "state.db")
	return f
}

func (f *fixture) writeLogs(t testing.TB, vkey string) {
	t.Helper()
	must(t, os.WriteFile(f.logsFile, []byte("# logs this witness cosigns for\n[[log]]\norigin = \""+origin+"\"\nkey = \""+vkey+"\"\n"), 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start runs a witness with the fixture's files, as ct-witness serve does.
func (f *fixture) start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := f.tryStart(t, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func (f *fixture) tryStart(t testing.TB, o Options) (*Server, error) {
	t.Helper()
	logs, err := LoadLogs(f.logsFile)
	if err != nil {
		return nil, err
	}
	signer, err := Signer(f.wKeyFile, witnessName, passphrase.Source{})
	if err != nil {
		t.Fatal(err)
	}
	o.DB, o.Signer, o.Logs, o.LogsFile = f.db, signer, logs, f.logsFile
	return Start(context.Background(), o)
}

func (f *fixture) checkpoint(t testing.TB, s note.Signer, orig string, size uint64, root []byte) []byte {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: orig, Size: size, Hash: root}.Marshal())}, s)
	must(t, err)
	return b
}

func post(t *testing.T, s *Server, body io.Reader) (int, string) {
	t.Helper()
	r, err := http.Post("http://"+s.Addr()+"/add-checkpoint", "text/plain", body)
	must(t, err)
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	must(t, err)
	return r.StatusCode, string(b)
}

func addBody(old uint64, proof [][]byte, cp []byte) *bytes.Reader {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(cp)
	return bytes.NewReader(b.Bytes())
}

// checkCosigned checks that sigs (a 200 answer) holds a cosignature of cp
// that verifies with the witness's printed verifier key.
func (f *fixture) checkCosigned(t *testing.T, cp []byte, sigs string) {
	t.Helper()
	vkey, err := VerifierKey(f.wPubFile, witnessName, passphrase.Source{})
	must(t, err)
	wv, err := f_note.NewVerifierForCosignatureV1(vkey)
	must(t, err)
	lv, err := note.NewVerifier(f.logVKey)
	must(t, err)
	n, err := note.Open(append(append([]byte{}, cp...), sigs...), note.VerifierList(lv, wv))
	if err != nil {
		t.Fatalf("cosigned checkpoint does not verify: %v\n%s%s", err, cp, sigs)
	}
	for _, s := range n.Sigs {
		if s.Name == wv.Name() && s.Hash == wv.KeyHash() {
			return
		}
	}
	t.Fatalf("no cosignature by %s in %q", witnessName, sigs)
}

func tree(n int, tag string) *testonly.Tree {
	tr := testonly.New(rfc6962.DefaultHasher)
	for i := 0; i < n; i++ {
		tr.AppendData([]byte(fmt.Sprintf("%s leaf %d", tag, i)))
	}
	return tr
}

func TestWitness(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, Options{})

	if host, _, _ := net.SplitHostPort(s.Addr()); host != "127.0.0.1" {
		t.Fatalf("listens on %s by default, want 127.0.0.1", s.Addr())
	}

	tr := tree(3, "a")
	cp3 := f.checkpoint(t, f.logSigner, origin, 3, tr.Hash())
	code, body := post(t, s, addBody(0, nil, cp3))
	if code != 200 {
		t.Fatalf("first checkpoint: %d %q, want 200", code, body)
	}
	f.checkCosigned(t, cp3, body)

	tr.AppendData([]byte("a leaf 3"), []byte("a leaf 4"), []byte("a leaf 5"), []byte("a leaf 6"))
	cp7 := f.checkpoint(t, f.logSigner, origin, 7, tr.Hash())
	proof, err := tr.ConsistencyProof(3, 7)
	must(t, err)
	// A wrong proof is refused before the right one is accepted.
	bad := append([][]byte{}, proof...)
	bad[0] = rfc6962.DefaultHasher.HashLeaf([]byte("x"))
	if code, body := post(t, s, addBody(3, bad, cp7)); code != 422 {
		t.Fatalf("bad consistency proof: %d %q, want 422", code, body)
	}
	code, body = post(t, s, addBody(3, proof, cp7))
	if code != 200 {
		t.Fatalf("consistent checkpoint 3 -> 7: %d %q, want 200", code, body)
	}
	f.checkCosigned(t, cp7, body)

	t.Run("fork", func(t *testing.T) {
		fork := f.checkpoint(t, f.logSigner, origin, 7, tree(7, "b").Hash())
		if code, body := post(t, s, addBody(7, nil, fork)); code != 422 {
			t.Fatalf("forked checkpoint: %d %q, want 422", code, body)
		}
		// State unchanged: the original size-7 checkpoint is still the one.
		code, body := post(t, s, addBody(7, nil, cp7))
		if code != 200 {
			t.Fatalf("original checkpoint after the fork: %d %q, want 200", code, body)
		}
		f.checkCosigned(t, cp7, body)
	})

	t.Run("untrusted key", func(t *testing.T) {
		other, err := tlog.LogSigner(newKey(t, "other"), origin)
		must(t, err)
		cp := f.checkpoint(t, other, origin, 8, tree(8, "a").Hash())
		if code, body := post(t, s, addBody(7, nil, cp)); code != 403 {
			t.Fatalf("checkpoint by an untrusted key: %d %q, want 403", code, body)
		}
	})

	t.Run("unknown origin", func(t *testing.T) {
		other, err := tlog.LogSigner(newKey(t, "other"), "other.test/log")
		must(t, err)
		cp := f.checkpoint(t, other, "other.test/log", 3, tree(3, "a").Hash())
		if code, body := post(t, s, addBody(0, nil, cp)); code != 404 {
			t.Fatalf("unknown origin: %d %q, want 404", code, body)
		}
	})

	t.Run("too large", func(t *testing.T) {
		big := bytes.Repeat([]byte("A"), int(MaxBody)+1)
		if code, _ := post(t, s, bytes.NewReader(big)); code != 413 {
			t.Fatalf("body of %d bytes: %d, want 413", len(big), code)
		}
		// Without a Content-Length (chunked), the limit holds while reading.
		chunked := io.MultiReader(bytes.NewReader([]byte("old 7\n\n")), bytes.NewReader(big))
		if code, _ := post(t, s, chunked); code != 413 {
			t.Fatalf("chunked body over the limit: %d, want 413", code)
		}
	})

	t.Run("malformed", func(t *testing.T) {
		for _, b := range []string{"", "hello", "old 7\n", "old x\n\n" + string(cp7), "old 7\n\nnot a note\n"} {
			if code, _ := post(t, s, strings.NewReader(b)); code != 400 && code != 404 {
				t.Errorf("body %q: %d, want 400 or 404", b, code)
			}
		}
	})

	t.Run("only add-checkpoint", func(t *testing.T) {
		for _, p := range []string{"/", "/checkpoint", "/add-checkpoint"} {
			r, err := http.Get("http://" + s.Addr() + p)
			must(t, err)
			r.Body.Close()
			if r.StatusCode != 404 && r.StatusCode != 405 {
				t.Errorf("GET %s: %d, want 404 or 405", p, r.StatusCode)
			}
		}
	})

	// Restart on the same state: it remembers size 7.
	must(t, s.Shutdown(context.Background()))
	s = f.start(t, Options{})
	code, body = post(t, s, addBody(0, nil, cp3))
	if code != 409 || body != "7\n" {
		t.Fatalf("stale old size after restart: %d %q, want 409 \"7\\n\"", code, body)
	}
	code, body = post(t, s, addBody(7, nil, cp7))
	if code != 200 {
		t.Fatalf("same checkpoint after restart: %d %q, want 200", code, body)
	}
	must(t, s.Shutdown(context.Background()))

	// A changed log key in the logs file refuses to start.
	other := newKey(t, "rotated")
	newVKey, err := tlog.LogVerifierKey(other.Public(), origin)
	must(t, err)
	f.writeLogs(t, newVKey)
	_, err = f.tryStart(t, Options{})
	if err == nil {
		t.Fatal("started with a log key that differs from the stored one")
	}
	var e *exit.Error
	if !errors.As(err, &e) || e.Code != exit.Malformed {
		t.Fatalf("changed key: %v, want exit.Malformed", err)
	}
	for _, want := range []string{origin, f.logVKey, newVKey, "logs.toml:2", "--db"} {
		if !strings.Contains(err.Error()+e.Hint, want) {
			t.Errorf("changed-key error lacks %q: %v (hint: %s)", want, err, e.Hint)
		}
	}
	// and the stored key stays: with the old key back it starts and remembers.
	f.writeLogs(t, f.logVKey)
	s = f.start(t, Options{})
	if code, body := post(t, s, addBody(0, nil, cp3)); code != 409 || body != "7\n" {
		t.Fatalf("after a refused start: %d %q, want 409 \"7\\n\"", code, body)
	}
}

func TestAddrFile(t *testing.T) {
	f := newFixture(t)
	af := filepath.Join(f.dir, "addr")
	s := f.start(t, Options{AddrFile: af})
	b, err := os.ReadFile(af)
	must(t, err)
	if string(b) != s.Addr()+"\n" {
		t.Fatalf("addr file %q, want %q", b, s.Addr()+"\n")
	}
}

// A request holding the only slot makes the next one 429.
func TestInFlightLimit(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, Options{InFlight: 1})
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		r, err := http.Post("http://"+s.Addr()+"/add-checkpoint", "text/plain", pr)
		if err != nil {
			done <- 0
			return
		}
		r.Body.Close()
		done <- r.StatusCode
	}()
	_, err := pw.Write([]byte("old 0\n"))
	must(t, err)
	// The first request now sits in its handler reading the body; once it
	// holds the slot, another one is turned away.
	got429 := false
	for i := 0; i < 100000 && !got429; i++ {
		code, _ := post(t, s, strings.NewReader("old 0\n\nx\n"))
		got429 = code == http.StatusTooManyRequests
	}
	pw.Close()
	<-done
	if !got429 {
		t.Fatal("no 429 while the only slot was taken")
	}
}

func TestPrintVKey(t *testing.T) {
	f := newFixture(t)
	fromPub, err := VerifierKey(f.wPubFile, witnessName, passphrase.Source{})
	must(t, err)
	fromPriv, err := VerifierKey(f.wKeyFile, witnessName, passphrase.Source{})
	must(t, err)
	if fromPub != fromPriv {
		t.Fatalf("vkey from the public key %q != from the private key %q", fromPub, fromPriv)
	}
	if !strings.HasPrefix(fromPub, witnessName+"+") {
		t.Fatalf("vkey %q is not named %s", fromPub, witnessName)
	}
	if _, err := f_note.NewVerifierForCosignatureV1(fromPub); err != nil {
		t.Fatalf("vkey %q is not a cosignature/v1 key: %v", fromPub, err)
	}
	if _, err := VerifierKey(f.wPubFile, "bad name+x", passphrase.Source{}); err == nil {
		t.Fatal("a name with '+' gave a key")
	}
	// A public key file that does not decode is an error about that file
	// saying what is wrong, not a retry as a private key ("not a key file").
	pub, err := os.ReadFile(f.wPubFile)
	must(t, err)
	damaged := filepath.Join(f.dir, "damaged.pub")
	must(t, os.WriteFile(damaged, bytes.Replace(pub, []byte(`suite = "CT-SIG-01"`), []byte(`suite = "CT-SIG-09"`), 1), 0o644))
	_, err = VerifierKey(damaged, witnessName, passphrase.Source{})
	if exit.CodeOf(err) != exit.Malformed || err == nil || !strings.Contains(err.Error(), damaged+": public key file does not decode: ") ||
		!strings.Contains(err.Error(), "CT-SIG-09") {
		t.Fatalf("damaged public key file: %v (exit %d)", err, exit.CodeOf(err))
	}
}

func TestParseLogs(t *testing.T) {
	lk := newKey(t, "log")
	vk, err := tlog.LogVerifierKey(lk.Public(), origin)
	must(t, err)
	other, err := tlog.LogVerifierKey(lk.Public(), "other.test/log")
	must(t, err)
	good := "[[log]]\norigin = \"" + origin + "\"\nkey = \"" + vk + "\"\n"
	logs, err := ParseLogs([]byte("# comment\n\n"+good+"\n[[log]]\nkey = \""+other+"\"\norigin = \"other.test/log\"\n"), "l.toml")
	must(t, err)
	if len(logs) != 2 || logs[0].Origin != origin || logs[0].Line != 3 || logs[1].Origin != "other.test/log" || logs[1].Line != 7 {
		t.Fatalf("parsed %+v", logs)
	}
	for name, c := range map[string]struct{ doc, want string }{
		"unknown field": {good + "contact = \"x\"\n", `l.toml:4: unknown field "log.contact"`},
		"unknown table": {"[server]\nport = 1\n" + good, `l.toml:1: unknown field "server`},
		"no logs":       {"# nothing\n", "l.toml:1: no [[log]] table"},
		"no key":        {"[[log]]\norigin = \"a\"\n", `l.toml:1: log "a" has no key`},
		"no origin":     {"\n[[log]]\nkey = \"" + vk + "\"\n", "l.toml:2: log 1 has no origin"},
		"duplicate":     {good + good, `l.toml:4: log "` + origin + `" is listed twice (first at line 1)`},
		"name mismatch": {"[[log]]\norigin = \"x.test\"\nkey = \"" + vk + "\"\n", `l.toml:1: log "x.test": key is named "` + origin + `"`},
		"bad key":       {"[[log]]\norigin = \"x.test\"\nkey = \"nope\"\n", `l.toml:1: log "x.test": key is not a note verifier key`},
		"not toml":      {"[[log]\n", "l.toml:2: not a valid logs file"},
		"float":         {good + "[x]\ny = 1.5\n", "l.toml:5: not a valid logs file"},
		"wrong type":    {"[[log]]\norigin = 3\nkey = \"" + vk + "\"\n", "not a valid logs file"},
	} {
		_, err := ParseLogs([]byte(c.doc), "l.toml")
		var e *exit.Error
		if err == nil || !errors.As(err, &e) || e.Code != exit.Malformed || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want exit.Malformed containing %q", name, err, c.want)
		}
	}
}

// The witness library's report of a fork reaches the operator's log, with
// control characters escaped. (Process-wide: restored afterwards.)
func TestLibraryLog(t *testing.T) {
	var buf syncBuffer
	LibraryLogTo(&buf)
	t.Cleanup(func() {
		klog.ClearLogger()
		log.SetOutput(os.Stderr)
	})
	f := newFixture(t)
	s := f.start(t, Options{Log: &buf})
	cp := f.checkpoint(t, f.logSigner, origin, 2, tree(2, "a").Hash())
	if code, body := post(t, s, addBody(0, nil, cp)); code != 200 {
		t.Fatalf("first checkpoint: %d %q", code, body)
	}
	fork := f.checkpoint(t, f.logSigner, origin, 2, tree(2, "b").Hash())
	if code, body := post(t, s, addBody(2, nil, fork)); code != 422 {
		t.Fatalf("fork: %d %q", code, body)
	}
	klog.Errorf("evil \x1b[2J text")
	klog.Flush()
	out := buf.String()
	for _, want := range []string{"INCONSISTENT CHECKPOINTS!", origin + ": refused (422)", origin + ": cosigned", "evil"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("log holds a raw ESC:\n%q", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConcurrentLogs: a witness is shared by several logs, which push their
// checkpoints at the same moments (a signer submits to all of them at
// once). Each must be cosigned: the sqlite state must not answer a
// checkpoint of one log with 429 because another log's update holds the
// database (SQLITE_BUSY, which the witness library maps to pushback, and
// which a Tessera log does not retry: it would publish the checkpoint
// without this witness's cosignature).
func TestConcurrentLogs(t *testing.T) {
	f := newFixture(t)
	const nLogs, rounds = 8, 6
	type logKey struct {
		origin string
		signer note.Signer
	}
	var ls []logKey
	var toml strings.Builder
	for i := 0; i < nLogs; i++ {
		o := fmt.Sprintf("log%d.test/ct", i)
		k := newKey(t, fmt.Sprintf("log%d", i))
		s, err := tlog.LogSigner(k, o)
		must(t, err)
		v, err := tlog.LogVerifierKey(k.Public(), o)
		must(t, err)
		ls = append(ls, logKey{o, s})
		fmt.Fprintf(&toml, "[[log]]\norigin = %q\nkey = %q\n\n", o, v)
	}
	must(t, os.WriteFile(f.logsFile, []byte(toml.String()), 0o644))
	s := f.start(t, Options{})

	var wg sync.WaitGroup
	errs := make(chan error, nLogs*rounds)
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := tree(0, l.origin)
			for r := 1; r <= rounds; r++ {
				tr.AppendData([]byte(fmt.Sprintf("%s leaf %d", l.origin, r)))
				var proof [][]byte
				if r > 1 {
					p, err := tr.ConsistencyProof(uint64(r-1), uint64(r))
					if err != nil {
						errs <- err
						return
					}
					proof = p
				}
				cp, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: l.origin, Size: uint64(r), Hash: tr.Hash()}.Marshal())}, l.signer)
				if err != nil {
					errs <- err
					return
				}
				resp, err := http.Post("http://"+s.Addr()+"/add-checkpoint", "text/plain", addBody(uint64(r-1), proof, cp))
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("%s size %d: %d %q, want 200", l.origin, r, resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
