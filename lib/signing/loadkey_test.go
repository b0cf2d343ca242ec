package signing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
)

func wantErr(t *testing.T, err error, code exit.Code, substr string) {
	t.Helper()
	if exit.CodeOf(err) != code || err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("got %v (code %d), want code %d with %q", err, exit.CodeOf(err), code, substr)
	}
}

// -k KEY (keys.md §4.4): a path is a path, a name is looked up in the store,
// a public key says it cannot sign, and nothing creates the store.
func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	store := filepath.Join(dir, "store")
	none := passphrase.Source{File: filepath.Join(dir, "no-such-passphrase-file")}

	_, err := LoadKey("", store, none)
	wantErr(t, err, exit.Usage, "no signing key in")
	_, err = LoadKey("release", store, none)
	wantErr(t, err, exit.IO, `no key named "release" in this store`)
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("LoadKey created the store: %v", err)
	}

	st, err := keys.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	k, err := st.Create(keys.SuiteEd25519, "release", nil, keys.DefaultKDF, false)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.EncodePublic(k.Public())
	os.WriteFile("release.pub", pub, 0o644)
	priv, _ := os.ReadFile(st.PrivatePath("release"))
	os.WriteFile("release.key", priv, 0o600)
	os.Mkdir("release", 0o700) // a folder named like the id does not hide the store key

	for _, name := range []string{"", "release", "./release.key", "release.key", filepath.Join(dir, "release.key")} {
		got, err := LoadKey(name, store, none)
		if err != nil || !got.Public().Equal(k.Public()) {
			t.Fatalf("LoadKey(%q): %v", name, err)
		}
	}
	_, err = LoadKey("release.pub", store, none)
	wantErr(t, err, exit.Usage, "release.pub is a public key (release, ")
	if !strings.Contains(exit.HintOf(err), "ct key list") {
		t.Fatalf("hint %q", exit.HintOf(err))
	}
	_, err = LoadKey("./missing.key", store, none)
	wantErr(t, err, exit.IO, "cannot read")
	if !strings.Contains(exit.HintOf(err), "ct key list") {
		t.Fatalf("hint %q", exit.HintOf(err))
	}
	if _, err := st.ImportData(pub, "release.pub", "trusted-copy"); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKey("trusted-copy", store, none)
	wantErr(t, err, exit.Usage, "trusted-copy is a public key (")
	os.WriteFile("junk", []byte("not a key"), 0o600)
	_, err = LoadKey("junk", store, none)
	wantErr(t, err, exit.Malformed, "not a key file")
}
