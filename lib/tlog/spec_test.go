package tlog

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestSpecExamples checks that the examples of log.md §2 and §4.2 are the
// generated vectors, and that they parse.
func TestSpecExamples(t *testing.T) {
	spec, err := os.ReadFile("../../docs/spec/log.md")
	if err != nil {
		t.Fatal(err)
	}
	proofData, err := os.ReadFile("../../tests/vectors/verify/log-example.proof")
	if err != nil {
		t.Fatal(err)
	}
	leafText, err := os.ReadFile("../../tests/vectors/verify/log-example-leaf.hex")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{proofData, leafText} {
		if !bytes.Contains(spec, want) {
			t.Errorf("log.md does not hold the vector:\n%s", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(string(leafText)), "\n")
	leaf, err := hex.DecodeString(strings.Join(lines[:len(lines)-1], ""))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseLeaf(leaf)
	if err != nil || l.Suite != "CT-SIG-01" {
		t.Fatalf("example leaf: %v", err)
	}
	if enc, _ := l.Encode(); !bytes.Equal(enc, leaf) {
		t.Fatal("example leaf does not re-encode to itself")
	}
	if got := "leaf hash " + hex.EncodeToString(LeafHash(leaf)); got != lines[len(lines)-1] {
		t.Fatalf("%s, the example says %s", got, lines[len(lines)-1])
	}
	var fp [32]byte
	copy(fp[:], l.Fingerprint[:])
	p, err := ParseProof(ProofName(fp, "log-a.example"), proofData)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(p, leaf, nil); err != nil {
		t.Fatalf("example proof does not hold for the example leaf: %v", err)
	}
	if !strings.Contains(string(spec), "1,020 bytes") || len(proofData) != 1020 {
		t.Errorf("log.md gives the example's size; it is %d bytes", len(proofData))
	}
}
