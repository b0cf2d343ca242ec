// Package policy holds ct's trust policy: the strict parser of policy.json
// and the evaluation of a verified bundle against it.
//
// It implements docs/spec/policy.md. A policy is given with --policy FILE or
// named by the policy setting of config.toml (docs/spec/keys.md §5).
//
// Invariants:
//
//   - a policy only narrows trust: every rule can only stop a signature from
//     counting or reject a bundle, and an absent section or list adds no
//     constraint. The floor, one valid signature by a trusted key, is the
//     verifier's; signers.threshold can only raise it;
//   - Parse is strict and total: one JSON object of at most MaxSize bytes,
//     no unknown or duplicate field, no null, no trailing data, every value
//     of its type and valid (a pattern that cannot match, an unknown suite,
//     a fingerprint prefix are refused); it never descends below the
//     schema's depth, never panics, and every error is an *exit.Error with
//     code exit.Usage, Where "FILE:LINE:COLUMN" and the field's JSON path
//     (e.g. "signers.alowed: unknown field"). Load adds exit.IO for a file
//     that cannot be read;
//   - a Policy marshalled with encoding/json parses back to an equal Policy;
//   - Evaluate counts only signatures that are valid and by a trusted key,
//     not denied (denied wins over allowed), allowed when signers.allowed is
//     set, of an allowed suite when suites.allowed is set, and each
//     fingerprint once;
//   - key id patterns match only Signature.KeyID, the verifier's own name
//     for a trusted key; Signature.Label (a signature entry's unsigned
//     key_id) is shown in details as the signer's claim and never matched;
//   - every rule the policy sets yields one Check naming the rule, what was
//     expected and what was found; Result.Code is exit.PolicyRejected if any
//     rule other than require_attestations fails, else
//     exit.MissingAttestation if require_attestations is set (bundles carry
//     no attestations yet), else exit.OK.
package policy
