package tlog

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// exampleProof is the proof entry of log.md §4.2 and its name.
func exampleProof(f *testing.F) (string, []byte) {
	data, err := os.ReadFile("../../tests/vectors/verify/log-example.proof")
	if err != nil {
		f.Fatal(err)
	}
	return "transparency/eee7c1b1fe9d6e412eaf0fe1d91734c6021ff0eec6662c3c7ec69f13034e8232." + LogID("log-a.example") + ".proof", data
}

// FuzzParseProof: ParseProof never panics, fails only with exit.Malformed,
// and what it accepts is in the one encoding (EncodeProof gives back the
// same name and bytes); Verify of an accepted proof never panics.
func FuzzParseProof(f *testing.F) {
	name, data := exampleProof(f)
	f.Add(name, data)
	f.Add(name, bytes.Replace(data, []byte("index = 2"), []byte("index = 9"), 1))
	f.Add(name, bytes.Replace(data, []byte("format = 1"), []byte("format = 2"), 1))
	f.Add(name, data[:len(data)/2])
	f.Add("transparency/x.proof", []byte{})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p, err := ParseProof(name, data)
		if err != nil {
			if exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("error of code %d: %v", exit.CodeOf(err), err)
			}
			return
		}
		n, out, err := EncodeProof(p)
		if err != nil || n != name || !bytes.Equal(out, data) {
			t.Fatalf("accepted a proof that does not re-encode to itself: %v\n%q\n%q", err, data, out)
		}
		if _, err := p.Body(); err != nil {
			t.Fatalf("Body of a parsed proof: %v", err)
		}
		if _, err := Verify(p, []byte("CT-LOG-V1\x00leaf"), nil); err != nil && exit.CodeOf(err) != exit.LogProofInvalid && exit.CodeOf(err) != exit.Malformed {
			t.Fatalf("Verify: code %d: %v", exit.CodeOf(err), err)
		}
		// Well formed whatever is trusted (log.md §4.3 rule 12): opening
		// the checkpoint with the origin's key, as Verify does when the
		// log is trusted, finds no syntax error.
		if vkey, err := LogVerifierKey(fuzzLogKey.Public(), p.Origin); err == nil {
			v, err := note.NewVerifier(vkey)
			if err != nil {
				t.Fatal(err)
			}
			_, err = note.Open(p.Checkpoint, note.VerifierList(v))
			var inv *note.InvalidSignatureError
			var unv *note.UnverifiedNoteError
			if err != nil && !errors.As(err, &inv) && !errors.As(err, &unv) {
				t.Fatalf("accepted a checkpoint that note.Open rejects: %v\n%q", err, p.Checkpoint)
			}
		}
	})
}

// FuzzParseLeaf: ParseLeaf never panics, and what it accepts re-encodes to
// the same bytes (one encoding).
func FuzzParseLeaf(f *testing.F) {
	l := &Leaf{Suite: "CT-SIG-01", Signature: bytes.Repeat([]byte{7}, 64)}
	l.Fingerprint[0], l.ManifestDigest[31] = 1, 2
	good, err := l.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add([]byte("CT-LOG-V1\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLeaf(data)
		if err != nil {
			return
		}
		out, err := l.Encode()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("accepted a leaf that does not re-encode to itself: %v", err)
		}
	})
}

var fuzzLogKey = func() *keys.PrivateKey {
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "k", bytes.Repeat([]byte{0x77}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()
