package attest

import (
	"encoding/base64"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Signer returns the annotations that name k's holder in an attestation
// manifest (attestations.md §4.1).
func Signer(pub *keys.PublicKey) bundle.AttestationSigner {
	return bundle.AttestationSigner{Suite: pub.Suite(), Fingerprint: pub.Fingerprint().String(),
		PublicKey: base64.StdEncoding.EncodeToString(pub.Bytes())}
}

// SignerKey returns the public key an attestation manifest names, checking
// that it is of its suite's size and has its fingerprint (attestations.md
// §4.2). Failures are exit.Malformed. The key is named by nothing: it is
// the bundle's claim, trusted only by fingerprint.
func SignerKey(a bundle.Attestation) (*keys.PublicKey, error) {
	raw, err := stdBase64(a.SignerKey)
	if err != nil {
		return nil, malformed("the signer's public key is not standard base64: %v", err)
	}
	pub, err := keys.NewPublicKey("attestation-signer", a.SignerSuite, raw)
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the signer's public key is not a %s key", a.SignerSuite)
	}
	if pub.Fingerprint().String() != a.SignerFP {
		return nil, malformed("the signer's public key has fingerprint %s, but the annotation says %s", pub.Fingerprint(), a.SignerFP)
	}
	return pub, nil
}

// Attach signs a statement about m's image with k and returns the new
// manifest, the envelope and the attestation manifest to add to the bundle.
func Attach(m *bundle.Manifest, k *keys.PrivateKey, predicateType string, predicate []byte) (*bundle.Manifest, []byte, []byte, error) {
	payload, err := encodeStatement(m, predicateType, predicate)
	if err != nil {
		return nil, nil, nil, err
	}
	env, err := Sign(k, payload)
	if err != nil {
		return nil, nil, nil, err
	}
	am, err := bundle.AttestationManifest(m, bundle.Digest(env), int64(len(env)), predicateType, Signer(k.Public()))
	if err != nil {
		return nil, nil, nil, err
	}
	m2, err := bundle.AddAttestation(m, env, am)
	if err != nil {
		return nil, nil, nil, err
	}
	return m2, env, am, nil
}

// encodeStatement returns the statement about m's image with the given
// predicate, in the one encoding ct writes: the bytes Attach signs and Pend
// stores.
func encodeStatement(m *bundle.Manifest, predicateType string, predicate []byte) ([]byte, error) {
	st, err := NewStatement(m, predicateType, predicate)
	if err != nil {
		return nil, err
	}
	return st.Encode()
}
