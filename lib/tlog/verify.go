package tlog

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
)

// Trust is what a verifier trusts about logs: the logs, by origin and note
// verifier key, and the witnesses, by cosignature/v1 verifier key. Build it
// with NewTrust; the zero value trusts nothing.
type Trust struct {
	logs      map[string]note.Verifier // by origin
	witnesses []note.Verifier
}

// NewTrust parses trusted logs (origin -> log vkey, tlog.LogVerifierKey's
// form; the key's name must be the origin) and witness vkeys (cosignature/v1,
// tlog.WitnessVerifierKey's form). Each public key may appear once in all
// (log.md §5.1): a cosignature/v1 signature does not cover the witness's
// name, so one key listed under two names would count one cosignature
// twice, and a log's key listed as a witness would let the log cosign its
// own checkpoints. Two logs whose log ids collide (a bundle holds one proof
// per log id) and two keys with the same name and key hash (signed-note
// lines name a key by those alone) are refused too.
func NewTrust(logs map[string]string, witnesses []string) (*Trust, error) {
	t := &Trust{logs: map[string]note.Verifier{}}
	pubs := map[string]string{}   // raw public key -> who holds it
	ids := map[string]string{}    // name+hash -> who
	logIDs := map[string]string{} // log id -> origin
	claim := func(who, name string, hash uint32, vkey string) error {
		pub := vkeyPublic(vkey)
		if other, ok := pubs[pub]; ok && other == who {
			return fmt.Errorf("%s listed twice", who)
		}
		if other, ok := pubs[pub]; ok {
			return fmt.Errorf("%s has the same public key as %s; each trusted log and witness needs its own key, or one party counts twice", who, other)
		}
		id := fmt.Sprintf("%s+%08x", name, hash)
		if other, ok := ids[id]; ok {
			return fmt.Errorf("%s and %s are both named %s (name and key hash): a signature line could not tell them apart", who, other, id)
		}
		pubs[pub], ids[id] = who, who
		return nil
	}
	origins := make([]string, 0, len(logs))
	for origin := range logs {
		origins = append(origins, origin)
	}
	sort.Strings(origins) // the same error for the same input
	for _, origin := range origins {
		vkey := logs[origin]
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("log %q: key %q is not a note verifier key: %v", origin, vkey, err)
		}
		if v.Name() != origin {
			return nil, fmt.Errorf("log %q: key is named %q; a log's key is named after its origin", origin, v.Name())
		}
		if other, ok := logIDs[logIDOf(origin)]; ok {
			return nil, fmt.Errorf("logs %q and %q have the same log id %s (log.md §3): a bundle could not carry proofs of both", other, origin, LogID(origin))
		}
		logIDs[logIDOf(origin)] = origin
		if err := claim(fmt.Sprintf("log %q", origin), v.Name(), v.KeyHash(), vkey); err != nil {
			return nil, err
		}
		t.logs[origin] = v
	}
	for _, vkey := range witnesses {
		v, err := f_note.NewVerifierForCosignatureV1(vkey)
		if err != nil {
			return nil, fmt.Errorf("witness key %q is not a cosignature/v1 verifier key: %v", vkey, err)
		}
		// f_note recomputes the key hash and ignores the one written:
		// a key whose written hash is wrong was damaged or hand-edited.
		if h, err := strconv.ParseUint(strings.SplitN(vkey, "+", 3)[1], 16, 32); err != nil || uint32(h) != v.KeyHash() {
			return nil, fmt.Errorf("witness key %q: its key hash is not %08x, the hash of its name and key", vkey, v.KeyHash())
		}
		if err := claim(fmt.Sprintf("witness %s+%08x", v.Name(), v.KeyHash()), v.Name(), v.KeyHash(), vkey); err != nil {
			return nil, err
		}
		t.witnesses = append(t.witnesses, v)
	}
	return t, nil
}

// logIDOf is LogID; a test replaces it to make two origins collide.
var logIDOf = LogID

// vkeyPublic returns the public key bytes of a parsed note verifier key
// "<name>+<hash>+<base64(alg || key)>", without the algorithm byte, so that
// the same Ed25519 key as a log key (0x01) and as a witness key (0x04)
// compares equal.
func vkeyPublic(vkey string) string {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return vkey
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) < 2 {
		return vkey
	}
	return string(b[1:])
}

