package tlog

import (
	"bytes"
	"crypto/sha256"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

func TestLeafRoundTrip(t *testing.T) {
	l := &Leaf{Suite: "CT-SIG-01", Signature: bytes.Repeat([]byte{7}, 64)}
	l.Fingerprint[0], l.ManifestDigest[31] = 1, 2
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 9+1+9+1+32+32+4+64 {
		t.Fatalf("leaf is %d bytes", len(data))
	}
	got, err := ParseLeaf(data)
	if err != nil || got.Suite != l.Suite || got.Fingerprint != l.Fingerprint || got.ManifestDigest != l.ManifestDigest || !bytes.Equal(got.Signature, l.Signature) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{data[:len(data)-1], append(bytes.Clone(data), 0), []byte("CT-SIG-V1\x00x")} {
		if _, err := ParseLeaf(bad); err == nil {
			t.Errorf("ParseLeaf accepted %q", bad)
		}
	}
}

func testKey(t *testing.T) *keys.PrivateKey {
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestNoteKeys checks that ct keys become note keys that the note and
// formats packages accept, for a log and for a witness.
func TestNoteKeys(t *testing.T) {
	k := testKey(t)
	origin := "example.com/log"
	s, err := LogSigner(k, origin)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := LogVerifierKey(k.Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	root := sha256.Sum256(nil)
	body := f_log.Checkpoint{Origin: origin, Size: 3, Hash: root[:]}.Marshal()
	ws, err := WitnessSigner(k, "w1")
	if err != nil {
		t.Fatal(err)
	}
	wvkey, err := WitnessVerifierKey(k.Public(), "w1")
	if err != nil {
		t.Fatal(err)
	}
	wv, err := f_note.NewVerifierForCosignatureV1(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: string(body)}, s, ws)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, n, err := f_log.ParseCheckpoint(signed, origin, v, wv)
	if err != nil || cp.Size != 3 || len(n.Sigs) != 2 {
		t.Fatalf("ParseCheckpoint: %v, %+v", err, n)
	}

	// A proof entry carrying it round-trips.
	p := &Proof{Fingerprint: k.Fingerprint(), Origin: origin, Index: 2, InclusionProof: [][]byte{root[:], root[:]}, Checkpoint: signed}
	name, data, err := EncodeProof(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(name) != 100 {
		t.Errorf("entry name is %d bytes, want 100", len(name))
	}
	q, err := ParseProof(name, data)
	if err != nil || q.Index != 2 || !bytes.Equal(q.Checkpoint, signed) || len(q.InclusionProof) != 2 {
		t.Fatalf("ParseProof: %v", err)
	}
	p.Index = 3
	if _, _, err := EncodeProof(p); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("index outside the tree: %v", err)
	}
	if _, err := ParseProof(ProofName(k.Fingerprint(), "other"), data); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("wrong log id in name: %v", err)
	}
	if _, err := ParseProof(name, append(data, '\n')); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("non-canonical: %v", err)
	}
}
