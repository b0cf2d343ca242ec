// Package pkixkey writes ct public keys in the form other tools read: a
// PEM "PUBLIC KEY" block holding an X.509 SubjectPublicKeyInfo (RFC 5280
// §4.1.2.7), as `openssl pkey -pubin`, cosign and sigstore-js take it
// (docs/spec/keys.md §2.1).
//
//   - CT-SIG-01: the Ed25519 key of RFC 8410 (OID 1.3.101.112), encoded by
//     crypto/x509;
//   - CT-SIG-03: the ML-DSA-87 key of RFC 9881 (OID 2.16.840.1.101.3.4.3.19,
//     parameters absent), encoded by circl's pki package;
//   - CT-SIG-02: refused with exit.Usage. No standard names ct's hybrid
//     (two independent signatures over one message), and writing either
//     half alone would let a tool accept what ct requires both halves for.
//
// It is a package of its own so that ct-verify, which links lib/keys but
// never writes PEM, does not link crypto/x509 and circl's scheme registry.
package pkixkey

import (
	"crypto/x509"
	"encoding/pem"

	"github.com/cloudflare/circl/pki"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// BlockType is the PEM type of every block this package writes.
const BlockType = "PUBLIC KEY"

// Marshal returns the DER SubjectPublicKeyInfo of p.
func Marshal(p *keys.PublicKey) ([]byte, error) {
	switch p.Suite() {
	case keys.SuiteEd25519:
		der, err := x509.MarshalPKIXPublicKey(p.Ed25519())
		if err != nil {
			return nil, exit.Wrap(exit.Internal, err, "cannot encode the Ed25519 key %s", p.ID())
		}
		return der, nil
	case keys.SuiteMLDSA87:
		pk := p.MLDSA87()
		if pk == nil { // unreachable: a PublicKey's length is checked
			return nil, exit.New(exit.Internal, "cannot read the ML-DSA-87 key %s", p.ID())
		}
		der, err := pki.MarshalPKIXPublicKey(pk)
		if err != nil {
			return nil, exit.Wrap(exit.Internal, err, "cannot encode the ML-DSA-87 key %s", p.ID())
		}
		return der, nil
	case keys.SuiteHybrid:
		return nil, exit.New(exit.Usage, "key %s (%s) is a %s key: it has no PEM form, and no other tool verifies %s signatures",
			p.ID(), p.Fingerprint().Display(), keys.SuiteHybrid, keys.SuiteHybrid).
			WithHint("verify its signatures and attestations with ct verify; share the key itself with ct key export %s --public (docs/spec/keys.md §2.1)", p.ID())
	}
	return nil, exit.New(exit.Internal, "no PEM form for suite %q", p.Suite())
}

// Encode returns p as one PEM "PUBLIC KEY" block (with a final newline).
func Encode(p *keys.PublicKey) ([]byte, error) {
	der, err := Marshal(p)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: BlockType, Bytes: der}), nil
}
