// Package sig holds ct's signature suites and the signatures in a bundle:
// the suite registry (CT-SIG-01 Ed25519, CT-SIG-02 Ed25519 + ML-DSA-87,
// CT-SIG-03 ML-DSA-87), the exact signed message, Sign and Verify, and the
// signature entry format (signatures/<fingerprint>.sig).
//
// It implements docs/spec/signatures.md, which fills in §6 of
// docs/spec/bundle.md. Keys and fingerprints are package lib/keys
// (docs/spec/keys.md).
//
// Invariants:
//
//   - every signature signs Message(suite, fingerprint, SHA-256 of
//     manifest.toml), which starts with the domain "CT-SIG-V1" and names the
//     suite and the signer's key, so a signature cannot be replayed under
//     another suite, another key or another manifest;
//   - signing is deterministic (Ed25519; ML-DSA-87 in its deterministic
//     variant with context "cerro-torre"): one key and one manifest always
//     give the same entry bytes;
//   - a CT-SIG-02 signature verifies only if both halves verify; a half is
//     never accepted on its own;
//   - a signature and a public key have exactly their suite's lengths;
//     anything else is refused;
//   - an entry carries the signer's public key, whose fingerprint is the
//     entry's fingerprint and name, so it verifies on its own (VerifySelf);
//     trust is a separate decision by fingerprint, and Verify with a trusted
//     key also requires the entry to carry exactly that key;
//   - ParseEntry accepts only what EncodeEntry writes (canonical TOML, name
//     equal to the fingerprint, public key matching it), never panics, and
//     fails with exit.Malformed; Verify and VerifySelf fail with
//     exit.SignatureInvalid and say what failed (suite, key, manifest
//     digest, which half).
package sig
