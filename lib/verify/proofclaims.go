package verify

import (
	"bytes"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/tlog"
)

// ProofClaim is one transparency proof entry (bundle.md §6.1, log.md §4)
// as the bundle states it: which log claims to hold which signature, at
// which index of a tree of which size, with how many cosignature lines on
// its checkpoint. These are claims, read without checking any signature or
// hash (ct explain shows them; ct verify judges proofs against the logs and
// witnesses its policy trusts). A bundle carries them after the signatures,
// so reading them costs nothing more than reading the signatures.
type ProofClaim struct {
	Entry       string `json:"entry"`       // transparency/<fp>.<log id>.proof
	Fingerprint string `json:"fingerprint"` // the signer's, whose signature entry it claims to prove
	Origin      string `json:"origin,omitempty"`
	Index       uint64 `json:"index"`
	TreeSize    uint64 `json:"treeSize"`
	// Cosignatures counts the checkpoint's signature lines by other keys
	// than the log's own name (witness cosignatures, as claimed).
	Cosignatures int `json:"cosignatures"`
	// Error says why the entry does not parse (log.md §4); the other
	// fields but Entry and Fingerprint are then empty.
	Error string `json:"error,omitempty"`
}

// proofClaims reads the proof entries as claims.
func proofClaims(entries []parsedProof) []ProofClaim {
	var out []ProofClaim
	for _, pp := range entries {
		e, p := pp.entry, pp.proof
		c := ProofClaim{Entry: e.Name}
		c.Fingerprint, _ = bundle.ProofFingerprint(e.Name)
		if pp.err != nil {
			c.Error = pp.err.Error()
			out = append(out, c)
			continue
		}
		c.Origin, c.Index = p.Origin, p.Index
		if cp, err := p.Body(); err == nil {
			c.TreeSize = cp.Size
		}
		c.Cosignatures = cosignatureLines(p.Checkpoint, p.Origin)
		out = append(out, c)
	}
	return out
}

// cosignatureLines counts the signature lines of a signed note ("— NAME
// BASE64", after the last blank line) whose key name is not origin.
func cosignatureLines(note []byte, origin string) int {
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return 0
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(note[i+2:]), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		if name != origin {
			n++
		}
	}
	return n
}

// parsedProof is a proof entry parsed once (tlog.ParseProof is most of the
// cost of a proof: ct explain reads up to 256 of them within its 0.1 s).
type parsedProof struct {
	entry bundle.Entry
	proof *tlog.Proof // nil when err is set
	err   error
}

// parseProof is tlog.ParseProof; a test counts the calls.
var parseProof = tlog.ParseProof

func parseProofs(entries []bundle.Entry) []parsedProof {
	out := make([]parsedProof, len(entries))
	for i, e := range entries {
		p, err := parseProof(e.Name, e.Data)
		out[i] = parsedProof{entry: e, proof: p, err: err}
	}
	return out
}
