package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/keys/pkixkey"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// actionDoc is the JSON document of import, export, default, delete and
// passwd (ct.key.import/1 …; docs/json/ct.key.*.schema.json). Each kind has
// a fixed subset of the optional members.
type actionDoc struct {
	Schema         string      `json:"schema"`
	Key            keys.KeyRef `json:"key"`
	Imported       *bool       `json:"imported,omitempty"`       // import
	Own            *bool       `json:"own,omitempty"`            // delete
	DefaultCleared *bool       `json:"defaultCleared,omitempty"` // delete
	Encrypted      *bool       `json:"encrypted,omitempty"`      // passwd
	Format         string      `json:"format,omitempty"`         // export: ct-public-key or pem
	Output         string      `json:"output,omitempty"`         // export -o
	Path           string      `json:"path,omitempty"`           // the key's file in the store
}

// show prints a listing (list, info): v as JSON with --json, else text on
// standard output, each line escaped for the terminal (text names keys and
// paths read from key files).
func show(f *flags, v any, text string) error {
	if f.JSON {
		return printJSON(os.Stdout, v)
	}
	_, err := io.WriteString(os.Stdout, escapeLines(text))
	return err
}

// report prints what a command did: v as JSON on w with --json, the status
// text on standard error otherwise (docs/cli.md, Streams).
func report(f *flags, w io.Writer, v any, text string) error {
	if f.JSON {
		return printJSON(w, v)
	}
	status(f, "%s", text)
	return nil
}

// status writes "ct-key: " lines on standard error, escaped.
func status(f *flags, format string, args ...any) {
	if f.Quiet {
		return
	}
	text := fmt.Sprintf(format, args...)
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			fmt.Fprint(os.Stderr, "ct-key: "+escapeLines(l))
		}
	}
}

func escapeLines(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = termsafe.Escape(strings.TrimSuffix(l, "\n"))
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}

func printJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		return exit.Wrap(exit.IO, err, "cannot write the JSON document")
	}
	return nil
}

func markers(e *keys.KeyEntry) string {
	var m []string
	if e.Own {
		m = append(m, "own")
	}
	if e.Trusted {
		m = append(m, "trusted")
	}
	if e.Default {
		m = append(m, "default")
	}
	if e.Encrypted {
		m = append(m, "encrypted")
	}
	return strings.Join(m, ",")
}

func info(d *keys.KeyDetails) string {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(&b, "%-13s %s\n", k, fmt.Sprintf(format, args...))
	}
	line("id", "%s", d.ID)
	line("suite", "%s", d.Suite)
	line("algorithm", "%s", d.Algorithm)
	line("fingerprint", "%s", d.FingerprintDisplay)
	line("", "%s", d.Fingerprint)
	line("public key", "%d bytes", d.PublicKeySize)
	switch {
	case d.File == "public":
		line("private key", "none (public key file)")
	case d.KDF != nil:
		line("private key", "encrypted (%s m=%d KiB t=%d p=%d, xchacha20-poly1305)", d.KDF.Name, d.KDF.MemoryKiB, d.KDF.Passes, d.KDF.Parallelism)
	default:
		line("private key", "not encrypted")
	}
	line("file", "%s", d.Path)
	store := markers(&keys.KeyEntry{Own: d.Own, Trusted: d.Trusted, Default: d.Default})
	if store == "" {
		store = "not in the store"
	}
	line("store", "%s", store)
	return b.String()
}

// readInput reads a key file, or standard input for "-", bounded.
func readInput(name string) (data []byte, where string, err error) {
	if name != "-" {
		data, err = keys.ReadKeyFile(name)
		return data, name, err
	}
	data, err = io.ReadAll(io.LimitReader(os.Stdin, keys.MaxKeyFileSize+1))
	if err != nil {
		return nil, "stdin", exit.Wrap(exit.IO, err, "cannot read").At("stdin")
	}
	return data, "stdin", nil
}

// checkExport refuses an export that would not be a public key.
func checkExport(f *flags) error {
	if !f.Export.Public && !f.Export.PEM {
		return exit.New(exit.Usage, "only the public key can be exported: private keys never leave the store through ct key").
			WithHint("ct key export %s --public (ct's key file), or --pem (for openssl, cosign)", f.Export.Name)
	}
	return nil
}

