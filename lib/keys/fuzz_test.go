package keys

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/cerro-torre/ct/lib/exit"
)

// vectorFiles returns the named file of every signature vector
// (tests/vectors/sig), to seed the fuzzers.
func vectorFiles(f *testing.F, name string) [][]byte {
	paths, _ := filepath.Glob("../../tests/vectors/sig/*.txtar")
	var out [][]byte
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if file.Name == name {
				out = append(out, file.Data)
			}
		}
	}
	return out
}

func checkErr(t *testing.T, err error, codes ...exit.Code) {
	t.Helper()
	var xe *exit.Error
	if !errors.As(err, &xe) {
		t.Fatalf("not an *exit.Error: %v", err)
	}
	for _, c := range codes {
		if xe.Code == c {
			return
		}
	}
	t.Fatalf("unexpected code %d: %v", xe.Code, err)
}

// FuzzDecodePublic: no panics, only exit.Malformed, and whatever is accepted
// is exactly what EncodePublic writes for it.
func FuzzDecodePublic(f *testing.F) {
	for _, d := range vectorFiles(f, "public.key") {
		f.Add(d)
	}
	for _, s := range Suites {
		k, _ := NewPrivateKeyFromSeed(s.ID, "fuzz", make([]byte, s.Seed))
		d, _ := EncodePublic(k.Public())
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePublic(data)
		if err != nil {
			checkErr(t, err, exit.Malformed)
			return
		}
		again, err := EncodePublic(p)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted file does not re-encode to itself: %v", err)
		}
	})
}

// cheapKDF stands in for Argon2id while fuzzing, so that every input that
// reaches decryption costs microseconds; the parameter bounds are still
// checked by parsePrivate before it is called.
func cheapKDF(pass, salt []byte, p KDFParams) []byte {
	h := sha256.Sum256(append(append(bytes.Clone(pass), salt...), byte(p.Passes), byte(p.Parallelism), byte(p.MemoryKiB)))
	return h[:]
}

// FuzzDecodePrivate: no panics, only exit.Malformed or exit.Usage (a wrong
// passphrase), and whatever is accepted re-encodes to itself.
func FuzzDecodePrivate(f *testing.F) {
	old := deriveKey
	deriveKey = cheapKDF
	defer func() { deriveKey = old }()
	for _, name := range []string{"private.key", "private-encrypted.key"} {
		for _, d := range vectorFiles(f, name) {
			f.Add(d)
		}
	}
	for _, s := range Suites {
		k, _ := NewPrivateKeyFromSeed(s.ID, "fuzz", make([]byte, s.Seed))
		d, _ := encodePrivate(k, []byte("fuzz"), KDFParams{MinMemoryKiB, 1, 1}, make([]byte, SaltSize), make([]byte, aeadNonceSize))
		f.Add(d)
		d, _ = EncodePrivateUnencrypted(k)
		f.Add(d)
	}
	pass := func() ([]byte, error) { return []byte("fuzz"), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := DecodePrivate(data, pass)
		if err != nil {
			checkErr(t, err, exit.Malformed, exit.Usage)
			return
		}
		p, err := parsePrivate(data)
		if err != nil {
			t.Fatal(err)
		}
		var again []byte
		if p.info.Encrypted {
			again, err = encodePrivate(k, []byte("fuzz"), p.info.KDF, p.salt, p.nonce)
		} else {
			again, err = EncodePrivateUnencrypted(k)
		}
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted file does not re-encode to itself: %v", err)
		}
	})
}

// FuzzConfig: no panics, only exit.Usage, and an accepted config survives
// Encode and ParseConfig unchanged.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"", "color = \"auto\"\n", "default_key = \"alice\"\noutput = \"json\"\npolicy = \"p.toml\"\ncolor = \"never\"\n",
		"# comment\n\ncolour = 1\n", "[x]\ny = 2\n", "output = 'text' # trailing\n", "a.b.c = 1\n", "color = \"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "config.toml")
		if err != nil {
			checkErr(t, err, exit.Usage)
			return
		}
		enc, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig(enc, "config.toml")
		if err != nil || *c2 != *c {
			t.Fatalf("config does not survive a round trip: %v\n%q", err, enc)
		}
	})
}
