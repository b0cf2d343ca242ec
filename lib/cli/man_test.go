package cli

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		`a-b`:              `a\-b`,
		`C:\path`:          `C:\epath`,
		".TH x\n'q":        "\\&.TH x\n\\&'q",
		"a.b 'c'":          "a.b 'c'",
		"ARG…":             `ARG\[u2026]`,
		"x\x1b[31my":       "x[31my",
		"tab\there":        "tab here",
		"→ é":              `\[u2192] \[u00E9]`,
		"emoji \U0001F600": `emoji \[u1F600]`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

type testFlags struct {
	Globals
	VersionFlag
	Bundles []string `arg:"" name:"BUNDLE" help:"Bundles."`
	Key     []string `placeholder:"PUBFILE" help:"A key (repeatable)."`
	Mode    string   `enum:"a,b" default:"a" help:"A mode."`
	Output  string   `short:"o" placeholder:"FILE" help:"Output \\ path -x."`
}

func testPage(t *testing.T) (Page, string) {
	t.Helper()
	var f testFlags
	k, err := kong.New(&f, kong.Name("ct-test"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := Command{Name: "ct-test", Summary: "Test a thing", ExitCodes: []exit.Code{exit.IO},
		Detail: "First line of a paragraph\nthat goes on.\n\nExamples:\n  ct test a.ctp\n  .hidden start"}
	p := PageOf(cmd, k.Model.Node)
	return p, p.Render()
}

func TestPageShape(t *testing.T) {
	p, s := testPage(t)
	if len(p.Synopsis) != 1 || p.Synopsis[0] != "[OPTIONS] BUNDLE…" {
		t.Errorf("synopsis %q", p.Synopsis)
	}
	for _, want := range []string{
		".SH SYNOPSIS\n\\fBct\\-test\\fR [\\fIOPTIONS\\fR] \\fIBUNDLE\\fR\\[u2026]\n",
		"First line of a paragraph\nthat goes on.\n", // one paragraph, not one per line
		".SH EXAMPLES\n.PP\n.RS 2\n.nf\nct test a.ctp\n\\&.hidden start\n.fi\n.RE\n",
		"\\fB\\-\\-key\\fR=\\fIPUBFILE\\fR\nA key (repeatable).\n",
		"\\fB\\-\\-mode\\fR=\\fIa|b\\fR",
		"\\fB\\-o\\fR, \\fB\\-\\-output\\fR=\\fIFILE\\fR\nOutput \\e path \\-x.\n",
		".SH EXIT STATUS\n.TP 5\n\\fB0\\fR\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"--man", "summary-line", "completion-words", "flag-table", "\\-\\-man", "Exit status:"} {
		if strings.Contains(s, bad) {
			t.Errorf("page shows %q", bad)
		}
	}
	if n := strings.Count(s, ".SH EXIT STATUS"); n != 1 {
		t.Errorf("%d exit sections", n)
	}
	if strings.Count(s, "\\fB11\\fR") != 1 {
		t.Errorf("exit code 11 not listed once")
	}
}

// groff itself judges the page: any warning fails.
func TestPageGroffClean(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff not installed (scripts/install-deps.sh installs groff-base)")
	}
	_, s := testPage(t)
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(s)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("groff: %v\n%s", err, out)
	}
}

func TestBuildSuffix(t *testing.T) {
	if s := BuildSuffix(nil); s != "" {
		t.Errorf("nil: %q", s)
	}
	if s := BuildSuffix(&debug.BuildInfo{}); s != "" {
		t.Errorf("no vcs: %q", s)
	}
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"},
		{Key: "vcs.time", Value: "2026-11-29T08:53:32Z"},
		{Key: "vcs.modified", Value: "false"}}}
	if s := BuildSuffix(bi); s != " (commit 0123456789ab, committed 2026-11-29T08:53:32Z)" {
		t.Errorf("clean: %q", s)
	}
	bi.Settings[2].Value = "true"
	if s := BuildSuffix(bi); !strings.HasSuffix(s, ", with local changes)") {
		t.Errorf("modified: %q", s)
	}
}

func TestVersionLine(t *testing.T) {
	Commit, CommitTime, Modified = "feedfacecafebeef", "2026-01-02T03:04:05Z", "false"
	defer func() { Commit, CommitTime, Modified = "", "", "" }()
	if got, want := VersionLine("ct"), "ct version "+Version+" (commit feedfacecafe, committed 2026-01-02T03:04:05Z)"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if got := VersionLine("ct-verify"); !strings.HasPrefix(got, "ct-verify (ct) "+Version+" (commit feedfacecafe") {
		t.Errorf("got %q", got)
	}
}

func TestPlainParseError(t *testing.T) {
	for in, want := range map[string]string{
		`expected "<SOURCE>"`:     `missing argument SOURCE`,
		`expected "<BUNDLE> ..."`: `missing argument BUNDLE (one or more)`,
		`expected "<A> <B>"`:      `missing arguments: A B`,
		`expected "<A> <B> ..."`:  `missing arguments: A B…`,
		`--color must be one of "auto","always","never" but got "x"`:              `--color must be "auto", "always" or "never", not "x"`,
		`expected one of "list", "import <FILE>", "export <NAME>"`:                `missing the command: one of list, import, export`,
		`missing positional arguments <A> <B>`:                                    `missing arguments: A B`,
		`--n=INT: expected an int but got "x" (string)`:                           `--n=INT: expected an int but got "x"`,
		`--n=INT: strconv.ParseInt: parsing "x": invalid syntax`:                  `--n=INT: parsing "x": invalid syntax`,
		`unexpected argument b.ctp`:                                               `unexpected argument b.ctp (this command takes no more arguments)`,
		`--key: missing value, expecting "<arg>,..."`:                             `--key needs a value`,
		`--json: bool value must be true, 1, yes, false, 0 or no but got "maybe"`: `--json takes no value (it is on or off), but got "maybe"`,
		`bool value must be true, 1, yes, false, 0 or no but got "3"`:             `a switch takes no value (it is on or off), but got "3"`,
		`missing flags: --to=STRING`:                                              `missing required flags: --to=STRING`,
		`unknown flag --frob, did you mean "--from"?`:                             `unknown flag --frob, did you mean "--from"?`,
	} {
		if got := PlainParseError(in); got != want {
			t.Errorf("PlainParseError(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
