package keys

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// File format constants (keys.md §2, §3).
const (
	FileFormat      = 1                // the format field of both key files
	TypePublic      = "ct-public-key"  // type of a public key file
	TypePrivate     = "ct-private-key" // type of a private key file
	KDFArgon2id     = "argon2id"
	KDFNone         = "none"
	CipherXChaCha   = "xchacha20-poly1305"
	CipherNone      = "none"
	SaltSize        = 16
	MaxKeyFileSize  = 16 << 10 // bytes; the largest real file is under 5 KiB
	minPassphrase   = 1
	aeadKeySize     = chacha20poly1305.KeySize
	aeadNonceSize   = chacha20poly1305.NonceSizeX
	aeadOverhead    = chacha20poly1305.Overhead
	wrongPassphrase = "wrong passphrase"
)

// Bounds on the Argon2id parameters, enforced by writers and by readers
// before any work is done (keys.md §3.2). Memory is in KiB, as in RFC 9106.
const (
	MinMemoryKiB   = 8 << 10  // 8 MiB
	MaxMemoryKiB   = 4 << 20  // 4 GiB
	MinPasses      = 1        //
	MaxPasses      = 16       //
	MinParallelism = 1        //
	MaxParallelism = 16       //
	DefaultMemory  = 64 << 10 // 64 MiB
	DefaultPasses  = 3        //
	DefaultThreads = 4        //
)

// KDFParams are the Argon2id cost parameters of an encrypted private key.
type KDFParams struct {
	MemoryKiB   uint32 // memory in KiB
	Passes      uint32 // time cost t
	Parallelism uint8  // lanes p
}

// DefaultKDF is what new encrypted keys use: 64 MiB, 3 passes, 4 lanes
// (the second recommendation of RFC 9106 §4).
var DefaultKDF = KDFParams{MemoryKiB: DefaultMemory, Passes: DefaultPasses, Parallelism: DefaultThreads}

// Check returns an exit.Usage error if p is outside the bounds.
func (p KDFParams) Check() error {
	switch {
	case p.MemoryKiB < MinMemoryKiB || p.MemoryKiB > MaxMemoryKiB:
		return exit.New(exit.Usage, "Argon2id memory %d KiB is outside %d..%d KiB (8 MiB..4 GiB)", p.MemoryKiB, MinMemoryKiB, MaxMemoryKiB)
	case p.Passes < MinPasses || p.Passes > MaxPasses:
		return exit.New(exit.Usage, "Argon2id passes %d is outside %d..%d", p.Passes, MinPasses, MaxPasses)
	case p.Parallelism < MinParallelism || p.Parallelism > MaxParallelism:
		return exit.New(exit.Usage, "Argon2id parallelism %d is outside %d..%d", p.Parallelism, MinParallelism, MaxParallelism)
	}
	return nil
}

// ErrWrongPassphrase is wrapped by the error DecodePrivate returns when the
// AEAD does not open: the passphrase is wrong or the file was altered.
var ErrWrongPassphrase = errors.New(wrongPassphrase)

// deriveKey is Argon2id; the fuzz tests replace it with something cheap.
var deriveKey = func(pass, salt []byte, p KDFParams) []byte {
	return argon2.IDKey(pass, salt, p.Passes, p.MemoryKiB, p.Parallelism, aeadKeySize)
}

var b64 = base64.StdEncoding

// decodeB64 decodes standard padded base64 and accepts only the one
// canonical spelling of the bytes (no line breaks, zero padding bits).
func decodeB64(field, s string) ([]byte, error) {
	b, err := b64.Strict().DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, exit.New(exit.Malformed, "%s is not canonical standard base64", field)
	}
	return b, nil
}

// publicFile is the public key file (keys.md §2).
type publicFile struct {
	Fingerprint string `toml:"fingerprint"`
	Format      int64  `toml:"format"`
	ID          string `toml:"id"`
	Key         string `toml:"key"`
	Suite       string `toml:"suite"`
	Type        string `toml:"type"`
}

