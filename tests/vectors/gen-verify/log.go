package main

// The transparency vectors of log.md §9: bundles signed by the trusted key
// carrying proof entries (transparency/…, log.md §4) of two logs, whose
// checkpoints are cosigned by three witnesses. Everything is deterministic:
// log signatures are Ed25519 notes, and cosignatures carry a fixed
// timestamp (cosigner below), so a second run changes nothing.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"strings"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// cosignTime is the timestamp of every cosignature in the vectors.
const cosignTime = 1767225600 // 2026-01-01T00:00:00Z

// cosigner is a cosignature/v1 note.Signer (C2SP tlog-cosignature) with a
// fixed timestamp: it signs "cosignature/v1\ntime T\n" + the checkpoint
// body, and its signature is T (8 bytes, big-endian) || the Ed25519
// signature. f_note's signer uses the clock, which would make every run
// differ.
type cosigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func newCosigner(k *keys.PrivateKey, name string) (*cosigner, string) {
	vkey, err := tlog.WitnessVerifierKey(k.Public(), name)
	must(err)
	v, err := f_note.NewVerifierForCosignatureV1(vkey)
	must(err)
	return &cosigner{name: name, hash: v.KeyHash(), key: ed25519.NewKeyFromSeed(k.Seed())}, vkey
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Sign(msg []byte) ([]byte, error) {
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", cosignTime)), msg...)
	out := binary.BigEndian.AppendUint64(nil, cosignTime)
	return append(out, ed25519.Sign(c.key, m)...), nil
}

// merkleRoot and inclusion are RFC 6962 §2.1 MTH and PATH over leaf hashes.
func merkleRoot(h [][]byte) []byte {
	if len(h) == 1 {
		return h[0]
	}
	k := split(len(h))
	return rfc6962.DefaultHasher.HashChildren(merkleRoot(h[:k]), merkleRoot(h[k:]))
}

func inclusion(m int, h [][]byte) [][]byte {
	if len(h) == 1 {
		return nil
	}
	k := split(len(h))
	if m < k {
		return append(inclusion(m, h[:k]), merkleRoot(h[k:]))
	}
	return append(inclusion(m-k, h[k:]), merkleRoot(h[:k]))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int { return 1 << (bits.Len(uint(n-1)) - 1) }

// testLog is a log of the vectors: an origin, a key and its entries.
type testLog struct {
	origin string
	signer note.Signer
	vkey   string
	filler int // entries before ours
	size   int // tree size
}

func newLog(origin string, seed byte, filler, size int) *testLog {
	k := key(keys.SuiteEd25519, "log", seed)
	s, err := tlog.LogSigner(k, origin)
	must(err)
	vkey, err := tlog.LogVerifierKey(k.Public(), origin)
	must(err)
	return &testLog{origin: origin, signer: s, vkey: vkey, filler: filler, size: size}
}

// prove returns the proof that leaf is in l, its checkpoint signed by the
// log and the cosigners.
func (l *testLog) prove(fp keys.Fingerprint, leaf []byte, cosigners ...note.Signer) *tlog.Proof {
	var hs [][]byte
	for i := 0; i < l.size; i++ {
		if i == l.filler {
			hs = append(hs, tlog.LeafHash(leaf))
			continue
		}
		hs = append(hs, tlog.LeafHash([]byte(fmt.Sprintf("%s entry %d", l.origin, i))))
	}
	root, path := merkleRoot(hs), inclusion(l.filler, hs)
	must(proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(l.filler), uint64(l.size), hs[l.filler], path, root))
	cp, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: l.origin, Size: uint64(l.size), Hash: root}.Marshal())},
		append([]note.Signer{l.signer}, cosigners...)...)
	must(err)
	return &tlog.Proof{Fingerprint: fp, Origin: l.origin, Index: uint64(l.filler), InclusionProof: path, Checkpoint: cp}
}

// proofFile mirrors lib/tlog's entry fields (log.md §4.2), so vectors can
// be written in shapes EncodeProof refuses.
type proofFile struct {
	Checkpoint     []string `toml:"checkpoint"`
	Fingerprint    string   `toml:"fingerprint"`
	Format         int64    `toml:"format"`
	InclusionProof []string `toml:"inclusion_proof"`
	Index          int64    `toml:"index"`
	Origin         string   `toml:"origin"`
}

func fileOf(p *tlog.Proof) *proofFile {
	f := &proofFile{Fingerprint: p.Fingerprint.String(), Format: 1, Index: int64(p.Index), Origin: p.Origin,
		Checkpoint: []string{b64(p.Checkpoint)}}
	for _, h := range p.InclusionProof {
		f.InclusionProof = append(f.InclusionProof, b64(h))
	}
	return f
}

