package logclient

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/signing"
	"github.com/cerro-torre/ct/lib/tlog"
)

// submit runs Submit on data and returns the new bundle.
func submit(t *testing.T, data []byte, opt Options) ([]byte, *Result, error) {
	t.Helper()
	if opt.Timeout == 0 {
		opt.Timeout = 20 * time.Second
	}
	opt.Poll = 20 * time.Millisecond
	var out bytes.Buffer
	res, err := Submit(context.Background(), bytes.NewReader(data), "t.ctp", &out, opt, nil)
	return out.Bytes(), res, err
}

// checkProofs verifies every proof of the bundle as ct verify does
// (tlog.Verify against the trusted keys) and returns, per signature
// fingerprint, the origins whose proof holds with at least quorum witnesses.
func checkProofs(t *testing.T, data []byte, logs map[string]string, witnesses []string, quorum int) map[string][]string {
	t.Helper()
	br, err := bundle.NewReader(bytes.NewReader(data), "out.ctp")
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := br.Finish()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := tlog.NewTrust(logs, witnesses)
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string][]byte{}
	for _, s := range sigs {
		e, err := sig.ParseEntry(s.Name, s.Data)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := (&tlog.Leaf{Suite: e.Suite, Fingerprint: e.Fingerprint, ManifestDigest: e.ManifestDigest, Signature: e.Signature}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		leaves[e.Fingerprint.String()] = leaf
	}
	got := map[string][]string{}
	for _, pe := range br.Proofs() {
		p, err := tlog.ParseProof(pe.Name, pe.Data)
		if err != nil {
			t.Fatal(err)
		}
		r, err := tlog.Verify(p, leaves[p.Fingerprint.String()], trust)
		if err != nil {
			t.Fatalf("proof %s: %v", pe.Name, err)
		}
		if !r.LogTrusted || len(r.Witnesses) < quorum {
			t.Fatalf("proof %s: log trusted %v, witnesses %v (want %d)", pe.Name, r.LogTrusted, r.Witnesses, quorum)
		}
		got[p.Fingerprint.String()] = append(got[p.Fingerprint.String()], p.Origin)
	}
	return got
}

// signedPart is the bundle without its transparency/ entries.
func strip(t *testing.T, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Strip(bytes.NewReader(data), "t.ctp", &out, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Two signatures, two logs, two witnesses with a quorum of 2: every
// signature gets a verifying proof from every log; submitting again asks
// no log anything and changes no byte; strip gives back the signed bundle.
func TestSubmitTwoLogsIdempotentStrip(t *testing.T) {
	alice, bob := newKey(t, "alice"), newKey(t, "bob")
	signed := signedBundle(t, alice, bob)

	// Witnesses need the logs' keys, and the logs the witnesses': make
	// the logs' keys first by starting witnesses that know them.
	logA := startLogWithWitnesses(t, "log-a.test/ct", 2, "w1.test", "w2.test")
	logB := startLogWithWitnesses(t, "log-b.test/ct", 0)
	witnesses := logA.witnessKeys

	opt := Options{Logs: []string{logA.url, logB.url}, Trust: Trust{LogKeys: []string{logA.vkey, logB.vkey}, Witnesses: witnesses, Quorum: 0}, Paired: true}
	// Log A's proofs must carry 2 cosignatures: submit to A alone with
	// quorum 2 first, then to both (A's proofs are kept, B is added).
	optA := Options{Logs: []string{logA.url}, Trust: Trust{LogKeys: []string{logA.vkey}, Witnesses: witnesses, Quorum: 2}, Paired: true}
	var lines []string
	optA.Status = func(l string) { lines = append(lines, l) }
	out1, res, err := submit(t, signed, optA)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 2 || res.Outcomes[0].Kept || len(res.Outcomes[0].Witnesses) != 2 {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "log-a.test/ct at index") {
		t.Fatalf("status lines %q", lines)
	}
	got := checkProofs(t, out1, map[string]string{logA.origin: logA.vkey}, witnesses, 2)
	if len(got) != 2 || len(got[alice.Fingerprint().String()]) != 1 || len(got[bob.Fingerprint().String()]) != 1 {
		t.Fatalf("proofs after log A: %v", got)
	}

	addsA := logA.adds.Load()
	out2, res, err := submit(t, out1, opt)
	if err != nil {
		t.Fatal(err)
	}
	if logA.adds.Load() != addsA {
		t.Errorf("log A was asked to add again: %d adds, was %d", logA.adds.Load(), addsA)
	}
	kept := 0
	for _, o := range res.Outcomes {
		if o.Kept {
			kept++
		}
	}
	if kept != 2 || len(res.Outcomes) != 4 {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	got = checkProofs(t, out2, map[string]string{logA.origin: logA.vkey, logB.origin: logB.vkey}, witnesses, 0)
	for _, k := range []string{alice.Fingerprint().String(), bob.Fingerprint().String()} {
		if len(got[k]) != 2 {
			t.Fatalf("signature %s: proofs from %v, want both logs", k, got[k])
		}
	}

	// Again: no request to either log, the same bytes.
	reqA, reqB := logA.requests.Load(), logB.requests.Load()
	out3, _, err := submit(t, out2, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out3, out2) {
		t.Error("re-submitting changed the bundle")
	}
	if logA.requests.Load() != reqA || logB.requests.Load() != reqB {
		t.Errorf("re-submitting made requests: log A %d→%d, log B %d→%d", reqA, logA.requests.Load(), reqB, logB.requests.Load())
	}

	// Strip: exactly the signed bundle again.
	if !bytes.Equal(strip(t, out3), signed) {
		t.Error("strip did not give back the signed bundle's bytes")
	}
}

// A log where nothing listens: exit 12 naming its URL.
func TestSubmitLogDown(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	u := downURL(t)
	_, _, err := submit(t, signed, Options{Logs: []string{u}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true})
	t.Log(err, "|", exit.HintOf(err))
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), u) {
		t.Fatalf("log down: %v (code %d), want 12 naming %s", err, exit.CodeOf(err), u)
	}
}

// A witness that never cosigns, with --quorum 1: exit 12 after the
// timeout, saying what arrived and what was awaited.
func TestSubmitWitnessNeverCosigns(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 1, "silent:silent.test")
	_, _, err := submit(t, signed, Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}, Witnesses: log.witnessKeys, Quorum: 1}, Paired: true,
		Timeout: 1500 * time.Millisecond})
	t.Log(err, "|", exit.HintOf(err))
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "cosigned by 1 of the 1 trusted witnesses") ||
		!strings.Contains(err.Error(), "cosigned by 0 trusted witness") || !strings.Contains(err.Error(), "log.test/ct") {
		t.Fatalf("silent witness: %v (code %d), want 12 naming the log, the quorum and what arrived", err, exit.CodeOf(err))
	}
}

