package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/verify"
)

// recorder is a real in-process registry (with the referrers API) that
// notes every request.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

func (r *recorder) reset() { r.mu.Lock(); r.reqs = nil; r.mu.Unlock() }

// since returns the requests from the nth on.
func (r *recorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs[n:]...)
}

func (r *recorder) count(method, substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if strings.HasPrefix(q, method+" ") && strings.Contains(q, substr) {
			n++
		}
	}
	return n
}

func newRecorder(t *testing.T) (*recorder, string) {
	rec := &recorder{next: ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, strings.TrimPrefix(srv.URL, "http://")
}

// partsOf reads a bundle file into Parts with its blobs in memory.
func partsOf(t *testing.T, path string) Parts {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br, err := bundle.NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{}
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rd)
		blobs[b.Digest] = data
	}
	sigs, err := br.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	return Parts{Name: path, Manifest: br.Manifest(), ManifestBytes: br.ManifestBytes(), Signatures: sigs, Proofs: br.Proofs(), ModTime: br.ModTime(),
		Open: func(b bundle.Blob) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blobs[b.Digest])), nil }}
}

// layerOf is the bundle's layer digest.
func layerOf(m *bundle.Manifest) string {
	for _, b := range m.Blobs {
		if b.Role == bundle.RoleLayer {
			return b.Digest
		}
	}
	return ""
}

// fetchSame fetches ref with opts, fails unless the bundle written is the
// file path byte for byte, and returns the result with its ignored list as
// text, one "artifact entry: reason" a line.
func fetchSame(t *testing.T, ref, path string, opts verify.Options) (*FetchResult, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "back.ctp")
	res, rep, err := Fetch(context.Background(), FetchRequest{Ref: ref, Output: out, Quiet: true, Verify: opts})
	if err != nil {
		t.Fatalf("fetch: %v (%+v)", err, rep)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(out)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the fetched bundle is not the one pushed (%d and %d bytes)", len(a), len(b))
	}
	reasons := ""
	for _, ig := range res.Ignored {
		reasons += ig.Artifact + " " + ig.Entry + ": " + ig.Reason + "\n"
	}
	return res, reasons
}

func trusting(k *keys.PrivateKey) verify.Options {
	return verify.Options{Trusted: []verify.TrustedKey{{Key: k.Public(), Source: "--key alice.pub"}}}
}

// Anyone who can push to the repository attaches things: a junk bundle
// artifact, a copy whose signature under the genuine signer's name is
// garbage (and sorts first), a second manifest.toml signed by a stranger,
// an unsigned copy, another tool's artifact. Fetch reads manifests and
// signatures first, uses the genuine artifact, says what it ignored and
// why, and writes the bundle that was pushed, byte for byte.
func TestFetchChoosesWhatVerifies(t *testing.T) {
	rec, host := newRecorder(t)
	path, alice, m := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	genuine := partsOf(t, path)
	mallory, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "alice", bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	// 1. A copy with a garbage signature under alice's entry name.
	bad := genuine
	se, err := sig.ParseEntry(genuine.Signatures[0].Name, genuine.Signatures[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	se.Signature[0] ^= 1
	gname, garbage, err := sig.EncodeEntry(se)
	if err != nil {
		t.Fatal(err)
	}
	bad.Signatures = []bundle.Entry{{Name: gname, Data: garbage}}
	mustPushParts(t, ref, bad)
	// 2. A second manifest.toml (another version) signed by mallory.
	m2 := *genuine.Manifest
	m2.Package.Version = "2-evil"
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, &m2, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e2, _, err := sig.BundleEntry(mallory, w.ManifestBytes())
	if err != nil {
		t.Fatal(err)
	}
	second := genuine
	second.Manifest, second.ManifestBytes, second.Signatures = &m2, w.ManifestBytes(), []bundle.Entry{e2}
	mustPushParts(t, ref, second)
	// 3. An unsigned copy with another mtime.
	unsigned := genuine
	unsigned.Signatures, unsigned.ModTime = nil, time.Unix(1234, 0)
	mustPushParts(t, ref, unsigned)
	// 4. A junk bundle artifact: right type, not what ct writes.
	junk := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"` + ArtifactType + `",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + EmptyDigest + `","size":2},"layers":[],` +
		`"subject":{"mediaType":"` + m.Image.MediaType + `","digest":"` + m.Image.Digest + `","size":` + itoa(m.Image.Size) + `}}`)
	putRaw(t, host, junk)

	rec.reset()
	res, reasons := fetchSame(t, ref, path, trusting(alice))
	if len(res.Artifacts) != 1 || len(res.Signatures) != 1 {
		t.Fatalf("used artifacts %v, signatures %v", res.Artifacts, res.Signatures)
	}
	for _, want := range []string{"does not verify", "not trusted", "no signature", "bundle artifact"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("ignored list lacks %q:\n%s", want, reasons)
		}
	}
	if len(res.Ignored) < 4 {
		t.Errorf("%d ignored, want at least 4:\n%s", len(res.Ignored), reasons)
	}

	// Nobody trusted: exit 3 (what verify would say), never 64, and no
	// layer was downloaded.
	rec.reset()
	mk, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "carol", bytes.Repeat([]byte{3}, 32))
	res, _, err = Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true, Verify: trusting(mk)})
	if exit.CodeOf(err) != exit.KeyNotTrusted {
		t.Fatalf("exit %d: %v; want 3", exit.CodeOf(err), err)
	}
	if res == nil || len(res.Ignored) == 0 {
		t.Fatalf("no ignored list with the failure: %+v", res)
	}
	if n := rec.count("GET", "/blobs/"+layerOf(m)); n != 0 {
		t.Fatalf("%d layer downloads before trust was established", n)
	}
}

