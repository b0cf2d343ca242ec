package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/verify"
)

func newKey(t *testing.T, id string) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(keys.SuiteEd25519, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signFile signs the bundle at p with k, in place.
func signFile(t *testing.T, p string, k *keys.PrivateKey) string {
	t.Helper()
	in, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, _, err := sig.SignBundle(bytes.NewReader(in), p, &out, k, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func trusting(ks ...*keys.PrivateKey) verify.Options {
	var o verify.Options
	for _, k := range ks {
		o.Trusted = append(o.Trusted, verify.TrustedKey{Key: k.Public(), Source: "test " + k.ID()})
	}
	return o
}

func exportTo(t *testing.T, path string, inputs ...string) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := Export(inputs, ExportOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// stagedBytes sums the sizes of the regular files under dir.
func stagedBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// watchStaging records the bytes in the staging folder when Import ends.
func watchStaging(t *testing.T) *int64 {
	var n int64 = -1
	testHookCleanup = func(tmp string) { n = stagedBytes(tmp) }
	t.Cleanup(func() { testHookCleanup = nil })
	return &n
}

func sha(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }

// bigArchive is an archive whose only bundle, signed by k, declares a
// 2 GiB layer; the stream ends inside the first blob, so an importer that
// starts staging fails as truncated (10) instead of refusing trust first.
func bigArchive(t *testing.T, dir string, k *keys.PrivateKey) string {
	t.Helper()
	small := makeBundle(t, dir, "big", "tiny layer")
	f, _ := os.Open(small)
	it, err := OpenBundle(f, small)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := *it.Manifest
	m.Blobs = append([]bundle.Blob(nil), m.Blobs...)
	for i := range m.Blobs {
		if m.Blobs[i].Role == bundle.RoleLayer {
			m.Blobs[i].Size = 2 << 30
		}
	}
	bw, err := bundle.NewWriter(io.Discard, &m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mb := bw.ManifestBytes()
	se, _, err := sig.BundleEntry(k, mb)
	if err != nil {
		t.Fatal(err)
	}
	x := &Index{Format: 1, Bundles: []IndexBundle{{Name: "big", Version: "1", ManifestDigest: sha(mb), ImageDigest: m.Image.Digest,
		Signatures: []string{se.Name}, Size: 3 << 30}}}
	for _, b := range m.Blobs {
		x.Blobs = append(x.Blobs, IndexBlob{Digest: b.Digest, Size: b.Size, Present: true})
	}
	sortBlobs(x.Blobs)
	ib, err := x.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := ustar.NewWriter(&buf, 0)
	writeFile(tw, IndexName, ib)
	writeFile(tw, x.Bundles[0].Dir()+manifestLeaf, mb)
	writeFile(tw, x.Bundles[0].Dir()+se.Name, se.Data)
	tw.WriteHeader(x.Blobs[0].Path(), ustar.TypeReg, x.Blobs[0].Size) // and nothing more
	p := filepath.Join(dir, "big.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sortBlobs(b []IndexBlob) {
	for i := range b {
		for j := i + 1; j < len(b); j++ {
			if b[j].Digest < b[i].Digest {
				b[i], b[j] = b[j], b[i]
			}
		}
	}
}

// Signatures, trust and policy are checked on the heads before any blob is
// staged: an untrusted archive declaring 2 GiB writes nothing.
func TestImportTrustBeforeStaging(t *testing.T) {
	dir := t.TempDir()
	bob, alice := newKey(t, "bob"), newKey(t, "alice")
	big := bigArchive(t, dir, bob)
	staged := watchStaging(t)
	_, err := Import(ImportOptions{Inputs: []string{big}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Verify: true,
		Trust: trusting(alice), Log: io.Discard})
	if exit.CodeOf(err) != exit.KeyNotTrusted {
		t.Fatalf("untrusted declared-big archive: code %d, want 3: %v", exit.CodeOf(err), err)
	}
	if *staged != 0 {
		t.Fatalf("%d bytes staged before trust was refused", *staged)
	}
	// Trusted, the same archive is staged, and fails as truncated: the
	// check above is what stopped it.
	_, err = Import(ImportOptions{Inputs: []string{big}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Verify: true,
		Trust: trusting(bob), Log: io.Discard})
	if exit.CodeOf(err) != exit.Malformed {
		t.Fatalf("trusted truncated archive: code %d, want 10: %v", exit.CodeOf(err), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
		t.Fatal("destination written")
	}

	// A real archive: untrusted stages nothing; trusted stages its blobs.
	a := signFile(t, makeBundle(t, dir, "a", strings.Repeat("layer a ", 4096)), bob)
	arch := exportTo(t, filepath.Join(dir, "a.tar"), a)
	_, err = Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "u")}, Verify: true,
		Trust: trusting(alice), Log: io.Discard})
	if exit.CodeOf(err) != exit.KeyNotTrusted || *staged != 0 {
		t.Fatalf("untrusted: code %d, %d bytes staged: %v", exit.CodeOf(err), *staged, err)
	}
	// a policy refusal also comes before staging
	rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "u")}, Verify: true,
		Trust: withPolicy(t, trusting(bob), `{"version":1,"signers":{"allowed":["carol"]}}`), Log: io.Discard})
	if exit.CodeOf(err) != exit.PolicyRejected || *staged != 0 || len(rep.Bundles) != 1 || rep.Bundles[0].Valid {
		t.Fatalf("policy: code %d, %d bytes staged: %v %+v", exit.CodeOf(err), *staged, err, rep)
	}
	if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "u")}, Verify: true,
		Trust: trusting(bob), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if *staged < 4*4096 {
		t.Fatalf("trusted import staged %d bytes", *staged)
	}
}

