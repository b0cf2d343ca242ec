// Package tlog holds what ct writes to and reads from a transparency log,
// and nothing that talks to one: the leaf a signature is logged as, the
// proof entry a bundle carries (docs/spec/log.md), and the conversion of ct
// keys to the signed-note keys that logs and witnesses use.
//
// It links no HTTP or storage code, so the offline verifier (ct-verify) can
// check proofs with it. Servers live in lib/logserver and lib/witnessserver,
// the submitting and monitoring clients in lib/logclient.
package tlog
