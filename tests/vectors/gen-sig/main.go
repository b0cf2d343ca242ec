// Command gen-sig writes the signature-suite test vectors in
// tests/vectors/sig (docs/spec/signatures.md §7). Run it from the tests
// module:
//
//	cd tests && go run ./vectors/gen-sig
//
// It is a second, independent implementation of the spec: it builds
// fingerprints, signed messages, key files and signature entries itself
// from crypto/ed25519, circl's ML-DSA-87 and byte-level templates, without
// calling lib/keys or lib/sig, so the vectors test those packages instead
// of echoing them. Keys come from fixed seeds, and signing is deterministic,
// so a run reproduces the files byte for byte.
//
// Each vector is a txtar archive whose comment holds header lines
//
//	expect: valid | signature-invalid | malformed
//	expect-self: valid | signature-invalid   (only when entry.sig parses)
//	verdict: valid | signature-invalid | untrusted | malformed
//	suite: <suite of public.key>
//	reason: <one line>
//	entry-name: signatures/<64 hex>.sig
//	key-seed: <hex seed of public.key's key pair>
//	passphrase: <passphrase of private-encrypted.key, valid vectors only>
//	signer-suite, signer-seed: <suite and hex seed of the key that made the
//	  signature, when another>
//
// and whose files are public.key (the verifying key's public key file),
// private.key (its unencrypted private key file; valid vectors only),
// manifest.toml (the signed manifest's exact bytes), message.hex (the
// message a verifier builds from public.key and manifest.toml, hex) and
// entry.sig (the signature entry, the content of the bundle entry
// entry-name).
//
// Meaning of expect: valid → ParseEntry accepts entry.sig under entry-name
// and Verify accepts it with public.key over manifest.toml, and signing
// manifest.toml with the seed's key gives entry.sig exactly;
// signature-invalid → it parses but Verify rejects it (exit code 2);
// malformed → ParseEntry rejects it (exit code 10). expect-self is the
// outcome of VerifySelf, which uses the public key the entry carries.
// verdict is what a verifier that trusts exactly public.key concludes by
// the order of signatures.md §5: malformed (10), else signature-invalid if
// the entry does not verify with its own key (2), else untrusted if its
// fingerprint is not public.key's (3), else valid (0).
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	s01 = "CT-SIG-01"
	s02 = "CT-SIG-02"
	s03 = "CT-SIG-03"
)

// manifest is a small canonical manifest.toml (bundle.md §3); only its
// SHA-256 enters a signature.
const manifest = `format = 1

[[blob]]
digest = "sha256:0b3b4e7a54c5c9b8b5a9c2c7d3f5e1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3"
media_type = "application/vnd.oci.image.layer.v1.tar+gzip"
role = "layer"
size = 3623807

[[blob]]
digest = "sha256:5a1b6c0d3e8f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b"
media_type = "application/vnd.oci.image.manifest.v1+json"
role = "manifest"
size = 528

[[blob]]
digest = "sha256:9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b"
media_type = "application/vnd.oci.image.config.v1+json"
role = "config"
size = 1469

[image]
config = "sha256:9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b"
digest = "sha256:5a1b6c0d3e8f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b"
media_type = "application/vnd.oci.image.manifest.v1+json"
platform = "linux/amd64"
size = 528

[package]
name = "demo"
version = "1.0"

[source]
digest = "sha256:5a1b6c0d3e8f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b"
reference = "oci:demo:1.0"
tag = "1.0"
transport = "oci"

[tool]
name = "ct-pack"
version = "0.1.0"
`

// otherManifest is signed by the manifest-digest-mismatch vector.
const otherManifest = "format = 1\n\n[package]\nname = \"other\"\nversion = \"2.0\"\n"

// seq returns n bytes start, start+1, ….
func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// key is a key pair built from a seed, by the rules of keys.md §1-3.
type key struct {
	id, suite string
	seed      []byte
	pub       []byte
	ed        ed25519.PrivateKey
	ml        *mldsa87.PrivateKey
}

func newKey(suite, id string, seed []byte) *key {
	k := &key{id: id, suite: suite, seed: seed}
	rest := seed
	if suite != s03 {
		k.ed = ed25519.NewKeyFromSeed(rest[:32])
		k.pub = append(k.pub, k.ed.Public().(ed25519.PublicKey)...)
		rest = rest[32:]
	}
	if suite != s01 {
		var s [mldsa87.SeedSize]byte
		copy(s[:], rest)
		pk, sk := mldsa87.NewKeyFromSeed(&s)
		k.ml = sk
		k.pub = append(k.pub, pk.Bytes()...)
	}
	return k
}

