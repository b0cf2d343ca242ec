package logserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
)

const testOrigin = "log.example.test/ct"

// testSigner returns the note signer and verifier key of a fixed CT-SIG-01
// log key.
func testSigner(t testing.TB) (note.Signer, string) {
	t.Helper()
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log", bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := tlog.LogSigner(k, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tlog.LogVerifierKey(k.Public(), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// testLeaf is an encoded leaf whose signature bytes say i.
func testLeaf(t testing.TB, i int) []byte {
	t.Helper()
	l := &tlog.Leaf{Suite: "CT-SIG-01", Signature: []byte(fmt.Sprintf("signature %d", i))}
	l.Fingerprint[0], l.ManifestDigest[0] = byte(i), byte(i>>8)
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// post POSTs body to /add and returns the status and the answer.
func post(t *testing.T, base string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"add", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// addAll adds leaves concurrently and returns their indexes.
func addAll(t *testing.T, base string, leaves [][]byte) []uint64 {
	t.Helper()
	idx := make([]uint64, len(leaves))
	errs := make([]error, len(leaves))
	var wg sync.WaitGroup
	for i, l := range leaves {
		wg.Go(func() {
			resp, err := http.Post(base+"add", "application/octet-stream", bytes.NewReader(l))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.HasSuffix(string(b), "\n") {
				errs[i] = fmt.Errorf("leaf %d: %d %q", i, resp.StatusCode, b)
				return
			}
			idx[i], errs[i] = strconv.ParseUint(strings.TrimSuffix(string(b), "\n"), 10, 64)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

// CheckLog reads the log at base back as any tlog-tiles client would: it
// waits for a checkpoint of at least len(leaves) entries signed by vkey,
// then checks that entry idx[i] is leaves[i] and proves its inclusion.
func CheckLog(t *testing.T, base, vkey string, leaves [][]byte, idx []uint64) *f_log.Checkpoint {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, _ := url.Parse(base)
	f, err := client.NewHTTPFetcher(u, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	var cp *f_log.Checkpoint
	for {
		if cp, _, _, err = client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, testOrigin); err == nil && cp.Size >= uint64(len(leaves)) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no checkpoint of %d entries: %v, %+v", len(leaves), err, cp)
		case <-time.After(50 * time.Millisecond):
		}
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		b, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, idx[i]/256, cp.Size)
		if err != nil {
			t.Fatalf("entry bundle of %d: %v", idx[i], err)
		}
		if got := b.Entries[idx[i]%256]; !bytes.Equal(got, l) {
			t.Fatalf("entry %d is %q, added %q", idx[i], got, l)
		}
		ip, err := pb.InclusionProof(ctx, idx[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx[i], cp.Size, tlog.LeafHash(l), ip, cp.Hash); err != nil {
			t.Fatalf("inclusion of %d: %v", idx[i], err)
		}
	}
	return cp
}

func startTest(t *testing.T, c Config) *Server {
	t.Helper()
	if c.Signer == nil {
		c.Signer, _ = testSigner(t)
	}
	c.Origin = testOrigin
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = 100 * time.Millisecond
	}
	c.BatchMaxAge = 20 * time.Millisecond
	c.Log = io.Discard
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, c)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestServePOSIX(t *testing.T) {
	dir := t.TempDir()
	_, vkey := testSigner(t)
	addrFile := filepath.Join(t.TempDir(), "addr")
	s := startTest(t, Config{Dir: dir, AddrFile: addrFile})
	base := "http://" + s.Addr + "/"
	if b, err := os.ReadFile(addrFile); err != nil || string(b) != s.Addr+"\n" {
		t.Fatalf("address file %q, %v; want %q", b, err, s.Addr)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Fatalf("listening on %s, not 127.0.0.1", s.Addr)
	}

	leaves := make([][]byte, 20)
	for i := range leaves {
		leaves[i] = testLeaf(t, i)
	}
	idx := addAll(t, base, leaves)
	seen := map[uint64]bool{}
	for _, i := range idx {
		if seen[i] || i >= uint64(len(leaves)) {
			t.Fatalf("indexes %v", idx)
		}
		seen[i] = true
	}
	// The same leaf again gets the same index.
	if code, body := post(t, base, leaves[7]); code != 200 || body != fmt.Sprintf("%d\n", idx[7]) {
		t.Fatalf("resubmitted leaf: %d %q, want %d", code, body, idx[7])
	}
	cp := CheckLog(t, base, vkey, leaves, idx)
	if cp.Size != uint64(len(leaves)) {
		t.Fatalf("checkpoint size %d after a duplicate, want %d", cp.Size, len(leaves))
	}

	// Checkpoints parse and verify with x/mod's note and formats' log.
	raw := get(t, base+"checkpoint", 200)
	v, _ := note.NewVerifier(vkey)
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil || !strings.HasPrefix(n.Text, testOrigin+"\n") {
		t.Fatalf("note.Open: %v %+v", err, n)
	}
	if _, _, _, err := f_log.ParseCheckpoint(raw, testOrigin, v); err != nil {
		t.Fatal(err)
	}

	// Nothing but the log is served; not the POSIX driver's state.
	if _, err := os.Stat(filepath.Join(dir, ".state", "treeState")); err != nil {
		t.Fatalf("the POSIX log has no .state/treeState to hide: %v", err)
	}
	for _, p := range []string{".state/treeState", "tile/../.state/treeState", "%2estate/treeState", LockName, "tile/0/x", "tile/entries/../../.state/treeState", ""} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("GET /%s: 200 %q", p, b)
		}
	}
	if resp, err := http.Post(base+"checkpoint", "text/plain", strings.NewReader("x")); err != nil || resp.StatusCode == 200 {
		t.Errorf("POST /checkpoint: %v %v", resp, err)
	}

	// Bad leaves get 400 with the reason, big ones 413; nothing is added.
	for _, bad := range [][]byte{nil, []byte("hello"), append(testLeaf(t, 1), 0), []byte("CT-SIG-V1\x00x")} {
		if code, body := post(t, base, bad); code != 400 || !strings.Contains(body, "leaf rejected") {
			t.Errorf("POST /add %q: %d %q", bad, code, body)
		}
	}
	if code, body := post(t, base, bytes.Repeat([]byte("A"), tlog.MaxLeafSize+1)); code != 413 {
		t.Errorf("oversized leaf: %d %q", code, body)
	}

	// A second log on the same directory refuses to start.
	s2, err := Start(context.Background(), Config{Dir: dir, Origin: testOrigin, Signer: mustSigner(t), Log: io.Discard})
	if err == nil {
		s2.Close()
		s2.Wait()
		t.Fatal("a second log started on the same directory")
	}
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "in use by another ct-log") {
		t.Fatalf("second log: %v (exit %d)", err, exit.CodeOf(err))
	}
}

func mustSigner(t testing.TB) note.Signer { s, _ := testSigner(t); return s }

func get(t *testing.T, u string, want int) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d %q, want %d", u, resp.StatusCode, b, want)
	}
	return b
}

