package main

// Transparency vectors from the review of issue 11 (log.md §4.3, §7): a
// checkpoint that is not a signed note is malformed whatever the verifier
// trusts (before, it was malformed only under a policy that trusts its
// log), a root hash of 31 bytes is malformed rather than a forgery, and the
// precedence of a bad signature (2) over a forged proof (7), of a forged
// proof (7) over an untrusted signer (3) and a policy rejection (4), and of
// a missing proof (6) over a missing attestation (5).

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

func logReviewVectors(dir string, m *bundle.Manifest, blobs map[string][]byte, alice, mallory *keys.PrivateKey) int {
	// The logs and witnesses of log.go (same seeds).
	logA := newLog("log-a.example", 0x41, 2, 5)
	logB := newLog("log-b.example", 0x42, 1, 3)
	var ws []note.Signer
	for i := 1; i <= 3; i++ {
		c, _ := newCosigner(key(keys.SuiteEd25519, "witness", byte(0x50+i)), fmt.Sprintf("w%d.example", i))
		ws = append(ws, c)
	}
	const pol = "log-policy.json" // written by log.go
	fp := alice.Public().Fingerprint()
	leaf := leafOf(m, blobs, alice)
	pa, pb := logA.prove(fp, leaf, ws...), logB.prove(fp, leaf, ws...)
	signed := []*keys.PrivateKey{alice}

	// withCheckpoint writes the bundle with pa and pb, pb's checkpoint
	// replaced by cp (EncodeProof refuses these checkpoints).
	withCheckpoint := func(cp []byte) []byte {
		es := entries(writeLogged(m, blobs, signed, proofEntry(pa), bundle.Entry{Name: pb.Name(), Data: []byte("placeholder")}))
		f := fileOf(pb)
		f.Checkpoint = chunked(cp)
		for i := range es {
			if es[i].Name == pb.Name() {
				es[i].Data = encodeFile(f)
			}
		}
		return bundletest.Build(es)
	}
	sep := bytes.LastIndex(pb.Checkpoint, []byte("\n\n"))
	body, sigLines := pb.Checkpoint[:sep+1], pb.Checkpoint[sep+2:]
	escExt := append(append(bytes.Clone(body), "ext \x1b[2J\n\n"...), sigLines...)
	dashLine := append(append(bytes.Clone(body), '\n'), append([]byte("- w9.example AAAAAAAA\n"), sigLines...)...)
	sigs101 := append(append(bytes.Clone(body), '\n'), append(bytes.Repeat([]byte("— w9.example AAAAAAAA\n"), 100), sigLines...)...)
	root31, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: logB.origin, Size: 3, Hash: bytes.Repeat([]byte{7}, 31)}.Marshal())},
		append([]note.Signer{logB.signer}, ws...)...)
	must(err)

	// A bundle whose signature entry of alice has one bit flipped, with
	// proofs of the flipped signature's leaf (the log recorded it: a log
	// does not judge signatures) or of the original one (forged).
	flipped := func(proofs ...*tlog.Proof) []byte {
		es := entries(writeLogged(m, blobs, signed, proofEntryList(proofs)...))
		for i := range es {
			if strings.HasPrefix(es[i].Name, sig.EntryDir) && !es[i].Dir {
				e, err := sig.ParseEntry(es[i].Name, es[i].Data)
				must(err)
				e.Signature[10] ^= 0x04
				_, es[i].Data, err = sig.EncodeEntry(e)
				must(err)
			}
		}
		return bundletest.Build(es)
	}
	var flippedLeaf []byte
	{
		es := entries(flipped())
		for _, e := range es {
			if strings.HasPrefix(e.Name, sig.EntryDir) && !e.Dir {
				se, err := sig.ParseEntry(e.Name, e.Data)
				must(err)
				flippedLeaf, err = (&tlog.Leaf{Suite: se.Suite, Fingerprint: se.Fingerprint, ManifestDigest: se.ManifestDigest, Signature: se.Signature}).Encode()
				must(err)
			}
		}
	}
	mfp := mallory.Public().Fingerprint()
	mleaf := leafOf(m, blobs, mallory)
	mForged := logA.prove(mfp, mleaf, ws...)
	mForged.InclusionProof = [][]byte{bytes.Repeat([]byte{0xaa}, 32), mForged.InclusionProof[1], mForged.InclusionProof[2]}

	// log-policy.json plus another rule: for the precedence of 6 over 5
	// and of 7 over 4.
	base, err := os.ReadFile(filepath.Join(dir, pol))
	must(err)
	withRule := func(name, rule string) string {
		must(os.WriteFile(filepath.Join(dir, name), bytes.Replace(base, []byte("{\n"), []byte("{\n  "+rule+",\n"), 1), 0o644))
		return name
	}
	polAttest := withRule("log-policy-attest.json", `"require_attestations": ["spdx"]`)
	polDenied := withRule("log-policy-denied.json", `"signers": {"denied": ["alice"]}`)
	forgedB := *pb
	forgedB.InclusionProof = [][]byte{bytes.Repeat([]byte{0xaa}, 32), pb.InclusionProof[1]}

	type vec struct {
		name, expect, policy, what string
		data                       []byte
	}
	vs := []vec{
		{"log-entry-checkpoint-control-char", "malformed", "", "an extension line with an ESC control character in log-b.example's checkpoint; no policy (a checkpoint must be a signed note whoever is trusted)", withCheckpoint(escExt)},
		{"log-entry-checkpoint-sig-line", "malformed", "", "a signature line starting with '-' instead of '—' in log-b.example's checkpoint; no policy", withCheckpoint(dashLine)},
		{"log-entry-checkpoint-101-sigs", "malformed", "", "log-b.example's checkpoint with 100 more signature lines (of an unknown key) before its own 4: over the 100 lines a signed note may have; no policy", withCheckpoint(sigs101)},
		{"log-entry-checkpoint-root-31", "malformed", pol, "log-b.example's checkpoint, signed and cosigned, has a root hash of 31 bytes", withCheckpoint(root31)},
		{"log-valid-proof-bad-signature", "signature-invalid", pol, "alice's signature has one bit flipped; valid proofs of that (bad) signature in both logs: the log does not judge signatures", flipped(logA.prove(fp, flippedLeaf, ws...), logB.prove(fp, flippedLeaf, ws...))},
		{"log-forged-path-bad-signature", "signature-invalid", pol, "alice's signature has one bit flipped, the proofs are of the original signature (so they do not verify): 2 ranks before 7", flipped(pa, pb)},
		{"log-missing-no-attestation", "log-proof-missing", polAttest, "no proof and no attestation; the policy requires 2 logs and an spdx attestation: 6 ranks before 5", writeLogged(m, blobs, signed)},
		{"log-forged-path-denied-signer", "log-proof-invalid", polDenied, "log-b.example's inclusion proof altered; the policy denies alice: 7 ranks before 4", writeLogged(m, blobs, signed, proofEntry(pa), proofEntry(&forgedB))},
		{"log-forged-path-untrusted-signer", "log-proof-invalid", "", "signed by mallory only (not trusted), with a forged proof of mallory's signature: 7 ranks before 3", writeLogged(m, blobs, []*keys.PrivateKey{mallory}, proofEntry(mForged))},
	}
	for _, v := range vs {
		writeVector(dir, v.name, ".ctp", v.data, v.expect, v.what, "trusted.pub", v.policy)
	}
	return len(vs)
}

func proofEntryList(ps []*tlog.Proof) []bundle.Entry {
	var out []bundle.Entry
	for _, p := range ps {
		out = append(out, proofEntry(p))
	}
	return out
}