// More referrers than MaxReferrers: at most that many are read, and the
// genuine bundle is still found when it is among them (--artifact picks it
// otherwise).
func TestFetchBoundsReferrers(t *testing.T) {
	rec, host := newRecorder(t)
	path, alice, m := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	res0, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxReferrers+10; i++ {
		junk := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"` + ArtifactType + `",` +
			`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + EmptyDigest + `","size":2},"layers":[],` +
			`"annotations":{"n":"` + itoa(int64(i)) + `"},` +
			`"subject":{"mediaType":"` + m.Image.MediaType + `","digest":"` + m.Image.Digest + `","size":` + itoa(m.Image.Size) + `}}`)
		putRaw(t, host, junk)
	}
	rec.reset()
	res, _, err := Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true, Verify: trusting(alice)})
	if n := rec.count("GET", "/manifests/sha256:"); n > MaxReferrers+2 {
		t.Fatalf("%d manifest GETs, more than %d referrers and the image", n, MaxReferrers)
	}
	if err == nil && res.Artifacts[0] != res0.ArtifactDigest {
		t.Fatalf("used %v", res.Artifacts)
	}
	if err != nil && exit.CodeOf(err) == exit.Usage {
		t.Fatalf("exit 64 because strangers attached artifacts: %v", err)
	}
	found := false
	for _, ig := range res.Ignored {
		found = found || strings.Contains(ig.Reason, "not examined")
	}
	if !found {
		t.Fatalf("the referrers not examined are not reported: %+v", res.Ignored)
	}
	// --artifact reaches the genuine one whatever else is attached.
	res, _, err = Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "y.ctp"), Quiet: true, Verify: trusting(alice),
		Artifact: res0.ArtifactDigest})
	if err != nil {
		t.Fatalf("--artifact: %v", err)
	}
}

func mustPushParts(t *testing.T, ref string, p Parts) {
	t.Helper()
	if _, err := PushParts(context.Background(), ref, p, source.Options{}, true, 0); err != nil {
		t.Fatal(err)
	}
}

