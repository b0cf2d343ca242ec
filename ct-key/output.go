package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// show prints v as JSON with --json, else text, each line escaped for the
// terminal (text names keys and paths read from key files).
func show(f *flags, v any, text string) error {
	if f.JSON {
		return orJSON(v, nil)
	}
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = termsafe.Escape(strings.TrimSuffix(l, "\n"))
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(os.Stdout, strings.Join(lines, ""))
	return err
}

func orJSON(v any, err error) error {
	if err != nil {
		return err
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", "  ")
	return e.Encode(v)
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

func export(f *flags, s *keys.Store) error {
	if !f.Export.Public {
		return exit.New(exit.Usage, "only the public key can be exported: private keys never leave the store through ct key").
			WithHint("ct key export %s --public", f.Export.Name)
	}
	if f.JSON && f.Export.Output == "" {
		return exit.New(exit.Usage, "--json needs -o FILE: without it, export writes the key file to standard output")
	}
	k, err := s.Lookup(f.Export.Name)
	if err != nil {
		return err
	}
	data, err := keys.EncodePublic(k.Public)
	if err != nil {
		return err
	}
	if f.Export.Output == "" || f.Export.Output == "-" {
		_, err := os.Stdout.Write(data)
		return err
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
	return show(f, map[string]any{"id": k.Public.ID(), "fingerprint": k.Public.Fingerprint().String(), "path": f.Export.Output},
		fmt.Sprintf("wrote %s (%s) to %s\n", k.Public.ID(), k.Public.Fingerprint().Display(), f.Export.Output))
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
	return show(f, map[string]any{"deleted": k.Public.ID(), "fingerprint": k.Public.Fingerprint().String(),
		"own": k.Own, "path": k.Path, "default_cleared": cleared}, text)
}
