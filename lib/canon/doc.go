// Package canon holds the canonical encodings of the bundle format: canonical
// TOML, used for manifest.toml, and canonical JSON (an RFC 8785 subset).
//
// It implements docs/spec/canonical.md. A canonical document has exactly one
// byte representation, so "deterministic" is checkable: a reader calls
// CheckTOML (or UnmarshalTOML) and rejects every file whose bytes are not
// exactly canonical, and the SHA-256 of those exact bytes is the document's
// digest.
//
// The data model is deliberately small: tables with bare keys, strings (NFC,
// at most MaxString bytes), booleans, integers within ±(2^53−1), homogeneous
// one-line arrays of those scalars, and arrays of tables. Floats, dates and
// times, nulls, nested arrays and mixed-type arrays are outside it and are
// always rejected, never converted.
//
// Invariants, for every input x:
//
//   - no function panics;
//   - CheckTOML(x) == nil implies CanonicalizeTOML(x) == x;
//   - if CanonicalizeTOML(x) returns y, then CheckTOML(y) == nil and
//     CanonicalizeTOML(y) == y;
//   - EncodeTOML output, when it succeeds, passes CheckTOML;
//   - every error is (or unwraps, via errors.As, to) an *exit.Error with
//     Code exit.Malformed, and an error about an input document carries the
//     1-based line number (see Error).
package canon
