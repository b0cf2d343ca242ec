package logclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// The harness runs real logs (Tessera's POSIX storage in a temporary
// folder, served over 127.0.0.1 as ct-log serves it: POST /add, GET
// /checkpoint and /tile/…) and witnesses that cosign what the log pushes
// (tlog-witness POST /add-checkpoint, cosignature/v1 by a ct key).

func newKey(t *testing.T, id string) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate("CT-SIG-01", id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func listen(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// testWitness cosigns every checkpoint signed by the logs it knows, unless
// silent (then it answers 503: a witness that never cosigns).
type testWitness struct {
	name, vkey, url string
}

func startWitness(t *testing.T, name string, silent bool, logVKeys ...string) *testWitness {
	t.Helper()
	k := newKey(t, name)
	ws, err := tlog.WitnessSigner(k, name)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := tlog.WitnessVerifierKey(k.Public(), name)
	if err != nil {
		t.Fatal(err)
	}
	var vs []note.Verifier
	for _, lk := range logVKeys {
		v, err := note.NewVerifier(lk)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(w http.ResponseWriter, r *http.Request) {
		if silent {
			http.Error(w, "not today", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, cp, ok := bytes.Cut(body, []byte("\n\n"))
		if !ok {
			http.Error(w, "no checkpoint", http.StatusBadRequest)
			return
		}
		n, err := note.Open(cp, note.VerifierList(vs...))
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		signed, err := note.Sign(&note.Note{Text: n.Text}, ws)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(signed[len(n.Text)+1:]) // the cosignature line
	})
	return &testWitness{name: name, vkey: vkey, url: listen(t, mux)}
}

// submitLog is a running log.
type submitLog struct {
	origin, vkey, url string
	requests          atomic.Int64 // every HTTP request it served
	adds              atomic.Int64 // POST /add
	tamperTiles       atomic.Bool  // flip a byte in every tile it serves
	witnessKeys       []string
}

// startLogWithWitnesses starts a log named origin whose checkpoints need
// quorum of the named witnesses (a name "silent:NAME" never cosigns).
func startLogWithWitnesses(t *testing.T, origin string, quorum int, names ...string) *submitLog {
	t.Helper()
	k := newKey(t, "log")
	vkey, err := tlog.LogVerifierKey(k.Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	var ws []*testWitness
	var wkeys []string
	for _, n := range names {
		name, silent := strings.CutPrefix(n, "silent:")
		w := startWitness(t, name, silent, vkey)
		ws = append(ws, w)
		wkeys = append(wkeys, w.vkey)
	}
	l := startLog(t, k, origin, quorum, ws...)
	l.witnessKeys = wkeys
	return l
}

func startLog(t *testing.T, k *keys.PrivateKey, origin string, quorum int, witnesses ...*testWitness) *submitLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	signer, err := tlog.LogSigner(k, origin)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := tlog.LogVerifierKey(k.Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	drv, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(signer).
		WithBatching(64, 20*time.Millisecond).WithCheckpointInterval(100 * time.Millisecond)
	if len(witnesses) > 0 {
		var ws []tessera.Witness
		for _, w := range witnesses {
			u, _ := url.Parse(w.url)
			tw, err := tessera.NewWitness(w.vkey, u)
			if err != nil {
				t.Fatal(err)
			}
			ws = append(ws, tw)
		}
		var grp tessera.WitnessGroup
		switch len(ws) { // NewWitnessGroup's parameter type is unexported
		case 1:
			grp = tessera.NewWitnessGroup(quorum, ws[0])
		case 2:
			grp = tessera.NewWitnessGroup(quorum, ws[0], ws[1])
		default:
			grp = tessera.NewWitnessGroup(quorum, ws[0], ws[1], ws[2])
		}
		opts = opts.WithWitnesses(grp, &tessera.WitnessOptions{Timeout: time.Second, FailOpen: true})
	}
	app, shutdown, _, err := tessera.NewAppender(ctx, drv, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		shutdown(sctx)
		cancel()
	})
	l := &submitLog{origin: origin, vkey: vkey}
	files := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add", func(w http.ResponseWriter, r *http.Request) {
		l.adds.Add(1)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, tlog.MaxLeafSize))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := tlog.ParseLeaf(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		idx, err := app.Add(r.Context(), tessera.NewEntry(body))()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%d\n", idx.Index)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !(p == "/checkpoint" || strings.HasPrefix(p, "/tile/")) || strings.Contains(p, "..") {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(p, "/tile/") && !strings.HasPrefix(p, "/tile/entries/") && l.tamperTiles.Load() {
			rec := &recorder{h: http.Header{}}
			files.ServeHTTP(rec, r)
			if rec.code == 0 || rec.code == http.StatusOK {
				b := rec.buf.Bytes()
				if len(b) > 0 {
					b[0] ^= 1
				}
				w.Write(b)
				return
			}
			w.WriteHeader(rec.code)
			return
		}
		files.ServeHTTP(w, r)
	})
	l.url = listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	return l
}

type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

// downURL is a log URL where nothing listens.
func downURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// testImage is a small valid bundle's manifest and blobs.
func testImage() (*bundle.Manifest, map[string][]byte) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := bundle.Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	l1 := []byte("layer one content")
	cd, d1 := add(cfg), add(l1)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}`,
		cd, len(cfg), d1, len(l1)))
	md := add(man)
	m := &bundle.Manifest{
		Format:  bundle.FormatVersion,
		Package: bundle.Package{Name: "demo", Version: "1.0"},
		Source:  bundle.Source{Reference: "oci:./x:1.0", Transport: "oci", Tag: "1.0", Digest: md},
		Image:   bundle.Image{Digest: md, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(man)), Config: cd, Platform: "linux/amd64"},
		Tool:    bundle.Tool{Name: "test", Version: "0"},
		Blobs: []bundle.Blob{
			{Digest: md, Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: bundle.RoleManifest},
			{Digest: cd, Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: bundle.RoleConfig},
			{Digest: d1, Size: int64(len(l1)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: bundle.RoleLayer},
		},
	}
	m.SortBlobs()
	return m, blobs
}

// signedBundle is the test bundle signed by each key, in order.
func signedBundle(t *testing.T, signers ...*keys.PrivateKey) []byte {
	t.Helper()
	m, blobs := testImage()
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for _, k := range signers {
		var out bytes.Buffer
		if _, _, err := sig.SignBundle(bytes.NewReader(data), "t.ctp", &out, k, nil); err != nil {
			t.Fatal(err)
		}
		data = out.Bytes()
	}
	return data
}
