// Package keys holds ct's signing keys: key pair generation for every
// signature suite, fingerprints, the public and private key file formats
// (the private one encrypted at rest with Argon2id and XChaCha20-Poly1305),
// the key store directory with own and trusted keys, and its config.toml.
//
// It implements docs/spec/keys.md; the suites themselves (signed message,
// signature sizes, verification) are docs/spec/signatures.md and package
// lib/sig, which builds on this one.
//
// Invariants:
//
//   - a key is identified only by its Fingerprint, SHA-256 over
//     "CT-KEY-V1" 0x00 suite 0x00 public-key; ids are labels. A Fingerprint
//     prints the same everywhere (String: 64 hex; Display: groups of 4
//     joined by ':'), and every function that takes a key name accepts an
//     id, either form, or a prefix of at least 16 hex digits;
//   - a PublicKey or PrivateKey always has a known suite, a valid id and key
//     bytes of the suite's exact length; a PrivateKey holds only its seed
//     and what derives from it;
//   - decoders are strict and total: a file is accepted only if it is
//     exactly what the encoder writes for its contents (canonical TOML, no
//     unknown, missing or superfluous field), nothing panics, and every
//     error is an *exit.Error (exit.Malformed for a bad file);
//   - a private key file is never decrypted before every public field has
//     been checked, Argon2id parameters outside the bounds (memory 8 MiB to
//     4 GiB, 1 to 16 passes, 1 to 16 lanes) are refused before any work, and
//     the whole header is the AEAD additional data, so no header field can
//     be changed without the passphrase;
//   - an unencrypted private key file is written only by
//     EncodePrivateUnencrypted, never as a fallback;
//   - store files are written atomically with mode 0600 in folders of mode
//     0700, and a private key file other users can access is refused with
//     the chmod that fixes it.
//   - OpenStoreReadOnly (ct key list, info, export, signing) creates
//     nothing; only OpenStore, for commands that add keys, makes folders.
package keys
