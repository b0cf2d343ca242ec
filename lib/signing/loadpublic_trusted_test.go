package signing

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
)

// TestLoadPublicTrusted: a key the store only trusts (its public key in
// trusted/, no private key) named by id or fingerprint is its public key
// for LoadPublic (--print-vkey), with no passphrase (keys.md §4.4); it was
// "signing needs the private key". LoadKey still refuses it (64), and an
// own key is still decrypted, never taken from its private key file's
// unauthenticated public_key field.
func TestLoadPublicTrusted(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	none := passphrase.Source{File: filepath.Join(dir, "no-such-passphrase-file")}

	// The log's own store makes the key; another store only trusts it.
	own, err := keys.OpenStore(filepath.Join(dir, "own"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := own.Create(keys.SuiteEd25519, "log1", []byte("correct horse battery staple"), keys.DefaultKDF, false)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.EncodePublic(k.Public())
	store := filepath.Join(dir, "trusting")
	st, err := keys.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportData(pub, "log1.pub", ""); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"log1", k.Fingerprint().String()} {
		got, err := LoadPublic(name, store, none)
		if err != nil || !got.Equal(k.Public()) {
			t.Fatalf("LoadPublic(%q) of a trusted key: %v", name, err)
		}
	}
	_, err = LoadKey("log1", store, none)
	wantErr(t, err, exit.Usage, "log1 is a public key (")

	// An own key of that id is still decrypted, never read from its
	// private key file's unauthenticated public_key field: without its
	// passphrase it is not loaded.
	_, err = LoadPublic("log1", filepath.Join(dir, "own"), none)
	if err == nil || !strings.Contains(err.Error(), "no-such-passphrase-file") {
		t.Fatalf("LoadPublic of an own encrypted key without a passphrase: %v", err)
	}
}
