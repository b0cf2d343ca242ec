// Package policyedit creates, edits and describes policy.json files: the
// logic of ct policy init, add-signer, add-registry, show and check.
//
// It implements "Editing with ct policy" of docs/spec/policy.md on top of
// lib/policy, whose strict parser stays the only judge of a policy.
//
// Invariants:
//
//   - Canonical(p) is the canonical form of a policy (policy.md §8): the
//     fields in the order of policy.md §3, pin names sorted, list entries in
//     their order, two-space indentation, one list entry per line, strings
//     escaped only where JSON requires it, a final newline. For every input
//     x that policy.Parse accepts, Canonical of it parses back to an equal
//     Policy and is a fixed point (canonicalizing it again gives the same
//     bytes);
//   - every writer parses what it is about to write with policy.Parse and
//     refuses (exit.Usage, nothing written) what the parser refuses; Write
//     is atomic (temporary file in the same folder, fsync, rename), so a
//     failed write leaves the old file, or none, never a partial one;
//   - an edit keeps everything it does not touch (other sections, pins,
//     attestations, the order of list entries), and adding an entry that is
//     already there (the same string, or the same fingerprint in another
//     form) changes nothing and writes nothing;
//   - key store lookups only read: no folder is created, and a rule that
//     names a key the store does not trust gives a Warning, not an error.
package policyedit
