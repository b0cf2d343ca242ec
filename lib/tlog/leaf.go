package tlog

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/cerro-torre/ct/lib/sig"
)

// LeafDomain starts every leaf ct logs (log.md §2). It differs from the
// signature message's "CT-SIG-V1", so a leaf is never a signed message.
const LeafDomain = "CT-LOG-V1"

// MaxLeafSize bounds a leaf: the domain, the longest suite id this format
// allows, two 32-byte fields, the length and a signature of at most 8 KiB.
// (The largest leaf of version 1, CT-SIG-02, is 4,780 bytes.)
const MaxLeafSize = 9 * 1024

// maxSuiteLen bounds the suite id in a leaf.
const maxSuiteLen = 32

// Leaf is what ct logs for one signature: the fields of the signed message
// (signatures.md §3.1) and the signature itself.
type Leaf struct {
	Suite          string   // suite id, e.g. "CT-SIG-01"
	Fingerprint    [32]byte // the signer's fingerprint (keys.md §1)
	ManifestDigest [32]byte // SHA-256 of the signed manifest.toml
	Signature      []byte   // the signature bytes of the entry
}

// Encode returns the leaf's bytes:
//
//	"CT-LOG-V1" 0x00 suite 0x00 fingerprint(32) manifest_digest(32) u32be(len(sig)) sig
func (l *Leaf) Encode() ([]byte, error) {
	if err := checkSuite(l.Suite); err != nil {
		return nil, err
	}
	if len(l.Signature) == 0 || len(l.Signature) > MaxLeafSize {
		return nil, fmt.Errorf("leaf signature of %d bytes (1 to %d)", len(l.Signature), MaxLeafSize)
	}
	var b bytes.Buffer
	b.WriteString(LeafDomain)
	b.WriteByte(0)
	b.WriteString(l.Suite)
	b.WriteByte(0)
	b.Write(l.Fingerprint[:])
	b.Write(l.ManifestDigest[:])
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(l.Signature)))
	b.Write(n[:])
	b.Write(l.Signature)
	if b.Len() > MaxLeafSize {
		return nil, fmt.Errorf("leaf of %d bytes is over the %d-byte limit", b.Len(), MaxLeafSize)
	}
	return b.Bytes(), nil
}

// LeafHash returns the RFC 6962 leaf hash of the encoded leaf data:
// SHA-256(0x00 || data), the hash a log's Merkle tree holds.
func LeafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }

// ParseLeaf parses an encoded leaf strictly: the one encoding Encode
// writes, nothing after the signature. Logs hold entries written by anyone,
// so a monitor parses every entry with it and skips those that fail.
func ParseLeaf(data []byte) (*Leaf, error) {
	if len(data) > MaxLeafSize {
		return nil, fmt.Errorf("leaf of %d bytes is over the %d-byte limit", len(data), MaxLeafSize)
	}
	rest, ok := bytes.CutPrefix(data, []byte(LeafDomain+"\x00"))
	if !ok {
		return nil, fmt.Errorf("not a ct leaf: it does not start with %q", LeafDomain)
	}
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return nil, fmt.Errorf("leaf suite is not NUL-terminated")
	}
	l := &Leaf{Suite: string(rest[:i])}
	if err := checkSuite(l.Suite); err != nil {
		return nil, err
	}
	rest = rest[i+1:]
	if len(rest) < 32+32+4 {
		return nil, fmt.Errorf("leaf truncated after the suite")
	}
	copy(l.Fingerprint[:], rest[:32])
	copy(l.ManifestDigest[:], rest[32:64])
	n := binary.BigEndian.Uint32(rest[64:68])
	rest = rest[68:]
	if n == 0 || uint64(n) != uint64(len(rest)) {
		return nil, fmt.Errorf("leaf signature length %d, but %d bytes follow", n, len(rest))
	}
	l.Signature = bytes.Clone(rest)
	return l, nil
}

// checkSuite accepts suite ids of printable ASCII without NUL, 1 to 32 bytes.
// Which suites exist is lib/sig's business; a leaf only needs an unambiguous
// field.
func checkSuite(s string) error {
	if len(s) == 0 || len(s) > maxSuiteLen {
		return fmt.Errorf("leaf suite id of %d bytes (1 to %d)", len(s), maxSuiteLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return fmt.Errorf("leaf suite id %q is not printable ASCII", s)
		}
	}
	return nil
}

// EntryLeaf returns the encoded leaf of a bundle's signature entry (log.md
// §2): what a submitter logs and a verifier recomputes, never carries.
func EntryLeaf(e *sig.Entry) ([]byte, error) {
	return (&Leaf{Suite: e.Suite, Fingerprint: e.Fingerprint, ManifestDigest: e.ManifestDigest, Signature: e.Signature}).Encode()
}