func encodeFile(f *proofFile) []byte {
	b, err := canon.MarshalTOML(f)
	must(err)
	return b
}

func proofEntry(p *tlog.Proof) bundle.Entry {
	name, data, err := tlog.EncodeProof(p)
	must(err)
	return bundle.Entry{Name: name, Data: data}
}

// writeLogged writes the bundle signed by signers, with proofs.
func writeLogged(m *bundle.Manifest, blobs map[string][]byte, signers []*keys.PrivateKey, proofs ...bundle.Entry) []byte {
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	must(err)
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		must(w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])))
	}
	var sigs []bundle.Entry
	for _, k := range signers {
		e, _, err := sig.BundleEntry(k, w.ManifestBytes())
		must(err)
		sigs = append(sigs, e)
	}
	must(w.WriteSignatures(sigs))
	must(w.WriteProofs(proofs))
	must(w.Close())
	return buf.Bytes()
}

// leafOf returns the leaf of k's signature over the bundle of m.
func leafOf(m *bundle.Manifest, blobs map[string][]byte, k *keys.PrivateKey) []byte {
	var se *sig.Entry
	for _, e := range entries(writeLogged(m, blobs, []*keys.PrivateKey{k})) {
		if strings.HasPrefix(e.Name, sig.EntryDir) && !e.Dir {
			var err error
			se, err = sig.ParseEntry(e.Name, e.Data)
			must(err)
		}
	}
	leaf, err := (&tlog.Leaf{Suite: se.Suite, Fingerprint: se.Fingerprint, ManifestDigest: se.ManifestDigest, Signature: se.Signature}).Encode()
	must(err)
	return leaf
}

