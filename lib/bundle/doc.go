// Package bundle reads and writes Cerro Torre bundles (.ctp), format 1, as
// specified in docs/spec/bundle.md.
//
// A bundle is one deterministic tar stream: manifest.toml (canonical TOML,
// docs/spec/canonical.md), summary.json (RFC 8785 JSON), an OCI image layout
// (oci-layout, index.json, blobs/sha256/…) and, at the end, signature entries
// under signatures/. manifest.toml lists every blob by digest, size, media
// type and role, sorted by digest; every other file is a function of it, so
// the SHA-256 of manifest.toml commits to the whole bundle.
//
// Invariants:
//   - Writer output depends only on the Manifest, the blob contents and
//     WriterOptions.ModTime: no clock, user, host or map order.
//   - Reader never trusts a size or digest it has not checked, holds at most
//     one index or manifest blob (≤ 4 MiB each) plus one copy buffer in
//     memory, and classifies every failure with an exit code
//     (exit.Malformed, exit.HashMismatch, exit.IO).
//   - Whatever Reader accepts, Writer re-creates byte for byte from the
//     manifest, the blobs, the mtime and the signature entries: the reader
//     accepts exactly one tar encoding (package ustar), zero padding, the
//     end-of-archive marker and nothing after it, sorted signatures.
//   - Attestations (docs/spec/attestations.md §4) are blobs like any other:
//     roles "attestation" (an OCI 1.1 artifact manifest whose subject is the
//     image) and "envelope" (its DSSE layer), with the empty config. After
//     the last blob the reader checks each attestation manifest is exactly
//     AttestationManifest's bytes and that every blob is reachable from the
//     image or an attestation; Attestations hands them to the verifier,
//     which checks envelopes with lib/attest (this package does not).
package bundle
