package tlog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

func key(t *testing.T, b byte) *keys.PrivateKey {
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "k", bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// twoLeafProof returns a proof of leaf (index 1) in a tree of two leaves,
// its checkpoint signed by the log key and cosigned by the witnesses.
func twoLeafProof(t *testing.T, origin string, logKey *keys.PrivateKey, leaf []byte, witnesses ...*keys.PrivateKey) *Proof {
	h0 := rfc6962.DefaultHasher.HashLeaf([]byte("other entry"))
	root := rfc6962.DefaultHasher.HashChildren(h0, LeafHash(leaf))
	ls, err := LogSigner(logKey, origin)
	if err != nil {
		t.Fatal(err)
	}
	signers := []note.Signer{ls}
	for i, w := range witnesses {
		ws, err := WitnessSigner(w, "w"+string(rune('1'+i)))
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, ws)
	}
	cp, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: origin, Size: 2, Hash: root}.Marshal())}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return &Proof{Origin: origin, Index: 1, InclusionProof: [][]byte{h0}, Checkpoint: cp}
}

func TestVerify(t *testing.T) {
	logKey, w1, w2, w3 := key(t, 1), key(t, 2), key(t, 3), key(t, 4)
	origin := "example.com/log"
	leaf := []byte("CT-LOG-V1\x00a leaf")
	p := twoLeafProof(t, origin, logKey, leaf, w1, w2, w3)
	lvk, _ := LogVerifierKey(logKey.Public(), origin)
	wk := func(k *keys.PrivateKey, name string) string { s, _ := WitnessVerifierKey(k.Public(), name); return s }
	// w3 cosigned, but the verifier trusts only w1 and w2 (and an absent w9).
	trust, err := NewTrust(map[string]string{origin: lvk}, []string{wk(w1, "w1"), wk(w2, "w2"), wk(key(t, 9), "w9")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(p, leaf, trust)
	if err != nil || !res.LogTrusted || len(res.Witnesses) != 2 || res.Witnesses[0] != "w1" || res.Size != 2 {
		t.Fatalf("good proof: %+v, %v", res, err)
	}

	// Another log key for the origin: not vouched for, not forged.
	other, _ := LogVerifierKey(key(t, 5).Public(), origin)
	t2, _ := NewTrust(map[string]string{origin: other}, nil)
	if res, err := Verify(p, leaf, t2); err != nil || res.LogTrusted {
		t.Errorf("untrusted log key: %+v, %v", res, err)
	}
	// No trust at all: only the Merkle path is checked.
	if res, err := Verify(p, leaf, nil); err != nil || res.LogTrusted {
		t.Errorf("no trust: %+v, %v", res, err)
	}

	// Another leaf (a proof moved to another signature): forged.
	if _, err := Verify(p, []byte("CT-LOG-V1\x00another"), trust); exit.CodeOf(err) != exit.LogProofInvalid {
		t.Errorf("other leaf: %v", err)
	}
	// A flipped proof hash: forged, even with no trust.
	bad := *p
	bad.InclusionProof = [][]byte{bytes.Repeat([]byte{0}, 32)}
	if _, err := Verify(&bad, leaf, nil); exit.CodeOf(err) != exit.LogProofInvalid {
		t.Errorf("flipped hash: %v", err)
	}
	// A checkpoint whose body was changed under the log's signature.
	bad = *p
	bad.Checkpoint = bytes.Replace(p.Checkpoint, []byte("\n2\n"), []byte("\n3\n"), 1)
	if _, err := Verify(&bad, leaf, trust); exit.CodeOf(err) != exit.LogProofInvalid {
		t.Errorf("altered checkpoint: %v", err)
	}
	// A checkpoint signed by witnesses alone.
	q := twoLeafProof(t, origin, key(t, 6), leaf, w1, w2)
	if res, err := Verify(q, leaf, trust); err != nil || res.LogTrusted || len(res.Witnesses) != 0 {
		t.Errorf("checkpoint by another key: %+v %v", res, err)
	}
	// Duplicate witnesses are refused.
	if _, err := NewTrust(nil, []string{wk(w1, "w1"), wk(w1, "w1")}); err == nil {
		t.Error("duplicate witness accepted")
	}
}

// renameCosig copies the cosignature line of witness from in cp under the
// name to (key hash recomputed for to): what anyone can do, since a
// cosignature/v1 signature does not cover the witness's name.
func renameCosig(t *testing.T, cp []byte, from, to string, k *keys.PrivateKey) []byte {
	vf, _ := WitnessVerifierKey(k.Public(), from)
	vt, _ := WitnessVerifierKey(k.Public(), to)
	hf, ht := vkeyHash(t, vf), vkeyHash(t, vt)
	i := bytes.LastIndex(cp, []byte("\n\n")) + 2
	for _, line := range strings.Split(strings.TrimSuffix(string(cp[i:]), "\n"), "\n") {
		parts := strings.Fields(line)
		if parts[1] != from {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || binary.BigEndian.Uint32(b) != hf {
			continue
		}
		binary.BigEndian.PutUint32(b, ht)
		return append(bytes.Clone(cp), []byte("— "+to+" "+base64.StdEncoding.EncodeToString(b)+"\n")...)
	}
	t.Fatalf("no cosignature of %s", from)
	return nil
}

func vkeyHash(t *testing.T, vkey string) uint32 {
	h, err := strconv.ParseUint(strings.Split(vkey, "+")[1], 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(h)
}

// One key must not count as two witnesses (or as a witness of its own log):
// the policy's quorum is of independent parties.
func TestTrustOneKeyOnce(t *testing.T) {
	logKey, w1, w2 := key(t, 1), key(t, 2), key(t, 3)
	origin := "example.com/log"
	leaf := []byte("CT-LOG-V1\x00a leaf")
	lvk, _ := LogVerifierKey(logKey.Public(), origin)
	wk := func(k *keys.PrivateKey, name string) string { s, _ := WitnessVerifierKey(k.Public(), name); return s }

	// The attack: w1 cosigned once; its line, renamed "w1b", verifies under
	// the same key listed as "w1b", so a quorum of 2 would be met by one
	// witness.
	p := twoLeafProof(t, origin, logKey, leaf, w1)
	p.Checkpoint = renameCosig(t, p.Checkpoint, "w1", "w1b", w1)
	if _, err := note.Open(p.Checkpoint, note.VerifierList(mustCosigV(t, wk(w1, "w1")), mustCosigV(t, wk(w1, "w1b")))); err != nil {
		t.Fatalf("the renamed cosignature should verify under the renamed key (the premise of the attack): %v", err)
	}
	if _, err := NewTrust(map[string]string{origin: lvk}, []string{wk(w1, "w1"), wk(w1, "w1b")}); err == nil || !strings.Contains(err.Error(), "same public key") {
		t.Fatalf("one witness key under two names: got %v, want a refusal", err)
	}
	// The log's own key as a witness: the log could cosign itself.
	if _, err := NewTrust(map[string]string{origin: lvk}, []string{wk(logKey, "w-self"), wk(w2, "w2")}); err == nil || !strings.Contains(err.Error(), "same public key") {
		t.Fatalf("the log's key as a witness: got %v, want a refusal", err)
	}
	// One key for two logs: two "distinct" logs run by one key holder.
	lvk2, _ := LogVerifierKey(logKey.Public(), "example.com/other")
	if _, err := NewTrust(map[string]string{origin: lvk, "example.com/other": lvk2}, nil); err == nil || !strings.Contains(err.Error(), "same public key") {
		t.Fatalf("one key for two logs: got %v, want a refusal", err)
	}
	// Two logs whose 64-bit log ids collide (2^32 work to find).
	defer func(f func(string) string) { logIDOf = f }(logIDOf)
	logIDOf = func(string) string { return "0123456789abcdef" }
	lvk3, _ := LogVerifierKey(key(t, 5).Public(), "example.com/other")
	if _, err := NewTrust(map[string]string{origin: lvk, "example.com/other": lvk3}, nil); err == nil || !strings.Contains(err.Error(), "same log id") {
		t.Fatalf("colliding log ids: got %v, want a refusal", err)
	}
	logIDOf = LogID
	// Distinct keys are fine.
	if _, err := NewTrust(map[string]string{origin: lvk, "example.com/other": lvk3}, []string{wk(w1, "w1"), wk(w2, "w2")}); err != nil {
		t.Fatal(err)
	}
}

func mustCosigV(t *testing.T, vkey string) note.Verifier {
	v, err := f_note.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Whether a checkpoint is well formed must not depend on what the verifier
// trusts: note.Open rejects these notes in Verify when the log is trusted,
// so ReadCheckpointBody (ParseProof, EncodeProof) rejects them always.
func TestCheckpointNoteSyntax(t *testing.T) {
	logKey := key(t, 1)
	origin := "example.com/log"
	leaf := []byte("CT-LOG-V1\x00a leaf")
	good := twoLeafProof(t, origin, logKey, leaf, key(t, 2))
	if _, err := ReadCheckpointBody(good.Checkpoint); err != nil {
		t.Fatal(err)
	}
	sep := bytes.LastIndex(good.Checkpoint, []byte("\n\n"))
	body, sigs := good.Checkpoint[:sep+1], good.Checkpoint[sep+2:]
	manySigs := bytes.Repeat([]byte("— x AAAAAAAA\n"), 101)
	for name, cp := range map[string][]byte{
		"control character":        append(append(bytes.Clone(body), "ext\x01\n\n"...), sigs...),
		"invalid UTF-8":            append(append(bytes.Clone(body), "ext\xff\n\n"...), sigs...),
		"signature line no dash":   append(append(bytes.Clone(body), '\n'), append([]byte("- x AAAAAAAA\n"), sigs...)...),
		"signature not base64":     append(append(bytes.Clone(body), '\n'), append([]byte("— x not-base64\n"), sigs...)...),
		"signature name with plus": append(append(bytes.Clone(body), '\n'), append([]byte("— x+y AAAAAAAA\n"), sigs...)...),
		"101 signature lines":      append(append(bytes.Clone(body), '\n'), manySigs...),
		"root hash of 31 bytes": func() []byte {
			n, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: origin, Size: 2, Hash: make([]byte, 31)}.Marshal())}, mustLogSigner(t, logKey, origin))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}(),
	} {
		if _, err := ReadCheckpointBody(cp); err == nil {
			t.Errorf("%s: ReadCheckpointBody accepted %q", name, cp)
		}
		p := *good
		p.Checkpoint = cp
		if _, _, err := EncodeProof(&p); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: EncodeProof: got %v, want malformed", name, err)
		}
	}
}

func mustLogSigner(t *testing.T, k *keys.PrivateKey, origin string) note.Signer {
	s, err := LogSigner(k, origin)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