// Result is what Verify established about one proof.
type Result struct {
	Origin     string
	Index      uint64 // the leaf's index
	Size       uint64 // the checkpoint's tree size
	LogTrusted bool   // the checkpoint is signed by the trusted key of Origin
	// Witnesses names the trusted witnesses whose cosignatures verify,
	// sorted, each once.
	Witnesses []string
}

// Verify checks p offline as log.md §5 says, for the signature whose leaf
// (Leaf.Encode of the bundle's signature entry) is leaf:
//
//   - the inclusion proof leads from the leaf's hash at p.Index to the root
//     of p.Checkpoint: otherwise the proof is forged (exit.LogProofInvalid),
//     whoever the verifier trusts;
//   - when the verifier trusts a key for p.Origin, the checkpoint must carry
//     a valid signature by it (a signature line of that key that does not
//     verify is exit.LogProofInvalid; no signature line of that key leaves
//     LogTrusted false);
//   - each cosignature line of a trusted witness must verify
//     (exit.LogProofInvalid otherwise) and is counted once.
//
// An untrusted log or witness is not a failure here: whether enough trusted
// ones vouch for a signature is the policy's question (exit.LogProofMissing).
// Cosignatures are only counted on a checkpoint signed by a trusted log.
func Verify(p *Proof, leaf []byte, t *Trust) (*Result, error) {
	name := p.Name()
	cp, err := p.Body()
	if err != nil {
		return nil, malformed(name, "%v", err)
	}
	res := &Result{Origin: p.Origin, Index: p.Index, Size: cp.Size, Witnesses: []string{}}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, LeafHash(leaf), p.InclusionProof, cp.Hash); err != nil {
		// err spells both roots as byte lists over several lines: the
		// message says what failed in one line instead.
		return nil, exit.New(exit.LogProofInvalid, "inclusion proof of leaf %d does not lead to the root of log %q's checkpoint of size %d", p.Index, p.Origin, cp.Size).At(name).
			WithHint("the proof is not for this signature, or was altered; remove it (ct log strip) and submit the bundle again (ct log submit)")
	}
	if t == nil {
		return res, nil
	}
	lv, ok := t.logs[p.Origin]
	if !ok {
		return res, nil
	}
	// note.Open, not f_log.ParseCheckpoint, which flattens the error
	// kinds this needs; the body was parsed by ReadCheckpointBody.
	n, err := note.Open(p.Checkpoint, note.VerifierList(append([]note.Verifier{lv}, t.witnesses...)...))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		switch {
		case errors.As(err, &inv) && inv.Name == lv.Name() && inv.Hash == lv.KeyHash():
			return nil, exit.New(exit.LogProofInvalid, "the checkpoint's signature by log %q (key %s+%08x) does not verify", p.Origin, inv.Name, inv.Hash).At(name).
				WithHint("the checkpoint was altered or forged: do not trust this bundle's proofs, and tell the log's operator")
		case errors.As(err, &inv):
			return nil, exit.New(exit.LogProofInvalid, "the cosignature of witness %s+%08x on log %q's checkpoint does not verify", inv.Name, inv.Hash, p.Origin).At(name).
				WithHint("the checkpoint was altered or a cosignature forged: do not trust this bundle's proofs")
		case errors.As(err, &unv):
			return res, nil // no trusted key signed it: nobody the verifier trusts vouches
		default:
			return nil, malformed(name, "checkpoint of log %q: %v", p.Origin, err)
		}
	}
	if !signedBy(n, lv) {
		return res, nil // only witnesses signed: cosignatures count on a trusted log's checkpoint only
	}
	res.LogTrusted = true
	// Distinct by name: two keys listed under one witness name (a key
	// rotation) count once.
	for _, s := range n.Sigs {
		for _, w := range t.witnesses {
			if s.Name == w.Name() && s.Hash == w.KeyHash() && !slices.Contains(res.Witnesses, w.Name()) {
				res.Witnesses = append(res.Witnesses, w.Name())
			}
		}
	}
	sort.Strings(res.Witnesses)
	return res, nil
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}