// EncodePublic returns the public key file of p: canonical TOML.
func EncodePublic(p *PublicKey) ([]byte, error) {
	out, err := canon.MarshalTOML(&publicFile{
		Fingerprint: p.fp.String(),
		Format:      FileFormat,
		ID:          p.id,
		Key:         b64.EncodeToString(p.key),
		Suite:       p.suite,
		Type:        TypePublic,
	})
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode public key %s", p.id)
	}
	return out, nil
}

// DecodePublic parses a public key file strictly: canonical TOML, no
// unknown or missing field, format 1, a known suite, a key of the suite's
// exact length and a fingerprint equal to the one computed from suite and key.
// Every failure is exit.Malformed, an invalid id included (keys.md §2).
func DecodePublic(data []byte) (*PublicKey, error) {
	if len(data) > MaxKeyFileSize {
		return nil, exit.New(exit.Malformed, "public key file is %d bytes, over the %d-byte limit", len(data), MaxKeyFileSize)
	}
	if IsPrivateFile(data) {
		return nil, exit.New(exit.Malformed, "this is a private key file, not a public key").
			WithHint("export the public key with ct key export NAME --public and share that file instead")
	}
	var f publicFile
	if err := canon.UnmarshalTOML(data, &f); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid public key file")
	}
	if err := roundTrips(data, &f); err != nil {
		return nil, err
	}
	if err := checkCommon(f.Format, f.Type, TypePublic); err != nil {
		return nil, err
	}
	if f.Suite == "" || f.Key == "" || f.Fingerprint == "" || f.ID == "" {
		return nil, exit.New(exit.Malformed, "public key file lacks %s", missing(map[string]string{"suite": f.Suite, "key": f.Key, "fingerprint": f.Fingerprint, "id": f.ID}))
	}
	return buildPublic(f.ID, f.Suite, f.Key, f.Fingerprint)
}

// roundTrips refuses a file that is canonical TOML but not what the encoder
// writes for its contents, e.g. one that spells out a field the encoder
// omits (kdf_passes = 0): every key has exactly one file.
func roundTrips(data []byte, v any) error {
	out, err := canon.MarshalTOML(v)
	if err != nil || !bytes.Equal(out, data) {
		return exit.New(exit.Malformed, "key file has fields that do not belong to its kind (an empty or zero field is written out)")
	}
	return nil
}

func checkCommon(format int64, typ, want string) error {
	if format != FileFormat {
		return exit.New(exit.Malformed, "unknown key file format %d (this ct reads format %d)", format, FileFormat)
	}
	if typ != want {
		return exit.New(exit.Malformed, "key file type is %q, want %q", typ, want)
	}
	return nil
}

func missing(fields map[string]string) string {
	for _, k := range []string{"cipher", "fingerprint", "id", "kdf", "key", "public_key", "suite"} {
		if v, ok := fields[k]; ok && v == "" {
			return k
		}
	}
	return "a field"
}

func buildPublic(id, suite, key, fp string) (*PublicKey, error) {
	if err := CheckID(id); err != nil {
		e := err.(*exit.Error)
		e.Code = exit.Malformed
		return nil, e
	}
	if LookupSuite(suite) == nil {
		return nil, unknownSuite(suite)
	}
	raw, err := decodeB64("key", key)
	if err != nil {
		return nil, err
	}
	p, err := NewPublicKey(id, suite, raw)
	if err != nil {
		return nil, err
	}
	if fp != p.fp.String() {
		return nil, exit.New(exit.Malformed, "fingerprint %q does not match the key (computed %s)", fp, p.fp)
	}
	return p, nil
}

// privateHeader is every field of a private key file except the secret:
// encoded canonically, it is the AEAD additional data (keys.md §3.3).
type privateHeader struct {
	Cipher         string `toml:"cipher"`
	CipherNonce    string `toml:"cipher_nonce,omitempty"`
	Fingerprint    string `toml:"fingerprint"`
	Format         int64  `toml:"format"`
	ID             string `toml:"id"`
	KDF            string `toml:"kdf"`
	KDFMemoryKiB   int64  `toml:"kdf_memory_kib,omitzero"`
	KDFParallelism int64  `toml:"kdf_parallelism,omitzero"`
	KDFPasses      int64  `toml:"kdf_passes,omitzero"`
	KDFSalt        string `toml:"kdf_salt,omitempty"`
	PublicKey      string `toml:"public_key"`
	Suite          string `toml:"suite"`
	Type           string `toml:"type"`
}

