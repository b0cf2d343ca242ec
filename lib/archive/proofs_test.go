package archive

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

// withProof adds a real proof of each signature of the bundle at p in the
// log origin (bundle.md §6.1), in place.
func withProof(t testing.TB, p, origin string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lk, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tlogtest.AddProofFile(data, origin, lk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func proofsOf(t testing.TB, p string) []bundle.Entry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br, err := bundle.NewReader(f, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Finish(); err != nil {
		t.Fatal(err)
	}
	return br.Proofs()
}

// An archive carries each bundle's transparency proofs (archive.md §2, §3),
// and every import path rebuilds the bundle byte for byte with them: staged
// (zstd) into dir:, read in place into dir:, and the items a registry
// destination pushes.
func TestExportImportKeepsProofs(t *testing.T) {
	dir := t.TempDir()
	k, k2 := newKey(t, "alice"), newKey(t, "bob")
	a := withProof(t, withProof(t, signFile(t, signFile(t, makeBundle(t, dir, "a", "layer a"), k), k2), "example.com/log1"), "example.com/log2")
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k) // no proofs
	if n := len(proofsOf(t, a)); n != 4 {
		t.Fatalf("%d proofs in the test bundle, want 4", n)
	}
	for _, zstd := range []bool{false, true} {
		var out bytes.Buffer
		if _, err := Export([]string{a, b}, ExportOptions{Zstd: zstd}, &out); err != nil {
			t.Fatal(err)
		}
		arch := filepath.Join(dir, "x.tar")
		if err := os.WriteFile(arch, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if !zstd {
			x, _, err := ReadIndex(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if len(x.Bundles[0].Proofs)+len(x.Bundles[1].Proofs) != 4 {
				t.Fatalf("index lists %v and %v", x.Bundles[0].Proofs, x.Bundles[1].Proofs)
			}
		}
		dest := filepath.Join(dir, "dest")
		os.RemoveAll(dest)
		if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: dest}, Verify: true, Trust: trusting(k, k2), Log: io.Discard}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"a", "b"} {
			want, _ := os.ReadFile(filepath.Join(dir, n+".ctp"))
			got, _ := os.ReadFile(filepath.Join(dest, n+"_1.ctp"))
			if !bytes.Equal(got, want) {
				t.Fatalf("zstd %v, %s: not byte-identical after import", zstd, n)
			}
		}
		// A registry destination gets the proofs with the item.
		var proofs int
		d := &RegistryDest{Repo: "registry.invalid/m", Push: func(ref string, it *Item) error {
			proofs += len(it.Proofs)
			return nil
		}}
		if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k, k2), Log: io.Discard}); err != nil {
			t.Fatal(err)
		}
		if proofs != 4 {
			t.Fatalf("zstd %v: the registry destination got %d proofs, want 4", zstd, proofs)
		}
	}
	// A bundle file given to ct import directly keeps its proofs too, and
	// its rebuilt size (CanonicalSize) counts them.
	dest := filepath.Join(dir, "direct")
	if _, err := Import(ImportOptions{Inputs: []string{a}, Dest: &DirDest{Path: dest}, Verify: true, Trust: trusting(k, k2), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(a)
	if got, _ := os.ReadFile(filepath.Join(dest, "a_1.ctp")); !bytes.Equal(got, want) {
		t.Fatal("bundle input: not byte-identical after import")
	}
	f, _ := os.Open(a)
	defer f.Close()
	it, err := OpenBundle(f, a)
	if err != nil {
		t.Fatal(err)
	}
	if it.Entry.Size != int64(len(want)) || len(it.Proofs) != 4 {
		t.Fatalf("OpenBundle: size %d of %d, %d proofs", it.Entry.Size, len(want), len(it.Proofs))
	}
	// Two files of one bundle that differ in proofs only are refused.
	a2 := filepath.Join(dir, "a2.ctp")
	signFile(t, signFile(t, makeBundle(t, dir, "a", "layer a"), k), k2)
	os.Rename(filepath.Join(dir, "a.ctp"), a2)
	os.WriteFile(a, want, 0o644)
	if _, err := Export([]string{a, a2}, ExportOptions{}, io.Discard); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "proofs") {
		t.Fatalf("two files differing in proofs: %v", err)
	}
}

