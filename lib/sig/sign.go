package sig

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// rawSign signs msg with k per its suite (signatures.md §3.2).
func rawSign(k *keys.PrivateKey, msg []byte) ([]byte, error) { return k.SignMessage(msg, MLDSAContext) }

// Sign signs manifest (the exact bytes of manifest.toml) with k and returns
// the entry, which carries k's public key. Signing is deterministic: the
// same key and manifest always give the same entry. The signature is
// verified before it is returned.
func Sign(k *keys.PrivateKey, manifest []byte) (*Entry, error) {
	s := LookupSuite(k.Suite())
	if s == nil {
		return nil, exit.New(exit.Usage, "key %s has unknown suite %q", k.ID(), k.Suite())
	}
	d := ManifestDigest(manifest)
	raw, err := rawSign(k, Message(s.ID, k.Fingerprint(), d))
	if err != nil {
		return nil, err
	}
	e := &Entry{Suite: s.ID, KeyID: k.ID(), Fingerprint: k.Fingerprint(), ManifestDigest: d, PublicKey: k.Public(), Signature: raw}
	if err := Verify(e, k.Public(), manifest); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "a signature just made does not verify")
	}
	return e, nil
}

// VerifySelf checks e with the public key it carries against the exact
// bytes of manifest.toml: it returns nil only if the embedded key is of e's
// suite and has e's fingerprint, e covers this manifest, and its signature
// verifies (for CT-SIG-02, both halves). Every failure is
// exit.SignatureInvalid and says what failed, as Verify does.
//
// VerifySelf says nothing about trust: a valid signature by an unknown key
// verifies. Whether e.Fingerprint is a trusted key is the caller's decision
// (signatures.md §5).
func VerifySelf(e *Entry, manifest []byte) error {
	if e.PublicKey == nil {
		return exit.New(exit.SignatureInvalid, "signature entry carries no public key").At(e.Name())
	}
	return verify(e, e.PublicKey, false, manifest)
}

// Verify checks e against the trusted public key pub and the exact bytes of
// manifest.toml. It returns nil only if e names pub's suite and fingerprint,
// carries pub, covers this manifest, and its signature verifies (for
// CT-SIG-02, both halves). Every failure is exit.SignatureInvalid and says
// what failed.
func Verify(e *Entry, pub *keys.PublicKey, manifest []byte) error {
	return verify(e, pub, true, manifest)
}

// VerifyDigest checks e against the trusted public key pub when only the
// manifest's digest is known, not its bytes: e.ManifestDigest is taken as
// given (signatures.md §3.1 signs the digest, so this is the same check
// as Verify minus the manifest hashing). A transparency log monitor uses
// it: a log leaf carries the digest, the suite, the fingerprint and the
// signature, and the owner supplies the public key. e.PublicKey is
// ignored. Failures are exit.SignatureInvalid.
func VerifyDigest(e *Entry, pub *keys.PublicKey) error {
	c := *e
	c.PublicKey = pub
	return verifyDigest(&c, pub, true, e.ManifestDigest)
}

// verify checks e with pub; if trusted, pub came from the caller and must
// also be the key e carries.
func verify(e *Entry, pub *keys.PublicKey, trusted bool, manifest []byte) error {
	return verifyDigest(e, pub, trusted, ManifestDigest(manifest))
}

// verifyDigest is verify for a manifest with digest d.
func verifyDigest(e *Entry, pub *keys.PublicKey, trusted bool, d Digest) error {
	where := e.Name()
	bad := func(format string, args ...any) *exit.Error {
		return exit.New(exit.SignatureInvalid, format, args...).At(where)
	}
	// who names the key in messages: a trusted key by the caller's id for
	// it; the key an entry carries only by fingerprint, its id being the
	// entry's unsigned key_id (signatures.md §4.4), shown as a claim.
	who := fmt.Sprintf("%s (%s)", pub.ID(), pub.Fingerprint().Short())
	key := "key " + who
	if !trusted {
		who = fmt.Sprintf("key %s (calls itself %q)", pub.Fingerprint().Short(), pub.ID())
		key = who
	}
	s := LookupSuite(e.Suite)
	if s == nil {
		return bad("unknown signature suite %q", e.Suite)
	}
	if e.Suite != pub.Suite() {
		return bad("signature is %s, but %s is %s", e.Suite, key, pub.Suite()).
			WithHint("a signature verifies only with a key of its own suite")
	}
	if e.Fingerprint != pub.Fingerprint() {
		return bad("signature was made by key %s, not by %s", e.Fingerprint.Display(), key)
	}
	if trusted && !pub.Equal(e.PublicKey) {
		return bad("signed by a different key than the trusted one: the entry does not carry key %s (%s)", pub.ID(), pub.Fingerprint().Display())
	}
	if e.ManifestDigest != d {
		return bad("signature covers manifest %s, but this manifest is %s", e.ManifestDigest, d).
			WithHint("the bundle was changed after it was signed, or the signature belongs to another bundle")
	}
	if len(e.Signature) != s.SignatureSize {
		return bad("%s signature is %d bytes; it must be exactly %d", s.ID, len(e.Signature), s.SignatureSize)
	}
	msg := Message(s.ID, pub.Fingerprint(), d)
	sg := e.Signature
	var edOK, mlOK bool
	switch s.ID {
	case keys.SuiteEd25519:
		if !ed25519.Verify(pub.Ed25519(), msg, sg) {
			return bad("%s (Ed25519) signature by %s does not verify", s.ID, who)
		}
		return nil
	case keys.SuiteMLDSA87:
		if !verifyMLDSA(pub.MLDSA87(), msg, sg) {
			return bad("%s (ML-DSA-87) signature by %s does not verify", s.ID, who)
		}
		return nil
	case keys.SuiteHybrid:
		edOK = ed25519.Verify(pub.Ed25519(), msg, sg[:ed25519.SignatureSize])
		mlOK = verifyMLDSA(pub.MLDSA87(), msg, sg[ed25519.SignatureSize:])
		switch {
		case edOK && mlOK:
			return nil
		case !edOK && !mlOK:
			return bad("%s hybrid signature by %s: neither the Ed25519 half nor the ML-DSA-87 half verifies", s.ID, who)
		case !edOK:
			return bad("%s hybrid signature by %s: the Ed25519 half does not verify (the ML-DSA-87 half does; both are required)", s.ID, who)
		default:
			return bad("%s hybrid signature by %s: the ML-DSA-87 half does not verify (the Ed25519 half does; both are required)", s.ID, who)
		}
	}
	return bad("suite %s has no verifier", s.ID)
}

func verifyMLDSA(pk *mldsa87.PublicKey, msg, sg []byte) (ok bool) {
	if pk == nil || len(sg) != mldsa87.SignatureSize {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return mldsa87.Verify(pk, msg, []byte(MLDSAContext), sg)
}

// Equal reports whether two entries are identical.
func (e *Entry) Equal(o *Entry) bool {
	return e.Suite == o.Suite && e.KeyID == o.KeyID && e.Fingerprint == o.Fingerprint &&
		e.ManifestDigest == o.ManifestDigest && bytes.Equal(e.Signature, o.Signature) &&
		(e.PublicKey == nil && o.PublicKey == nil || e.PublicKey.Equal(o.PublicKey) && e.PublicKey.ID() == o.PublicKey.ID())
}