func putRaw(t *testing.T, host string, raw []byte) {
	t.Helper()
	sref, _ := source.Parse(host + "/r/app:1")
	repo, err := repository(sref, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(repo.Digest(bundle.Digest(raw)), rawManifest{raw, OCIManifestMediaType}, remoteOptions(context.Background(), source.Options{})...); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Two different bundles for one image, each signed by a trusted key: the
// policy decides which qualifies (before any layer is downloaded); when
// both qualify, the user must choose (64).
func TestFetchPolicyChooses(t *testing.T) {
	rec, host := newRecorder(t)
	path, alice, m := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	bob, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "bob", bytes.Repeat([]byte{5}, 32))
	p := partsOf(t, path)
	m2 := *p.Manifest
	m2.Package.Version = "2"
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, &m2, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e2, _, err := sig.BundleEntry(bob, w.ManifestBytes())
	if err != nil {
		t.Fatal(err)
	}
	p.Manifest, p.ManifestBytes, p.Signatures = &m2, w.ManifestBytes(), []bundle.Entry{e2}
	mustPushParts(t, ref, p)

	both := trusting(alice)
	both.Trusted = append(both.Trusted, verify.TrustedKey{Key: bob.Public(), Source: "--key bob.pub"})
	_, _, err = Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true, Verify: both})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(exit.HintOf(err), "--artifact") {
		t.Fatalf("two trusted bundles: exit %d %v", exit.CodeOf(err), err)
	}
	pol, err := policy.Parse([]byte(`{"version":1,"signers":{"allowed":["alice"]}}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	both.Policy, both.PolicyName = pol, "p.json"
	rec.reset()
	out := filepath.Join(t.TempDir(), "y.ctp")
	res, _, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out, Quiet: true, Verify: both})
	if err != nil {
		t.Fatalf("policy allows alice only: %v", err)
	}
	if res.Version != "1" {
		t.Fatalf("fetched version %q", res.Version)
	}
	reasons := ""
	for _, ig := range res.Ignored {
		reasons += ig.Reason + "\n"
	}
	if !strings.Contains(reasons, "signers.allowed") {
		t.Fatalf("the policy's refusal is not reported: %s", reasons)
	}
	// Policy refuses everything: its code (4), no layer downloaded.
	pol, _ = policy.Parse([]byte(`{"version":1,"signers":{"allowed":["carol"]}}`), "p.json")
	both.Policy = pol
	rec.reset()
	_, _, err = Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "z.ctp"), Quiet: true, Verify: both})
	if exit.CodeOf(err) != exit.PolicyRejected {
		t.Fatalf("policy refuses all: exit %d %v", exit.CodeOf(err), err)
	}
	if n := rec.count("GET", "/blobs/"+layerOf(m)); n != 0 {
		t.Fatalf("%d layer downloads before the policy was checked", n)
	}
}

// A stranger's copy of the genuine artifact that differs only in its mtime
// annotation (covered by no signature) is the same bundle, not a second one:
// fetch must not exit 64 over it.
func TestFetchMTimeCopyIsOneBundle(t *testing.T) {
	_, host := newRecorder(t)
	path, alice, _ := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	cp := partsOf(t, path)
	cp.ModTime = time.Unix(99999, 0)
	mustPushParts(t, ref, cp)
	out1, out2 := filepath.Join(t.TempDir(), "x.ctp"), filepath.Join(t.TempDir(), "y.ctp")
	res, rep, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out1, Quiet: true, Verify: trusting(alice)})
	if err != nil {
		t.Fatalf("fetch: %v (%+v)", err, rep)
	}
	if len(res.Artifacts) != 2 {
		t.Fatalf("used %v, want both copies (one bundle)", res.Artifacts)
	}
	// The choice of mtime is deterministic.
	if _, _, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out2, Quiet: true, Verify: trusting(alice)}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out1)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Fatal("two fetches of the same artifacts gave different bytes")
	}
}

// Signature layers named after keys the verifier does not trust are read at
// most MaxUntrustedSignatureReads times per fetch, however many strangers
// attach.
func TestFetchBoundsUntrustedSignatureReads(t *testing.T) {
	rec, host := newRecorder(t)
	path, alice, _ := signedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	genuine := partsOf(t, path)
	for a := 0; a < 2; a++ {
		junk := genuine
		junk.Signatures = nil
		for i := 0; i < 200; i++ {
			fp := sha256.Sum256([]byte{byte(a), byte(i), byte(i >> 8)})
			junk.Signatures = append(junk.Signatures, bundle.Entry{Name: "signatures/" + hex.EncodeToString(fp[:]) + ".sig",
				Data: []byte("junk " + itoa(int64(a*1000+i)))})
		}
		sort.Slice(junk.Signatures, func(i, j int) bool { return junk.Signatures[i].Name < junk.Signatures[j].Name })
		junk.ModTime = time.Unix(int64(a+1), 0)
		mustPushParts(t, ref, junk)
	}
	rec.reset()
	res, rep, err := Fetch(ctx, FetchRequest{Ref: ref, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true, Verify: trusting(alice)})
	if err != nil {
		t.Fatalf("fetch: %v (%+v)", err, rep)
	}
	if n := rec.count("GET", "/blobs/sha256:"); n > MaxUntrustedSignatureReads+20 {
		t.Fatalf("%d blob GETs, more than %d untrusted signatures and the bundle", n, MaxUntrustedSignatureReads)
	}
	found := false
	for _, ig := range res.Ignored {
		found = found || strings.Contains(ig.Reason, "not read")
	}
	if !found {
		t.Fatal("the signatures not read are not reported")
	}
}