// The index rules for proofs (archive.md §3) and the entry rules (§2).
func TestProofsRejected(t *testing.T) {
	fpA := strings.Repeat("a", 64)
	sigA := "signatures/" + fpA + ".sig"
	pr := func(fp, log string) string { return "transparency/" + fp + "." + log + ".proof" }
	log1, log2 := tlog.LogID("example.com/log1"), tlog.LogID("example.com/log2")
	idx := func(proofs ...string) *Index {
		return &Index{Format: 1, Bundles: []IndexBundle{{Name: "a", Version: "1", ManifestDigest: d1, ImageDigest: d2, Size: 16384,
			Signatures: []string{sigA}, Proofs: proofs}}}
	}
	if err := idx(pr(fpA, log1), pr(fpA, log2)).Validate(); err != nil {
		t.Fatalf("good index: %v", err)
	}
	for name, x := range map[string]*Index{
		"not sorted":       idx(pr(fpA, max(log1, log2)), pr(fpA, min(log1, log2))),
		"duplicate":        idx(pr(fpA, log1), pr(fpA, log1)),
		"no such sig":      idx(pr(strings.Repeat("b", 64), log1)),
		"bad name":         idx("transparency/" + fpA + ".proof"),
		"upper hex":        idx(pr(strings.ToUpper(fpA), log1)),
		"in signatures/":   idx("signatures/" + fpA + "." + log1 + ".proof"),
		"sub-folder":       idx("transparency/x/" + fpA + "." + log1 + ".proof"),
		"unsigned, proofs": {Format: 1, Bundles: []IndexBundle{{Name: "a", Version: "1", ManifestDigest: d1, ImageDigest: d2, Size: 16384, Proofs: []string{pr(fpA, log1)}}}},
	} {
		if err := x.Validate(); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	many := idx()
	for i := 0; i <= bundle.MaxProofs; i++ {
		many.Bundles[0].Proofs = append(many.Bundles[0].Proofs, pr(fpA, hex16(i)))
	}
	if err := many.Validate(); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("%d proofs: %v", len(many.Bundles[0].Proofs), err)
	}

	// Entries: a real archive with proofs, altered.
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := withProof(t, withProof(t, signFile(t, makeBundle(t, dir, "a", "layer a"), k), "example.com/log1"), "example.com/log2")
	var out bytes.Buffer
	if _, err := Export([]string{a}, ExportOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	es := entries(t, out.Bytes())
	var pi []int
	for i, e := range es {
		if strings.Contains(e.h.Name, "/transparency/") {
			pi = append(pi, i)
		}
	}
	if len(pi) != 2 || pi[0] != 3 { // index, manifest, signature, proofs
		t.Fatalf("proof entries at %v", pi)
	}
	swapped := append([]entry(nil), es...)
	swapped[pi[0]], swapped[pi[1]] = swapped[pi[1]], swapped[pi[0]]
	before := append([]entry(nil), es...)
	before[2], before[3] = before[3], before[2]
	dropped := append(append([]entry(nil), es[:pi[1]]...), es[pi[1]+1:]...)
	dup := append(append([]entry(nil), es[:pi[1]+1]...), es[pi[1]:]...)
	big := append([]entry(nil), es...)
	big[pi[0]] = entry{h: header(es[pi[0]].h.Name, bundle.MaxProofSize+1), data: make([]byte, bundle.MaxProofSize+1)}
	for name, c := range map[string][]entry{
		"proofs out of order":    swapped,
		"proof before signature": before,
		"listed proof missing":   dropped,
		"duplicate proof":        dup,
		"proof over 16 KiB":      big,
	} {
		if _, err := Stage(bytes.NewReader(rewrite(t, c)), name, t.TempDir()); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A proof one byte longer than exported: the rebuilt bundle is not
	// bundle.size long, and the import refuses it.
	longer := append([]entry(nil), es...)
	longer[pi[0]] = entry{h: header(es[pi[0]].h.Name, int64(len(es[pi[0]].data)+1)), data: append(append([]byte(nil), es[pi[0]].data...), '\n')}
	arch := filepath.Join(dir, "longer.tar")
	os.WriteFile(arch, rewrite(t, longer), 0o644)
	if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Log: io.Discard}); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("longer proof: %v", err)
	}
}

func hex16(i int) string { return strings.Repeat("0", 12) + hex4(i) }

// ct export parses each proof entry as every archive reader does (archive.md
// §3): a bundle whose proof does not parse is refused at export, naming the
// bundle and the entry, instead of making an archive that no import
// accepts.
func TestExportRefusesUnparsableProof(t *testing.T) {
	dir := t.TempDir()
	a := withProof(t, signFile(t, makeBundle(t, dir, "a", "layer a"), newKey(t, "alice")), "example.com/log1")
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	es, err := bundletest.Entries(data)
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	for i, e := range es {
		if strings.HasPrefix(e.Name, tlog.ProofDir) && !e.Dir {
			es[i].Data = bytes.Replace(e.Data, []byte("format = 1\n"), []byte("format = 2\n"), 1)
			name = e.Name
		}
	}
	if name == "" {
		t.Fatal("no proof entry")
	}
	bad := filepath.Join(dir, "bad.ctp")
	if err := os.WriteFile(bad, bundletest.Build(es), 0o644); err != nil {
		t.Fatal(err)
	}
	// The bundle reader takes it (it checks proof names, not contents)...
	if n := len(proofsOf(t, bad)); n != 1 {
		t.Fatalf("%d proofs", n)
	}
	// ...the export does not.
	var out bytes.Buffer
	_, err = Export([]string{bad}, ExportOptions{}, &out)
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), name) {
		t.Fatalf("export of a bundle with an unparsable proof: %v", err)
	}
}