// TestServeRestart: a log reopened on its directory goes on where it
// stopped, and the lock is released when the first one stops.
func TestServeRestart(t *testing.T) {
	dir := t.TempDir()
	_, vkey := testSigner(t)
	ctx, cancel := context.WithCancel(context.Background())
	c := Config{Dir: dir, Origin: testOrigin, Signer: mustSigner(t), CheckpointInterval: 100 * time.Millisecond, Log: io.Discard}
	s, err := Start(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	first := [][]byte{testLeaf(t, 1), testLeaf(t, 2)}
	idx := addAll(t, "http://"+s.Addr+"/", first)
	CheckLog(t, "http://"+s.Addr+"/", vkey, first, idx)
	cancel()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	s2 := startTest(t, Config{Dir: dir})
	more := [][]byte{testLeaf(t, 3)}
	idx2 := addAll(t, "http://"+s2.Addr+"/", more)
	if idx2[0] != 2 {
		t.Fatalf("after a restart the next index is %d, want 2", idx2[0])
	}
	CheckLog(t, "http://"+s2.Addr+"/", vkey, append(first, more...), append(idx, idx2...))
}

// TestServeWitnessDown: a log whose witnesses cannot be reached starts,
// accepts entries and publishes checkpoints without cosignatures.
func TestServeWitnessDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	_, wvkey := witnessKey(t)
	w, err := ParseWitness(wvkey + "=" + down)
	if err != nil {
		t.Fatal(err)
	}
	_, vkey := testSigner(t)
	s := startTest(t, Config{Dir: t.TempDir(), Witnesses: []Witness{w}, Quorum: 1})
	leaves := [][]byte{testLeaf(t, 1)}
	idx := addAll(t, "http://"+s.Addr+"/", leaves)
	CheckLog(t, "http://"+s.Addr+"/", vkey, leaves, idx)
	raw := get(t, "http://"+s.Addr+"/checkpoint", 200)
	if bytes.Count(raw, []byte("\n— ")) != 1 {
		t.Fatalf("checkpoint of a log whose witness is down has other signatures:\n%s", raw)
	}
}