func withPolicy(t *testing.T, o verify.Options, js string) verify.Options {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(p, []byte(js), 0o644)
	s := verify.Setup{NoStore: true, PolicyFile: p}
	po, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	o.Policy, o.PolicyName = po.Policy, po.PolicyName
	return o
}

// With --keep-going, the blobs only refused bundles need are not staged.
func TestImportKeepGoingStagesOnlyAccepted(t *testing.T) {
	dir := t.TempDir()
	bob, alice := newKey(t, "bob"), newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), alice)
	b := signFile(t, makeBundle(t, dir, "b", strings.Repeat("bob's big layer ", 8192)), bob)
	arch := exportTo(t, filepath.Join(dir, "ab.tar"), a, b)
	staged := watchStaging(t)
	rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Verify: true,
		Trust: trusting(alice), KeepGoing: true, Log: io.Discard})
	if exit.CodeOf(err) != exit.KeyNotTrusted || rep.Installed != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	if *staged >= 8192*16 {
		t.Fatalf("staged %d bytes: the refused bundle's layer was written", *staged)
	}
	if _, err := os.Stat(filepath.Join(dir, "d", "a_1.ctp")); err != nil {
		t.Fatal(err)
	}
}

func layoutBlob(l, digest string) string {
	return filepath.Join(l, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func fileDigest(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha(b)
}

// A damaged blob already in the layout under a needed digest is replaced
// by the verified one.
func TestImportOCIStagedBlobWins(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "shared layer"), k)
	b := signFile(t, makeBundle(t, dir, "b", "shared layer"), k) // same layer and config
	l := filepath.Join(dir, "l")
	if _, err := Import(ImportOptions{Inputs: []string{exportTo(t, filepath.Join(dir, "a.tar"), a)}, Dest: &OCIDest{Path: l},
		Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	layer := sha([]byte("shared layer"))
	os.Chmod(layoutBlob(l, layer), 0o644)
	if err := os.WriteFile(layoutBlob(l, layer), []byte("damaged layer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ImportOptions{Inputs: []string{exportTo(t, filepath.Join(dir, "b.tar"), b)}, Dest: &OCIDest{Path: l},
		Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if got := fileDigest(t, layoutBlob(l, layer)); got != layer {
		t.Fatalf("the layout's damaged blob won: %s holds %s", layer, got)
	}
	// The same from a bundle file (copied, hashed on the way in).
	os.WriteFile(layoutBlob(l, layer), []byte("damaged again"), 0o644)
	if _, err := Import(ImportOptions{Inputs: []string{a}, Dest: &OCIDest{Path: l}, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if got := fileDigest(t, layoutBlob(l, layer)); got != layer {
		t.Fatalf("from a bundle file, the damaged blob won: %s", got)
	}
}

// A delta's base blobs taken from the layout are hashed again when
// installed: one changed after verification is refused, not linked.
func TestImportOCIDeltaRehash(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k) // shares a's config
	base := exportTo(t, filepath.Join(dir, "base.tar"), a)
	var out bytes.Buffer
	if _, err := Export([]string{a, b}, ExportOptions{Since: base}, &out); err != nil {
		t.Fatal(err)
	}
	l := filepath.Join(dir, "l")
	dest := &OCIDest{Path: l}
	if _, err := Import(ImportOptions{Inputs: []string{base}, Dest: dest, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	// Stage and verify the delta as Import does, then change the base
	// blob between verification and installation.
	st, err := Stage(bytes.NewReader(out.Bytes()), "delta", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	existing, _ := dest.Existing()
	it := st.Items[0]
	it.src = Sources{st.blobs, existing}
	if _, err := verifyItem(it, trusting(k)); err != nil {
		t.Fatal(err)
	}
	cfg := it.Manifest.Image.Config
	if st.blobs.Has(cfg) || !existing.Has(cfg) {
		t.Fatal("test setup: the config should come from the base")
	}
	os.WriteFile(layoutBlob(l, cfg), []byte(`{"changed":true}`), 0o644)
	err = dest.Install([]*Item{it})
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), cfg) {
		t.Fatalf("changed base blob: code %d: %v", exit.CodeOf(err), err)
	}
	ix, _ := os.ReadFile(filepath.Join(l, "index.json"))
	if strings.Contains(string(ix), "b:1") {
		t.Fatal("installed over a changed base blob")
	}
	// Intact, the delta installs, its base blob linked and checked.
	os.Remove(layoutBlob(l, cfg))
	if _, err := Import(ImportOptions{Inputs: []string{base}, Dest: dest, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if err := dest.Install([]*Item{it}); err != nil {
		t.Fatal(err)
	}
}

func TestFileNameInjective(t *testing.T) {
	cases := map[[2]string]string{
		{"a/b", "c"}:            "a_b_c.ctp",
		{"a", "b_c"}:            "a_b%5Fc.ctp",
		{"a_b", "c"}:            "a%5Fb_c.ctp",
		{"nginx", "1.26"}:       "nginx_1.26.ctp",
		{"library/nginx", "_x"}: "library_nginx_%5Fx.ctp",
	}
	seen := map[string][2]string{}
	for in, want := range cases {
		got := FileName(IndexBundle{Name: in[0], Version: in[1]})
		if got != want {
			t.Errorf("%s:%s is %s, want %s", in[0], in[1], got, want)
		}
		if o, ok := seen[got]; ok {
			t.Errorf("%v and %v both %s", o, in, got)
		}
		seen[got] = in
	}
}

// a/b:c and a:b_c were both a_b_c.ctp; the second replaced the first.
func TestImportDirNamesDistinct(t *testing.T) {
	dir := t.TempDir()
	p1 := makeBundleV(t, dir, "a/b", "c", "layer one")
	p2 := makeBundleV(t, dir, "a", "b_c", "layer two")
	d := filepath.Join(dir, "d")
	for _, p := range []string{p1, p2} { // existing folder on the second import
		if _, err := Import(ImportOptions{Inputs: []string{p}, Dest: &DirDest{Path: d}, Log: io.Discard}); err != nil {
			t.Fatal(err)
		}
	}
	for p, name := range map[string]string{p1: "a_b_c.ctp", p2: "a_b%5Fc.ctp"} {
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(d, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v (equal %v)", name, err, bytes.Equal(got, want))
		}
	}
	// no temporary file inside, no staging folder beside
	ents, _ := os.ReadDir(d)
	if len(ents) != 2 {
		t.Fatalf("%d entries in the destination", len(ents))
	}
	assertNoLeftovers(t, dir)
}

func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, ".*ct-import*"))
	if len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// Two imports into one layout at once: both images end up in it.
func TestImportConcurrentOCI(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	var ins []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("p%d", i)
		ins = append(ins, exportTo(t, filepath.Join(dir, name+".tar"), makeBundle(t, dir, name, "layer "+name)))
	}
	l := filepath.Join(dir, "l")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range ins {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = Import(ImportOptions{Inputs: []string{ins[i]}, Dest: &OCIDest{Path: l}, Log: io.Discard})
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ix, err := readLayoutIndex(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Manifests) != n {
		t.Fatalf("%d images in the layout, want %d: %+v", len(ix.Manifests), n, ix.Manifests)
	}
	assertNoLeftovers(t, dir)
}

// oci:LINK installs into the link's target; the link stays.
func TestImportFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	for _, kind := range []string{"oci", "dir"} {
		target := filepath.Join(dir, kind+"-real")
		link := filepath.Join(dir, kind+"-link")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		// dangling: refused clearly
		if _, err := ParseDestination(kind + ":" + link); exit.CodeOf(err) != exit.Usage {
			t.Fatalf("%s dangling link: %v", kind, err)
		}
		os.Mkdir(target, 0o755)
		for i := 0; i < 2; i++ { // into an empty folder, then into what it holds
			dest, err := ParseDestination(kind + ":" + link)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Import(ImportOptions{Inputs: []string{a}, Dest: dest, Log: io.Discard}); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("%s: the link was replaced", kind)
			}
		}
		want := filepath.Join(target, "a_1.ctp")
		if kind == "oci" {
			want = filepath.Join(target, "index.json")
		}
		if _, err := os.Stat(want); err != nil {
			t.Fatal(err)
		}
	}
}

// A bundle with zero padding after its end is accepted by ct verify and
// installed (without the padding) by ct import.
func TestImportPaddedBundle(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b, _ := os.ReadFile(a)
	rec := 10240 // GNU tar's record
	padded := filepath.Join(dir, "padded.ctp")
	os.WriteFile(padded, append(append([]byte(nil), b...), make([]byte, rec-len(b)%rec)...), 0o644)
	f, _ := os.Open(padded)
	vr := verify.VerifyFile(f, padded, trusting(k))
	f.Close()
	d := filepath.Join(dir, "d")
	_, err := Import(ImportOptions{Inputs: []string{padded}, Dest: &DirDest{Path: d}, Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.CodeOf(vr.Err()) {
		t.Fatalf("verify says %d (%v), import %d (%v)", exit.CodeOf(vr.Err()), vr.Err(), exit.CodeOf(err), err)
	}
	if err == nil {
		got, _ := os.ReadFile(filepath.Join(d, "a_1.ctp"))
		if !bytes.Equal(got, b) {
			t.Fatal("installed bundle is not the bundle without its padding")
		}
	}
}

// A cancelled import (Ctrl-C, SIGTERM) stops, and leaves nothing.
func TestImportCancelled(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), a)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, in := range []string{a, arch} {
		for _, dest := range []Destination{&DirDest{Path: filepath.Join(dir, "d")}, &OCIDest{Path: filepath.Join(dir, "l")}} {
			_, err := Import(ImportOptions{Inputs: []string{in}, Dest: dest, Log: io.Discard, Ctx: ctx})
			if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "interrupted") {
				t.Fatalf("%s into %s: %v", in, dest, err)
			}
		}
	}
	for _, p := range []string{"d", "l"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Fatalf("%s written", p)
		}
	}
	assertNoLeftovers(t, dir)
}

// What a killed import left beside the destination is removed by the next;
// a previous layout moved aside by the rename fallback is moved back.
func TestImportSweepsStale(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	d := filepath.Join(dir, "d")
	stale := filepath.Join(dir, ".d.ct-import-123")
	os.MkdirAll(filepath.Join(stale, "0"), 0o700)
	os.WriteFile(filepath.Join(stale, "0", "blob"), []byte("partial"), 0o600)
	other := filepath.Join(dir, ".e.ct-import-123") // another destination's
	os.Mkdir(other, 0o700)
	longer := filepath.Join(dir, ".d.ct-import-1.ct-import-123") // that of d.ct-import-1
	os.Mkdir(longer, 0o700)
	if _, err := Import(ImportOptions{Inputs: []string{a}, Dest: &DirDest{Path: d}, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("stale staging folder kept")
	}
	for _, p := range []string{other, longer} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("another destination's folder %s removed", p)
		}
	}
	l := filepath.Join(dir, "l")
	if _, err := Import(ImportOptions{Inputs: []string{a}, Dest: &OCIDest{Path: l}, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(dir, ".l.ct-import-456.old")
	if err := os.Rename(l, aside); err != nil {
		t.Fatal(err)
	}
	b := makeBundle(t, dir, "b", "layer b")
	if _, err := Import(ImportOptions{Inputs: []string{b}, Dest: &OCIDest{Path: l}, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	ix, err := readLayoutIndex(l)
	if err != nil || len(ix.Manifests) != 2 {
		t.Fatalf("the previous layout was not restored: %v %+v", err, ix)
	}
}

// Staging refuses an archive whose heads differ from those checked first
// (the file changed between the two reads).
func TestStageHeadsMustMatch(t *testing.T) {
	dir := t.TempDir()
	x := exportTo(t, filepath.Join(dir, "x.tar"), makeBundle(t, dir, "x", "layer x"))
	y := exportTo(t, filepath.Join(dir, "y.tar"), makeBundle(t, dir, "y", "layer y"))
	fx, _ := os.Open(x)
	defer fx.Close()
	hx, err := ReadHeads(fx, x)
	if err != nil {
		t.Fatal(err)
	}
	fy, _ := os.Open(y)
	defer fy.Close()
	_, err = StageWith(fy, y, t.TempDir(), StageOptions{Heads: hx})
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("%v", err)
	}
	fx.Seek(0, io.SeekStart)
	if _, err := StageWith(fx, x, t.TempDir(), StageOptions{Heads: hx}); err != nil {
		t.Fatal(err)
	}
}

// A bundle with a changed layer byte gets the same code and names the same
// blob from import as from verify (issue 8 review: import blamed a later,
// intact blob as malformed, because the verifier read a cut stream).
func TestImportTamperedLayerLikeVerify(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b, _ := os.ReadFile(a)
	i := bytes.Index(b, []byte("layer a"))
	if i < 0 {
		t.Fatal("layer not found")
	}
	b[i] ^= 1
	tampered := filepath.Join(dir, "tampered.ctp")
	os.WriteFile(tampered, b, 0o644)
	f, _ := os.Open(tampered)
	vr := verify.VerifyFile(f, tampered, trusting(k))
	f.Close()
	for _, dest := range []Destination{&DirDest{Path: filepath.Join(dir, "d")}, &OCIDest{Path: filepath.Join(dir, "l")}} {
		_, err := Import(ImportOptions{Inputs: []string{tampered}, Dest: dest, Verify: true, Trust: trusting(k), Log: io.Discard})
		if exit.CodeOf(err) != exit.HashMismatch || exit.CodeOf(vr.Err()) != exit.HashMismatch {
			t.Fatalf("into %s: verify says %d (%v), import %d (%v)", dest, exit.CodeOf(vr.Err()), vr.Err(), exit.CodeOf(err), err)
		}
	}
}

// Names that verify must install: the longest name and version give a file
// name a file system accepts, and shortened names stay distinct (issue 8
// review: a 128-byte name and version failed with "file name too long").
func TestFileNameLong(t *testing.T) {
	long := strings.Repeat("a", 128)
	seen := map[string]bool{}
	for _, b := range []IndexBundle{{Name: long, Version: strings.Repeat("v", 128)}, {Name: long, Version: strings.Repeat("v", 127) + "w"},
		{Name: strings.Repeat("a/", 63) + "ab", Version: strings.Repeat("_", 128)}} {
		f := FileName(b)
		if len(f) > maxFileName || !strings.HasSuffix(f, ".ctp") || !strings.Contains(f, "~") || seen[f] {
			t.Errorf("%s:%s gives %q (%d bytes)", b.Name, b.Version, f, len(f))
		}
		seen[f] = true
	}
	dir := t.TempDir()
	k := newKey(t, "alice")
	p := signFile(t, makeBundleV(t, dir, long, strings.Repeat("v", 128), "layer"), k)
	if _, err := Import(ImportOptions{Inputs: []string{p}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
}

// Blobs installed into an oci: layout are readable by other users (0644),
// whether they came from an archive (staged) or a bundle file.
func TestImportOCIBlobMode(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	arch := exportTo(t, filepath.Join(dir, "a.tar"), a)
	for i, in := range []string{arch, a} {
		l := filepath.Join(dir, "l"+strconv.Itoa(i))
		if _, err := Import(ImportOptions{Inputs: []string{in}, Dest: &OCIDest{Path: l}, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(filepath.Join(l, "blobs", "sha256"))
		for _, e := range ents {
			fi, _ := e.Info()
			if fi.Mode().Perm()&0o044 != 0o044 {
				t.Errorf("%s: blob %s has mode %v", in, e.Name(), fi.Mode())
			}
		}
	}
}
