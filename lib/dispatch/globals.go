package dispatch

import (
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// Globals are the flags ct takes before the command name:
// `ct --color=always verify x.ctp`.
type Globals struct {
	Color   string // "" when not given; else auto, always or never
	Help    bool   // -h, --help
	Version bool   // --version
	Man     bool   // --man (hidden: make man)
}

// ParseGlobals reads the flags before the command name and returns them
// with the rest of the arguments (the command name first). A flag ct does
// not know is a usage error that says where flags go.
func ParseGlobals(args []string) (Globals, []string, error) {
	var g Globals
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--":
			return g, args, nil
		case a == "-h" || a == "--help":
			g.Help = true
		case a == "--version":
			g.Version = true
		case a == "--man":
			g.Man = true
		case a == "--color" || strings.HasPrefix(a, "--color="):
			v, ok := strings.CutPrefix(a, "--color=")
			if !ok {
				if len(args) == 0 {
					return g, nil, exit.New(exit.Usage, "--color needs a value: auto, always or never").
						WithHint("write it as ct --color=always COMMAND …")
				}
				v, args = args[0], args[1:]
			}
			switch v {
			case "auto", "always", "never":
				g.Color = v
			default:
				return g, nil, exit.New(exit.Usage, "--color must be auto, always or never, not %q", v).
					WithHint("write it as ct --color=always COMMAND …")
			}
		default:
			return g, nil, exit.New(exit.Usage, "unknown flag %s", a).
				WithHint("before the command ct takes only --color, --help and --version; other flags go after it: ct COMMAND [FLAGS…]; run 'ct help' for the commands")
		}
	}
	return g, args, nil
}

// ChildArgs are the arguments ct passes to the command program: the global
// flags given before the command, then the command's own arguments.
// --help before the command becomes the command's --help.
func (g Globals) ChildArgs(args []string) []string {
	var out []string
	if g.Color != "" {
		out = append(out, "--color="+g.Color)
	}
	if g.Help {
		out = append(out, "--help")
	}
	return append(out, args...)
}
