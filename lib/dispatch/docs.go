package dispatch

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// FlagTable returns the Markdown table of every flag of every command found
// beside ct (not on PATH: the table documents this suite), as each program
// prints it with --flag-table: one row per flag and meaning, naming the
// commands that have it. docs/cli.md carries it (make docs).
func FlagTable(f Finder) (string, error) {
	type row struct{ flag, help string }
	cmds := map[row][]string{}
	for _, c := range (Finder{ExecDir: f.ExecDir}).List() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, c.Path, "--flag-table").Output()
		cancel()
		if err != nil {
			return "", fmt.Errorf("%s --flag-table: %w", c.Path, err)
		}
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			p := strings.SplitN(l, "\t", 3)
			if len(p) != 3 {
				continue
			}
			r := row{p[1], p[2]}
			cmds[r] = append(cmds[r], "`"+strings.TrimPrefix(p[0], Prefix)+"`")
		}
	}
	// ct's own flags, taken before the command
	for _, r := range []row{
		{"--color WHEN", "Colour: auto, always or never; passed on to the command (ct --color=always verify …)."},
		{"-h, --help", "List the commands; before a command, that command's --help."},
		{"--version", "Print ct's version, and the git commit it was built from, and exit."},
	} {
		cmds[r] = append(cmds[r], "`ct`")
	}
	var rows []row
	for r := range cmds {
		rows = append(rows, r)
	}
	key := func(r row) string {
		// sort by the long name: "-o, --output FILE" → "output"
		s := r.flag[strings.Index(r.flag, "--")+2:]
		if i := strings.IndexByte(s, ' '); i >= 0 {
			s = s[:i]
		}
		return s
	}
	sort.Slice(rows, func(i, j int) bool {
		if key(rows[i]) != key(rows[j]) {
			return key(rows[i]) < key(rows[j])
		}
		return strings.Join(cmds[rows[i]], " ") < strings.Join(cmds[rows[j]], " ")
	})
	var b strings.Builder
	b.WriteString("| flag | commands | meaning |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.flag, strings.Join(cmds[r], ", "), strings.ReplaceAll(r.help, "|", `\|`))
	}
	return b.String(), nil
}
