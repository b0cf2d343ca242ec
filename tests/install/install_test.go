// Package install tests what a newcomer meets first: `make install` into a
// PREFIX and DESTDIR, the installed programs, man pages and completions,
// the README quickstart run as written, and the man pages themselves.
package install

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's top directory.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "Makefile")); err != nil {
		t.Fatal("no Makefile at", r)
	}
	return r
}

func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (make deps installs it)", p)
		}
	}
}

// run runs name args in dir with env (added to a minimal environment) and
// returns stdout; any failure, or anything on stderr when quiet is set,
// fails the test.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		"GOCACHE=" + goEnv(t, "GOCACHE"), "GOPATH=" + goEnv(t, "GOPATH"), "GOFLAGS=" + os.Getenv("GOFLAGS")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func goEnv(t *testing.T, k string) string {
	out, err := exec.Command("go", "env", k).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func commands(t *testing.T, r string) []string {
	dirs, err := filepath.Glob(filepath.Join(r, "ct-*"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ct"}
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, "main.go")); err == nil && st.Mode().IsRegular() {
			names = append(names, filepath.Base(d))
		}
	}
	if len(names) < 5 {
		t.Fatalf("found only %q", names)
	}
	return names
}

func TestMakeInstallDestdir(t *testing.T) {
	need(t, "make", "man", "bash")
	r := root(t)
	tmp := t.TempDir()
	dest, prefix := filepath.Join(tmp, "dest"), "/opt/ct"
	run(t, r, nil, "make", "-s", "install", "DESTDIR="+dest, "PREFIX="+prefix, "BIN="+filepath.Join(tmp, "build"))
	inst := dest + prefix
	for _, c := range commands(t, r) {
		for _, f := range []string{"bin/" + c, "share/man/man1/" + c + ".1"} {
			if _, err := os.Stat(filepath.Join(inst, f)); err != nil {
				t.Errorf("not installed: %v", err)
			}
		}
	}
	for _, f := range []string{"share/bash-completion/completions/ct", "share/zsh/site-functions/_ct", "share/fish/vendor_completions.d/ct.fish"} {
		if st, err := os.Stat(filepath.Join(inst, f)); err != nil || st.Size() == 0 {
			t.Errorf("completion %s: %v", f, err)
		}
	}
	// The installed ct finds ct-verify beside itself (nothing of ct on PATH).
	sys := "PATH=/usr/bin:/bin"
	out, _ := run(t, tmp, []string{sys}, filepath.Join(inst, "bin/ct"), "verify", "--help")
	if !strings.Contains(out, "Usage: ct-verify") || !strings.Contains(out, "Exit status:") {
		t.Errorf("ct verify --help:\n%s", out)
	}
	// ct-verify travels alone: a packager may ship it without the rest.
	alone := filepath.Join(tmp, "alone")
	if err := os.MkdirAll(alone, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(filepath.Join(inst, "bin/ct-verify"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alone, "ct-verify"), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, _ := run(t, tmp, []string{sys}, filepath.Join(alone, "ct-verify"), "--help"); !strings.Contains(out, "Usage: ct-verify") {
		t.Errorf("ct-verify alone --help:\n%s", out)
	}
	// --version names the commit the tree is at, when built from git.
	if head, err := exec.Command("git", "-C", r, "rev-parse", "HEAD").Output(); err == nil {
		out, _ = run(t, tmp, []string{sys}, filepath.Join(inst, "bin/ct"), "--version")
		want := regexp.MustCompile(`^ct version \S+ \(commit ` + string(head[:12]) + `, committed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(, with local changes)?\)\n$`)
		if !want.MatchString(out) {
			t.Errorf("ct --version = %q, want %v", out, want)
		}
		out, _ = run(t, tmp, []string{sys}, filepath.Join(inst, "bin/ct-verify"), "--version")
		if !strings.HasPrefix(out, "ct-verify (ct) ") || !strings.Contains(out, "(commit "+string(head[:12])) {
			t.Errorf("ct-verify --version = %q", out)
		}
	}
	// docs/cli.md's flag table is the one the installed commands print.
	out, _ = run(t, tmp, []string{sys}, filepath.Join(inst, "bin/ct"), "__flag-table")
	doc, err := os.ReadFile(filepath.Join(r, "docs/cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "<!-- BEGIN generated flag table: make docs -->\n"+out+"<!-- END generated flag table -->") {
		t.Errorf("docs/cli.md's flag table differs from the commands' flags (run make docs):\n%s", out)
	}
	for _, c := range commands(t, r)[1:] {
		if !strings.Contains(out, "`"+strings.TrimPrefix(c, "ct-")+"`") {
			t.Errorf("the flag table has no row for %s", c)
		}
	}
	// man renders an installed page without a warning.
	out, errs := run(t, tmp, []string{sys, "MANWIDTH=80", "MAN_KEEP_FORMATTING="}, "man", "-l", filepath.Join(inst, "share/man/man1/ct-verify.1"))
	if errs != "" {
		t.Errorf("man -l: stderr:\n%s", errs)
	}
	if !regexp.MustCompile(`SYNOPSIS\n\s+ct-verify \[OPTIONS\] BUNDLE`).MatchString(stripOverstrike(out)) {
		t.Errorf("man -l ct-verify.1: no SYNOPSIS line:\n%s", out)
	}
	// The installed bash completion completes through the installed ct.
	script := `source "$1/share/bash-completion/completions/ct"
COMP_WORDS=(ct veri); COMP_CWORD=1; _ct; echo "a:${COMPREPLY[*]}"
COMP_WORDS=(ct verify --no-s); COMP_CWORD=2; _ct; echo "b:${COMPREPLY[*]}"
COMP_WORDS=(ct key im); COMP_CWORD=2; _ct; echo "c:${COMPREPLY[*]}"
COMP_WORDS=(ct-verify --js); COMP_CWORD=1; _ct_direct; echo "d:${COMPREPLY[*]}"
complete -p ct-key`
	out, _ = run(t, tmp, []string{"PATH=" + inst + "/bin:/usr/bin:/bin"}, "bash", "--norc", "-c", script, "bash", inst)
	for _, want := range []string{"a:verify\n", "b:--no-store\n", "c:import\n", "d:--json\n", "-F _ct_direct ct-key\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("bash completion: no %q in\n%s", want, out)
		}
	}
	for _, sh := range [][2]string{{"zsh", "share/zsh/site-functions/_ct"}, {"fish", "share/fish/vendor_completions.d/ct.fish"}} {
		if _, err := exec.LookPath(sh[0]); err != nil {
			t.Logf("%s not installed: its completion is not parsed", sh[0])
			continue
		}
		run(t, tmp, nil, sh[0], "-n", filepath.Join(inst, sh[1]))
	}
}

var overstrike = regexp.MustCompile(".\b")

func stripOverstrike(s string) string { return overstrike.ReplaceAllString(s, "") }

// The README's quickstart, run as written on a fresh HOME.
func TestReadmeQuickstart(t *testing.T) {
	need(t, "make", "bash", "man")
	r := root(t)
	readme, err := os.ReadFile(filepath.Join(r, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := quickstart(string(readme))
	if !strings.Contains(script, "ct keygen --id release") || !strings.Contains(script, "release.pub") {
		t.Fatalf("the quickstart does not create the keys it uses:\n%s", script)
	}
	if strings.Index(script, "ct keygen --id release") > strings.Index(script, "-k release") {
		t.Fatalf("the quickstart uses the key release before it creates it")
	}
	home := t.TempDir()
	// BIN keeps the build out of the source tree; MAKEFLAGS passes it to
	// make as if on its command line, so the script stays literal.
	out, errs := run(t, r, []string{"HOME=" + home, "MAKEFLAGS=BIN=" + filepath.Join(home, "build"), "MANWIDTH=80"},
		"bash", "-euo", "pipefail", "-c", script)
	for _, f := range []string{".local/bin/ct", ".local/bin/ct-verify", "ct-try/release.pub", "ct-try/sample.ctp",
		"ct-try/airgap.tar", "ct-try/installed/index.json"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("after the quickstart: %v\nstdout:\n%s\nstderr:\n%s", err, out, errs)
		}
	}
	if !strings.Contains(stripOverstrike(out), "ct-verify [OPTIONS] BUNDLE") {
		t.Errorf("man ct-verify did not show the installed page:\n%s", out)
	}
}

// quickstart is every ```sh block of the README's "## Quickstart" section.
func quickstart(readme string) string {
	var b strings.Builder
	in, block := false, false
	for _, l := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(l, "## "):
			in = l == "## Quickstart"
		case in && strings.HasPrefix(l, "```sh"):
			block = true
		case in && strings.HasPrefix(l, "```"):
			block = false
		case in && block:
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// Every committed man page: groff finds nothing to warn about, a real
// SYNOPSIS, one exit-status table, no hidden flags, and ct.1 names every
// command.
func TestManPages(t *testing.T) {
	need(t, "groff")
	r := root(t)
	cmds := commands(t, r)
	for _, c := range cmds {
		page := filepath.Join(r, "man", c+".1")
		src, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("%s has no man page: %v", c, err)
			continue
		}
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-P-cbou", page)
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil || errs.Len() > 0 {
			t.Errorf("groff -ww %s: %v\n%s", page, err, errs.String())
		}
		text := out.String()
		if !regexp.MustCompile(`\nSYNOPSIS\n\s+` + regexp.QuoteMeta(c) + ` \S`).MatchString(text) {
			t.Errorf("%s: no SYNOPSIS line naming %s:\n%s", page, c, text)
		}
		if n := strings.Count(text, "\nEXIT STATUS\n"); n != 1 {
			t.Errorf("%s: %d EXIT STATUS sections", page, n)
		}
		if n := len(regexp.MustCompile(`usage\s+error`).FindAllString(text, -1)); n != 1 {
			t.Errorf("%s: the exit table appears %d times", page, n)
		}
		for _, hidden := range []string{"--man", "--summary-line", "--completion-words", "--flag-table"} {
			if regexp.MustCompile(regexp.QuoteMeta(hidden) + `\b[^-]`).MatchString(text) {
				t.Errorf("%s shows the hidden flag %s", page, hidden)
			}
		}
		if bytes.Contains(src, []byte("\n.PP\n.PP\n")) {
			t.Errorf("%s: empty paragraphs", page)
		}
		if c == "ct" {
			see := text[strings.Index(text, "\nSEE ALSO\n"):]
			for _, o := range cmds[1:] {
				if !strings.Contains(see, o+"(1)") {
					t.Errorf("ct.1's SEE ALSO lacks %s(1):\n%s", o, see)
				}
			}
		}
	}
}
