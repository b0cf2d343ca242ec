package dispatch

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestParseGlobals(t *testing.T) {
	for _, c := range []struct {
		args  []string
		g     Globals
		rest  []string
		child []string
	}{
		{[]string{"verify", "x"}, Globals{}, []string{"verify", "x"}, []string{"x"}},
		{[]string{"--color=always", "verify", "x"}, Globals{Color: "always"}, []string{"verify", "x"}, []string{"--color=always", "x"}},
		{[]string{"--color", "never", "verify", "--color=auto"}, Globals{Color: "never"}, []string{"verify", "--color=auto"}, []string{"--color=never", "--color=auto"}},
		{[]string{"-h", "verify"}, Globals{Help: true}, []string{"verify"}, []string{"--help"}},
		{[]string{"--help"}, Globals{Help: true}, []string{}, nil},
		{[]string{"--version", "verify"}, Globals{Version: true}, []string{"verify"}, nil},
		{[]string{"--", "-weird"}, Globals{}, []string{"-weird"}, nil},
	} {
		g, rest, err := ParseGlobals(c.args)
		if err != nil || g != c.g || !reflect.DeepEqual(rest, c.rest) && len(rest)+len(c.rest) > 0 {
			t.Errorf("%q: %+v %q %v, want %+v %q", c.args, g, rest, err, c.g, c.rest)
			continue
		}
		if c.child != nil && len(rest) > 0 {
			if got := g.ChildArgs(rest[1:]); !reflect.DeepEqual(got, c.child) {
				t.Errorf("%q: child args %q, want %q", c.args, got, c.child)
			}
		}
	}
	for _, bad := range [][]string{{"--frob", "verify"}, {"--color=blue", "verify"}, {"--color"}, {"-k", "x", "pack"}} {
		if _, _, err := ParseGlobals(bad); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestUnknownCommandSaysWhere(t *testing.T) {
	beside, p1 := t.TempDir(), t.TempDir()
	mkexe(t, beside, "ct-pack", 0o755)
	f := Finder{ExecDir: beside, Path: p1 + string(os.PathListSeparator) + "/nonexistent"}
	err := UnknownCommand("pakc", f)
	h := exit.HintOf(err)
	for _, want := range []string{
		"did you mean 'pack'?",
		"looked for the program ct-pakc in " + beside + " (beside ct) and on PATH (" + p1 + ", /nonexistent)",
		"make install", "put ct-pakc beside ct or on PATH",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("hint lacks %q:\n%s", want, h)
		}
	}
	if got := (Finder{}).Where(); got != "on PATH (empty)" {
		t.Errorf("empty finder: %q", got)
	}
}

// The completion words come from the programs themselves.
func TestComplete(t *testing.T) {
	beside := t.TempDir()
	script := "#!/bin/sh\ncase \"$*\" in\n" +
		"'--completion-words') printf 'list\\nimport\\n--json\\n-h\\n' ;;\n" +
		"'import --completion-words') printf -- '--id\\n--json\\n' ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(beside, "ct-key"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	mkexe(t, beside, "ct-verify", 0o755)
	f := Finder{ExecDir: beside}
	for _, c := range []struct {
		words []string
		want  []string
	}{
		{nil, []string{"completion", "help", "key", "verify", "--color", "--help", "-h", "--version"}},
		{[]string{"--color=always"}, []string{"completion", "help", "key", "verify", "--color", "--help", "-h", "--version"}},
		{[]string{"--color"}, []string{"auto", "always", "never"}},
		{[]string{"help"}, []string{"key", "verify"}},
		{[]string{"completion"}, []string{"bash", "fish", "zsh"}},
		{[]string{"key"}, []string{"list", "import", "--json", "-h"}},
		{[]string{"key", "--json", "import"}, []string{"--id", "--json"}},
		{[]string{"key", "other"}, []string{"list", "import", "--json", "-h"}},
		{[]string{"nosuch"}, nil},
	} {
		if got := Complete(f, c.words); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %q, want %q", c.words, got, c.want)
		}
	}
}

// The bash script, sourced by a real bash, completes through `ct __complete`.
func TestBashCompletionScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	fake := "#!/bin/sh\n[ \"$1\" = __complete ] || exit 1\nshift\nif [ $# -eq 0 ]; then printf 'key\\nverify\\n--color\\n'; elif [ \"$1\" = key ]; then printf -- '--json\\n--store\\nlist\\n'; fi\n"
	if err := os.WriteFile(filepath.Join(dir, "ct"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := CompletionScript("bash", []string{"key", "verify"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--norc", "-c", s+`
complete -p ct ct-verify
COMP_WORDS=(ct ve); COMP_CWORD=1; _ct; echo "1:${COMPREPLY[*]}"
COMP_WORDS=(ct key --j); COMP_CWORD=2; _ct; echo "2:${COMPREPLY[*]}"
COMP_WORDS=(ct key l); COMP_CWORD=2; _ct; echo "3:${COMPREPLY[*]}"
COMP_WORDS=(ct-key --st); COMP_CWORD=1; _ct_direct; echo "4:${COMPREPLY[*]}"
COMP_WORDS=(/x/ct-key --st); COMP_CWORD=1; _ct_direct; echo "5:${COMPREPLY[*]}"
`)
	cmd.Env = append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"complete -o filenames -F _ct ct\n", "complete -o filenames -F _ct_direct ct-verify\n",
		"1:verify\n", "2:--json\n", "3:list\n", "4:--store\n", "5:--store\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bash output lacks %q:\n%s", want, out)
		}
	}
}

func TestCompletionScriptsParse(t *testing.T) {
	for _, sh := range []struct{ name, bin string }{{"bash", "bash"}, {"zsh", "zsh"}, {"fish", "fish"}} {
		s, err := CompletionScript(sh.name, []string{"key", "verify"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath(sh.bin); err != nil {
			t.Logf("%s not installed: not parsed (scripts/install-deps.sh installs it)", sh.bin)
			continue
		}
		cmd := exec.Command(sh.bin, "-n")
		cmd.Stdin = strings.NewReader(s)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("%s -n: %v\n%s\n%s", sh.bin, err, out, s)
		}
	}
	if _, err := CompletionScript("tcsh", nil); exit.CodeOf(err) != exit.Usage {
		t.Errorf("tcsh: %v", err)
	}
}