// fixedSeed is the seed of a suite's vector key: 0x00..0x1f for each
// 32-byte part, the hybrid's ML-DSA-87 part continuing 0x20..0x3f; other
// keys start at another byte.
func fixedSeed(suite string, start byte) []byte {
	if suite == s02 {
		return seq(64, start)
	}
	return seq(32, start)
}

func fingerprintOf(suite string, pub []byte) []byte {
	h := sha256.New()
	h.Write([]byte("CT-KEY-V1\x00" + suite + "\x00"))
	h.Write(pub)
	return h.Sum(nil)
}

func (k *key) fp() []byte { return fingerprintOf(k.suite, k.pub) }

func message(suite string, fp []byte, manifest string) []byte {
	d := sha256.Sum256([]byte(manifest))
	m := []byte("CT-SIG-V1\x00" + suite + "\x00")
	m = append(m, fp...)
	return append(m, d[:]...)
}

// sign signs msg as the key's suite prescribes (signatures.md §3.2).
func (k *key) sign(msg []byte) []byte {
	var out []byte
	if k.ed != nil {
		out = append(out, ed25519.Sign(k.ed, msg)...)
	}
	if k.ml != nil {
		s := make([]byte, mldsa87.SignatureSize)
		if err := mldsa87.SignTo(k.ml, msg, []byte("cerro-torre"), false, s); err != nil {
			log.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

var b64 = base64.StdEncoding

func (k *key) publicFile() string {
	return fmt.Sprintf("fingerprint = %q\nformat = 1\nid = %q\nkey = %q\nsuite = %q\ntype = \"ct-public-key\"\n",
		hex.EncodeToString(k.fp()), k.id, b64.EncodeToString(k.pub), k.suite)
}

// The encrypted private key file of every valid vector uses these fixed
// values (real files draw salt and nonce at random, keys.md §3.3).
const (
	vectorPassphrase = "correct horse battery staple"
	vectorMemoryKiB  = 8192
	vectorPasses     = 1
	vectorLanes      = 1
)

// encryptedFile is the key's private key file encrypted per keys.md §3.4:
// the additional data is the file without its ciphertext line.
func (k *key) encryptedFile() string {
	salt, nonce := seq(16, 0xa0), seq(24, 0xc0)
	before := fmt.Sprintf("cipher = \"xchacha20-poly1305\"\ncipher_nonce = %q\n", b64.EncodeToString(nonce))
	after := fmt.Sprintf("fingerprint = %q\nformat = 1\nid = %q\nkdf = \"argon2id\"\nkdf_memory_kib = %d\nkdf_parallelism = %d\nkdf_passes = %d\nkdf_salt = %q\npublic_key = %q\nsuite = %q\ntype = \"ct-private-key\"\n",
		hex.EncodeToString(k.fp()), k.id, vectorMemoryKiB, vectorLanes, vectorPasses, b64.EncodeToString(salt), b64.EncodeToString(k.pub), k.suite)
	fileKey := argon2.IDKey([]byte(vectorPassphrase), salt, vectorPasses, vectorMemoryKiB, vectorLanes, 32)
	aead, err := chacha20poly1305.NewX(fileKey)
	if err != nil {
		log.Fatal(err)
	}
	ct := aead.Seal(nil, nonce, k.seed, []byte(before+after))
	return before + fmt.Sprintf("ciphertext = %q\n", b64.EncodeToString(ct)) + after
}

func (k *key) privateFile() string {
	return fmt.Sprintf("cipher = \"none\"\nfingerprint = %q\nformat = 1\nid = %q\nkdf = \"none\"\npublic_key = %q\nseed = %q\nsuite = %q\ntype = \"ct-private-key\"\n",
		hex.EncodeToString(k.fp()), k.id, b64.EncodeToString(k.pub), b64.EncodeToString(k.seed), k.suite)
}

// entry is a signature entry's fields.
type entry struct {
	fp, keyID, suite, digest string
	pub                      []byte // the raw public key the entry carries
	sig                      []byte
	extra                    string // a line appended verbatim (for malformed vectors)
}

// chunked is the TOML array of the standard base64 of b cut every 4096
// characters (signatures.md §4.2).
func chunked(b []byte) string {
	s := b64.EncodeToString(b)
	var parts []string
	for len(s) > 4096 {
		parts = append(parts, fmt.Sprintf("%q", s[:4096]))
		s = s[4096:]
	}
	parts = append(parts, fmt.Sprintf("%q", s))
	return "[" + strings.Join(parts, ", ") + "]"
}

func (e entry) file() string {
	return fmt.Sprintf("fingerprint = %q\nformat = 1\nkey_id = %q\nmanifest_digest = %q\npublic_key = %s\nsignature = %s\nsuite = %q\n%s",
		e.fp, e.keyID, e.digest, chunked(e.pub), chunked(e.sig), e.suite, e.extra)
}

// carrying returns e with the public key pub of the suite, its fingerprint
// and (by default) the entry name changed to match.
func (e entry) carrying(pub []byte) entry {
	e.pub = bytes.Clone(pub)
	e.fp = hex.EncodeToString(fingerprintOf(e.suite, e.pub))
	return e
}

// signed returns the entry a key makes over a manifest.
func (k *key) signed(manifest string) entry {
	d := sha256.Sum256([]byte(manifest))
	return entry{
		fp: hex.EncodeToString(k.fp()), keyID: k.id, suite: k.suite,
		digest: "sha256:" + hex.EncodeToString(d[:]),
		pub:    bytes.Clone(k.pub),
		sig:    k.sign(message(k.suite, k.fp(), manifest)),
	}
}

type vector struct {
	name, expect, reason string
	self                 string // VerifySelf's outcome when the entry parses: "valid" or "signature-invalid"
	verifier             *key   // public.key
	signer               *key   // when not the verifier
	entry                entry
	entryName            string // default: from entry.fp
	withPrivate          bool
}

func flip(b []byte, bit int) []byte {
	c := bytes.Clone(b)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}

func vectors() []vector {
	k1 := newKey(s01, "vector-01", fixedSeed(s01, 0))
	k2 := newKey(s02, "vector-02", fixedSeed(s02, 0))
	k3 := newKey(s03, "vector-03", fixedSeed(s03, 0))
	other := newKey(s01, "other", fixedSeed(s01, 0x40))
	other2 := newKey(s02, "other-02", fixedSeed(s02, 0x40))
	// The halves of the hybrid key as keys of their own suites.
	half1 := newKey(s01, "half-ed25519", k2.seed[:32])
	half3 := newKey(s03, "half-ml-dsa-87", k2.seed[32:])

	e1, e2, e3 := k1.signed(manifest), k2.signed(manifest), k3.signed(manifest)
	mod := func(e entry, f func(*entry)) entry {
		e.sig = bytes.Clone(e.sig)
		e.pub = bytes.Clone(e.pub)
		f(&e)
		return e
	}

	const valid, invalid = "valid", "signature-invalid"
	vs := []vector{
		{name: "valid-ct-sig-01", expect: valid, self: valid, reason: "Ed25519 signature by the vector key", verifier: k1, entry: e1, withPrivate: true},
		{name: "valid-ct-sig-02", expect: valid, self: valid, reason: "hybrid Ed25519 + ML-DSA-87 signature; two base64 chunks", verifier: k2, entry: e2, withPrivate: true},
		{name: "valid-ct-sig-03", expect: valid, self: valid, reason: "ML-DSA-87 signature (deterministic, context \"cerro-torre\"); two base64 chunks", verifier: k3, entry: e3, withPrivate: true},

		{name: "bad-ct-sig-01-flipped-signature-bit", expect: invalid, self: invalid, reason: "bit 0 of byte 40 of the Ed25519 signature flipped",
			verifier: k1, entry: mod(e1, func(e *entry) { e.sig = flip(e.sig, 40*8) })},
		{name: "bad-ct-sig-02-flipped-ed25519-half", expect: invalid, self: invalid, reason: "a bit of the Ed25519 half flipped; the ML-DSA-87 half alone must not suffice",
			verifier: k2, entry: mod(e2, func(e *entry) { e.sig = flip(e.sig, 5*8+3) })},
		{name: "bad-ct-sig-02-flipped-ml-dsa-half", expect: invalid, self: invalid, reason: "a bit of the ML-DSA-87 half flipped; the Ed25519 half alone must not suffice",
			verifier: k2, entry: mod(e2, func(e *entry) { e.sig = flip(e.sig, 2000*8+6) })},
		{name: "bad-ct-sig-03-flipped-signature-bit", expect: invalid, self: invalid, reason: "a bit in the middle of the ML-DSA-87 signature flipped",
			verifier: k3, entry: mod(e3, func(e *entry) { e.sig = flip(e.sig, 2313*8+1) })},
		{name: "bad-ct-sig-01-flipped-message-bit", expect: invalid, self: invalid, reason: "the signature is over the message with its last bit flipped",
			verifier: k1, entry: mod(e1, func(e *entry) {
				m := message(s01, k1.fp(), manifest)
				e.sig = k1.sign(flip(m, len(m)*8-1))
			})},
		{name: "bad-ct-sig-02-stripped-to-ct-sig-01", expect: invalid, self: invalid, reason: "the hybrid's Ed25519 half presented as CT-SIG-01 by the same Ed25519 key (carried as a CT-SIG-01 key): the message named CT-SIG-02 and the hybrid fingerprint",
			verifier: half1, signer: k2, entry: mod(e2, func(e *entry) {
				e.sig = e.sig[:64]
				e.suite = s01
				*e = e.carrying(half1.pub)
				e.keyID = half1.id
			})},
		{name: "bad-ct-sig-02-stripped-to-ct-sig-03", expect: invalid, self: invalid, reason: "the hybrid's ML-DSA-87 half presented as CT-SIG-03 by the same ML-DSA-87 key (carried as a CT-SIG-03 key)",
			verifier: half3, signer: k2, entry: mod(e2, func(e *entry) {
				e.sig = e.sig[64:]
				e.suite = s03
				*e = e.carrying(half3.pub)
				e.keyID = half3.id
			})},
		{name: "bad-ct-sig-02-ed25519-half-only", expect: "malformed", reason: "a CT-SIG-02 entry holding only the Ed25519 half (64 bytes, not 4691)",
			verifier: k2, entry: mod(e2, func(e *entry) { e.sig = e.sig[:64] })},
		{name: "bad-ct-sig-02-ml-dsa-half-only", expect: "malformed", reason: "a CT-SIG-02 entry holding only the ML-DSA-87 half (4627 bytes, not 4691)",
			verifier: k2, entry: mod(e2, func(e *entry) { e.sig = e.sig[64:] })},
		{name: "bad-ct-sig-01-truncated", expect: "malformed", reason: "Ed25519 signature cut to 63 bytes",
			verifier: k1, entry: mod(e1, func(e *entry) { e.sig = e.sig[:63] })},
		{name: "bad-ct-sig-01-oversized", expect: "malformed", reason: "Ed25519 signature with a zero byte appended (65 bytes)",
			verifier: k1, entry: mod(e1, func(e *entry) { e.sig = append(e.sig, 0) })},
		{name: "bad-ct-sig-03-truncated", expect: "malformed", reason: "ML-DSA-87 signature missing its last byte (4626 bytes)",
			verifier: k3, entry: mod(e3, func(e *entry) { e.sig = e.sig[:len(e.sig)-1] })},
		{name: "bad-ct-sig-03-oversized", expect: "malformed", reason: "ML-DSA-87 signature with a zero byte appended (4628 bytes)",
			verifier: k3, entry: mod(e3, func(e *entry) { e.sig = append(e.sig, 0) })},
		{name: "bad-unknown-suite", expect: "malformed", reason: "suite CT-SIG-99 is not defined",
			verifier: k1, entry: mod(e1, func(e *entry) { e.suite = "CT-SIG-99" })},
		{name: "bad-wrong-suite-for-key", expect: invalid, self: valid, reason: "a valid CT-SIG-01 entry checked against a CT-SIG-03 key (valid on its own, by an untrusted key)",
			verifier: k3, signer: k1, entry: e1},
		{name: "bad-fingerprint-mismatch", expect: invalid, self: valid, reason: "an entry made by another Ed25519 key, checked against the vector key (valid on its own, by an untrusted key)",
			verifier: k1, signer: other, entry: other.signed(manifest)},
		{name: "bad-relabelled-fingerprint", expect: invalid, self: invalid, reason: "another key's signature relabelled with the vector key's public key, fingerprint and id",
			verifier: k1, signer: other, entry: mod(other.signed(manifest), func(e *entry) { *e = e.carrying(k1.pub); e.keyID = k1.id })},
		{name: "bad-manifest-digest-mismatch", expect: invalid, self: invalid, reason: "a valid signature by the vector key over another manifest",
			verifier: k1, entry: k1.signed(otherManifest)},
		{name: "bad-entry-name-mismatch", expect: "malformed", reason: "the entry is filed under another fingerprint's name",
			verifier: k1, entry: e1, entryName: "signatures/" + hex.EncodeToString(other.fp()) + ".sig"},
		{name: "bad-unknown-field", expect: "malformed", reason: "an extra field after the known ones",
			verifier: k1, entry: mod(e1, func(e *entry) { e.extra = "zzz = 1\n" })},
		{name: "bad-format-2", expect: "malformed", reason: "entry format 2 is not defined",
			verifier: k1, entry: e1, entryName: ""},

		// The public key an entry carries.
		{name: "bad-public-key-fingerprint-mismatch", expect: "malformed", reason: "a valid entry carrying another CT-SIG-01 key than the one its fingerprint names",
			verifier: k1, entry: mod(e1, func(e *entry) { e.pub = bytes.Clone(other.pub) })},
		{name: "bad-ct-sig-01-public-key-oversized", expect: "malformed", reason: "a CT-SIG-01 entry carrying a 33-byte key (a zero byte appended), fingerprint and name computed from it",
			verifier: k1, entry: e1.carrying(append(bytes.Clone(k1.pub), 0))},
		{name: "bad-ct-sig-02-public-key-ed25519-half-only", expect: "malformed", reason: "a CT-SIG-02 entry carrying only the Ed25519 half of the key (32 bytes, not 2624), fingerprint and name computed from it",
			verifier: k2, entry: e2.carrying(k2.pub[:32])},
		{name: "bad-ct-sig-01-swapped-public-key", expect: invalid, self: invalid, reason: "the vector key's entry carrying another key, fingerprint, id and name changed to match, the signature left as it was",
			verifier: other, signer: k1, entry: mod(e1, func(e *entry) { *e = e.carrying(other.pub); e.keyID = other.id })},
		{name: "bad-ct-sig-02-swapped-public-key", expect: invalid, self: invalid, reason: "the hybrid vector key's entry carrying another hybrid key, fingerprint, id and name changed to match: neither half verifies",
			verifier: other2, signer: k2, entry: mod(e2, func(e *entry) { *e = e.carrying(other2.pub); e.keyID = other2.id })},
	}
	for _, v := range vs {
		if (v.expect == "malformed") != (v.self == "") {
			log.Fatalf("%s: expect-self must be set exactly when the entry parses", v.name)
		}
	}
	return vs
}

// verdict is the conclusion of a verifier that trusts exactly public.key,
// by the order of signatures.md §5: parse, verify with the entry's own key,
// then trust by fingerprint.
func (v vector) verdict() string {
	switch {
	case v.expect == "malformed":
		return "malformed"
	case v.self != "valid":
		return "signature-invalid"
	case v.entry.fp != hex.EncodeToString(v.verifier.fp()):
		return "untrusted"
	}
	if v.expect != "valid" {
		log.Fatalf("%s: verifies with the trusted key's fingerprint but is not valid", v.name)
	}
	return "valid"
}

func (v vector) archive() []byte {
	name := v.entryName
	if name == "" {
		name = "signatures/" + v.entry.fp + ".sig"
	}
	hdr := fmt.Sprintf("expect: %s\n", v.expect)
	if v.self != "" {
		hdr += fmt.Sprintf("expect-self: %s\n", v.self)
	}
	hdr += fmt.Sprintf("verdict: %s\nsuite: %s\nreason: %s\nentry-name: %s\nkey-seed: %x\n", v.verdict(), v.verifier.suite, v.reason, name, v.verifier.seed)
	if v.withPrivate {
		hdr += "passphrase: " + vectorPassphrase + "\n"
	}
	if v.signer != nil {
		hdr += fmt.Sprintf("signer-suite: %s\nsigner-seed: %x\n", v.signer.suite, v.signer.seed)
	}
	entryFile := v.entry.file()
	if v.name == "bad-format-2" {
		entryFile = strings.Replace(entryFile, "format = 1\n", "format = 2\n", 1)
	}
	a := &txtar.Archive{Comment: []byte(hdr)}
	a.Files = append(a.Files, txtar.File{Name: "public.key", Data: []byte(v.verifier.publicFile())})
	if v.withPrivate {
		a.Files = append(a.Files,
			txtar.File{Name: "private.key", Data: []byte(v.verifier.privateFile())},
			txtar.File{Name: "private-encrypted.key", Data: []byte(v.verifier.encryptedFile())})
	}
	a.Files = append(a.Files,
		txtar.File{Name: "manifest.toml", Data: []byte(manifest)},
		txtar.File{Name: "message.hex", Data: []byte(hex.EncodeToString(message(v.verifier.suite, v.verifier.fp(), manifest)) + "\n")},
		txtar.File{Name: "entry.sig", Data: []byte(entryFile)},
	)
	return txtar.Format(a)
}

func main() {
	out := flag.String("out", "vectors/sig", "directory to write the vectors to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(*out, "*.txtar"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			log.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, v := range vectors() {
		if seen[v.name] {
			log.Fatalf("duplicate vector %s", v.name)
		}
		seen[v.name] = true
		if err := os.WriteFile(filepath.Join(*out, v.name+".txtar"), v.archive(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d vectors to %s\n", len(seen), *out)
}
