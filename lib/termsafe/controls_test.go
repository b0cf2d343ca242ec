package termsafe

import (
	"testing"
	"unicode/utf8"
)

func TestEscapeControls(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, ünïcödé", "plain text, ünïcödé"},
		{`already "a\x1b[2K" quoted`, `already "a\x1b[2K" quoted`},
		{"raw \x1b[2K\r\x07 and \u202e bidi", `raw \x1b[2K\x0d\x07 and \u202e bidi`},
		{"bad utf8 \xff", `bad utf8 \xff`},
		{"c1 \u009b", `c1 \x9b`},
	} {
		got := EscapeControls(c.in)
		if got != c.want {
			t.Errorf("EscapeControls(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := EscapeControls(got); again != got {
			t.Errorf("not idempotent: %q -> %q", got, again)
		}
	}
}

func FuzzEscapeControls(f *testing.F) {
	f.Add("a\x1b[2K\u202e\\x")
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeControls(s)
		if EscapeControls(e) != e {
			t.Fatalf("not idempotent on %q", s)
		}
		if !utf8.ValidString(e) {
			t.Fatalf("%q gives invalid UTF-8 %q", s, e)
		}
		for _, r := range e {
			if isControl(r) || unsafeRune(r) {
				t.Fatalf("%q leaves %U to escape: %q", s, r, e)
			}
		}
	})
}
