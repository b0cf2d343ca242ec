// Package logserve checks ct-log serve (lib/logserver) with real witnesses:
// transparency-dev/witness instances on 127.0.0.1 (in-memory state, enough
// for one test; ct-witness keeps its state in sqlite), keyed with ct keys
// through lib/tlog.
package logserve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/witness/config"
	"github.com/transparency-dev/witness/persistence/inmemory"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/logserver"
	"github.com/cerro-torre/ct/lib/tlog"
)

const origin = "log.example.test/ct"

func key(t *testing.T, seed byte) *keys.PrivateKey {
	t.Helper()
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", fmt.Sprintf("k%d", seed), bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type testWitness struct {
	name, vkey, url string
	verifier        note.Verifier
	seed            byte
	logVKey         string
}

// startWitness runs a witness that knows the log (origin, logVKey); down
// gives its URL and key with nothing listening.
func startWitness(t *testing.T, i int, logVKey string, down bool) testWitness {
	t.Helper()
	name := fmt.Sprintf("w%d.example.test", i)
	k := key(t, byte(10+i))
	vkey, err := tlog.WitnessVerifierKey(k.Public(), name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f_note.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tw := testWitness{name: name, vkey: vkey, url: "http://" + ln.Addr().String(), verifier: v, seed: byte(10 + i), logVKey: logVKey}
	if down {
		ln.Close()
		return tw
	}
	tw.serveOn(t, ln)
	return tw
}

// serveOn runs the witness tw on ln until the test ends.
func (tw testWitness) serveOn(t *testing.T, ln net.Listener) {
	t.Helper()
	name, k, logVKey := tw.name, key(t, tw.seed), tw.logVKey
	ctx := context.Background()
	p := inmemory.New()
	if err := p.AddLogs(ctx, []config.Log{{Origin: origin, VKey: logVKey}}); err != nil {
		t.Fatal(err)
	}
	s, err := tlog.WitnessSigner(k, name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(ctx, witness.Opts{Persistence: p, Signers: []note.Signer{s},
		VerifierForLog: func(ctx context.Context, o string) (note.Verifier, bool, error) {
			// The in-memory persistence does not fill config.Log.Verifier.
			c, ok, err := p.Log(ctx, o)
			if err != nil || !ok {
				return nil, false, nil
			}
			v, err := note.NewVerifier(c.VKey)
			return v, err == nil, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", witness.NewHTTPHandler(w).AddCheckpoint)
	srv := &http.Server{Handler: http.MaxBytesHandler(mux, witness.MaxRequestBodyBytes), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// serve starts the log with the witnesses and quorum, adds one leaf and
// returns the first checkpoint that commits to it, parsed with the log's
// key and every witness's, and the names of the witnesses that cosigned it.
func serve(t *testing.T, ws []testWitness, quorum int) (*f_log.Checkpoint, []string) {
	t.Helper()
	return serveUntil(t, ws, quorum, 0, nil)
}

// serveUntil is serve with a republish interval, a hook run once the first
// checkpoint of size 1 is out, and a wait for cosignatures by want
// witnesses after it (0: the first checkpoint of size 1 is returned).
func serveUntil(t *testing.T, ws []testWitness, quorum int, republish time.Duration, after func(), want ...int) (*f_log.Checkpoint, []string) {
	t.Helper()
	lk := key(t, 1)
	signer, err := tlog.LogSigner(lk, origin)
	if err != nil {
		t.Fatal(err)
	}
	logVKey, err := tlog.LogVerifierKey(lk.Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	var cfg []logserver.Witness
	var verifiers []note.Verifier
	for _, w := range ws {
		u, _ := url.Parse(w.url)
		cfg = append(cfg, logserver.Witness{VKey: w.vkey, URL: u})
		verifiers = append(verifiers, w.verifier)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := logserver.Start(ctx, logserver.Config{Dir: t.TempDir(), Origin: origin, Signer: signer,
		Witnesses: cfg, Quorum: quorum, CheckpointInterval: 200 * time.Millisecond, BatchMaxAge: 20 * time.Millisecond,
		RepublishInterval: republish,
		WitnessTimeout:    2 * time.Second, Log: io.Discard})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + s.Addr + "/"
	leaf, err := (&tlog.Leaf{Suite: "CT-SIG-01", Signature: []byte("sig")}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"add", "application/octet-stream", bytes.NewReader(leaf))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "0\n" {
		t.Fatalf("POST /add: %d %q", resp.StatusCode, b)
	}
	logV, err := note.NewVerifier(logVKey)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cp, _, n, err := f_log.ParseCheckpoint(raw, origin, logV, verifiers...)
		if err == nil && cp.Size == 1 {
			var names []string
			for _, sig := range n.Sigs {
				for _, w := range ws {
					if sig.Name == w.verifier.Name() && sig.Hash == w.verifier.KeyHash() {
						names = append(names, w.name)
					}
				}
			}
			if len(want) == 0 || len(names) >= want[0] {
				return cp, names
			}
			if after != nil {
				after()
				after = nil
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of size 1: %v\n%s", err, raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCosigned: with 3 witnesses up and a quorum of 3, the published
// checkpoint carries all three cosignatures, which verify.
func TestCosigned(t *testing.T) {
	logVKey := vkeyOfLog(t)
	ws := []testWitness{startWitness(t, 1, logVKey, false), startWitness(t, 2, logVKey, false), startWitness(t, 3, logVKey, false)}
	_, names := serve(t, ws, 3)
	if len(names) != 3 {
		t.Fatalf("cosigned by %v, want all 3", names)
	}
}

// TestWitnessDownFailOpen: with one of 3 witnesses down and a quorum of 3,
// the log still publishes, with the 2 cosignatures it could get: the
// quorum is the verifier's to enforce (docs/log-server.md).
func TestWitnessDownFailOpen(t *testing.T) {
	logVKey := vkeyOfLog(t)
	ws := []testWitness{startWitness(t, 1, logVKey, false), startWitness(t, 2, logVKey, true), startWitness(t, 3, logVKey, false)}
	_, names := serve(t, ws, 3)
	if len(names) != 2 || strings.Contains(strings.Join(names, " "), "w2.") {
		t.Fatalf("cosigned by %v, want w1 and w3", names)
	}
}

// TestWitnessBackCosigns: a checkpoint published while a witness was down
// gets its cosignature once it is back, without the log growing, because
// ct-log republishes an unchanged checkpoint (--republish-interval; Tessera
// alone waits 10 minutes, longer than any submitter's --timeout).
func TestWitnessBackCosigns(t *testing.T) {
	logVKey := vkeyOfLog(t)
	ws := []testWitness{startWitness(t, 1, logVKey, false), startWitness(t, 2, logVKey, true), startWitness(t, 3, logVKey, false)}
	back := func() {
		ln, err := net.Listen("tcp", strings.TrimPrefix(ws[1].url, "http://"))
		if err != nil {
			t.Skipf("the down witness's port was taken meanwhile: %v", err)
		}
		ws[1].serveOn(t, ln)
	}
	_, names := serveUntil(t, ws, 3, 300*time.Millisecond, back, 3)
	if len(names) != 3 {
		t.Fatalf("cosigned by %v, want all 3", names)
	}
}

func vkeyOfLog(t *testing.T) string {
	v, err := tlog.LogVerifierKey(key(t, 1).Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