// privateFile is the whole private key file.
type privateFile struct {
	Cipher         string `toml:"cipher"`
	CipherNonce    string `toml:"cipher_nonce,omitempty"`
	Ciphertext     string `toml:"ciphertext,omitempty"`
	Fingerprint    string `toml:"fingerprint"`
	Format         int64  `toml:"format"`
	ID             string `toml:"id"`
	KDF            string `toml:"kdf"`
	KDFMemoryKiB   int64  `toml:"kdf_memory_kib,omitzero"`
	KDFParallelism int64  `toml:"kdf_parallelism,omitzero"`
	KDFPasses      int64  `toml:"kdf_passes,omitzero"`
	KDFSalt        string `toml:"kdf_salt,omitempty"`
	PublicKey      string `toml:"public_key"`
	Seed           string `toml:"seed,omitempty"`
	Suite          string `toml:"suite"`
	Type           string `toml:"type"`
}

func (f *privateFile) header() *privateHeader {
	return &privateHeader{
		Cipher: f.Cipher, CipherNonce: f.CipherNonce, Fingerprint: f.Fingerprint,
		Format: f.Format, ID: f.ID, KDF: f.KDF, KDFMemoryKiB: f.KDFMemoryKiB,
		KDFParallelism: f.KDFParallelism, KDFPasses: f.KDFPasses, KDFSalt: f.KDFSalt,
		PublicKey: f.PublicKey, Suite: f.Suite, Type: f.Type,
	}
}

func additionalData(f *privateFile) ([]byte, error) {
	ad, err := canon.MarshalTOML(f.header())
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "cannot encode the key file header")
	}
	return ad, nil
}

func newPrivateFile(k *PrivateKey) *privateFile {
	return &privateFile{
		Fingerprint: k.pub.fp.String(),
		Format:      FileFormat,
		ID:          k.pub.id,
		PublicKey:   b64.EncodeToString(k.pub.key),
		Suite:       k.pub.suite,
		Type:        TypePrivate,
	}
}

// EncodePrivate returns the private key file of k with the seed encrypted
// under a key derived from passphrase by Argon2id with params, a fresh random
// salt and a fresh random nonce. The passphrase must not be empty: an
// unencrypted file is written only by EncodePrivateUnencrypted.
func EncodePrivate(k *PrivateKey, passphrase []byte, params KDFParams) ([]byte, error) {
	if len(passphrase) < minPassphrase {
		return nil, exit.New(exit.Usage, "empty passphrase").
			WithHint("give a passphrase, or store the key unencrypted explicitly with --no-passphrase")
	}
	if err := params.Check(); err != nil {
		return nil, err
	}
	salt := make([]byte, SaltSize)
	nonce := make([]byte, aeadNonceSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot read random bytes")
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot read random bytes")
	}
	return encodePrivate(k, passphrase, params, salt, nonce)
}

func encodePrivate(k *PrivateKey, passphrase []byte, params KDFParams, salt, nonce []byte) ([]byte, error) {
	f := newPrivateFile(k)
	f.KDF = KDFArgon2id
	f.KDFMemoryKiB = int64(params.MemoryKiB)
	f.KDFPasses = int64(params.Passes)
	f.KDFParallelism = int64(params.Parallelism)
	f.KDFSalt = b64.EncodeToString(salt)
	f.Cipher = CipherXChaCha
	f.CipherNonce = b64.EncodeToString(nonce)
	ad, err := additionalData(f)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(deriveKey(passphrase, salt, params))
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot set up XChaCha20-Poly1305")
	}
	f.Ciphertext = b64.EncodeToString(aead.Seal(nil, nonce, k.seed, ad))
	return marshalPrivate(f)
}

// EncodePrivateUnencrypted returns the private key file of k with the seed
// in clear (kdf = "none"). Use it only when the user asked for it
// (--no-passphrase).
func EncodePrivateUnencrypted(k *PrivateKey) ([]byte, error) {
	f := newPrivateFile(k)
	f.KDF = KDFNone
	f.Cipher = CipherNone
	f.Seed = b64.EncodeToString(k.seed)
	return marshalPrivate(f)
}

