package logserver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
)

// ct-log serve --print-vkey reads a public key file as ct-witness does
// (signing.LoadPublic): the same vkey as from the private key, and a
// damaged public key file is an error naming the file and the fault.
func TestVerifierKeyFiles(t *testing.T) {
	_, want := testSigner(t)
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log", bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pub, _ := keys.EncodePublic(k.Public())
	priv, _ := keys.EncodePrivateUnencrypted(k)
	pubFile, privFile := filepath.Join(dir, "log.pub"), filepath.Join(dir, "log.key")
	os.WriteFile(pubFile, pub, 0o644)
	os.WriteFile(privFile, priv, 0o600)
	for _, f := range []string{pubFile, privFile} {
		got, err := VerifierKey(f, testOrigin, passphrase.Source{})
		if err != nil || got != want {
			t.Fatalf("VerifierKey(%s) = %q, %v; want %q", f, got, err, want)
		}
	}
	damaged := filepath.Join(dir, "damaged.pub")
	os.WriteFile(damaged, bytes.Replace(pub, []byte(`id = "log"`), []byte(`id = "-log"`), 1), 0o644)
	_, err = VerifierKey(damaged, testOrigin, passphrase.Source{})
	if exit.CodeOf(err) != exit.Malformed || err == nil || !strings.Contains(err.Error(), damaged+": public key file does not decode: ") {
		t.Fatalf("damaged public key file: %v (exit %d)", err, exit.CodeOf(err))
	}
}