func witnessKey(t *testing.T) (string, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_ = priv
	vkey, err := note.NewEd25519VerifierKey("w1.example.test", pub)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := f_note.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return "", cv
}

func TestParseWitness(t *testing.T) {
	_, wv := witnessKey(t)
	w, err := ParseWitness(wv + "=https://w.example/a?b=c")
	if err != nil || w.VKey != wv || w.URL.String() != "https://w.example/a?b=c" {
		t.Fatalf("%+v %v", w, err)
	}
	_, lv := testSigner(t)
	for _, bad := range []string{wv, "=http://x", wv + "=ftp://x", "nokey=http://x", lv + "=http://x", wv + "=http://"} {
		if _, err := ParseWitness(bad); exit.CodeOf(err) != exit.Usage {
			t.Errorf("ParseWitness(%q): %v", bad, err)
		}
	}
}

// TestInFlightLimit: beyond MaxInFlight requests, the log answers 429 with
// Retry-After, and serves again once the slot is free.
func TestInFlightLimit(t *testing.T) {
	lim := DefaultLimits
	lim.MaxInFlight = 1
	s := startTest(t, Config{Dir: t.TempDir(), Limits: lim})
	base := "http://" + s.Addr + "/"
	// Hold the one slot: a request whose body has not all arrived.
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	leaf := testLeaf(t, 1)
	fmt.Fprintf(conn, "POST /add HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(leaf), leaf[:5])
	var resp *http.Response
	for range 200 {
		if resp, err = http.Get(base + "checkpoint"); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with the slot held: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	conn.Write(leaf[5:])
	b, _ := io.ReadAll(conn)
	conn.Close()
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 200")) || !bytes.HasSuffix(b, []byte("\r\n\r\n0\n")) {
		t.Fatalf("the held request got %q", b)
	}
	get(t, base+"checkpoint", 200)
}

// TestStartRefuses: configurations that cannot work are usage errors (64)
// that say which flag, before anything is created or listened on.
func TestStartRefuses(t *testing.T) {
	_, wv := witnessKey(t)
	w, err := ParseWitness(wv + "=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "log")
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "POSIX storage needs --dir"},
		{Config{Dir: dir, Witnesses: []Witness{w}, Quorum: 2}, "--quorum 2 with 1 witnesses"},
		{Config{Dir: dir, Witnesses: []Witness{w, w}, Quorum: 2}, `witness "w1.example.test" is given twice`},
		{Config{Dir: dir, CheckpointInterval: time.Hour}, "--checkpoint-interval 1h0m0s is over 10m"},
		{Config{Storage: "s3"}, `unknown --storage "s3"`},
		{Config{Storage: StorageMySQL, CheckpointInterval: time.Second}, "MySQL storage needs --mysql-dsn"},
		{Config{Storage: StorageMySQL, MySQLDSN: "u@tcp(127.0.0.1:1)/d", CheckpointInterval: 100 * time.Millisecond}, "under 1s"},
		{Config{Storage: StorageMySQL, MySQLDSN: "not a dsn", CheckpointInterval: time.Second}, "DSN does not parse"},
	} {
		c.cfg.Origin, c.cfg.Signer, c.cfg.Log = testOrigin, mustSigner(t), io.Discard
		s, err := Start(context.Background(), c.cfg)
		if err == nil {
			s.Close()
			s.Wait()
			t.Errorf("%+v started", c.cfg)
			continue
		}
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v (exit %d)", c.want, err, exit.CodeOf(err))
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("a refused configuration created %s", dir)
	}
	// A key named other than the origin cannot sign its checkpoints.
	if _, err := Start(context.Background(), Config{Dir: dir, Origin: "other.example/log", Signer: mustSigner(t)}); exit.CodeOf(err) != exit.Usage {
		t.Errorf("key named after another origin: %v", err)
	}
}