func marshalPrivate(f *privateFile) ([]byte, error) {
	out, err := canon.MarshalTOML(f)
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode private key %s", f.ID)
	}
	return out, nil
}

// PrivateInfo is what a private key file says without its passphrase.
type PrivateInfo struct {
	Public    *PublicKey
	Encrypted bool
	KDF       KDFParams // zero when not encrypted
}

// parsedPrivate is a private key file whose every field has been checked,
// short of decrypting.
type parsedPrivate struct {
	file  *privateFile
	info  PrivateInfo
	salt  []byte
	nonce []byte
	ct    []byte // ciphertext, encrypted files only
	seed  []byte // unencrypted files only
}

// InspectPrivate checks a private key file as DecodePrivate does, short of
// decrypting it, and returns its public half and encryption parameters.
func InspectPrivate(data []byte) (*PrivateInfo, error) {
	p, err := parsePrivate(data)
	if err != nil {
		return nil, err
	}
	return &p.info, nil
}

func parsePrivate(data []byte) (*parsedPrivate, error) {
	if len(data) > MaxKeyFileSize {
		return nil, exit.New(exit.Malformed, "private key file is %d bytes, over the %d-byte limit", len(data), MaxKeyFileSize)
	}
	if IsPublicFile(data) {
		return nil, exit.New(exit.Malformed, "this is a public key file, not a private key")
	}
	f := new(privateFile)
	if err := canon.UnmarshalTOML(data, f); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid private key file")
	}
	if err := roundTrips(data, f); err != nil {
		return nil, err
	}
	if err := checkCommon(f.Format, f.Type, TypePrivate); err != nil {
		return nil, err
	}
	if f.Suite == "" || f.PublicKey == "" || f.Fingerprint == "" || f.ID == "" || f.KDF == "" || f.Cipher == "" {
		return nil, exit.New(exit.Malformed, "private key file lacks %s", missing(map[string]string{
			"suite": f.Suite, "public_key": f.PublicKey, "fingerprint": f.Fingerprint, "id": f.ID, "kdf": f.KDF, "cipher": f.Cipher}))
	}
	pub, err := buildPublic(f.ID, f.Suite, f.PublicKey, f.Fingerprint)
	if err != nil {
		return nil, err
	}
	seedSize := LookupSuite(f.Suite).Seed
	p := &parsedPrivate{file: f, info: PrivateInfo{Public: pub}}
	switch f.KDF {
	case KDFNone:
		if f.Cipher != CipherNone {
			return nil, exit.New(exit.Malformed, "kdf is %q but cipher is %q; an unencrypted key has cipher = %q", KDFNone, f.Cipher, CipherNone)
		}
		if f.CipherNonce != "" || f.Ciphertext != "" || f.KDFSalt != "" || f.KDFMemoryKiB != 0 || f.KDFPasses != 0 || f.KDFParallelism != 0 {
			return nil, exit.New(exit.Malformed, "an unencrypted key file has no cipher_nonce, ciphertext or kdf_* fields")
		}
		if f.Seed == "" {
			return nil, exit.New(exit.Malformed, "unencrypted private key file lacks seed")
		}
		seed, err := decodeB64("seed", f.Seed)
		if err != nil {
			return nil, err
		}
		if len(seed) != seedSize {
			return nil, exit.New(exit.Malformed, "%s seed is %d bytes; it must be exactly %d", f.Suite, len(seed), seedSize)
		}
		p.seed = seed
	case KDFArgon2id:
		if f.Cipher != CipherXChaCha {
			return nil, exit.New(exit.Malformed, "unknown cipher %q (this ct knows %q)", f.Cipher, CipherXChaCha)
		}
		if f.Seed != "" {
			return nil, exit.New(exit.Malformed, "an encrypted key file must not hold a seed in clear")
		}
		if f.KDFMemoryKiB < MinMemoryKiB || f.KDFMemoryKiB > MaxMemoryKiB ||
			f.KDFPasses < MinPasses || f.KDFPasses > MaxPasses ||
			f.KDFParallelism < MinParallelism || f.KDFParallelism > MaxParallelism {
			return nil, exit.New(exit.Malformed, "Argon2id parameters memory=%d KiB, passes=%d, parallelism=%d are outside the accepted bounds (memory %d..%d KiB, passes %d..%d, parallelism %d..%d)",
				f.KDFMemoryKiB, f.KDFPasses, f.KDFParallelism, MinMemoryKiB, MaxMemoryKiB, MinPasses, MaxPasses, MinParallelism, MaxParallelism)
		}
		p.info.Encrypted = true
		p.info.KDF = KDFParams{MemoryKiB: uint32(f.KDFMemoryKiB), Passes: uint32(f.KDFPasses), Parallelism: uint8(f.KDFParallelism)}
		if p.salt, err = decodeB64("kdf_salt", f.KDFSalt); err != nil {
			return nil, err
		}
		if len(p.salt) != SaltSize {
			return nil, exit.New(exit.Malformed, "kdf_salt is %d bytes; it must be exactly %d", len(p.salt), SaltSize)
		}
		if p.nonce, err = decodeB64("cipher_nonce", f.CipherNonce); err != nil {
			return nil, err
		}
		if len(p.nonce) != aeadNonceSize {
			return nil, exit.New(exit.Malformed, "cipher_nonce is %d bytes; it must be exactly %d", len(p.nonce), aeadNonceSize)
		}
		if p.ct, err = decodeB64("ciphertext", f.Ciphertext); err != nil {
			return nil, err
		}
		if len(p.ct) != seedSize+aeadOverhead {
			return nil, exit.New(exit.Malformed, "ciphertext is %d bytes; a %s key's is exactly %d", len(p.ct), f.Suite, seedSize+aeadOverhead)
		}
	default:
		return nil, exit.New(exit.Malformed, "unknown kdf %q (this ct knows %q and %q)", f.KDF, KDFArgon2id, KDFNone)
	}
	return p, nil
}

