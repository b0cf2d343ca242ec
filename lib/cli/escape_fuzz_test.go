package cli

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Whatever text a help string or a description holds, Escape's output is
// plain ASCII roff: no control characters but newlines, no line that
// groff would read as a request, and every backslash starts one of the
// escapes Escape writes (\e, \-, \&, \[uXXXX]).
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a-b", ".TH x", "'q", "x\\y", "…", "\x00\x1b[31m", "a\n.b\n'c", "\\fB", "\xff", "\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		for i, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
				t.Fatalf("line %d starts a request: %q (from %q)", i, l, s)
			}
		}
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c >= 0x7f || (c < 0x20 && c != '\n') {
				t.Fatalf("byte %#x in %q (from %q)", c, out, s)
			}
			if c != '\\' {
				continue
			}
			rest := out[i+1:]
			switch {
			case strings.HasPrefix(rest, "e"), strings.HasPrefix(rest, "-"), strings.HasPrefix(rest, "&"):
				i++
			case strings.HasPrefix(rest, "[u"):
				end := strings.IndexByte(rest, ']')
				if end < 6 || end > 8 {
					t.Fatalf("bad \\[u…] escape in %q", out)
				}
				i += end + 1
			default:
				t.Fatalf("stray backslash in %q (from %q)", out, s)
			}
		}
		if utf8.ValidString(s) && strings.Count(s, "\n") != strings.Count(out, "\n") {
			t.Fatalf("line count changed: %q → %q", s, out)
		}
	})
}