// export writes p's public key file, or with --pem its PEM form.
func export(f *flags, p *keys.PublicKey) error {
	encode, format := keys.EncodePublic, "ct-public-key"
	if f.Export.PEM {
		encode, format = pkixkey.Encode, "pem"
	}
	data, err := encode(p)
	if err != nil {
		return err
	}
	doc := actionDoc{Schema: "ct.key.export/1", Key: keys.RefOf(p), Format: format, Output: f.Export.Output}
	if f.Export.Output == "" || f.Export.Output == "-" {
		// standard output is the key file: a --json report goes to stderr
		if _, err := os.Stdout.Write(data); err != nil {
			return exit.Wrap(exit.IO, err, "cannot write to standard output")
		}
		doc.Output = "-"
		if f.JSON {
			return printJSON(os.Stderr, doc)
		}
		return nil
	}
	out, err := outfile.Create(f.Export.Output)
	if err != nil {
		return err
	}
	defer out.Abort()
	if _, err := out.Write(data); err != nil {
		return outfile.IOError(f.Export.Output, err, "cannot write")
	}
	if err := out.Commit(); err != nil {
		return err
	}
	// -o /dev/stdout: standard output is the key file, as with -o -
	return report(f, outfile.ReportStream(f.Export.Output), doc,
		fmt.Sprintf("wrote %s (%s) to %s\n", p.ID(), p.Fingerprint().Display(), f.Export.Output))
}

func del(f *flags, s *keys.Store) error {
	k, err := s.Lookup(f.Delete.Name)
	if err != nil {
		return err
	}
	what := "trusted key"
	if k.Own {
		what = "own key pair"
	}
	if !f.Delete.Yes {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return exit.New(exit.Usage, "refusing to delete %s %s (%s) without confirmation: standard input is not a terminal",
				what, k.Public.ID(), k.Public.Fingerprint().Display()).At(k.Path).WithHint("add --yes to delete it")
		}
		fmt.Fprintf(os.Stderr, "delete %s %s (%s)? [y/N] ", what, termsafe.Escape(k.Public.ID()), k.Public.Fingerprint().Display())
		ans, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
			fmt.Fprintln(os.Stderr, "ct-key: nothing deleted")
			return nil
		}
	}
	cleared, err := s.Delete(k)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("deleted %s %s (%s)\n", what, k.Public.ID(), k.Public.Fingerprint().Display())
	if cleared {
		text += "it was the default key; no default key is set now (ct key default NAME)\n"
	}
	own := k.Own
	return report(f, os.Stdout, actionDoc{Schema: "ct.key.delete/1", Key: keys.RefOf(k.Public), Own: &own,
		DefaultCleared: &cleared, Path: k.Path}, text)
}

func passwd(f *flags, s *keys.Store) error {
	p := f.Passwd
	if p.NoPassphrase && p.NewPassphraseFile != "" {
		return exit.New(exit.Usage, "--no-passphrase and --new-passphrase-file exclude each other")
	}
	k, err := s.FindOwn(p.Name)
	if err != nil {
		if t, terr := s.Lookup(p.Name); terr == nil && !t.Own {
			return exit.New(exit.Usage, "%s (%s) is a trusted public key: it has no private key and no passphrase", t.Public.ID(), t.Public.Fingerprint().Display()).
				At(t.Path).WithHint("ct key list shows your own keys (marked own)")
		}
		return err
	}
	id, fp := k.Public.ID(), k.Public.Fingerprint().Display()
	encrypted := !p.NoPassphrase
	doc := actionDoc{Schema: "ct.key.passwd/1", Key: keys.RefOf(k.Public), Encrypted: &encrypted, Path: k.Path}
	if p.NoPassphrase && !k.Encrypted {
		return report(f, os.Stdout, doc, fmt.Sprintf("key %s (%s) is not encrypted; nothing changed\n", id, fp))
	}
	ctx, stop := cli.Context()
	defer stop()
	old := passphrase.Source{File: p.PassphraseFile, Context: ctx}.Func("key " + id)
	newPass := func() ([]byte, error) {
		if p.NoPassphrase {
			return nil, nil
		}
		return newSource(ctx, p.NewPassphraseFile).Get("key "+id+" (new)", true)
	}
	if _, err := s.ChangePassphrase(k.Public.Fingerprint().String(), old, newPass, keys.DefaultKDF); err != nil {
		return err
	}
	text := fmt.Sprintf("changed the passphrase of key %s (%s) in %s\n", id, fp, k.Path)
	switch {
	case p.NoPassphrase:
		text = fmt.Sprintf("key %s (%s) is now stored unencrypted in %s\nwarning: protect the file: anyone who reads it can sign as you\n", id, fp, k.Path)
	case !k.Encrypted:
		text = fmt.Sprintf("key %s (%s) is now encrypted in %s\n", id, fp, k.Path)
	}
	return report(f, os.Stdout, doc, text)
}

func newSource(ctx context.Context, file string) passphrase.Source {
	return passphrase.Source{File: file, Context: ctx, NoEnv: true, CheckNew: keys.CheckNewPassphrase}
}
