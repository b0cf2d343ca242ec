package cli

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/alecthomas/kong"

	"github.com/cerro-torre/ct/lib/exit"
)

// Page is a man page of section 1. Its text fields are plain text (the
// Detail format of Command: paragraphs separated by blank lines, indented
// lines kept as they are); Render escapes them for roff.
type Page struct {
	Name        string   // ct-verify
	Summary     string   // one line, for NAME
	Synopsis    []string // usage lines after the name, e.g. "[OPTIONS] BUNDLE…"; words in CAPITALS are set in italics
	Description string
	Commands    []PageCommand // subcommands, for commands like ct-key
	Options     []PageOption
	ExitCodes   []exit.Code // the whole list, in order
	ExitNote    map[exit.Code]string
	Environment [][2]string
	SeeAlso     []string // "ct(1)", "docs/spec/bundle.md"
}

// PageCommand is one subcommand of a page.
type PageCommand struct {
	Usage   string // "list", "import [OPTIONS] FILE"
	Help    string
	Detail  string // the subcommand's Help() (kong.HelpProvider), if any: the Detail format
	Options []PageOption
}

// PageOption is one flag.
type PageOption struct {
	Short       rune
	Long        string
	Placeholder string // "" for a switch
	Repeatable  bool
	Help        string
}

// Environment is the ENVIRONMENT section every ct-* page has.
var Environment = [][2]string{
	{"SOURCE_DATE_EPOCH", "seconds since 1970 used for tar entry times and, when set, the bundle's created time."},
	{"CT_HOME", "the key store and config directory (default $XDG_CONFIG_HOME/cerro, ~/.config/cerro)."},
	{"NO_COLOR", "when set, no colour is used."},
}

// ManPage renders the man page of the parser's application: NAME,
// SYNOPSIS, DESCRIPTION, EXAMPLES, COMMANDS, OPTIONS, EXIT STATUS,
// ENVIRONMENT and SEE ALSO, from the kong model and the Command.
func ManPage(app *kong.Kong) string {
	return PageOf(current, app.Model.Node).Render()
}

// PageOf builds the page of cmd from its kong model.
func PageOf(cmd Command, root *kong.Node) Page {
	p := Page{
		Name:        cmd.Name,
		Summary:     cmd.Summary,
		Description: cmd.Detail,
		ExitCodes:   allCodes(cmd.ExitCodes),
		Environment: Environment,
		SeeAlso:     []string{"ct(1)", "docs/cli.md", "docs/spec/bundle.md", "docs/spec/verify.md"},
	}
	p.Options = optionsOf(root.Flags)
	var subs []*kong.Node
	for _, c := range root.Children {
		if c.Type == kong.CommandNode && !c.Hidden {
			subs = append(subs, c)
		}
	}
	if len(subs) == 0 {
		p.Synopsis = []string{usageOf(root)}
		return p
	}
	for _, c := range subs {
		u := c.Name + " " + usageOf(c)
		p.Synopsis = append(p.Synopsis, "[OPTIONS] "+u)
		p.Commands = append(p.Commands, PageCommand{Usage: u, Help: c.Help, Detail: detailOf(c), Options: optionsOf(c.Flags)})
	}
	return p
}

// detailOf is the detailed help a subcommand's struct gives with a Help()
// method (kong.HelpProvider, shown by NAME SUB --help), for its man page.
func detailOf(n *kong.Node) string {
	if !n.Target.IsValid() {
		return ""
	}
	v := n.Target
	if v.Kind() != reflect.Pointer && v.CanAddr() {
		v = v.Addr()
	}
	if hp, ok := v.Interface().(kong.HelpProvider); ok {
		return strings.TrimSpace(hp.Help())
	}
	return ""
}

func allCodes(codes []exit.Code) []exit.Code {
	all := append([]exit.Code{exit.OK}, codes...)
	return append(all, exit.Usage, exit.Internal)
}