// logVectors writes the transparency vectors and their policies; it
// returns how many vectors it wrote.
func logVectors(dir string, m *bundle.Manifest, blobs map[string][]byte, alice, mallory *keys.PrivateKey) int {
	logA := newLog("log-a.example", 0x41, 2, 5)
	logB := newLog("log-b.example", 0x42, 1, 3)
	logC := newLog("log-c.example", 0x43, 0, 2) // not trusted by any policy
	var ws []note.Signer
	var wkeys []string
	for i := 1; i <= 3; i++ {
		c, vkey := newCosigner(key(keys.SuiteEd25519, "witness", byte(0x50+i)), fmt.Sprintf("w%d.example", i))
		ws, wkeys = append(ws, c), append(wkeys, vkey)
	}
	w9, _ := newCosigner(key(keys.SuiteEd25519, "witness", 0x59), "w9.example") // not trusted

	// The generator checks its own cosignatures with f_note, so they
	// cannot drift from C2SP tlog-cosignature.
	probe := logA.prove(alice.Public().Fingerprint(), []byte("probe"), ws...)
	vs := []note.Verifier{}
	for _, k := range wkeys {
		v, err := f_note.NewVerifierForCosignatureV1(k)
		must(err)
		vs = append(vs, v)
	}
	lv, err := note.NewVerifier(logA.vkey)
	must(err)
	if _, _, n, err := f_log.ParseCheckpoint(probe.Checkpoint, logA.origin, lv, vs...); err != nil || len(n.Sigs) != 4 {
		panic(fmt.Sprintf("cosignatures do not verify with f_note: %v", err))
	}
	if ts, err := f_note.CoSigV1Timestamp(probeSig(probe.Checkpoint, vs[0])); err != nil || ts.Unix() != cosignTime {
		panic(fmt.Sprintf("cosignature timestamp %v %v", ts, err))
	}

	policyFile := func(name string, logs []*testLog, wks []string, required, quorum int) string {
		var ls, wl []string
		for _, l := range logs {
			ls = append(ls, fmt.Sprintf(`{"origin": %q, "key": %q}`, l.origin, l.vkey))
		}
		for _, k := range wks {
			wl = append(wl, fmt.Sprintf(`{"key": %q}`, k))
		}
		p := fmt.Sprintf("{\n  \"version\": 1,\n  \"transparency\": {\n    \"logs\": [\n      %s\n    ],\n    \"witnesses\": [\n      %s\n    ],\n    \"logs_required\": %d,\n    \"witness_quorum\": %d\n  }\n}\n",
			strings.Join(ls, ",\n      "), strings.Join(wl, ",\n      "), required, quorum)
		must(os.WriteFile(filepath.Join(dir, name), []byte(p), 0o644))
		return name
	}
	pol := policyFile("log-policy.json", []*testLog{logA, logB}, wkeys, 2, 2)
	// A policy that trusts log-b.example under another key.
	otherB := newLog("log-b.example", 0x49, 1, 3)
	polOtherKey := policyFile("log-policy-other-key.json", []*testLog{logA, otherB}, wkeys, 2, 2)

	fp := alice.Public().Fingerprint()
	leaf := leafOf(m, blobs, alice)
	pa := logA.prove(fp, leaf, ws...)
	pb := logB.prove(fp, leaf, ws...)
	signed := []*keys.PrivateKey{alice}
	bundleWith := func(ps ...*tlog.Proof) []byte {
		var es []bundle.Entry
		for _, p := range ps {
			es = append(es, proofEntry(p))
		}
		return writeLogged(m, blobs, signed, es...)
	}
	raw := func(name string, data []byte) []byte {
		// Written with a placeholder, then replaced: the writer refuses
		// some of these entries (too large).
		es := entries(writeLogged(m, blobs, signed, proofEntry(pa), bundle.Entry{Name: name, Data: []byte("placeholder")}))
		for i := range es {
			if es[i].Name == name {
				es[i].Data = data
			}
		}
		return bundletest.Build(es)
	}
	rawFile := func(edit func(f *proofFile)) []byte {
		f := fileOf(pb)
		edit(f)
		return raw(pb.Name(), encodeFile(f))
	}
	withCP := func(p *tlog.Proof, cp []byte) *tlog.Proof { q := *p; q.Checkpoint = cp; return &q }
	flipSig := func(cp []byte, which int) []byte {
		// which: the index of the signature line to damage (0 = the log's).
		i := bytes.LastIndex(cp, []byte("\n\n")) + 2
		lines := strings.Split(strings.TrimSuffix(string(cp[i:]), "\n"), "\n")
		parts := strings.Fields(lines[which]) // "—", name, base64
		b, err := b64dec(parts[2])
		must(err)
		b[len(b)-1] ^= 0x01
		lines[which] = parts[0] + " " + parts[1] + " " + b64(b)
		return append(bytes.Clone(cp[:i]), []byte(strings.Join(lines, "\n")+"\n")...)
	}

	type logVec struct {
		name, expect, policy, what string
		data                       []byte
	}
	const mal, inv, miss = "malformed", "log-proof-invalid", "log-proof-missing"
	forgedPath := *pb
	forgedPath.InclusionProof = [][]byte{bytes.Repeat([]byte{0xaa}, 32), pb.InclusionProof[1]}
	moved := *pa
	moved.Fingerprint = mallory.Public().Fingerprint()
	bodyAltered := bytes.Replace(pb.Checkpoint, []byte("\n\n"), []byte("\nextension line added after signing\n\n"), 1)

	vs2 := []logVec{
		{"log-valid", "valid", pol, "proofs of 2 trusted logs, each cosigned by 3 trusted witnesses; policy: 2 logs, quorum 2", bundleWith(pa, pb)},
		{"log-valid-no-policy", "valid", "", "the same bundle, no policy: the proofs are claims, their Merkle paths hold", bundleWith(pa, pb)},
		{"log-valid-quorum-exact", "valid", pol, "log-b.example cosigned by w1 and w9 (untrusted) and w2: exactly the quorum of trusted witnesses", bundleWith(pa, logB.prove(fp, leaf, ws[0], w9, ws[1]))},

		// §4.3: every MUST-reject is malformed (10).
		{"log-entry-unknown-field", mal, pol, "a proof entry with an unknown field, in canonical order", raw(pb.Name(), bytes.Replace(encodeFile(fileOf(pb)), []byte("origin = "), []byte("note = \"x\"\norigin = "), 1))},
		{"log-entry-not-canonical", mal, pol, "a proof entry with a space added before a newline", raw(pb.Name(), bytes.Replace(encodeFile(fileOf(pb)), []byte("format = 1\n"), []byte("format = 1 \n"), 1))},
		{"log-entry-format-2", mal, pol, "format = 2", rawFile(func(f *proofFile) { f.Format = 2 })},
		{"log-entry-fingerprint-mismatch", mal, pol, "the fingerprint field differs from the entry name", rawFile(func(f *proofFile) { f.Fingerprint = mallory.Public().Fingerprint().String() })},
		{"log-entry-logid-mismatch", mal, pol, "the entry name's log id is not SHA-256 of the origin", raw(strings.Replace(pb.Name(), tlog.LogID(logB.origin), tlog.LogID("log-z.example"), 1), encodeFile(fileOf(pb)))},
		{"log-entry-origin-mismatch", mal, pol, "the checkpoint's origin differs from the entry's (a checkpoint of log-a.example in log-b.example's entry)", rawFile(func(f *proofFile) { f.Checkpoint = []string{b64(pa.Checkpoint)} })},
		{"log-entry-negative-index", mal, pol, "index = -1", rawFile(func(f *proofFile) { f.Index = -1 })},
		{"log-entry-index-outside-tree", mal, pol, "index equal to the checkpoint's tree size", rawFile(func(f *proofFile) { f.Index = int64(logB.size) })},
		{"log-entry-hash-31-bytes", mal, pol, "an inclusion proof hash of 31 bytes", rawFile(func(f *proofFile) { f.InclusionProof[0] = b64(bytes.Repeat([]byte{1}, 31)) })},
		{"log-entry-hash-not-canonical", mal, pol, "an inclusion proof hash in URL-safe base64", rawFile(func(f *proofFile) {
			f.InclusionProof[0] = b64url(bytes.Repeat([]byte{0xfb}, 32))
		})},
		{"log-entry-too-many-hashes", mal, pol, "an inclusion proof of 65 hashes", rawFile(func(f *proofFile) {
			for len(f.InclusionProof) < 65 {
				f.InclusionProof = append(f.InclusionProof, f.InclusionProof[0])
			}
		})},
		{"log-entry-checkpoint-not-base64", mal, pol, "the checkpoint is not base64", rawFile(func(f *proofFile) { f.Checkpoint = []string{"not base64!"} })},
		{"log-entry-checkpoint-empty-chunk", mal, pol, "the checkpoint's chunks end with an empty one", rawFile(func(f *proofFile) { f.Checkpoint = append(f.Checkpoint, "") })},
		{"log-entry-checkpoint-unsigned", mal, pol, "the checkpoint is a body without signature lines", rawFile(func(f *proofFile) {
			f.Checkpoint = []string{b64(f_log.Checkpoint{Origin: logB.origin, Size: 3, Hash: make([]byte, 32)}.Marshal())}
		})},
		{"log-entry-too-large", mal, pol, "a proof entry over 16 KiB", rawFile(func(f *proofFile) {
			f.Checkpoint = []string{strings.Repeat("QUFB", 1024), strings.Repeat("QUFB", 1024), strings.Repeat("QUFB", 1024), strings.Repeat("QUFB", 1024), "QUFB"}
		})},

		{"log-entry-missing-field", mal, pol, "the index line removed", raw(pb.Name(), bytes.Replace(encodeFile(fileOf(pb)), []byte("index = 1\n"), nil, 1))},
		{"log-entry-name-uppercase", mal, pol, "the entry name's fingerprint in uppercase hex", func() []byte {
			es := entries(bundleWith(pa, pb))
			for i := range es {
				if es[i].Name == pb.Name() { // "EEE7…" still sorts before pa's "eee7…"
					es[i].Name = pb.Name()[:13] + strings.ToUpper(pb.Name()[13:77]) + pb.Name()[77:]
				}
			}
			return bundletest.Build(es)
		}()},
		{"log-entry-origin-plus", mal, pol, "origin \"log+b.example\" (a '+'), named after it", func() []byte {
			f := fileOf(pb)
			f.Origin = "log+b.example"
			return raw(strings.Replace(pb.Name(), tlog.LogID(logB.origin), tlog.LogID(f.Origin), 1), encodeFile(f))
		}()},
		{"log-entry-checkpoint-body", mal, pol, "the checkpoint's size line is not decimal", rawFile(func(f *proofFile) {
			f.Checkpoint = chunked(bytes.Replace(pb.Checkpoint, []byte("\n3\n"), []byte("\nthree\n"), 1))
		})},
		{"log-entry-checkpoint-too-large", mal, pol, "a checkpoint of 8,193 bytes or more (an extension line of 8,192 bytes)", rawFile(func(f *proofFile) {
			f.Checkpoint = chunked(bytes.Replace(pb.Checkpoint, []byte("\n\n"), []byte("\n"+strings.Repeat("x", 8192)+"\n\n"), 1))
		})},
		{"log-entry-no-signature", mal, pol, "a proof of mallory's signature in a bundle signed by alice only", func() []byte {
			es := entries(bundleWith(pa))
			e := proofEntry(&moved)
			for i := range es {
				if strings.HasPrefix(es[i].Name, tlog.ProofDir) && !es[i].Dir { // mallory's fingerprint sorts first
					return bundletest.Build(append(append(bundletest.Clone(es[:i]), bundletest.Entry{Name: e.Name, Data: e.Data}), es[i:]...))
				}
			}
			panic("no proof entry")
		}()},

		// Forgeries: 7, with or without a policy.
		{"log-forged-path", inv, pol, "one hash of log-b.example's inclusion proof replaced", bundleWith(pa, &forgedPath)},
		{"log-forged-path-no-policy", inv, "", "one hash of log-b.example's inclusion proof replaced; no policy (a forgery is checkable without trusted keys)", bundleWith(pa, &forgedPath)},
		{"log-proof-moved", inv, pol, "alice's proof of log-a.example renamed to mallory's signature (signed by alice and mallory)",
			writeLogged(m, blobs, []*keys.PrivateKey{alice, mallory}, proofEntry(pa), proofEntry(pb), proofEntry(&moved))},
		{"log-checkpoint-body-altered", inv, pol, "an extension line added to log-b.example's signed checkpoint body", bundleWith(pa, withCP(pb, bodyAltered))},
		{"log-bad-log-signature", inv, pol, "one bit of log-b.example's checkpoint signature flipped", bundleWith(pa, withCP(pb, flipSig(pb.Checkpoint, 0)))},
		{"log-bad-cosignature", inv, pol, "one bit of witness w2.example's cosignature flipped", bundleWith(pa, withCP(pb, flipSig(pb.Checkpoint, 2)))},

		// Shortage: 6.
		{"log-missing", miss, pol, "no proof; the policy requires 2 logs", writeLogged(m, blobs, signed)},
		{"log-too-few-logs", miss, pol, "only log-a.example's proof; the policy requires 2 logs", bundleWith(pa)},
		{"log-too-few-witnesses", miss, pol, "log-b.example cosigned by w1.example only; quorum 2", bundleWith(pa, logB.prove(fp, leaf, ws[0]))},
		{"log-untrusted-witness", miss, pol, "log-b.example cosigned by w1.example and w9.example, which the policy does not trust", bundleWith(pa, logB.prove(fp, leaf, ws[0], w9))},
		{"log-untrusted-log", miss, pol, "proofs of log-a.example and log-c.example, which the policy does not trust", bundleWith(pa, logC.prove(fp, leaf, ws...))},
		{"log-untrusted-log-key", miss, polOtherKey, "the policy trusts log-b.example under another key", bundleWith(pa, pb)},
	}
	for _, v := range vs2 {
		writeVector(dir, v.name, ".ctp", v.data, v.expect, v.what, "trusted.pub", v.policy)
	}
	// The example of log.md §2 and §4.2.
	must(os.WriteFile(filepath.Join(dir, "log-example-leaf.hex"), []byte(hexLines(leaf)+"leaf hash "+fmt.Sprintf("%x", tlog.LeafHash(leaf))+"\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "log-example.proof"), proofEntry(pa).Data, 0o644))
	return len(vs2)
}

func probeSig(cp []byte, v note.Verifier) note.Signature {
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		var u *note.UnverifiedNoteError
		_ = u
	}
	if n == nil {
		// Open fails when the log's signature is unknown: parse by hand.
		i := bytes.LastIndex(cp, []byte("\n\n")) + 2
		for _, line := range strings.Split(strings.TrimSuffix(string(cp[i:]), "\n"), "\n") {
			parts := strings.Fields(line)
			b, err := b64dec(parts[2])
			must(err)
			if parts[1] == v.Name() && binary.BigEndian.Uint32(b) == v.KeyHash() {
				return note.Signature{Name: parts[1], Hash: v.KeyHash(), Base64: b64(b[4:])}
			}
		}
		panic("no cosignature of " + v.Name())
	}
	return n.Sigs[0]
}

func hexLines(b []byte) string {
	var s strings.Builder
	for i := 0; i < len(b); i += 32 {
		fmt.Fprintf(&s, "%x\n", b[i:min(i+32, len(b))])
	}
	return s.String()
}

func b64(b []byte) string             { return base64.StdEncoding.EncodeToString(b) }
func b64url(b []byte) string          { return base64.URLEncoding.EncodeToString(b) }
func b64dec(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// chunked cuts b's base64 into the 4,096-character chunks of log.md §4.2.
func chunked(b []byte) []string {
	t := b64(b)
	var out []string
	for len(t) > 4096 {
		out, t = append(out, t[:4096]), t[4096:]
	}
	return append(out, t)
}
