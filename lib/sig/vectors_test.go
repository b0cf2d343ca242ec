package sig

import (
	"bytes"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// vectorDir holds the conformance vectors of signatures.md §7, written by
// tests/vectors/gen-sig.
const vectorDir = "../../tests/vectors/sig"

type vector struct {
	name   string
	header map[string]string
	files  map[string][]byte
}

func loadVectors(tb testing.TB) []vector {
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []vector
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		v := vector{name: filepath.Base(p), header: map[string]string{}, files: map[string][]byte{}}
		for _, l := range strings.Split(strings.TrimSpace(string(a.Comment)), "\n") {
			k, val, ok := strings.Cut(l, ": ")
			if !ok {
				tb.Fatalf("%s: bad header line %q", p, l)
			}
			v.header[k] = val
		}
		for _, f := range a.Files {
			v.files[f.Name] = f.Data
		}
		out = append(out, v)
	}
	return out
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 10 {
		t.Fatalf("only %d vectors in %s; run `cd tests && go run ./vectors/gen-sig`", len(vs), vectorDir)
	}
	seen := map[string]int{}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			h := v.header
			for _, k := range []string{"expect", "verdict", "suite", "entry-name", "key-seed"} {
				if h[k] == "" {
					t.Fatalf("header lacks %s", k)
				}
			}
			for _, f := range []string{"public.key", "manifest.toml", "message.hex", "entry.sig"} {
				if v.files[f] == nil {
					t.Fatalf("lacks %s", f)
				}
			}
			pub, err := keys.DecodePublic(v.files["public.key"])
			if err != nil {
				t.Fatalf("public.key: %v", err)
			}
			if pub.Suite() != h["suite"] {
				t.Fatalf("public.key is %s, header says %s", pub.Suite(), h["suite"])
			}
			// The seed regenerates the key.
			seed, err := hex.DecodeString(h["key-seed"])
			if err != nil {
				t.Fatal(err)
			}
			k, err := keys.NewPrivateKeyFromSeed(pub.Suite(), pub.ID(), seed)
			if err != nil || !k.Public().Equal(pub) {
				t.Fatalf("key-seed does not give public.key: %v", err)
			}
			if pf := v.files["private.key"]; pf != nil {
				pk, err := keys.DecodePrivate(pf, nil)
				if err != nil || !bytes.Equal(pk.Seed(), seed) || !pk.Public().Equal(pub) {
					t.Fatalf("private.key: %v", err)
				}
				again, _ := keys.EncodePrivateUnencrypted(pk)
				if !bytes.Equal(again, pf) {
					t.Fatalf("private.key is not what EncodePrivateUnencrypted writes:\n%s", again)
				}
			}
			if ef := v.files["private-encrypted.key"]; ef != nil {
				pp := h["passphrase"]
				pk, err := keys.DecodePrivate(ef, func() ([]byte, error) { return []byte(pp), nil })
				if err != nil || !bytes.Equal(pk.Seed(), seed) {
					t.Fatalf("private-encrypted.key: %v", err)
				}
				_, err = keys.DecodePrivate(ef, func() ([]byte, error) { return []byte(pp + "!"), nil })
				if !errors.Is(err, keys.ErrWrongPassphrase) {
					t.Fatalf("private-encrypted.key opens with a wrong passphrase: %v", err)
				}
			}
			if again, _ := keys.EncodePublic(pub); !bytes.Equal(again, v.files["public.key"]) {
				t.Fatalf("public.key is not what EncodePublic writes:\n%s", again)
			}
			// The message, recomputed per the spec.
			manifest := v.files["manifest.toml"]
			msg := Message(pub.Suite(), pub.Fingerprint(), ManifestDigest(manifest))
			if got := hex.EncodeToString(msg) + "\n"; got != string(v.files["message.hex"]) {
				t.Fatalf("message.hex differs: computed %s", got)
			}
			// outcome is Verify with public.key, self VerifySelf with the
			// entry's own key, verdict the conclusion of a verifier that
			// trusts exactly public.key (signatures.md §5: parse, verify
			// with the embedded key, trust by fingerprint).
			outcome, self, verdict := "valid", "", ""
			check := func(what string, err error) string {
				if err == nil {
					return "valid"
				}
				if exit.CodeOf(err) != exit.SignatureInvalid {
					t.Fatalf("%s: code %d: %v", what, exit.CodeOf(err), err)
				}
				return "signature-invalid"
			}
			e, err := ParseEntry(h["entry-name"], v.files["entry.sig"])
			switch {
			case err != nil:
				if exit.CodeOf(err) != exit.Malformed {
					t.Fatalf("ParseEntry: code %d: %v", exit.CodeOf(err), err)
				}
				outcome, verdict = "malformed", "malformed"
			default:
				verr := Verify(e, pub, manifest)
				outcome = check("Verify", verr)
				self = check("VerifySelf", VerifySelf(e, manifest))
				switch {
				case self != "valid":
					verdict = "signature-invalid"
				case e.Fingerprint != pub.Fingerprint():
					verdict = "untrusted"
				default:
					verdict = outcome // the trusted key verifies what the embedded one does
				}
				// The embedded key is the one its fingerprint names, under key_id.
				if e.PublicKey == nil || e.PublicKey.Fingerprint() != e.Fingerprint || e.PublicKey.Suite() != e.Suite || e.PublicKey.ID() != e.KeyID {
					t.Fatalf("ParseEntry returned an inconsistent public key")
				}
				// Every entry that parses re-encodes to the same bytes.
				name, data, eerr := EncodeEntry(e)
				if eerr != nil || name != h["entry-name"] || !bytes.Equal(data, v.files["entry.sig"]) {
					t.Fatalf("EncodeEntry does not reproduce entry.sig: %v", eerr)
				}
				err = verr
			}
			if outcome != h["expect"] {
				t.Fatalf("outcome %s, want %s (%s); err %v", outcome, h["expect"], h["reason"], err)
			}
			if self != h["expect-self"] {
				t.Fatalf("VerifySelf outcome %q, want %q (%s)", self, h["expect-self"], h["reason"])
			}
			if verdict != h["verdict"] {
				t.Fatalf("verdict %s, want %s (%s)", verdict, h["verdict"], h["reason"])
			}
			t.Logf("%s: %v", outcome, err)
			seen[outcome]++
			seen["verdict-"+verdict]++
			if outcome == "valid" {
				// Deterministic signing reproduces the vector byte for byte.
				e2, err := Sign(k, manifest)
				if err != nil {
					t.Fatal(err)
				}
				name, data, _ := EncodeEntry(e2)
				if name != h["entry-name"] || !bytes.Equal(data, v.files["entry.sig"]) {
					t.Fatal("signing with key-seed does not reproduce entry.sig")
				}
			}
		})
	}
	for _, o := range []string{"valid", "signature-invalid", "malformed", "verdict-untrusted"} {
		if seen[o] == 0 {
			t.Errorf("no %s vector", o)
		}
	}
	for _, s := range Suites {
		found := false
		for _, v := range vs {
			found = found || v.header["expect"] == "valid" && v.header["suite"] == s.ID
		}
		if !found {
			t.Errorf("no valid vector for %s", s.ID)
		}
	}
}
