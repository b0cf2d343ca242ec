package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"regexp"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/cerro-torre/ct/lib/exit"
)

// MaxIDLength is the longest key id.
const MaxIDLength = 64

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckID returns nil if id is a valid key id: 1 to 64 characters from
// [A-Za-z0-9._-], the first a letter or digit. Otherwise an exit.Usage error.
func CheckID(id string) error {
	if !idRE.MatchString(id) {
		return exit.New(exit.Usage, "invalid key id %q", id).
			WithHint("a key id is 1 to 64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit")
	}
	return nil
}

// PublicKey is a public key of one suite with the id it is known by. It is
// immutable; the fingerprint is computed once.
type PublicKey struct {
	id    string
	suite string
	key   []byte
	fp    Fingerprint
}

// NewPublicKey checks id, suite and the key length and returns the key. An
// invalid id is exit.Usage, an unknown suite or a wrong length exit.Malformed.
func NewPublicKey(id, suite string, key []byte) (*PublicKey, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	s := LookupSuite(suite)
	if s == nil {
		return nil, unknownSuite(suite)
	}
	if len(key) != s.PublicKey {
		return nil, exit.New(exit.Malformed, "%s public key is %d bytes; %s keys are exactly %d", suite, len(key), suite, s.PublicKey)
	}
	k := bytes.Clone(key)
	return &PublicKey{id: id, suite: suite, key: k, fp: ComputeFingerprint(suite, k)}, nil
}

// ID is the name the key is known by (a label, not an identity: only the
// fingerprint identifies a key).
func (p *PublicKey) ID() string { return p.id }

// Suite is the suite id, e.g. "CT-SIG-01".
func (p *PublicKey) Suite() string { return p.suite }

// Bytes returns a copy of the raw public key (for CT-SIG-02 the Ed25519 key
// followed by the ML-DSA-87 key).
func (p *PublicKey) Bytes() []byte { return bytes.Clone(p.key) }

// Fingerprint returns the key's fingerprint.
func (p *PublicKey) Fingerprint() Fingerprint { return p.fp }

// WithID returns the same key under another id.
func (p *PublicKey) WithID(id string) (*PublicKey, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	q := *p
	q.id = id
	return &q, nil
}

// Equal reports whether p and q are the same key (suite and bytes); ids are
// not compared.
func (p *PublicKey) Equal(q *PublicKey) bool {
	return p != nil && q != nil && p.fp == q.fp && p.suite == q.suite && bytes.Equal(p.key, q.key)
}

// Ed25519 returns the Ed25519 key of a CT-SIG-01 or CT-SIG-02 key, else nil.
func (p *PublicKey) Ed25519() ed25519.PublicKey {
	switch p.suite {
	case SuiteEd25519, SuiteHybrid:
		return ed25519.PublicKey(bytes.Clone(p.key[:ed25519.PublicKeySize]))
	}
	return nil
}

// MLDSA87 returns the ML-DSA-87 key of a CT-SIG-02 or CT-SIG-03 key, else nil.
func (p *PublicKey) MLDSA87() *mldsa87.PublicKey {
	var raw []byte
	switch p.suite {
	case SuiteHybrid:
		raw = p.key[ed25519.PublicKeySize:]
	case SuiteMLDSA87:
		raw = p.key
	default:
		return nil
	}
	var pk mldsa87.PublicKey
	if err := pk.UnmarshalBinary(raw); err != nil {
		return nil // unreachable: the length was checked
	}
	return &pk
}

// PrivateKey is a key pair of one suite, held as its seed.
type PrivateKey struct {
	seed []byte
	pub  *PublicKey
	ed   ed25519.PrivateKey
	ml   *mldsa87.PrivateKey
}

// Generate makes a new key pair of the suite (an id, not an alias: see
// ParseSuite) from crypto/rand.
func Generate(suite, id string) (*PrivateKey, error) {
	s := LookupSuite(suite)
	if s == nil {
		return nil, exit.New(exit.Usage, "unknown signature suite %q", suite).WithHint("use one of: %s", suiteList())
	}
	seed := make([]byte, s.Seed)
	if _, err := rand.Read(seed); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot read random bytes")
	}
	return NewPrivateKeyFromSeed(suite, id, seed)
}

// NewPrivateKeyFromSeed derives the key pair of a suite from its seed: 32
// bytes for CT-SIG-01 (the Ed25519 seed, RFC 8032) and CT-SIG-03 (the
// ML-DSA-87 seed ξ, FIPS 204), 64 for CT-SIG-02 (Ed25519 seed then ML-DSA-87
// seed). The same seed always gives the same key.
func NewPrivateKeyFromSeed(suite, id string, seed []byte) (*PrivateKey, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	s := LookupSuite(suite)
	if s == nil {
		return nil, unknownSuite(suite)
	}
	if len(seed) != s.Seed {
		return nil, exit.New(exit.Malformed, "%s seed is %d bytes; it must be exactly %d", suite, len(seed), s.Seed)
	}
	k := &PrivateKey{seed: bytes.Clone(seed)}
	var pub []byte
	rest := k.seed
	if suite == SuiteEd25519 || suite == SuiteHybrid {
		k.ed = ed25519.NewKeyFromSeed(rest[:ed25519.SeedSize])
		pub = append(pub, k.ed.Public().(ed25519.PublicKey)...)
		rest = rest[ed25519.SeedSize:]
	}
	if suite == SuiteMLDSA87 || suite == SuiteHybrid {
		var ms [mldsa87.SeedSize]byte
		copy(ms[:], rest)
		pk, sk := mldsa87.NewKeyFromSeed(&ms)
		k.ml = sk
		pub = append(pub, pk.Bytes()...)
	}
	p, err := NewPublicKey(id, suite, pub)
	if err != nil {
		return nil, err
	}
	k.pub = p
	return k, nil
}

// ID is the key's id.
func (k *PrivateKey) ID() string { return k.pub.id }

// Suite is the key's suite id.
func (k *PrivateKey) Suite() string { return k.pub.suite }

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// Fingerprint is the fingerprint of the public half.
func (k *PrivateKey) Fingerprint() Fingerprint { return k.pub.fp }

// Seed returns a copy of the secret seed.
func (k *PrivateKey) Seed() []byte { return bytes.Clone(k.seed) }

// Ed25519 returns the Ed25519 private key of a CT-SIG-01 or CT-SIG-02 key,
// else nil.
func (k *PrivateKey) Ed25519() ed25519.PrivateKey { return k.ed }

// MLDSA87 returns the ML-DSA-87 private key of a CT-SIG-02 or CT-SIG-03 key,
// else nil.
func (k *PrivateKey) MLDSA87() *mldsa87.PrivateKey { return k.ml }

// SignMessage signs msg per k's suite (signatures.md §3.2): the Ed25519
// signature, the ML-DSA-87 signature (deterministic, with the given
// context), or both concatenated for the hybrid suite. Bundle signatures
// (lib/sig) and attestation envelopes (lib/attest) differ only in the
// message and the context, so both sign through here.
func (k *PrivateKey) SignMessage(msg []byte, mldsaContext string) ([]byte, error) {
	var out []byte
	if k.ed != nil {
		out = append(out, ed25519.Sign(k.ed, msg)...)
	}
	if k.ml != nil {
		s := make([]byte, mldsa87.SignatureSize)
		if err := mldsa87.SignTo(k.ml, msg, []byte(mldsaContext), false, s); err != nil {
			return nil, exit.Wrap(exit.Internal, err, "ML-DSA-87 signing failed")
		}
		out = append(out, s...)
	}
	return out, nil
}
