package policyedit

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// maxVKeyFile bounds a verifier key file: a key is well under 200 bytes.
const maxVKeyFile = 4096

// VKeyArg resolves a verifier key given on the command line (ct policy
// add-log, add-witness): the key itself, NAME+HASH+BASE64, or a regular
// file holding it on one line, as `ct-log serve --print-vkey > log.vkey`
// and `ct-witness serve --print-vkey > w1.vkey` write it. The key is not
// checked here: the policy parser does that, naming the field.
func VKeyArg(arg, what string) (string, error) {
	if fi, err := os.Stat(arg); err == nil && fi.Mode().IsRegular() {
		f, err := os.Open(arg)
		if err != nil {
			return "", exit.Wrap(exit.IO, err, "cannot read the %s verifier key file", what).At(arg)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxVKeyFile+1))
		if err != nil {
			return "", exit.Wrap(exit.IO, err, "cannot read the %s verifier key file", what).At(arg)
		}
		key := string(bytes.TrimSpace(data))
		switch {
		case len(data) > maxVKeyFile:
			return "", exit.New(exit.Malformed, "more than %d bytes: not a %s verifier key file", maxVKeyFile, what).At(arg).
				WithHint("a verifier key file holds one line, NAME+HASH+BASE64, as --print-vkey writes it")
		case key == "" || strings.ContainsAny(key, "\r\n"):
			return "", exit.New(exit.Malformed, "not one line: a %s verifier key file holds exactly one key", what).At(arg).
				WithHint("a verifier key file holds one line, NAME+HASH+BASE64, as --print-vkey writes it")
		}
		return key, nil
	}
	if !strings.Contains(arg, "+") {
		return "", exit.New(exit.Usage, "%q is neither a %s verifier key (NAME+HASH+BASE64) nor a file", arg, what).
			WithHint("%s", vkeyHint(what))
	}
	return arg, nil
}

func vkeyHint(what string) string {
	if what == "witness" {
		return "the witness's operator prints it: ct-witness serve --key KEY --name NAME --print-vkey > w1.vkey; then give w1.vkey or the line it holds"
	}
	return "the log's operator prints it: ct-log serve --key KEY --origin ORIGIN --print-vkey > log.vkey; then give log.vkey or the line it holds"
}

// LogArgs resolves the arguments of ct policy add-log: VKEY alone (a key or
// a key file; the origin is the key's name, log.md §3), or the older form
// ORIGIN VKEY. It returns the origin and the key.
func LogArgs(args []string) (origin, vkey string, err error) {
	switch len(args) {
	case 1:
		vkey, err = VKeyArg(args[0], "log")
		if err != nil {
			return "", "", err
		}
		origin, _, _ = strings.Cut(vkey, "+")
		return origin, vkey, nil
	case 2:
		vkey, err = VKeyArg(args[1], "log")
		return args[0], vkey, err
	}
	return "", "", exit.New(exit.Usage, "%d arguments: give the log's verifier key (or a file holding it), optionally after its origin", len(args)).
		WithHint("%s", vkeyHint("log"))
}
