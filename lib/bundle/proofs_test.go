package bundle

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func proofName(fp byte, log string) string {
	return ProofsDir + strings.Repeat(string(rune(fp)), 64) + "." + strings.Repeat(log, 16) + ".proof"
}
func sigName(fp byte) string { return SignaturesDir + strings.Repeat(string(rune(fp)), 64) + ".sig" }

// writeWithProofs writes the test image with signatures and proofs.
func writeWithProofs(t *testing.T, sigs, proofs []Entry) ([]byte, error) {
	m, blobs := testImage()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, m, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteSignatures(sigs); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteProofs(proofs); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), nil
}

// Proof entries follow the signatures, sorted, one per signature and log;
// the reader returns them apart from the signatures, and Rewrite keeps the
// proofs of the signatures that remain (bundle.md §2, log.md §4).
func TestProofs(t *testing.T) {
	sigs := []Entry{{Name: sigName('a'), Data: []byte("a")}, {Name: sigName('b'), Data: []byte("b")}}
	proofs := []Entry{{Name: proofName('b', "1"), Data: []byte("p1")}, {Name: proofName('a', "2"), Data: []byte("p2")}, {Name: proofName('a', "1"), Data: []byte("p3")}}
	data, err := writeWithProofs(t, sigs, proofs)
	if err != nil {
		t.Fatal(err)
	}
	br, err := NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	got, err := br.Finish()
	if err != nil || len(got) != 2 {
		t.Fatalf("signatures %v, %v", got, err)
	}
	ps := br.Proofs()
	if len(ps) != 3 || ps[0].Name != proofName('a', "1") || ps[2].Name != proofName('b', "1") {
		t.Fatalf("proofs %v", ps)
	}

	// Rewrite replacing the signatures with b's alone keeps b's proof only.
	var out bytes.Buffer
	_, err = Rewrite(bytes.NewReader(data), "x.ctp", &out, func(_ *Manifest, _ []byte, old []Entry) ([]Entry, error) {
		return old[1:], nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	br, _ = NewReader(bytes.NewReader(out.Bytes()), "y.ctp")
	if _, err := br.Finish(); err != nil || len(br.Proofs()) != 1 || br.Proofs()[0].Name != proofName('b', "1") {
		t.Fatalf("after rewrite: %v %v", br.Proofs(), err)
	}

	// The writer refuses a proof of a signature it did not write.
	if _, err := writeWithProofs(t, sigs[:1], proofs); exit.CodeOf(err) != exit.Internal {
		t.Errorf("proof without its signature: %v", err)
	}
}

func TestProofsRejected(t *testing.T) {
	sigs := []Entry{{Name: sigName('a'), Data: []byte("a")}}
	good, err := writeWithProofs(t, sigs, []Entry{{Name: proofName('a', "1"), Data: []byte("p")}, {Name: proofName('a', "2"), Data: []byte("q")}})
	if err != nil {
		t.Fatal(err)
	}
	base := readEntries(t, good)
	n := len(base)
	// base ends: signatures/, sig a, transparency/, proof a.1, proof a.2
	cases := map[string][]entry{
		"out of order":           append(clone(base[:n-2]), base[n-1], base[n-2]),
		"duplicate":              append(clone(base[:n-1]), base[n-2]),
		"no directory":           append(clone(base[:n-3]), base[n-2:]...),
		"directory alone":        clone(base[:n-2]),
		"signature after proof":  append(clone(base[:n-1]), base[n-4]),
		"proof before signature": append(append(clone(base[:n-5]), base[n-3:]...), base[n-5:n-3]...),
		"no signatures":          append(clone(base[:n-5]), base[n-3:]...),
	}
	bad := base[n-1]
	bad.Name = proofName('c', "1")
	cases["proof of another key"] = append(clone(base[:n-1]), bad)
	bad = base[n-1]
	bad.Name = ProofsDir + strings.Repeat("a", 64) + ".proof"
	cases["bad name"] = append(clone(base[:n-2]), bad)
	bad = base[n-1]
	bad.Data = make([]byte, MaxProofSize+1)
	cases["too large"] = append(clone(base[:n-1]), bad)
	for name, es := range cases {
		br, err := NewReader(bytes.NewReader(build(t, es)), "x.ctp")
		if err == nil {
			_, err = br.Finish()
		}
		if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}
