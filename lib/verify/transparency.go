package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// LogProof is one transparency proof entry of a signature as verified
// (log.md §5). Origin and witness names come from the bundle: whoever
// prints them for a person escapes them.
type LogProof struct {
	Entry      string   `json:"entry"`      // transparency/<fp>.<log id>.proof
	Origin     string   `json:"origin"`     // the log
	Index      uint64   `json:"index"`      // the leaf's index in the log
	TreeSize   uint64   `json:"treeSize"`   // the checkpoint's tree size
	LogTrusted bool     `json:"logTrusted"` // the checkpoint is signed by the log key the policy trusts
	Witnesses  []string `json:"witnesses"`  // the trusted witnesses whose cosignatures verify, sorted
	// Status: "witnessed" (trusted log, quorum met), "under-quorum"
	// (trusted log, too few trusted witnesses), "untrusted-log" (the Merkle
	// path holds, but no trusted key signed the checkpoint: a claim), or
	// "invalid" (the proof does not verify: exit 7).
	Status string `json:"status"`
}

// Proof statuses.
const (
	ProofWitnessed    = "witnessed"
	ProofUnderQuorum  = "under-quorum"
	ProofUntrustedLog = "untrusted-log"
	ProofInvalid      = "invalid"
)

// checkProofs parses and verifies every proof entry (log.md §5) against
// the signature entry it names: an unreadable entry, or one for a signature
// the bundle does not have, is exit.Malformed; a proof that does not verify
// is exit.LogProofInvalid, whatever the policy. Each proof is recorded on
// its signer.
func checkProofs(rep *Report, proofs []parsedProof, sigs map[keys.Fingerprint]*sig.Entry, opts Options) {
	if len(proofs) == 0 {
		return
	}
	var tp *policy.Transparency
	if opts.Policy != nil {
		tp = opts.Policy.Transparency
	}
	trust, err := tp.Trust()
	if err != nil { // lib/policy parsed these keys already
		rep.fail("transparency", exit.Wrap(exit.Usage, err, "the policy's transparency keys do not parse").At("policy "+opts.PolicyName))
		return
	}
	quorum := 0
	if tp != nil {
		quorum = tp.WitnessQuorum
	}
	where := "bundle " + rep.Bundle
	for _, pp := range proofs {
		e, p, err := pp.entry, pp.proof, pp.err
		name := "proof " + strings.TrimPrefix(e.Name, tlog.ProofDir)
		if err != nil {
			rep.fail(name, locate(err, where, e.Name).WithHint("the entry was damaged or written by a non-conforming tool; remove it (ct log strip) and submit the bundle again (ct log submit)"))
			continue
		}
		se, ok := sigs[p.Fingerprint]
		if !ok {
			rep.fail(name, exit.New(exit.Malformed, "proof of a signature by %s, but the bundle has no readable signature entry of that key", p.Fingerprint.Display()).
				At(where+", entry "+e.Name).WithHint("a proof belongs to a signature of the bundle; remove the entry (ct log strip)"))
			continue
		}
		leaf, err := tlog.EntryLeaf(se)
		if err != nil {
			rep.fail(name, exit.Wrap(exit.Malformed, err, "cannot form the log leaf of the signature by %s", p.Fingerprint.Display()).At(where+", entry "+e.Name))
			continue
		}
		lp := LogProof{Entry: e.Name, Origin: p.Origin, Index: p.Index, Witnesses: []string{}}
		res, err := tlog.Verify(p, leaf, trust)
		if err == nil {
			lp.TreeSize = res.Size
		} else if cp, cerr := p.Body(); cerr == nil {
			lp.TreeSize = cp.Size // the claim of a proof that does not verify
		}
		switch {
		case err != nil:
			lp.Status = ProofInvalid
			rep.fail(name, locate(err, where, e.Name))
		case !res.LogTrusted:
			lp.Status = ProofUntrustedLog
			rep.ok(name, "leaf %d of log %q (tree size %d): inclusion proof holds; the log is not trusted by the policy, so it is a claim", res.Index, res.Origin, res.Size)
		default:
			lp.LogTrusted, lp.Witnesses = true, res.Witnesses
			lp.Status = ProofWitnessed
			if len(res.Witnesses) < quorum {
				lp.Status = ProofUnderQuorum
			}
			rep.ok(name, "leaf %d of log %q (tree size %d): signed by the trusted log key, cosigned by %d trusted witness(es)%s",
				res.Index, res.Origin, res.Size, len(res.Witnesses), names(res.Witnesses))
		}
		if s := rep.signer(p.Fingerprint); s != nil {
			s.Logs = append(s.Logs, lp)
		}
	}
}

