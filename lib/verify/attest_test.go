package verify

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
)

const testSLSA = `{"buildDefinition":{"buildType":"https://cerro-torre.dev/pack/v1","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://cerro-torre.dev/ct-pack"}}}`

// attested returns an unsigned bundle with one attestation by k, then
// signed by signer.
func attested(t testing.TB, k, signer *keys.PrivateKey, predicateType, predicate string) []byte {
	m, blobs := image()
	unsigned := writeBundle(t, m, blobs)
	var out bytes.Buffer
	if _, err := attest.AddToBundle(bytes.NewReader(unsigned), "x.ctp", &out, attest.AddRequest{Key: k, PredicateType: predicateType, Predicate: []byte(predicate)}, nil); err != nil {
		t.Fatal(err)
	}
	var signed bytes.Buffer
	if _, _, err := sig.SignBundle(bytes.NewReader(out.Bytes()), "x.ctp", &signed, signer, nil); err != nil {
		t.Fatal(err)
	}
	return signed.Bytes()
}

func TestAttestationEverySuite(t *testing.T) {
	alice := key(t, keys.SuiteEd25519, "alice", 1)
	for _, s := range []string{keys.SuiteEd25519, keys.SuiteHybrid, keys.SuiteMLDSA87} {
		k := key(t, s, "builder", 7)
		data := attested(t, k, alice, attest.TypeSLSAProvenanceV1, testSLSA)
		f := &fixture{alice: alice}
		opts := f.trust(alice, k)
		stream, file := both(t, data, opts)
		for _, rep := range []*Report{stream, file} {
			if err := rep.Err(); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if len(rep.Attestations) != 1 || !rep.Attestations[0].Trusted || rep.Attestations[0].Key.KeyID != "builder" ||
				rep.Attestations[0].PredicateType != attest.TypeSLSAProvenanceV1 {
				t.Fatalf("%s: %+v", s, rep.Attestations)
			}
		}
		// The attestation signer not trusted: 3, naming it.
		rep := Verify(bytes.NewReader(data), "x.ctp", f.trust(alice))
		if exit.CodeOf(rep.Err()) != exit.KeyNotTrusted || !strings.Contains(rep.Err().Error(), "attestation") {
			t.Fatalf("%s untrusted: %v", s, rep.Err())
		}
		// A policy that requires it, by the right and the wrong signer.
		opts.Policy = mustPolicy(t, `{"version":1,"require_attestations":[{"type":"slsa-provenance","signers":["builder"]}]}`)
		if err := Verify(bytes.NewReader(data), "x.ctp", opts).Err(); err != nil {
			t.Fatalf("%s policy: %v", s, err)
		}
		opts.Policy = mustPolicy(t, `{"version":1,"require_attestations":[{"type":"slsa-provenance","signers":["alice"]}]}`)
		if err := Verify(bytes.NewReader(data), "x.ctp", opts).Err(); exit.CodeOf(err) != exit.MissingAttestation || !strings.Contains(err.Error(), "not one of the required signers") {
			t.Fatalf("%s wrong signer: %v", s, err)
		}
		opts.Policy = mustPolicy(t, `{"version":1,"require_attestations":["spdx"]}`)
		if err := Verify(bytes.NewReader(data), "x.ctp", opts).Err(); exit.CodeOf(err) != exit.MissingAttestation || !strings.Contains(err.Error(), "https://spdx.dev/Document: the bundle has no attestation") {
			t.Fatalf("%s missing: %v", s, err)
		}
	}
}

func TestAttestationSignedBundleRefused(t *testing.T) {
	alice := key(t, keys.SuiteEd25519, "alice", 1)
	m, blobs := image()
	signed := writeBundle(t, m, blobs, alice)
	var out bytes.Buffer
	_, err := attest.AddToBundle(bytes.NewReader(signed), "x.ctp", &out, attest.AddRequest{Key: alice, PredicateType: "https://example.com/x", Predicate: []byte(`{}`)}, nil)
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "is signed") {
		t.Fatalf("%v", err)
	}
	out.Reset()
	res, err := attest.AddToBundle(bytes.NewReader(signed), "x.ctp", &out, attest.AddRequest{Key: alice, PredicateType: "https://example.com/x", Predicate: []byte(`{}`), DropSignatures: true}, nil)
	if err != nil || len(res.Dropped) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	_, sigs, err := bundle.Check(bytes.NewReader(out.Bytes()), "y.ctp")
	if err != nil || len(sigs) != 0 {
		t.Fatalf("%v, %d signatures", err, len(sigs))
	}
}
