// Command ct-key manages the key store: own signing keys and trusted public keys.
package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-key",
	Summary: "Manage signing keys and trusted public keys",
	Detail: `A key is named by its id or by its fingerprint: all 64 hex digits, with or without ':'
separators, or a unique prefix of at least 16 hex digits. ct key info also takes a key file
(a path: anything with a '/', or an existing file).

Where keys live: the key store is the folder $CT_HOME if set, else $XDG_CONFIG_HOME/cerro, else
~/.config/cerro (--store DIR overrides it): own key pairs in keys/ (ID.key private, ID.pub
public), trusted public keys in trusted/, settings in config.toml (docs/spec/keys.md). Own keys
are made with ct keygen. list, info and export only read: they never create the store.

export --pem writes the public key as PEM (an X.509 SubjectPublicKeyInfo, "PUBLIC KEY") for tools
that are not ct: a CT-SIG-01 key as RFC 8410 Ed25519, which openssl and cosign read (cosign
verify-blob-attestation --key alice.pem checks ct's Ed25519 attestations); a CT-SIG-03 key as RFC
9881 ML-DSA-87. A CT-SIG-02 (hybrid) key has no standard form and no other tool verifies its
signatures: --pem refuses it (exit 64). docs/spec/keys.md §2.1.

Streams: the listing (list, info) and the exported key file go to standard output; status lines
("imported …", "wrote …") go to standard error. --json prints a ct.key.KIND/1 document
(docs/json/README.md) on standard output, except for export without -o, whose standard output is
the key file: its report then goes to standard error.

Passphrases (passwd): the current one from --passphrase-file FILE, else CT_PASSPHRASE, else the
terminal; the new one (at least 12 characters) from --new-passphrase-file FILE, else the terminal
(asked twice; never CT_PASSPHRASE). --no-passphrase stores the key unencrypted. The key file is
replaced atomically and stays mode 0600.

Examples:
  ct key list
  ct key export alice --public > alice.pub
  ct key export alice --pem > alice.pem     (for openssl, cosign: CT-SIG-01 and CT-SIG-03)
  ct key import bob.pub                     (on the verifying machine)
  curl -s https://example.org/release.pub | ct key import - --id release
  ct key info 6e33:ce9e:16e3:3e7d
  ct key info ./release.key
  ct key default alice
  ct key passwd alice
  ct key passwd ci --passphrase-file old.txt --new-passphrase-file new.txt
  ct key delete bob --yes`,
	ExitCodes: []exit.Code{exit.Malformed, exit.IO, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	JSON  bool   `name:"json" help:"Print a JSON document (ct.key.KIND/1) instead of text."`
	Store string `placeholder:"DIR" help:"The key store folder (default: $CT_HOME, else $XDG_CONFIG_HOME/cerro)."`
	Quiet bool   `short:"q" help:"No status lines on standard error on success."`

	List    struct{}  `cmd:"" help:"List own and trusted keys."`
	Import  importCmd `cmd:"" help:"Add a public key file to the trusted keys."`
	Export  exportCmd `cmd:"" help:"Write a key's public key file."`
	Default nameArg   `cmd:"" help:"Make an own key the default signing key."`
	Delete  deleteCmd `cmd:"" help:"Delete an own key pair or a trusted key."`
	Info    nameArg   `cmd:"" help:"Show a key in the store, or a public or private key file."`
	Passwd  passwdCmd `cmd:"" help:"Change the passphrase of an own key (or add or remove it)."`
}

