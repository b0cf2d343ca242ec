package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EscapeControls is Escape without doubling backslashes: every character
// that could drive a terminal is replaced by its visible escape, everything
// else (a backslash too) is kept. It is idempotent, so it is the last guard
// for a message whose parts may already be quoted (%q) or escaped, such as
// an error printed on stderr, where doubling their backslashes would only
// garble them. Where the text itself must be unambiguous, use Escape.
func EscapeControls(s string) string {
	if !slowNeedsControlEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func slowNeedsControlEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x80 && unsafeRune(r)) {
			return true
		}
		i += size
	}
	return false
}
