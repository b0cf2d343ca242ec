package signing

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

// LoadPublic (keys.md §4.4, --print-vkey): a public key file needs no
// passphrase, a private key file and a store name load the private key,
// and a public key file that does not decode is an error about that file
// saying what is wrong, never a silent retry as a private key.
func TestLoadPublic(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	store := filepath.Join(dir, "store")
	// No passphrase can be had: a public key file must not ask for one.
	none := passphrase.Source{File: filepath.Join(dir, "no-such-passphrase-file")}

	st, err := keys.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	k, err := st.Create(keys.SuiteEd25519, "log1", []byte("correct horse battery staple"), keys.DefaultKDF, false)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.EncodePublic(k.Public())
	os.WriteFile("log1.pub", pub, 0o644)
	got, err := LoadPublic("log1.pub", store, none)
	if err != nil || !got.Equal(k.Public()) {
		t.Fatalf("LoadPublic(log1.pub): %v", err)
	}
	// An encrypted private key file or store name does need the passphrase.
	priv, _ := os.ReadFile(st.PrivatePath("log1"))
	os.WriteFile("log1.key", priv, 0o600)
	for _, name := range []string{"./log1.key", "log1"} {
		if _, err := LoadPublic(name, store, none); err == nil || !strings.Contains(err.Error(), "no-such-passphrase-file") {
			t.Fatalf("LoadPublic(%q) without a passphrase: %v", name, err)
		}
		withPass := passphrase.Source{File: filepath.Join(dir, "pass")}
		os.WriteFile(withPass.File, []byte("correct horse battery staple\n"), 0o600)
		got, err := LoadPublic(name, store, withPass)
		if err != nil || !got.Equal(k.Public()) {
			t.Fatalf("LoadPublic(%q): %v", name, err)
		}
	}

	// A public key file whose fingerprint is off by one digit.
	fp := k.Fingerprint().String()
	bad := fp[:len(fp)-1] + "0"
	if fp[len(fp)-1] == '0' {
		bad = fp[:len(fp)-1] + "1"
	}
	damaged := bytes.Replace(pub, []byte(fp), []byte(bad), 1)
	if bytes.Equal(damaged, pub) {
		t.Fatal("test bug: the fingerprint is not in the public key file")
	}
	os.WriteFile("damaged.pub", damaged, 0o644)
	_, err = LoadPublic("damaged.pub", store, none)
	wantErr(t, err, exit.Malformed, "damaged.pub: public key file does not decode: fingerprint")
	if strings.Contains(err.Error(), "passphrase") || strings.Contains(err.Error(), "neither") {
		t.Fatalf("a damaged public key file was read as something else: %v", err)
	}
	// -k with the same file says the same.
	_, err = LoadKey("damaged.pub", store, none)
	wantErr(t, err, exit.Malformed, "damaged.pub: public key file does not decode: fingerprint")

	os.WriteFile("junk", []byte("not a key"), 0o600)
	_, err = LoadPublic("junk", store, none)
	wantErr(t, err, exit.Malformed, "junk: not a key file: neither a private nor a public key file")
	_, err = LoadPublic("./missing.pub", store, none)
	wantErr(t, err, exit.IO, "cannot read")
}
