package tlog

import (
	"bytes"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// Body and Verify judge a checkpoint by the note it has now: one changed
// after parsing, even in place, is not judged by the body it had.
func TestProofBodyOfChangedCheckpoint(t *testing.T) {
	logKey := key(t, 1)
	origin := "example.com/log"
	leaf := []byte("CT-LOG-V1\x00a leaf")
	name, data, err := EncodeProof(twoLeafProof(t, origin, logKey, leaf))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProof(name, data)
	if err != nil {
		t.Fatal(err)
	}
	lvk, _ := LogVerifierKey(logKey.Public(), origin)
	trust, err := NewTrust(map[string]string{origin: lvk}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(p, leaf, trust); err != nil || !res.LogTrusted || res.Size != 2 {
		t.Fatalf("Verify: %+v, %v", res, err)
	}
	if b, err := p.Body(); err != nil || b.Size != 2 {
		t.Fatalf("Body: %+v, %v", b, err)
	}

	// The tree size changed in place, under the log's signature.
	i := bytes.Index(p.Checkpoint, []byte("\n2\n"))
	if i < 0 {
		t.Fatal("test bug: no size line")
	}
	p.Checkpoint[i+1] = '3'
	if b, err := p.Body(); err != nil || b.Size != 3 {
		t.Fatalf("Body of the changed checkpoint: %+v, %v", b, err)
	}
	if _, err := Verify(p, leaf, trust); exit.CodeOf(err) != exit.LogProofInvalid {
		t.Fatalf("Verify of the changed checkpoint: %v", err)
	}
}

// Body's result is the caller's: changing it (its root hash, in place)
// changes neither what Body returns next nor what Verify checks against,
// as when every call read the note afresh.
func TestProofBodyNotShared(t *testing.T) {
	logKey := key(t, 1)
	origin := "example.com/log"
	leaf := []byte("CT-LOG-V1\x00a leaf")
	name, data, err := EncodeProof(twoLeafProof(t, origin, logKey, leaf))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProof(name, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Body()
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(b.Hash)
	b.Hash[0] ^= 1
	b.Size = 1
	if again, err := p.Body(); err != nil || !bytes.Equal(again.Hash, want) || again.Size != 2 {
		t.Fatalf("Body after its result was changed: %+v, %v", again, err)
	}
	if res, err := Verify(p, leaf, nil); err != nil || res.Size != 2 {
		t.Fatalf("Verify after Body's result was changed: %+v, %v", res, err)
	}
}