// A log whose tiles give a proof that does not lead to its checkpoint's
// root: exit 7, and nothing of the proof reaches the output.
func TestSubmitBadProof(t *testing.T) {
	alice, bob := newKey(t, "alice"), newKey(t, "bob")
	signed := signedBundle(t, alice, bob) // two leaves: each proof has a hash from a tile
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	log.tamperTiles.Store(true)
	_, _, err := submit(t, signed, Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true})
	t.Log(err, "|", exit.HintOf(err))
	if exit.CodeOf(err) != exit.LogProofInvalid {
		t.Fatalf("bad proof: %v (code %d), want 7", err, exit.CodeOf(err))
	}
}

// Without a log key, submission refuses before reading the bundle and
// says where the key comes from.
func TestSubmitNoLogKey(t *testing.T) {
	_, _, err := submit(t, nil, Options{Logs: []string{"http://127.0.0.1:1"}})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(exit.HintOf(err), "--print-vkey") {
		t.Fatalf("no key: %v (hint %q)", err, exit.HintOf(err))
	}
}

// Run writes a file in place atomically: a failed submission leaves the
// file as it was and no temporary file beside it; a good one replaces it.
// From standard input to standard output, a failure writes nothing.
func TestRunInPlaceAndStdout(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ctp")
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	down := Options{Logs: []string{downURL(t)}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Poll: 20 * time.Millisecond}
	good := Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Poll: 20 * time.Millisecond}
	req := Request{Input: path, Output: path, Quiet: true}
	if _, _, err := Run(context.Background(), req, down); exit.CodeOf(err) != exit.Network {
		t.Fatalf("log down: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, signed) {
		t.Fatal("a failed submission changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("files left in the folder: %v", ents)
	}
	if _, name, err := Run(context.Background(), req, good); err != nil || name != path {
		t.Fatalf("in place: %q, %v", name, err)
	}
	logged, _ := os.ReadFile(path)
	if got := checkProofs(t, logged, map[string]string{log.origin: log.vkey}, nil, 0); len(got) != 1 {
		t.Fatalf("proofs in place: %v", got)
	}

	// Standard input to standard output.
	os.WriteFile(filepath.Join(dir, "signed.ctp"), signed, 0o644)
	in, _ := os.Open(filepath.Join(dir, "signed.ctp"))
	defer in.Close()
	stdout, _ := os.Create(filepath.Join(dir, "stdout"))
	defer stdout.Close()
	if _, _, err := Run(context.Background(), Request{Input: "-", Stdin: in, Stdout: stdout, Quiet: true}, down); exit.CodeOf(err) != exit.Network {
		t.Fatalf("stdin, log down: %v", err)
	}
	if st, _ := stdout.Stat(); st.Size() != 0 {
		t.Fatalf("a failed submission wrote %d bytes to standard output", st.Size())
	}
	in.Seek(0, 0)
	if _, _, err := Run(context.Background(), Request{Input: "-", Stdin: in, Stdout: stdout, Quiet: true}, good); err != nil {
		t.Fatal(err)
	}
	piped, _ := os.ReadFile(stdout.Name())
	if got := checkProofs(t, piped, map[string]string{log.origin: log.vkey}, nil, 0); len(got) != 1 {
		t.Fatalf("proofs from stdin to stdout: %v", got)
	}

	// Strip in place: the signed bytes again.
	if n, _, err := StripRun(context.Background(), Request{Input: path, Output: path, Quiet: true}); err != nil || n != 1 {
		t.Fatalf("strip: %d, %v", n, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, signed) {
		t.Fatal("strip in place did not give back the signed bytes")
	}
}

// The transparency section of a policy gives the keys; a log's origin is
// read from its checkpoint.
func TestSubmitPolicy(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 1, "w1.test")
	pol := filepath.Join(t.TempDir(), "policy.json")
	doc := fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":%q,"key":%q}],"witnesses":[{"key":%q}],"logs_required":1,"witness_quorum":1}}`,
		log.origin, log.vkey, log.witnessKeys[0])
	if err := os.WriteFile(pol, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	f := Flags{Log: []string{log.url}, Policy: pol, Quorum: -1, Timeout: 20 * time.Second}
	opt, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := submit(t, signed, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkProofs(t, out, map[string]string{log.origin: log.vkey}, log.witnessKeys, 1)

	// Flags without a log key: refused, with where to get it.
	f = Flags{Log: []string{log.url}, Quorum: -1}
	if _, err := f.Options(); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("no key: %v", err)
	}
}

// ct sign --log: the signature is made, submitted and written once; with
// the log down nothing is written.
func TestSignThenSubmit(t *testing.T) {
	alice := newKey(t, "alice")
	unsigned := signedBundle(t)
	log := startLogWithWitnesses(t, "log.test/ct", 1, "w1.test")
	dir := t.TempDir()
	in := filepath.Join(dir, "app.ctp")
	os.WriteFile(in, unsigned, 0o644)
	out := filepath.Join(dir, "signed.ctp")
	for _, u := range []string{downURL(t), log.url} {
		opt := Options{Logs: []string{u}, Trust: Trust{LogKeys: []string{log.vkey}, Witnesses: log.witnessKeys, Quorum: 1}, Paired: true, Poll: 20 * time.Millisecond}
		var res Result
		_, err := signing.Run(context.Background(), signing.Request{Input: in, Output: out, Key: alice, Quiet: true, Then: Then(context.Background(), opt, &res)})
		if u != log.url {
			if exit.CodeOf(err) != exit.Network {
				t.Fatalf("log down: %v", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatal("ct sign --log with the log down wrote the output")
			}
			continue
		}
		if err != nil || len(res.Outcomes) != 1 {
			t.Fatalf("sign --log: %+v, %v", res, err)
		}
	}
	data, _ := os.ReadFile(out)
	got := checkProofs(t, data, map[string]string{log.origin: log.vkey}, log.witnessKeys, 1)
	if len(got[alice.Fingerprint().String()]) != 1 {
		t.Fatalf("proofs: %v", got)
	}
}

// A hostile log: an endless checkpoint is cut at the bound, and a redirect
// of /add to another host is not followed; both are exit 12 naming why.
func TestSubmitHostileLog(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 0) // for its key only
	other := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL)
	}))
	hostile := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/add":
			fmt.Fprint(w, "0\n")
		case "/checkpoint":
			w.Write(bytes.Repeat([]byte("a"), 1<<20))
		}
	}))
	_, _, err := submit(t, signed, Options{Logs: []string{hostile}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Timeout: 500 * time.Millisecond})
	t.Log(err)
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "answer over 65536 bytes") {
		t.Fatalf("endless checkpoint: %v", err)
	}
	redirect := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	_, _, err = submit(t, signed, Options{Logs: []string{redirect}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Timeout: 2 * time.Second})
	t.Log(err)
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "redirect to another host") {
		t.Fatalf("redirect: %v", err)
	}
}