// DecodePrivate parses a private key file (strictly, as InspectPrivate) and
// returns the key. For an encrypted file it calls passphrase once, after
// every check that needs no secret; an unencrypted file never calls it. A
// passphrase that does not open the file gives an exit.Usage error wrapping
// ErrWrongPassphrase (a file whose header or ciphertext was altered gives the
// same error: the AEAD cannot tell them apart).
func DecodePrivate(data []byte, passphrase func() ([]byte, error)) (*PrivateKey, error) {
	p, err := parsePrivate(data)
	if err != nil {
		return nil, err
	}
	pub := p.info.Public
	seed := p.seed
	if p.info.Encrypted {
		if passphrase == nil {
			return nil, exit.New(exit.Usage, "private key %s (%s) is encrypted and no passphrase was given", pub.id, pub.fp.Short())
		}
		pass, err := passphrase()
		if err != nil {
			var ee *exit.Error
			if errors.As(err, &ee) {
				return nil, err
			}
			return nil, exit.Wrap(exit.Usage, err, "cannot read the passphrase for key %s", pub.id)
		}
		ad, err := additionalData(p.file)
		if err != nil {
			return nil, err
		}
		aead, err := chacha20poly1305.NewX(deriveKey(pass, p.salt, p.info.KDF))
		if err != nil {
			return nil, exit.Wrap(exit.Internal, err, "cannot set up XChaCha20-Poly1305")
		}
		seed, err = aead.Open(nil, p.nonce, p.ct, ad)
		if err != nil {
			return nil, exit.Wrap(exit.Usage, ErrWrongPassphrase, "cannot decrypt private key %s (fingerprint %s)", pub.id, pub.fp.Display()).
				WithHint("check the passphrase; if it is right, the key file has been altered or damaged: restore it from a backup")
		}
	}
	k, err := NewPrivateKeyFromSeed(pub.suite, pub.id, seed)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(k.pub.key, pub.key) != 1 {
		return nil, exit.New(exit.Malformed, "private key %s: the seed does not give the public key the file names", pub.id)
	}
	return k, nil
}

// String describes the parameters, e.g. "argon2id m=65536 KiB t=3 p=4".
func (p KDFParams) String() string {
	return fmt.Sprintf("argon2id m=%d KiB t=%d p=%d", p.MemoryKiB, p.Passes, p.Parallelism)
}