type nameArg struct {
	Name string `arg:"" name:"NAME" help:"Key id or fingerprint (info: or a key file)."`
}
type importCmd struct {
	File string `arg:"" name:"FILE" help:"Public key file, or - for standard input."`
	ID   string `placeholder:"NEW" help:"Store the key under this id instead of the file's."`
}
type exportCmd struct {
	Name   string `arg:"" name:"NAME" help:"Key id or fingerprint, or a public or private key file."`
	Public bool   `help:"Export the public key (the only export there is)."`
	PEM    bool   `name:"pem" help:"Write the public key as PEM (SubjectPublicKeyInfo) for other tools: openssl, cosign (implies --public; CT-SIG-02 keys have no PEM form)."`
	Output string `short:"o" placeholder:"FILE" help:"Write to FILE (atomically) instead of standard output."`
}
type deleteCmd struct {
	nameArg
	Yes bool `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
}
type passwdCmd struct {
	nameArg
	PassphraseFile    string `placeholder:"FILE" help:"Read the current passphrase from FILE."`
	NewPassphraseFile string `placeholder:"FILE" help:"Read the new passphrase (at least 12 characters) from FILE."`
	NoPassphrase      bool   `help:"Store the key unencrypted from now on."`
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
	f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
	if err := run(&f, ctx.Command()); err != nil {
		cli.Fail(command.Name, cli.Escaped(err)) // may quote a key file
	}
}

func run(f *flags, cmd string) error {
	dir := f.Store
	if dir == "" {
		var err error
		if dir, err = keys.DefaultStoreDir(); err != nil {
			return err
		}
	}
	if cmd == "export <NAME>" {
		if err := checkExport(f); err != nil {
			return err
		}
	}
	if cmd == "export <NAME>" && keys.IsKeyPath(f.Export.Name) {
		d, err := keys.DescribeFile(f.Export.Name)
		if err != nil {
			return err
		}
		return export(f, d.Key)
	}
	if cmd == "info <NAME>" && keys.IsKeyPath(f.Info.Name) {
		d, err := keys.DescribeFile(f.Info.Name)
		if err != nil {
			return err
		}
		if s, err := keys.OpenStoreReadOnly(dir); err == nil { // marks only: a file needs no store
			s.Mark(d)
		}
		return show(f, keys.NewInfoDoc(d), info(d))
	}
	// Only import adds a folder; every other command reads, or changes a
	// key that exists (and so do its folders).
	open := keys.OpenStoreReadOnly
	if cmd == "import <FILE>" {
		open = keys.OpenStore
	}
	s, err := open(dir)
	if err != nil {
		return err
	}
	switch cmd {
	case "list":
		return list(f, s)
	case "import <FILE>":
		return importKey(f, s)
	case "export <NAME>":
		k, err := s.Lookup(f.Export.Name)
		if err != nil {
			return err
		}
		return export(f, k.Public)
	case "default <NAME>":
		k, err := s.Lookup(f.Default.Name)
		if err == nil && !k.Own {
			err = exit.New(exit.Usage, "%s (%s) is a trusted public key, not an own key: signing needs the private key", k.Public.ID(), k.Public.Fingerprint().Display()).
				At(k.Path).WithHint("pick an own key (ct key list marks them 'own'), or create one with ct keygen --id NAME")
		}
		if err == nil {
			_, err = s.SetDefault(k.Public.ID())
		}
		if err != nil {
			return err
		}
		return report(f, os.Stdout, actionDoc{Schema: "ct.key.default/1", Key: keys.RefOf(k.Public), Path: k.Path},
			fmt.Sprintf("default key is now %s (%s)\n", k.Public.ID(), k.Public.Fingerprint().Display()))
	case "delete <NAME>":
		return del(f, s)
	case "info <NAME>":
		d, err := s.Describe(f.Info.Name)
		if err != nil {
			return err
		}
		return show(f, keys.NewInfoDoc(d), info(d))
	case "passwd <NAME>":
		return passwd(f, s)
	}
	return exit.New(exit.Internal, "unhandled command %q", cmd)
}

func list(f *flags, s *keys.Store) error {
	es, err := s.List()
	if err != nil {
		return err
	}
	if f.JSON {
		return printJSON(os.Stdout, keys.NewListDoc(s.Dir, es))
	}
	if len(es) == 0 {
		status(f, "no keys in %s\n", s.Dir)
		status(f, "create one with 'ct keygen --id NAME', or trust a public key with 'ct key import FILE'\n")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUITE\tFINGERPRINT")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termsafe.Escape(e.ID), termsafe.Escape(e.Suite), e.Key.Fingerprint().Display(), markers(e))
	}
	return tw.Flush()
}

func importKey(f *flags, s *keys.Store) error {
	data, where, err := readInput(f.Import.File)
	if err != nil {
		return err
	}
	r, err := s.ImportData(data, where, f.Import.ID)
	if err != nil {
		return err
	}
	e := r.Entry
	msg := fmt.Sprintf("imported %s (%s) %s\n", e.ID, e.Suite, e.Key.Fingerprint().Display()) +
		"compare this fingerprint with the one the key's owner gave you (over another channel) before trusting what it signs\n"
	if r.Unchanged {
		msg = fmt.Sprintf("%s (%s) %s is already trusted; nothing changed\n", e.ID, e.Suite, e.Key.Fingerprint().Display())
	}
	imported := !r.Unchanged
	return report(f, os.Stdout, actionDoc{Schema: "ct.key.import/1", Key: keys.RefOf(e.Key), Imported: &imported, Path: e.Path}, msg)
}
