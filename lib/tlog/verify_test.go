package tlog

import (
	"bytes"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
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
