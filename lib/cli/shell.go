package cli

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"
)

// Commit, CommitTime and Modified describe the git checkout the binary was
// built from. `make build` sets them with -ldflags -X, because Go does not
// stamp vcs.* build settings in workspace mode (go.work); a build outside a
// workspace gets them from runtime/debug.ReadBuildInfo instead.
var Commit, CommitTime, Modified string

// VersionLine is what --version prints: "NAME (ct) VERSION", or for the
// dispatcher "ct version VERSION", followed, when the binary was built from
// a git checkout, by the commit, its date and whether the tree had local
// changes (from runtime/debug.ReadBuildInfo; -trimpath keeps them).
func VersionLine(name string) string {
	s := name + " (ct) " + Version
	if name == "ct" {
		s = "ct version " + Version
	}
	info, _ := debug.ReadBuildInfo()
	if Commit != "" {
		info = &debug.BuildInfo{Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: Commit}, {Key: "vcs.time", Value: CommitTime}, {Key: "vcs.modified", Value: Modified}}}
	}
	return s + BuildSuffix(info)
}

// BuildSuffix is " (commit C, committed DATE[, with local changes])" from
// the vcs settings of info, or "" when info has none. The date is the
// commit's (vcs.time): a rebuild of the same commit says the same.
func BuildSuffix(info *debug.BuildInfo) string {
	if info == nil {
		return ""
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	s := " (commit " + rev
	if when != "" {
		s += ", committed " + when
	}
	if modified {
		s += ", with local changes"
	}
	return s + ")"
}

var (
	reAngle   = regexp.MustCompile(`"?<([^<>"]+)>"?`)
	reGoType  = regexp.MustCompile(` \((?:[a-z0-9]+\.)?[A-Za-z0-9_\[\]*.]+\)($|[;,])`)
	reGoPkg   = regexp.MustCompile(`\b(?:strconv\.Parse\w+|kong\.\w+): `)
	reEnum    = regexp.MustCompile(`^(.*) must be one of ((?:"[^"]*",?)+) but got (".*")$`)
	reMissPos = regexp.MustCompile(`^missing positional arguments (.*)$`)
	reOneOf   = regexp.MustCompile(`^expected one of (.*)$`)
	reExpect  = regexp.MustCompile(`^expected (\S+)$`)
	reExpects = regexp.MustCompile(`^expected "((?:<[^<>"]+>(?: \.\.\.)? ?)+)"$`)
	reNoValue = regexp.MustCompile(`: missing value, expecting .*$`)
	reBool    = regexp.MustCompile(`^(?:(--[\w-]+): )?bool value must be .* but got (".*")$`)
)

// PlainParseError turns a kong parse error into plain words: no Go types,
// no <angle brackets>, no Go package names.
func PlainParseError(msg string) string {
	msg = reGoPkg.ReplaceAllString(msg, "")
	msg = reNoValue.ReplaceAllString(msg, " needs a value")
	if m := reBool.FindStringSubmatch(msg); m != nil {
		flag := m[1]
		if flag == "" {
			flag = "a switch"
		}
		msg = fmt.Sprintf("%s takes no value (it is on or off), but got %s", flag, m[2])
	}
	msg = reGoType.ReplaceAllString(msg, "$1")
	if m := reEnum.FindStringSubmatch(msg); m != nil {
		vals := strings.Split(m[2], ",")
		msg = fmt.Sprintf("%s must be %s, not %s", m[1], orList(vals), m[3])
	}
	if m := reOneOf.FindStringSubmatch(msg); m != nil {
		var words []string
		for _, w := range strings.Split(m[1], ", ") {
			w = strings.Trim(w, `"`)
			if i := strings.IndexByte(w, ' '); i > 0 {
				w = w[:i]
			}
			words = append(words, w)
		}
		msg = "missing the command: one of " + strings.Join(words, ", ")
	}
	if m := reMissPos.FindStringSubmatch(msg); m != nil {
		msg = "missing arguments: " + reAngle.ReplaceAllString(m[1], "$1")
	}
	if m := reExpect.FindStringSubmatch(msg); m != nil && strings.Contains(m[1], "<") {
		msg = "missing argument " + reAngle.ReplaceAllString(m[1], "$1")
	}
	// `expected "<BUNDLE> ..."` (one or more), `expected "<A> <B>"`
	if m := reExpects.FindStringSubmatch(msg); m != nil {
		args := strings.Fields(strings.ReplaceAll(reAngle.ReplaceAllString(m[1], "$1"), " ...", "…"))
		switch {
		case len(args) == 1 && strings.HasSuffix(args[0], "…"):
			msg = "missing argument " + strings.TrimSuffix(args[0], "…") + " (one or more)"
		case len(args) == 1:
			msg = "missing argument " + args[0]
		default:
			msg = "missing arguments: " + strings.Join(args, " ")
		}
	}
	msg = strings.Replace(msg, "missing flags: ", "missing required flags: ", 1)
	if strings.HasPrefix(msg, "unexpected argument ") {
		msg += " (this command takes no more arguments)"
	}
	return reAngle.ReplaceAllString(msg, "$1")
}

func orList(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}

// completeFlag prints the flags and subcommands that may follow the words
// given before it, one a line: `ct-key import --completion-words` lists
// import's flags and the global ones. ct completion calls it.
type completeFlag bool

func (completeFlag) BeforeApply(app *kong.Kong, ctx *kong.Context) error {
	n := selectedNode(ctx)
	var out []string
	for _, c := range n.Children {
		if c.Type == kong.CommandNode && !c.Hidden {
			out = append(out, c.Name)
		}
	}
	for p := n; p != nil; p = p.Parent {
		for _, f := range visibleFlags(p.Flags) {
			out = append(out, "--"+f.Name)
			if f.Short != 0 {
				out = append(out, "-"+string(f.Short))
			}
		}
	}
	fmt.Fprintln(app.Stdout, strings.Join(out, "\n"))
	app.Exit(0)
	return nil
}

func selectedNode(ctx *kong.Context) *kong.Node {
	n := ctx.Model.Node
	for _, p := range ctx.Path {
		if p.Command != nil {
			n = p.Command
		}
	}
	return n
}

// flagTableFlag prints every visible flag of the command and its
// subcommands as lines "COMMAND<TAB>FLAG<TAB>HELP", FLAG like
// "-o, --output FILE". ct's docs generator (make docs) reads it.
type flagTableFlag bool

func (flagTableFlag) BeforeApply(app *kong.Kong) error {
	var walk func(n *kong.Node, name string)
	walk = func(n *kong.Node, name string) {
		for _, o := range optionsOf(n.Flags) {
			fmt.Fprintf(app.Stdout, "%s\t%s\t%s\n", name, o.Usage(), strings.ReplaceAll(o.Help, "\n", " "))
		}
		for _, c := range n.Children {
			if c.Type == kong.CommandNode && !c.Hidden {
				walk(c, name+" "+c.Name)
			}
		}
	}
	walk(app.Model.Node, current.Name)
	app.Exit(0)
	return nil
}

// Usage is the flag as written in tables: "-o, --output FILE".
func (o PageOption) Usage() string {
	s := "--" + o.Long
	if o.Short != 0 {
		s = "-" + string(o.Short) + ", " + s
	}
	if o.Placeholder != "" {
		s += " " + o.Placeholder
	}
	return s
}
