package pack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/provenance"
)

// readBundle reads a bundle file whole and returns its manifest,
// attestations and signature entries.
func readBundle(t *testing.T, path string) (*bundle.Manifest, []bundle.Attestation, []bundle.Entry) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br, err := bundle.NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := br.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return br.Manifest(), br.Attestations(), sigs
}

// ct pack puts its provenance into every bundle: signed with the packing
// key, pending without one; reproducible under SOURCE_DATE_EPOCH; and the
// predicate is the one --provenance-out writes.
func TestRunAttachesProvenance(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	src := "oci:" + testLayout(t)
	out := t.TempDir()
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "release", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, key *keys.PrivateKey) (string, *Result) {
		p := filepath.Join(out, name)
		res, err := Run(context.Background(), Request{Source: src, Output: p, Quiet: true, Provenance: true, Key: key,
			ProvenanceOut: p + ".slsa.json", Options: Options{Tool: bundle.Tool{Name: "ct-pack", Version: "1.2.3"}}})
		if err != nil {
			t.Fatal(err)
		}
		return p, res
	}

	p1, res := run("u1.ctp", nil)
	p2, _ := run("u2.ctp", nil)
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Error("two unsigned packs with provenance differ")
	}
	if len(res.Attestations) != 1 || !res.Attestations[0].Pending || res.Attestations[0].PredicateType != attest.TypeSLSAProvenanceV1 {
		t.Fatalf("Result.Attestations = %+v", res.Attestations)
	}
	m, atts, sigs := readBundle(t, p1)
	if len(sigs) != 0 || len(atts) != 1 || !atts[0].Pending || atts[0].Digest != res.Attestations[0].Digest {
		t.Fatalf("unsigned: %d signatures, attestations %+v", len(sigs), atts)
	}
	st, err := attest.CheckPending(atts[0], m)
	if err != nil {
		t.Fatal(err)
	}
	if err := provenance.Check(st.Predicate, m); err != nil {
		t.Errorf("the pending provenance does not describe the bundle: %v", err)
	}
	if want, _ := os.ReadFile(p1 + ".slsa.json"); !bytes.Equal(want, st.Predicate) {
		t.Errorf("the attested predicate differs from --provenance-out's")
	}

	ps, res := run("s.ctp", k)
	m, atts, sigs = readBundle(t, ps)
	if len(sigs) != 1 || len(atts) != 1 || atts[0].Pending || res.Attestations[0].Pending {
		t.Fatalf("signed: %d signatures, attestations %+v", len(sigs), atts)
	}
	pub, err := attest.SignerKey(atts[0])
	if err != nil || pub.Fingerprint() != k.Fingerprint() {
		t.Fatalf("the provenance is signed by %v (%v), not the packing key", pub, err)
	}
	p, err := attest.Verify(atts[0].EnvelopeData, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := provenance.Check(p.Statement.Predicate, m); err != nil {
		t.Error(err)
	}
}
