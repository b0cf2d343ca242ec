package main

// The vectors of docs/spec/attestations.md §9.4: pending (unsigned)
// attestations. An unsigned bundle with one verifies like any unsigned
// bundle; ct sign turns it into a valid bundle whose attestation is signed
// by the bundle's key; every MUST-reject of §9.2 and §9.3 is malformed.

import (
	"bytes"
	"strings"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/signing"
)

// pendBundle returns a bundle of m with the pending statement st; am edits
// the pending manifest's bytes, mf the manifest before writing.
func pendBundle(m *bundle.Manifest, blobs map[string][]byte, st []byte, predicateType string,
	am func([]byte) []byte, mf func(*bundle.Manifest), signers ...*keys.PrivateKey) []byte {
	a, err := bundle.PendingManifest(m, bundle.Digest(st), int64(len(st)), predicateType)
	must(err)
	return withArtifact(m, blobs, st, a, bundle.AddPending, am, mf, signers...)
}

func pendingVectors(dir string, alice *keys.PrivateKey) int {
	m, blobs := image("web", "1.0")
	d := m.Image.Digest
	slsa := statementFor(d, attest.TypeSLSAProvenanceV1, vecSLSA)
	unsigned := pendBundle(m, blobs, slsa, attest.TypeSLSAProvenanceV1, nil, nil)
	var signed bytes.Buffer
	res, err := signing.SignBundleWith(bytes.NewReader(unsigned), "pending-unsigned.ctp", nil, &signed, alice, nil, signing.Options{SignPending: true})
	must(err)
	if res.Attested != 1 {
		panic("ct sign signed no pending attestation")
	}
	// The same bytes as attesting with alice's key, then signing.
	if want := attBundle(m, blobs, signEnv(alice, slsa), attest.TypeSLSAProvenanceV1, alice.Public(), nil, nil, alice); !bytes.Equal(want, signed.Bytes()) {
		panic("signing a pending attestation does not give the bytes of attesting with the key")
	}
	dropPending := func(m2 *bundle.Manifest) {
		for i, b := range m2.Blobs {
			if b.Role == bundle.RolePending {
				m2.Blobs = append(m2.Blobs[:i:i], m2.Blobs[i+1:]...)
				break
			}
		}
	}
	type v struct {
		name, expect, what string
		data               []byte
	}
	vs := []v{
		{"pending-unsigned", "signature-invalid", "an unsigned bundle with a pending SLSA attestation: unsigned, as any unsigned bundle", unsigned},
		{"pending-signed-by-ct-sign", "valid", "the pending-unsigned bundle signed by ct sign with the trusted key, which signed the attestation too", signed.Bytes()},
		{"pending-signed", "malformed", "a bundle signed by the trusted key that still lists a pending attestation",
			pendBundle(m, blobs, slsa, attest.TypeSLSAProvenanceV1, nil, nil, alice)},
		{"pending-signer-annotation", "malformed", "a pending attestation manifest with a signer annotation",
			pendBundle(m, blobs, slsa, attest.TypeSLSAProvenanceV1, func(a []byte) []byte {
				return bytes.Replace(a, []byte(`"annotations":{`), []byte(`"annotations":{"dev.cerro-torre.signer.suite":"CT-SIG-01",`), 1)
			}, nil)},
		{"pending-orphan-statement", "malformed", "a statement listed in manifest.toml that no pending attestation manifest names",
			pendBundle(m, blobs, slsa, attest.TypeSLSAProvenanceV1, nil, dropPending)},
		{"pending-statement-whitespace", "malformed", "a pending statement with a space after a colon (not the one encoding ct writes)",
			pendBundle(m, blobs, bytes.Replace(slsa, []byte(`"_type":`), []byte(`"_type": `), 1), attest.TypeSLSAProvenanceV1, nil, nil)},
		{"pending-other-subject", "malformed", "a pending statement about another image",
			pendBundle(m, blobs, statementFor("sha256:"+strings.Repeat("0f", 32), attest.TypeSLSAProvenanceV1, vecSLSA), attest.TypeSLSAProvenanceV1, nil, nil)},
	}
	for _, x := range vs {
		writeVector(dir, x.name, ".ctp", x.data, x.expect, x.what, "trusted.pub", "")
	}
	return len(vs)
}