// usageOf is "[OPTIONS] ARG…" for a node.
func usageOf(n *kong.Node) string {
	parts := []string{}
	if len(visibleFlags(n.Flags)) > 0 {
		parts = append(parts, "[OPTIONS]")
	}
	for _, a := range n.Positional {
		s := a.Name
		if a.IsCumulative() {
			s += "…"
		}
		if !a.Required {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func visibleFlags(fs []*kong.Flag) []*kong.Flag {
	var out []*kong.Flag
	for _, f := range fs {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	return out
}

func optionsOf(fs []*kong.Flag) []PageOption {
	var out []PageOption
	for _, f := range visibleFlags(fs) {
		o := PageOption{Short: f.Short, Long: f.Name, Help: f.Help,
			Repeatable: f.IsCumulative() && !f.IsBool() && !strings.Contains(strings.ToLower(f.Help), "repeatable")}
		if !f.IsBool() && !f.IsCounter() {
			o.Placeholder = strings.TrimSuffix(f.FormatPlaceHolder(), ",...")
			if f.PlaceHolder == "" && f.Enum != "" {
				o.Placeholder = strings.ReplaceAll(f.Enum, ",", "|")
			} else if strings.HasPrefix(o.Placeholder, `"`) { // kong shows the default
				o.Placeholder = strings.ToUpper(f.Name)
			}
		}
		out = append(out, o)
	}
	return out
}

// Render returns the page as roff for the man macros. It is deterministic
// (no date), every piece of text is escaped (Escape), and it produces no
// groff warnings.
func (p Page) Render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`.TH %s 1 "" "ct %s" "Cerro Torre manual"`, Escape(strings.ToUpper(p.Name)), Escape(Version))
	// No hyphenation and no justification: a page full of paths, flags and
	// digests reads (and copies) better unbroken and ragged-right.
	w(".nh")
	w(".ad l")
	w(".SH NAME")
	w(`%s \- %s`, Escape(p.Name), Escape(p.Summary))
	w(".SH SYNOPSIS")
	for i, s := range p.Synopsis {
		if i > 0 {
			w(".br")
		}
		w(`\fB%s\fR %s`, Escape(p.Name), synopsisWords(s))
	}
	desc, examples := splitExamples(p.Description)
	w(".SH DESCRIPTION")
	if desc == "" {
		desc = p.Summary + "."
	}
	b.WriteString(text(desc))
	if examples != "" {
		w(".SH EXAMPLES")
		b.WriteString(text(examples))
	}
	if len(p.Commands) > 0 {
		w(".SH COMMANDS")
		for _, c := range p.Commands {
			w(".TP")
			w(`\fB%s\fR`, strings.Replace(synopsisWords(c.Usage), " ", `\fR `, 1))
			w("%s", Escape(c.Help))
			if c.Detail != "" || len(c.Options) > 0 {
				w(".RS")
				if c.Detail != "" {
					b.WriteString(text(c.Detail))
				}
				options(&b, c.Options)
				w(".RE")
			}
		}
	}
	if len(p.Options) > 0 {
		w(".SH OPTIONS")
		options(&b, p.Options)
	}
	w(".SH EXIT STATUS")
	codes := slices.Clone(p.ExitCodes)
	slices.Sort(codes)
	for _, c := range slices.Compact(codes) {
		i := exit.Lookup(c)
		w(".TP 5")
		w(`\fB%d\fR`, int(c))
		s := i.Summary
		if i.Examples != "" {
			s += ": " + i.Examples
		}
		if n := p.ExitNote[c]; n != "" {
			s += " (" + n + ")"
		}
		w("%s", Escape(s))
	}
	if len(p.Environment) > 0 {
		w(".SH ENVIRONMENT")
		for _, e := range p.Environment {
			w(".TP")
			w(`\fB%s\fR`, Escape(e[0]))
			w("%s", Escape(e[1]))
		}
	}
	if len(p.SeeAlso) > 0 {
		w(".SH SEE ALSO")
		var refs []string
		for _, s := range p.SeeAlso {
			if i := strings.Index(s, "("); i > 0 {
				refs = append(refs, `\fB`+Escape(s[:i])+`\fR`+Escape(s[i:]))
			} else {
				refs = append(refs, Escape(s))
			}
		}
		w("%s", strings.Join(refs, ",\n"))
	}
	return b.String()
}

func options(b *strings.Builder, opts []PageOption) {
	for _, o := range opts {
		t := `\fB\-\-` + Escape(o.Long) + `\fR`
		if o.Short != 0 {
			t = `\fB\-` + Escape(string(o.Short)) + `\fR, ` + t
		}
		if o.Placeholder != "" {
			t += `=\fI` + Escape(o.Placeholder) + `\fR`
		}
		help := o.Help
		if o.Repeatable {
			help += " Repeatable."
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", t, Escape(help))
	}
}

// synopsisWords sets CAPITAL words (placeholders) in italics, the rest in
// bold, brackets and ellipses in roman.
func synopsisWords(s string) string {
	var out []string
	for _, word := range strings.Fields(s) {
		core := strings.Trim(word, "[]…")
		i := strings.Index(word, core)
		pre, post := word[:i], word[i+len(core):]
		font := `\fB`
		if core != "" && strings.ToUpper(core) == core && strings.IndexFunc(core, unicode.IsLetter) >= 0 {
			font = `\fI`
		}
		out = append(out, Escape(pre)+font+Escape(core)+`\fR`+Escape(post))
	}
	return strings.Join(out, " ")
}

// splitExamples takes the block that starts with a line "Examples:" out of
// a description.
func splitExamples(s string) (desc, examples string) {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "Examples:" && (i == 0 || strings.TrimSpace(lines[i-1]) == "") {
			end := len(lines)
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) == "" {
					end = j
					break
				}
			}
			desc = strings.TrimSpace(strings.Join(append(append([]string{}, lines[:i]...), lines[end:]...), "\n"))
			return desc, strings.Join(lines[i+1:end], "\n")
		}
	}
	return s, ""
}