// A proof the bundle has for the log's origin that the given log key did
// not sign (another log claiming the origin) is replaced, not kept.
func TestSubmitReplacesUntrustedProof(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	impostor := startLogWithWitnesses(t, "log.test/ct", 0)
	genuine := startLogWithWitnesses(t, "log.test/ct", 0)
	first, _, err := submit(t, signed, Options{Logs: []string{impostor.url}, Trust: Trust{LogKeys: []string{impostor.vkey}}, Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	out, res, err := submit(t, first, Options{Logs: []string{genuine.url}, Trust: Trust{LogKeys: []string{genuine.vkey}}, Paired: true,
		Status: func(l string) { lines = append(lines, l) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].Kept || genuine.adds.Load() != 1 {
		t.Fatalf("outcomes %+v, %d adds", res.Outcomes, genuine.adds.Load())
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "not signed by the log key given; it is replaced") {
		t.Fatalf("status %q", lines)
	}
	checkProofs(t, out, map[string]string{genuine.origin: genuine.vkey}, nil, 0)
	if !bytes.Equal(strip(t, out), signed) {
		t.Fatal("strip after replacing")
	}
}

// Two logs, one down: its failure decides (exit 12 naming it) and stops
// the wait for the other, whose witness never cosigns.
func TestSubmitOneLogDownStopsTheOther(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	slow := startLogWithWitnesses(t, "slow.test/ct", 1, "silent:w.test")
	dead := startLogWithWitnesses(t, "dead.test/ct", 0)
	u := downURL(t)
	_, _, err := submit(t, signed, Options{Logs: []string{slow.url, u}, Trust: Trust{LogKeys: []string{slow.vkey, dead.vkey}, Witnesses: slow.witnessKeys, Quorum: 1},
		Paired: true, Timeout: time.Hour})
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), u) {
		t.Fatalf("one log down: %v, want 12 naming %s", err, u)
	}
}

// TestSubmitAddIndexOverflow: a log that answers POST /add with the largest
// uint64 is refused for it, rather than the wrapped size (index+1 = 0)
// letting the submitter take the first checkpoint it sees.
func TestSubmitAddIndexOverflow(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	// Put one entry in the real log, so it serves a checkpoint.
	if _, _, err := submit(t, signed, Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true}); err != nil {
		t.Fatal(err)
	}
	real, _ := url.Parse(log.url)
	proxy := httputil.NewSingleHostReverseProxy(real)
	hostile := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/add" {
			fmt.Fprint(w, "18446744073709551615\n")
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	_, _, err := submit(t, signed, Options{Logs: []string{hostile}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Timeout: 5 * time.Second})
	t.Log(err)
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "an index no tree can hold") || !strings.Contains(err.Error(), hostile) {
		t.Fatalf("index 2^64-1: %v", err)
	}
}

