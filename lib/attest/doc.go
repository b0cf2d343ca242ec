// Package attest holds in-toto Statements v1 in DSSE envelopes, signed with
// ct keys in every suite: the format of docs/spec/attestations.md §2–§3.
//
// It uses small structs and encoding/json only (no protobuf, no in-toto or
// sigstore library), so that ct-verify stays small. Parsing is strict:
// unknown fields, duplicate keys (bundle.StrictJSON), sizes over the limits
// and every encoding but the one a writer emits are rejected (exit 10).
//
// Invariants: Sign signs the exact payload bytes it stores and verifies the
// signature before returning it; Verify never re-marshals what it checks,
// and builds the signed message from the trusted key, never from the
// envelope's keyid. A CT-SIG-01 envelope is a plain DSSE v1 envelope any
// DSSE verifier accepts with the Ed25519 public key.
package attest
