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
separators, or a unique prefix of at least 16 hex digits.

The store is the folder $CT_HOME if set, else $XDG_CONFIG_HOME/cerro (~/.config/cerro): own key
pairs in keys/, trusted public keys in trusted/, settings in config.toml (docs/spec/keys.md).
--store DIR overrides it. Own keys are made with ct keygen.

Examples:
  ct key list
  ct key export alice --public > alice.pub
  ct key import bob.pub                     (on the verifying machine)
  curl -s https://example.org/release.pub | ct key import - --id release
  ct key info 6e33:ce9e:16e3:3e7d
  ct key default alice
  ct key delete bob --yes`,
	ExitCodes: []exit.Code{exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	JSON  bool   `name:"json" help:"Print a stable JSON document instead of text."`
	Store string `placeholder:"DIR" help:"The key store folder (default: $CT_HOME, else $XDG_CONFIG_HOME/cerro)."`

	List    struct{}  `cmd:"" help:"List own and trusted keys."`
	Import  importCmd `cmd:"" help:"Add a public key file to the trusted keys."`
	Export  exportCmd `cmd:"" help:"Write a key's public key file."`
	Default nameArg   `cmd:"" help:"Make an own key the default signing key."`
	Delete  deleteCmd `cmd:"" help:"Delete an own key pair or a trusted key."`
	Info    nameArg   `cmd:"" help:"Show a key in the store, or a public or private key file."`
}

type nameArg struct {
	Name string `arg:"" name:"NAME" help:"Key id or fingerprint (info: or a key file)."`
}
type importCmd struct {
	File string `arg:"" name:"FILE" help:"Public key file, or - for standard input."`
	ID   string `placeholder:"NEW" help:"Store the key under this id instead of the file's."`
}
type exportCmd struct {
	nameArg
	Public bool   `help:"Export the public key (the only export there is)."`
	Output string `short:"o" placeholder:"FILE" help:"Write to FILE (atomically) instead of standard output."`
}
type deleteCmd struct {
	nameArg
	Yes bool `short:"y" help:"Do not ask for confirmation (required when standard input is not a terminal)."`
}

func main() {
	var f flags
	ctx := cli.Parse(command, &f, os.Args[1:])
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
	if cmd == "info <NAME>" && keys.HasFile(f.Info.Name) {
		d, err := keys.DescribeFile(f.Info.Name)
		if err != nil {
			return err
		}
		if _, err := os.Stat(dir); err == nil { // marks only: a file needs no store
			if s, err := keys.OpenStore(dir); err == nil {
				s.Mark(d)
			}
		}
		return show(f, d, info(d))
	}
	s, err := keys.OpenStore(dir)
	if err != nil {
		return err
	}
	switch cmd {
	case "list":
		es, err := s.List()
		if err != nil || f.JSON {
			return orJSON(es, err)
		}
		if len(es) == 0 {
			fmt.Printf("no keys in %s\ncreate one with 'ct keygen --id NAME', or trust a public key with 'ct key import FILE'\n", termsafe.Escape(s.Dir))
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSUITE\tFINGERPRINT")
		for _, e := range es {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termsafe.Escape(e.ID), termsafe.Escape(e.Suite), e.Key.Fingerprint().Display(), markers(e))
		}
		return tw.Flush()
	case "import <FILE>":
		data, where, err := readInput(f.Import.File)
		if err != nil {
			return err
		}
		r, err := s.ImportData(data, where, f.Import.ID)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("imported %s (%s) %s\n", r.Entry.ID, r.Entry.Suite, r.Entry.Key.Fingerprint().Display())
		if r.Unchanged {
			msg = fmt.Sprintf("%s (%s) %s is already trusted; nothing changed\n", r.Entry.ID, r.Entry.Suite, r.Entry.Key.Fingerprint().Display())
		}
		return show(f, map[string]any{"imported": !r.Unchanged, "key": r.Entry}, msg)
	case "export <NAME>":
		return export(f, s)
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
		return show(f, map[string]any{"default": k.Public.ID(), "fingerprint": k.Public.Fingerprint().String()},
			fmt.Sprintf("default key is now %s (%s)\n", k.Public.ID(), k.Public.Fingerprint().Display()))
	case "delete <NAME>":
		return del(f, s)
	case "info <NAME>":
		d, err := s.Describe(f.Info.Name)
		if err != nil {
			return err
		}
		return show(f, d, info(d))
	}
	return exit.New(exit.Internal, "unhandled command %q", cmd)
}