// TestSubmitRetriesBusyLog: a log that pushes back (429 with Retry-After,
// as ct-log serve does) is asked again until the timeout, not given up on
// at the first answer; one that stays busy fails with exit 12 and a hint.
func TestSubmitRetriesBusyLog(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	real, _ := url.Parse(log.url)
	proxy := httputil.NewSingleHostReverseProxy(real)
	var busy atomic.Int32
	busy.Store(3)
	flaky := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/add" && busy.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "the log is busy; retry later", http.StatusTooManyRequests)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	out, res, err := submit(t, signed, Options{Logs: []string{flaky}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("busy log: %v", err)
	}
	if busy.Load() >= 0 || len(res.Outcomes) != 1 {
		t.Fatalf("busy answers left %d, outcomes %+v", busy.Load(), res.Outcomes)
	}
	checkProofs(t, out, map[string]string{log.origin: log.vkey}, nil, 0)

	always := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/add" {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "the log is busy; retry later", http.StatusTooManyRequests)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	_, _, err = submit(t, signed, Options{Logs: []string{always}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true, Timeout: time.Second})
	if exit.CodeOf(err) != exit.Network || !strings.Contains(err.Error(), "429") || !strings.Contains(exit.HintOf(err), "busy") {
		t.Fatalf("always busy: %v (hint %q)", err, exit.HintOf(err))
	}
}

// TestSubmitWitnessTwice: the same witness key twice is a usage error
// before anything is asked (the quorum counts distinct witnesses, so with
// --quorum 2 it would wait for the timeout and fail).
func TestSubmitWitnessTwice(t *testing.T) {
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	w := startWitness(t, "w1.test", false, log.vkey)
	o := Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}, Witnesses: []string{w.vkey, w.vkey}, Quorum: 2}, Paired: true}
	if err := o.Check(); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("witness twice: %v", err)
	}
}
