// Command ct-keygen creates a signing key pair in the key store.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-keygen",
	Summary: "Create a signing key pair",
	Detail: `Creates a key pair in the key store and says where its public key is and how to share it.
Status goes to standard error; with --json, standard output gets a ct.keygen/1 document.

Suites (--suite takes the id exactly as policy.json's suites.allowed does):
  CT-SIG-01  Ed25519 (default)
  CT-SIG-02  hybrid Ed25519 + ML-DSA-87: both signatures must verify (post-quantum and classical)
  CT-SIG-03  ML-DSA-87 (post-quantum only)

Where keys live: the key store is $CT_HOME if set, else $XDG_CONFIG_HOME/cerro, else
~/.config/cerro. The new pair is keys/ID.key (private, mode 0600: never share it) and
keys/ID.pub (public: give it to whoever verifies). The first key becomes the default signing key.

Passphrase: the private key is encrypted (Argon2id, 64 MiB, 3 passes, then XChaCha20-Poly1305)
with a passphrase of at least 12 characters, taken from --passphrase-file FILE (the file without
its trailing newline), else the CT_PASSPHRASE environment variable, else the terminal (asked twice; never standard
input). --no-passphrase stores the key unencrypted, for CI machines whose secrets are protected
otherwise. Change it later with ct key passwd ID.

Sharing: send the .pub file (or ct key export ID --public > ID.pub); on the verifying machine,
ct key import ID.pub, then compare the fingerprint it prints with the one keygen printed here,
over another channel (phone, in person).

Examples:
  ct keygen --id release
  ct keygen --id release-pq --suite CT-SIG-02 --default
  ct keygen --id ci --passphrase-file /run/secrets/ct-pass --json
  ct keygen --id ci --no-passphrase`,
	ExitCodes: []exit.Code{exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	ID             string `required:"" placeholder:"NAME" help:"Key id: letters, digits, '.', '_', '-' (at most 64)."`
	Suite          string `default:"CT-SIG-01" placeholder:"SUITE" help:"Signature suite id: CT-SIG-01, CT-SIG-02 or CT-SIG-03 (as in policy.json)."`
	PassphraseFile string `placeholder:"FILE" help:"Read the new passphrase (at least 12 characters) from FILE instead of CT_PASSPHRASE or the terminal."`
	NoPassphrase   bool   `help:"Store the private key unencrypted."`
	Default        bool   `help:"Make this the default signing key."`
	Quiet          bool   `short:"q" help:"Nothing on standard error on success."`
	JSON           bool   `name:"json" help:"Print a ct.keygen/1 JSON document on standard output."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error { return cli.Escaped(keygen(&f)) })
}

// keygen creates the key; its errors are escaped for the terminal by main
// (they may quote a passphrase file or the store's files).
func keygen(f *flags) error {
	f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
	suite, err := keys.ParseSuite(f.Suite)
	if err != nil {
		return err
	}
	dir, err := keys.DefaultStoreDir()
	if err != nil {
		return err
	}
	st, err := keys.OpenStore(dir)
	if err != nil {
		return err
	}
	if err := st.CheckNewOwn(f.ID); err != nil {
		return err
	}
	var pass []byte
	if f.NoPassphrase {
		if f.PassphraseFile != "" {
			return exit.New(exit.Usage, "--no-passphrase and --passphrase-file exclude each other")
		}
	} else if pass, err = (passphrase.Source{File: f.PassphraseFile, CheckNew: keys.CheckNewPassphrase}).Get("new key "+f.ID, true); err != nil {
		return err
	}
	k, err := st.Create(suite, f.ID, pass, keys.DefaultKDF, f.Default)
	clear(pass)
	if err != nil {
		return err
	}
	isDefault := false
	if d, err := st.Default(); err == nil && d.Public.Equal(k.Public()) {
		isDefault = true
	}
	fp := k.Fingerprint()
	priv, pub := st.PrivatePath(k.ID()), st.PublicPath(k.ID())
	if f.JSON {
		if err := json.NewEncoder(os.Stdout).Encode(doc{Schema: "ct.keygen/1", Key: keys.RefOf(k.Public()),
			FingerprintDisplay: fp.Display(), Encrypted: pass != nil, Default: isDefault,
			PrivateKey: priv, PublicKey: pub}); err != nil {
			return exit.Wrap(exit.IO, err, "cannot write to standard output")
		}
	}
	if f.Quiet {
		return nil
	}
	if f.JSON { // the report replaces the status lines; the warning stays
		if pass == nil {
			fmt.Fprintln(os.Stderr, "ct-keygen: warning: the private key is not encrypted; protect the file")
		}
		return nil
	}
	state := "encrypted"
	if pass == nil {
		state = "NOT encrypted"
	}
	lines := []string{
		fmt.Sprintf("created key %s (%s, %s)", k.ID(), k.Suite(), state),
		"fingerprint: " + fp.Display(),
		"private key: " + priv + " (keep it; never share it)",
		"public key:  " + pub,
	}
	if isDefault {
		lines = append(lines, "it is the default signing key (ct sign and ct pack use it without -k)")
	}
	lines = append(lines,
		fmt.Sprintf("share the public key: ct key export %s --public > %s.pub", k.ID(), k.ID()),
		fmt.Sprintf("verifiers trust it with: ct key import %s.pub (and compare the fingerprint above)", k.ID()))
	for _, l := range lines {
		fmt.Fprintf(os.Stderr, "ct-keygen: %s\n", termsafe.Escape(l))
	}
	if pass == nil {
		fmt.Fprintln(os.Stderr, "ct-keygen: warning: the private key is not encrypted; protect the file")
	}
	return nil
}

// doc is the ct.keygen/1 document (docs/json/ct.keygen.schema.json).
type doc struct {
	Schema             string      `json:"schema"`
	Key                keys.KeyRef `json:"key"`
	FingerprintDisplay string      `json:"fingerprintDisplay"`
	Encrypted          bool        `json:"encrypted"`
	Default            bool        `json:"default"`
	PrivateKey         string      `json:"privateKey"` // path of the private key file
	PublicKey          string      `json:"publicKey"`  // path of the public key file
}
