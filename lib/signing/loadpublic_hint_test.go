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

// LoadPublic's callers (ct-log serve and ct-witness serve --print-vkey)
// take --key, and a public key file will do there: a failure's hint says
// so, never "-k takes your private key file", a flag those tools lack and
// the one kind of file they do not need. LoadKey (-k) keeps its hint,
// also for a damaged public key file, which -k could not use if whole.
func TestLoadPublicHints(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	none := passphrase.Source{File: filepath.Join(dir, "no-such-passphrase-file")}
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "log1", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.EncodePublic(k.Public())
	os.WriteFile("damaged.pub", bytes.Replace(pub, []byte(`id = "log1"`), []byte(`id = "-log1"`), 1), 0o644)
	os.WriteFile("junk", []byte("not a key"), 0o600)

	for _, c := range []struct {
		name string
		code exit.Code
		msg  string
	}{
		{"./missing.pub", exit.IO, "cannot read"},
		{"junk", exit.Malformed, "not a key file"},
		{"damaged.pub", exit.Malformed, "public key file does not decode"},
	} {
		_, err := LoadPublic(c.name, filepath.Join(dir, "store"), none)
		wantErr(t, err, c.code, c.msg)
		h := exit.HintOf(err)
		if strings.Contains(h, "-k ") || !strings.Contains(h, "public key file") || !strings.Contains(h, "--key") && c.name != "damaged.pub" {
			t.Errorf("LoadPublic(%s): hint %q", c.name, h)
		}
		_, err = LoadKey(c.name, filepath.Join(dir, "store"), none)
		wantErr(t, err, c.code, c.msg)
		if h := exit.HintOf(err); !strings.HasPrefix(h, "-k takes ") {
			t.Errorf("LoadKey(%s): hint %q", c.name, h)
		}
	}
}
