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
	Detail: `Suites:
  CT-SIG-01  Ed25519 (default)
  CT-SIG-02  hybrid Ed25519 + ML-DSA-87: both signatures must verify (post-quantum and classical)
  CT-SIG-03  ML-DSA-87 (post-quantum only)

The private key is encrypted with a passphrase (Argon2id, 64 MiB, 3 passes, then
XChaCha20-Poly1305) taken from --passphrase-file, CT_PASSPHRASE or the terminal (asked twice).
--no-passphrase stores it unencrypted, for CI machines whose secrets are protected otherwise.
Keys live in $CT_HOME, else $XDG_CONFIG_HOME/cerro, else ~/.config/cerro. The first key becomes
the default signing key.

Examples:
  ct keygen --id release
  ct keygen --id release-pq --suite CT-SIG-02 --default
  ct keygen --id ci --no-passphrase --json`,
	ExitCodes: []exit.Code{exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	ID             string `required:"" placeholder:"NAME" help:"Key id: letters, digits, '.', '_', '-' (at most 64)."`
	Suite          string `default:"CT-SIG-01" placeholder:"SUITE" help:"Signature suite: CT-SIG-01, CT-SIG-02 or CT-SIG-03."`
	PassphraseFile string `placeholder:"FILE" help:"Read the new passphrase from FILE."`
	NoPassphrase   bool   `help:"Store the private key unencrypted."`
	Default        bool   `help:"Make this the default signing key."`
	JSON           bool   `name:"json" help:"Print the new key as JSON."`
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
	} else if pass, err = (passphrase.Source{File: f.PassphraseFile}).Get("new key "+f.ID, true); err != nil {
		return err
	}
	k, err := st.Create(suite, f.ID, pass, keys.DefaultKDF, f.Default)
	if err != nil {
		return err
	}
	fp := k.Fingerprint()
	if pass == nil {
		fmt.Fprintln(os.Stderr, "ct-keygen: warning: the private key is not encrypted; protect the file")
	}
	if f.JSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"id": k.ID(), "suite": k.Suite(),
			"fingerprint": fp.String(), "encrypted": pass != nil, "private": st.PrivatePath(k.ID())})
	}
	fmt.Printf("created key %s (%s)\nfingerprint: %s\nprivate key: %s\n", k.ID(), k.Suite(), fp.Display(), termsafe.Escape(st.PrivatePath(k.ID())))
	return nil
}
