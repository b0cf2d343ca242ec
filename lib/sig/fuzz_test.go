package sig

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// FuzzParseEntry: ParseEntry never panics, fails only with exit.Malformed,
// whatever it accepts carries the public key its fingerprint names and is
// exactly what EncodeEntry writes for it.
func FuzzParseEntry(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.header["entry-name"], v.files["entry.sig"])
	}
	for _, s := range keys.Suites {
		k, _ := keys.NewPrivateKeyFromSeed(s.ID, "fuzz", make([]byte, s.Seed))
		e, _ := Sign(k, []byte("m"))
		name, data, _ := EncodeEntry(e)
		f.Add(name, data)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		e, err := ParseEntry(name, data)
		if err != nil {
			var xe *exit.Error
			if !errors.As(err, &xe) || exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("error without exit.Malformed: %v", err)
			}
			return
		}
		if e.PublicKey == nil || keys.ComputeFingerprint(e.Suite, e.PublicKey.Bytes()) != e.Fingerprint || e.PublicKey.ID() != e.KeyID {
			t.Fatal("accepted entry whose public key does not match its fingerprint")
		}
		n2, d2, err := EncodeEntry(e)
		if err != nil || n2 != name || !bytes.Equal(d2, data) {
			t.Fatalf("accepted entry does not re-encode to itself: %v", err)
		}
	})
}