// text renders plain text: a blank line starts a paragraph, consecutive
// lines fill one paragraph, and indented lines are kept as they are (an
// example, a list).
func text(s string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	inLiteral, para := false, false
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			if inLiteral {
				b.WriteString(".fi\n.RE\n")
				inLiteral = false
			}
			para = false
		case l[0] == ' ' || l[0] == '\t':
			if !inLiteral {
				if !para {
					b.WriteString(".PP\n")
				}
				b.WriteString(".RS 2\n.nf\n")
				inLiteral = true
			}
			b.WriteString(Escape(strings.TrimPrefix(strings.TrimPrefix(l, "  "), "\t")) + "\n")
			para = true
		default:
			if inLiteral {
				b.WriteString(".fi\n.RE\n")
				inLiteral = false
			}
			if !para {
				b.WriteString(".PP\n")
				para = true
			}
			b.WriteString(Escape(strings.TrimSpace(l)) + "\n")
		}
	}
	if inLiteral {
		b.WriteString(".fi\n.RE\n")
	}
	return b.String()
}

// Escape makes s safe as roff text: a backslash is \e, a minus is \- (so a
// flag copied from the page is typed with ASCII minus), every non-ASCII
// character is \[uXXXX] (groff reads its input as Latin-1 otherwise), and a
// line that starts with a control character ('.' or '\”) is protected by \&.
func Escape(s string) string {
	var b strings.Builder
	atStart := true
	for _, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f) {
			continue // a control character has no place in a page: dropped
		}
		if atStart && (r == '.' || r == '\'') {
			b.WriteString(`\&`)
		}
		atStart = r == '\n'
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\t':
			b.WriteString(" ")
		case r == '\n':
			b.WriteByte('\n')
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
