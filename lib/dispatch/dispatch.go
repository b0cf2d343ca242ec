// Package dispatch implements the `ct` front end the way git and kubectl do:
// `ct NAME ARGS…` finds the program ct-NAME, first in the directory of the
// ct executable, then on PATH, and replaces itself with it (execve), so
// standard streams, signals and the exit status pass through untouched.
package dispatch

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// Prefix is what every command program's name starts with.
const Prefix = "ct-"

// Command is a command program found on disk.
type Command struct {
	Name    string // "pack"
	Path    string // absolute path of ct-pack
	Summary string // its one-line summary, or "" when it gives none
	OnPath  bool   // found on PATH rather than beside ct
}

// Finder looks up command programs.
type Finder struct {
	ExecDir string // the directory of the ct executable; searched first
	Path    string // a PATH-style list, searched second
}

// NewFinder returns a Finder for the running ct.
func NewFinder() Finder {
	f := Finder{Path: os.Getenv("PATH")}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		f.ExecDir = filepath.Dir(exe)
	}
	return f
}

// ValidName reports whether name may name a command: no path separators,
// not starting with '-', not empty.
func ValidName(name string) bool {
	return name != "" && !strings.HasPrefix(name, "-") && !strings.ContainsAny(name, `/\`) && name != "." && name != ".."
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Lookup returns the path of ct-NAME.
func (f Finder) Lookup(name string) (string, bool) {
	if !ValidName(name) {
		return "", false
	}
	if f.ExecDir != "" {
		if p := filepath.Join(f.ExecDir, Prefix+name); executable(p) {
			return p, true
		}
	}
	for _, dir := range f.pathDirs() {
		if p := filepath.Join(dir, Prefix+name); executable(p) {
			return p, true
		}
	}
	return "", false
}

// pathDirs returns the absolute directories of f.Path. An empty or relative
// entry ("", ".", "bin") would name a program in the current directory,
// which may be a stranger's (an unpacked bundle, a download folder): as Go's
// os/exec refuses such a result (exec.ErrDot), the ct front end and ct pack
// --sbom skip those entries.
func (f Finder) pathDirs() []string {
	var dirs []string
	for _, dir := range filepath.SplitList(f.Path) {
		if filepath.IsAbs(dir) {
			dirs = append(dirs, filepath.Clean(dir))
		}
	}
	return dirs
}

// List returns every command program, those beside ct first, each name once
// (the one Lookup would run), sorted by name within each group.
func (f Finder) List() []Command {
	seen := map[string]bool{}
	var beside, onPath []Command
	scan := func(dir string, path bool) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			n := e.Name()
			if !strings.HasPrefix(n, Prefix) || seen[n] {
				continue
			}
			p := filepath.Join(dir, n)
			if !executable(p) || !ValidName(strings.TrimPrefix(n, Prefix)) {
				continue
			}
			seen[n] = true
			c := Command{Name: strings.TrimPrefix(n, Prefix), Path: p, OnPath: path}
			if path {
				onPath = append(onPath, c)
			} else {
				beside = append(beside, c)
			}
		}
	}
	if f.ExecDir != "" {
		scan(f.ExecDir, false)
	}
	for _, dir := range f.pathDirs() {
		if dir != f.ExecDir {
			scan(dir, true)
		}
	}
	for _, g := range [][]Command{beside, onPath} {
		sort.Slice(g, func(i, j int) bool { return g[i].Name < g[j].Name })
	}
	return append(beside, onPath...)
}

// Summary asks a command program for its one-line summary (ct-* programs
// answer --summary-line). Programs that do not answer within a second, or
// fail, get "".
func Summary(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--summary-line")
	cmd.Stdin = nil
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// Suggest returns the names among candidates that are close to name: within
// edit distance 2, or sharing a prefix of at least 3 letters.
func Suggest(name string, candidates []string) []string {
	var out []string
	for _, c := range candidates {
		if c == name {
			continue
		}
		if distance(name, c) <= 2 || (len(name) >= 3 && strings.HasPrefix(c, name)) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Exec replaces the current process with the command program at path,
// called with args and with "ct NAME" as its argv[0], so that ps shows what
// the user typed and the program's usage hints can say "ct NAME --help"
// (cli.HelpName). It returns only on failure.
func Exec(path, name string, args []string) error {
	argv := append([]string{"ct " + name}, args...)
	err := syscall.Exec(path, argv, os.Environ())
	return exit.Wrap(exit.IO, err, "cannot run %s", path).WithHint("check that %s is an executable for this machine", path)
}

// UnknownCommand is the error for a name that no program answers to. It
// says where ct looked (beside itself, then each PATH directory) and how
// to add the command.
func UnknownCommand(name string, f Finder) error {
	var names []string
	for _, c := range f.List() {
		names = append(names, c.Name)
	}
	e := exit.New(exit.Usage, "'%s' is not a ct command", name)
	var hint []string
	if s := Suggest(name, names); len(s) > 0 {
		hint = append(hint, fmt.Sprintf("did you mean %s?", quoteList(s)))
	}
	hint = append(hint, fmt.Sprintf("looked for the program %s%s %s", Prefix, name, f.Where()),
		fmt.Sprintf("run 'ct help' to list the commands; to add one, install ct with 'make install' (ct and its ct-* programs together), or put %s%s beside ct or on PATH", Prefix, name))
	return e.WithHint("%s", strings.Join(hint, "\n"))
}

// Where says where Lookup looks: "in DIR (beside ct) and on PATH (A, B)".
func (f Finder) Where() string {
	dirs := f.pathDirs()
	path := "on PATH (empty)"
	if len(dirs) > 0 {
		path = "on PATH (" + strings.Join(dirs, ", ") + ")"
	}
	if f.ExecDir == "" {
		return path
	}
	return "in " + f.ExecDir + " (beside ct) and " + path
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "'" + x + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
