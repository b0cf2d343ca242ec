package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// FingerprintDomain starts the bytes hashed into a fingerprint (keys.md §1).
const FingerprintDomain = "CT-KEY-V1"

// MinFingerprintPrefix is the fewest hex digits of a fingerprint a user may
// give to name a key.
const MinFingerprintPrefix = 16

// Fingerprint identifies a public key: SHA-256 of
// "CT-KEY-V1" || 0x00 || suite id || 0x00 || public key bytes.
type Fingerprint [32]byte

// ComputeFingerprint returns the fingerprint of a public key of a suite.
func ComputeFingerprint(suite string, pub []byte) Fingerprint {
	h := sha256.New()
	h.Write([]byte(FingerprintDomain))
	h.Write([]byte{0})
	h.Write([]byte(suite))
	h.Write([]byte{0})
	h.Write(pub)
	var f Fingerprint
	h.Sum(f[:0])
	return f
}

// String returns the text form: 64 lowercase hex digits. Files and JSON use
// this form.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// Display returns the form shown to people: 16 groups of 4 lowercase hex
// digits separated by ':'.
func (f Fingerprint) Display() string { return group(f.String()) }

// Short returns the first 16 hex digits in display form (4 groups), enough to
// name a key on the command line.
func (f Fingerprint) Short() string { return group(f.String()[:MinFingerprintPrefix]) }

func group(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return b.String()
}

// IsZero reports whether f is the zero value.
func (f Fingerprint) IsZero() bool { return f == Fingerprint{} }

// ParseFingerprint parses a complete fingerprint in text or display form
// (hex digits in either case). Anything else is an exit.Usage error.
func ParseFingerprint(s string) (Fingerprint, error) {
	h, ok := normalizeHex(s)
	if !ok || len(h) != 64 {
		return Fingerprint{}, exit.New(exit.Usage, "invalid fingerprint %q", s).
			WithHint("a fingerprint is 64 hex digits, optionally in groups of 4 separated by ':'")
	}
	var f Fingerprint
	hex.Decode(f[:], []byte(h))
	return f, nil
}

// FingerprintPrefix parses a fingerprint or a prefix of one of at least
// MinFingerprintPrefix hex digits, in text or display form, and returns it as
// lowercase hex without separators. ok is false if s is not one.
func FingerprintPrefix(s string) (prefix string, ok bool) {
	h, ok := normalizeHex(s)
	if !ok || len(h) < MinFingerprintPrefix || len(h) > 64 {
		return "", false
	}
	return h, true
}

// HasPrefix reports whether f's text form starts with the lowercase hex
// prefix p (as returned by FingerprintPrefix).
func (f Fingerprint) HasPrefix(p string) bool { return strings.HasPrefix(f.String(), p) }

// normalizeHex accepts hex digits with no separators, or groups of exactly 4
// separated by single ':' (the last group may be shorter), and returns the
// digits in lowercase.
func normalizeHex(s string) (string, bool) {
	if s == "" || len(s) > 80 {
		return "", false
	}
	grouped := strings.Contains(s, ":")
	var b strings.Builder
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			b.WriteByte(c)
			run++
		case c >= 'A' && c <= 'F':
			b.WriteByte(c + 'a' - 'A')
			run++
		case c == ':' && grouped:
			if run != 4 {
				return "", false
			}
			run = 0
			continue
		default:
			return "", false
		}
		if grouped && run > 4 {
			return "", false
		}
	}
	if run == 0 {
		return "", false
	}
	return b.String(), true
}
