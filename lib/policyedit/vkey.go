package policyedit

import (
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/tlog"
)

// LogArgs resolves the arguments of ct policy add-log: VKEY alone (a key or
// a key file; the origin is the key's name, log.md §3), or the older form
// ORIGIN VKEY. It returns the origin and the key.
func LogArgs(args []string) (origin, vkey string, err error) {
	switch len(args) {
	case 1:
		vkey, err = tlog.VKeyArg(args[0], "log")
		if err != nil {
			return "", "", err
		}
		origin, _, _ = strings.Cut(vkey, "+")
		return origin, vkey, nil
	case 2:
		vkey, err = tlog.VKeyArg(args[1], "log")
		return args[0], vkey, err
	}
	return "", "", exit.New(exit.Usage, "%d arguments: give the log's verifier key (or a file holding it), optionally after its origin", len(args)).
		WithHint("%s", tlog.VKeyHint("log"))
}
