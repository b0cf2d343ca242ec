package sig

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/cerro-torre/ct/lib/keys"
)

// The constants of the signed message and of ML-DSA signing
// (signatures.md §3).
const (
	MessageDomain = "CT-SIG-V1"   // first bytes of every signed message
	MLDSAContext  = "cerro-torre" // FIPS 204 context string of every ML-DSA-87 signature
)

// Digest is a SHA-256 digest.
type Digest [32]byte

// ManifestDigest returns the SHA-256 of the exact bytes of manifest.toml.
func ManifestDigest(manifest []byte) Digest { return sha256.Sum256(manifest) }

// String returns "sha256:" and 64 lowercase hex digits.
func (d Digest) String() string { return "sha256:" + hex.EncodeToString(d[:]) }

// parseDigest accepts only the form String returns.
func parseDigest(s string) (Digest, bool) {
	var d Digest
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 || !isLowerHex(h) {
		return d, false
	}
	hex.Decode(d[:], []byte(h))
	return d, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Message returns the exact bytes a signature of the suite by the key with
// fingerprint fp over a manifest with digest d signs:
//
//	"CT-SIG-V1" || 0x00 || suite id (ASCII) || 0x00 || fp (32 bytes) || d (32 bytes)
func Message(suite string, fp keys.Fingerprint, d Digest) []byte {
	m := make([]byte, 0, len(MessageDomain)+1+len(suite)+1+len(fp)+len(d))
	m = append(m, MessageDomain...)
	m = append(m, 0)
	m = append(m, suite...)
	m = append(m, 0)
	m = append(m, fp[:]...)
	m = append(m, d[:]...)
	return m
}