// signer returns the report's signature by fp, or nil.
func (r *Report) signer(fp keys.Fingerprint) *Signer {
	for i := range r.Signatures {
		if r.Signatures[i].Fingerprint == fp.String() {
			return &r.Signatures[i]
		}
	}
	return nil
}

// locate adds where an error of lib/tlog happened: the bundle and entry.
func locate(err error, where, entry string) *exit.Error {
	if e, ok := err.(*exit.Error); ok {
		c := *e
		c.Where = where + ", entry " + entry
		return &c
	}
	return exit.Wrap(exit.Malformed, err, "unreadable proof entry").At(where + ", entry " + entry)
}

func names(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return " (" + strings.Join(ws, ", ") + ")"
}

// checkTransparency applies transparency.logs_required and witness_quorum
// (policy.md §4.6) to the counted signatures: each must be held by at least
// logs_required distinct trusted logs whose proof carries at least
// witness_quorum trusted cosignatures; otherwise exit.LogProofMissing.
func checkTransparency(rep *Report, counted []policy.Signature, opts Options) {
	tp := opts.Policy.Transparency
	if tp == nil || tp.LogsRequired == 0 {
		return
	}
	rule := "policy transparency.logs_required"
	var short []string
	for _, c := range counted {
		s := rep.signer(c.Fingerprint)
		if s == nil {
			continue
		}
		good := map[string]bool{}
		var seen []string
		for _, lp := range s.Logs {
			switch lp.Status {
			case ProofWitnessed:
				good[lp.Origin] = true
				seen = append(seen, fmt.Sprintf("log %q cosigned by %d trusted witness(es)%s", lp.Origin, len(lp.Witnesses), names(lp.Witnesses)))
			case ProofUnderQuorum:
				seen = append(seen, fmt.Sprintf("log %q cosigned by %d of %d required witnesses%s", lp.Origin, len(lp.Witnesses), tp.WitnessQuorum, names(lp.Witnesses)))
			case ProofUntrustedLog:
				if slices.ContainsFunc(tp.Logs, func(l policy.Log) bool { return l.Origin == lp.Origin }) {
					seen = append(seen, fmt.Sprintf("log %q: checkpoint not signed by the key the policy trusts for it", lp.Origin))
				} else {
					seen = append(seen, fmt.Sprintf("log %q not trusted by the policy", lp.Origin))
				}
			case ProofInvalid:
				seen = append(seen, fmt.Sprintf("log %q: proof invalid", lp.Origin))
			}
		}
		who := signerLabel(c)
		if len(s.Logs) == 0 {
			seen = append(seen, "no log proof in the bundle")
		}
		line := fmt.Sprintf("signature by %s: %d of %d required logs; %s", who, len(good), tp.LogsRequired, strings.Join(seen, "; "))
		if len(good) < tp.LogsRequired {
			short = append(short, line)
		} else {
			rep.ok(rule, "%s", line)
		}
	}
	if len(short) == 0 {
		return
	}
	var trusted []string
	for _, l := range tp.Logs {
		trusted = append(trusted, fmt.Sprintf("%q", l.Origin))
	}
	hint := fmt.Sprintf("submit the bundle to logs the policy trusts and wait for %d witness cosignature(s): ct log submit BUNDLE --log URL (log.md §6); or change transparency in %s (it trusts the logs %s)",
		tp.WitnessQuorum, opts.PolicyName, strings.Join(trusted, ", "))
	rep.fail("policy transparency", exit.New(exit.LogProofMissing, "%s", strings.Join(short, "; and ")).
		At("policy "+opts.PolicyName+", rule transparency.logs_required").WithHint("%s", hint))
}

// signerLabel names a counted signer as policy details do:
// "ID (SHORT-FINGERPRINT)", or the short fingerprint alone.
func signerLabel(c policy.Signature) string {
	if c.KeyID != "" {
		return fmt.Sprintf("%s (%s)", c.KeyID, c.Fingerprint.Short())
	}
	return c.Fingerprint.Short()
}
