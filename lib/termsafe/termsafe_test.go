package termsafe

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"alpine 3.20", "alpine 3.20"},
		{"café ünïcode 日本", "café ünïcode 日本"},
		{"\x1b[32mVALID\x1b[0m", `\x1b[32mVALID\x1b[0m`},
		{"a\nb\tc\r", `a\x0ab\x09c\x0d`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b2J", `c1\x9b2J`},
		{"back\\slash", `back\\slash`},
		{"rtl\u202eevil", `rtl\u202eevil`},
		{"zw\u200bj", `zw\u200bj`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"sep\u2028x", `sep\u2028x`},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\u202e", "\xff\xfe", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) is not valid UTF-8: %q", s, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unsafeRune(r) {
				t.Fatalf("Escape(%q) = %q still holds %U", s, out, r)
			}
		}
		if !needsEscape(s, true) && out != s {
			t.Fatalf("Escape changed clean text %q to %q", s, out)
		}
	})
}
