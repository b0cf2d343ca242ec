package canon

import (
	"encoding/base64"
	"strings"
)

// ChunkLen is the length of every string of a chunked base64 array but the
// last: canonical TOML limits a string to 4096 bytes, and 4096 base64
// characters (3072 bytes) keep the padding in the last string only, so one
// value has one spelling (signatures.md §4.2, log.md §4.2).
const ChunkLen = 4096

var b64 = base64.StdEncoding

// ChunkBase64 returns the standard padded base64 of b split into strings of
// ChunkLen characters, the last 1 to ChunkLen.
func ChunkBase64(b []byte) []string {
	s := b64.EncodeToString(b)
	var out []string
	for len(s) > ChunkLen {
		out = append(out, s[:ChunkLen])
		s = s[ChunkLen:]
	}
	return append(out, s)
}

// UnchunkBase64 reverses ChunkBase64 and accepts only its output: no empty
// array, every string but the last exactly ChunkLen characters, the last 1
// to ChunkLen, together canonical padded base64 (no line breaks, zero
// padding bits).
func UnchunkBase64(parts []string) ([]byte, bool) {
	if len(parts) == 0 {
		return nil, false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > ChunkLen || i < len(parts)-1 && len(p) != ChunkLen {
			return nil, false
		}
	}
	s := strings.Join(parts, "")
	b, err := b64.Strict().DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
