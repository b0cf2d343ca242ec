package dispatch

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func mkexe(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+name+" summary'\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookupOrder(t *testing.T) {
	beside, path1, path2 := t.TempDir(), t.TempDir(), t.TempDir()
	mkexe(t, beside, "ct-pack", 0o755)
	mkexe(t, path1, "ct-pack", 0o755)
	mkexe(t, path1, "ct-extra", 0o755)
	mkexe(t, path2, "ct-extra", 0o755)
	mkexe(t, path2, "ct-noexec", 0o644)
	f := Finder{ExecDir: beside, Path: path1 + string(os.PathListSeparator) + path2}

	if p, ok := f.Lookup("pack"); !ok || p != filepath.Join(beside, "ct-pack") {
		t.Errorf("pack: %q %v, want the one beside ct", p, ok)
	}
	if p, ok := f.Lookup("extra"); !ok || p != filepath.Join(path1, "ct-extra") {
		t.Errorf("extra: %q %v, want the first on PATH", p, ok)
	}
	if _, ok := f.Lookup("noexec"); ok {
		t.Error("found a non-executable file")
	}
	for _, bad := range []string{"", "-x", "../ct-pack", "a/b", ".."} {
		if _, ok := f.Lookup(bad); ok {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	var got []string
	for _, c := range f.List() {
		got = append(got, c.Name+map[bool]string{true: "@path", false: ""}[c.OnPath])
	}
	if want := []string{"pack", "extra@path"}; !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	if s := Summary(filepath.Join(beside, "ct-pack")); s != "ct-pack summary" {
		t.Errorf("Summary = %q", s)
	}
}

func TestSuggest(t *testing.T) {
	cmds := []string{"pack", "sign", "verify", "explain", "keygen", "key", "export", "import"}
	for in, want := range map[string][]string{
		"pakc":   {"pack"},
		"verfy":  {"verify"},
		"keyge":  {"key", "keygen"},
		"exp":    {"explain", "export"},
		"zzzzzz": nil,
	} {
		if got := Suggest(in, cmds); !reflect.DeepEqual(got, want) {
			t.Errorf("Suggest(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	dir := t.TempDir()
	mkexe(t, dir, "ct-pack", 0o755)
	err := UnknownCommand("pakc", Finder{ExecDir: dir})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(exit.HintOf(err), "'pack'") {
		t.Fatalf("got %v (hint %q)", err, exit.HintOf(err))
	}
}

// TestLookupSkipsRelativePath: a relative or empty PATH entry would run a
// program from the current directory, which may be a stranger's (ct pack
// --sbom runs ct-sbom this way): Lookup, List and Where skip it, as Go's
// os/exec does (exec.ErrDot), and the absolute entry after it is used.
func TestLookupSkipsRelativePath(t *testing.T) {
	cwd, abs := t.TempDir(), t.TempDir()
	mkexe(t, cwd, "ct-sbom", 0o755)
	mkexe(t, filepath.Join(cwd), "ct-only-here", 0o755)
	mkexe(t, abs, "ct-sbom", 0o755)
	t.Chdir(cwd)
	sep := string(os.PathListSeparator)
	f := Finder{Path: "." + sep + "" + sep + "./" + sep + abs}
	if p, ok := f.Lookup("sbom"); !ok || p != filepath.Join(abs, "ct-sbom") {
		t.Errorf("sbom: %q %v, want the one in the absolute PATH entry %s", p, ok, abs)
	}
	if p, ok := f.Lookup("only-here"); ok {
		t.Errorf("ran %s from the current directory", p)
	}
	for _, c := range f.List() {
		if c.Name == "only-here" {
			t.Errorf("List names %s from the current directory", c.Path)
		}
	}
	if w := f.Where(); strings.Contains(w, ".,") || !strings.Contains(w, abs) {
		t.Errorf("Where = %q", w)
	}
}
