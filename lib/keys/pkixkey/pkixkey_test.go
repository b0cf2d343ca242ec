package pkixkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/cloudflare/circl/pki"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

func key(t *testing.T, suite string) *keys.PublicKey {
	t.Helper()
	var size int
	for _, s := range keys.Suites {
		if s.ID == suite {
			size = s.Seed
		}
	}
	seed := make([]byte, size)
	for i := range seed {
		seed[i] = byte(i)
	}
	k, err := keys.NewPrivateKeyFromSeed(suite, "k", seed)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

func decode(t *testing.T, data []byte) []byte {
	t.Helper()
	b, rest := pem.Decode(data)
	if b == nil || len(rest) != 0 || b.Type != "PUBLIC KEY" || len(b.Headers) != 0 {
		t.Fatalf("not one PEM PUBLIC KEY block:\n%s", data)
	}
	return b.Bytes
}

// The Ed25519 key is RFC 8410's SubjectPublicKeyInfo: a fixed 12-byte
// prefix (SEQUENCE, AlgorithmIdentifier id-Ed25519 without parameters,
// BIT STRING of 33 bytes) and the raw key; the seed 00 01 … 1f is
// keys.md's vector-01, whose public key is 03a107bf….
func TestEd25519(t *testing.T) {
	p := key(t, keys.SuiteEd25519)
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n-----END PUBLIC KEY-----\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	der := decode(t, out)
	if prefix := "302a300506032b6570032100"; hex.EncodeToString(der[:12]) != prefix || !bytes.Equal(der[12:], p.Bytes()) {
		t.Fatalf("DER %x is not %s || key", der, prefix)
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	if ek, ok := pk.(ed25519.PublicKey); !ok || !bytes.Equal(ek, p.Bytes()) {
		t.Fatalf("crypto/x509 reads back %T %x", pk, pk)
	}
}

// The ML-DSA-87 key is RFC 9881's: AlgorithmIdentifier id-ml-dsa-87
// (2.16.840.1.101.3.4.3.19) with parameters absent, the 2592-byte key as
// the BIT STRING.
func TestMLDSA87(t *testing.T) {
	p := key(t, keys.SuiteMLDSA87)
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	der := decode(t, out)
	prefix := "30820a32" + "300b" + "0609608648016503040313" + "03820a2100"
	if hex.EncodeToString(der[:22]) != prefix || !bytes.Equal(der[22:], p.Bytes()) {
		t.Fatalf("DER starts %x, want %s || key", der[:22], prefix)
	}
	pk, err := pki.UnmarshalPEMPublicKey(out)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := pk.MarshalBinary()
	if pk.Scheme().Name() != "ML-DSA-87" || !bytes.Equal(raw, p.Bytes()) {
		t.Fatalf("circl reads back %s %x…", pk.Scheme().Name(), raw[:8])
	}
}

// A hybrid key has no PEM form: refused as a usage error naming the key,
// never one half written alone.
func TestHybridRefused(t *testing.T) {
	p := key(t, keys.SuiteHybrid)
	out, err := Encode(p)
	var e *exit.Error
	if out != nil || !errors.As(err, &e) || e.Code != exit.Usage {
		t.Fatalf("Encode(hybrid) = %q, %v; want exit 64", out, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "CT-SIG-02") || !strings.Contains(msg, p.Fingerprint().Display()) || !strings.Contains(msg, "no other tool verifies") {
		t.Fatalf("message %q does not name the key and the reason", msg)
	}
}
