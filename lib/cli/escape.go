package cli

import (
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// Escaped returns err for printing on a terminal: its message, and each line
// of its hint, passed through termsafe.EscapeControls (parts of a message
// are often quoted with %q already; their backslashes are kept, not
// doubled), with err's exit code kept.
// Use it on errors that may quote text from a bundle, an archive, a key file
// or a policy file before PrintError or Fail, so that none of that text can
// drive the terminal. nil stays nil.
func Escaped(err error) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(exit.HintOf(err), "\n")
	for i, l := range lines {
		lines[i] = termsafe.EscapeControls(l)
	}
	return &exit.Error{Code: exit.CodeOf(err), Msg: termsafe.EscapeControls(err.Error()), Hint: strings.Join(lines, "\n")}
}
