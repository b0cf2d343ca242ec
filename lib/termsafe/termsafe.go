// Package termsafe makes text that came from a bundle, an archive, a key file
// or a registry safe to print on a terminal.
//
// Anything a stranger wrote (a package name, a source URL, a tool version, a
// path, a key's self-chosen label) can hold escape sequences that move the
// cursor, recolour or erase a line, or bidirectional overrides that reorder
// what the reader sees. Printed raw, such text could draw a fake green
// "verified" line over the real verdict. Escape turns every such character
// into a visible escape (\x1b, \u202e) so the text is shown, never obeyed.
//
// Machine output (--json) is not passed through Escape: JSON encoding already
// escapes control characters, and it must stay exact.
package termsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that could drive a terminal
// replaced by a visible Go-style escape:
//
//   - C0 controls (including newline, tab and ESC), DEL and C1 controls as \xNN;
//   - bidirectional formatting characters, zero-width and other invisible
//     format characters (Unicode category Cf), line and paragraph separators
//     as \uNNNN;
//   - each byte of invalid UTF-8 as \xNN;
//   - a backslash as \\, so an escape in the output is never ambiguous.
//
// Printable text, including non-ASCII letters, is unchanged. Escape of a
// string with nothing to escape returns it as is (no allocation).
func Escape(s string) string { return escape(s, true) }

// EscapeControls is Escape without doubling backslashes: every character
// that could drive a terminal is replaced by its visible escape, everything
// else (a backslash too) is kept. It is idempotent, so it is the last guard
// for a message whose parts may already be quoted (%q) or escaped, such as
// an error printed on stderr, where doubling their backslashes would only
// garble them. Where the text itself must be unambiguous, use Escape.
func EscapeControls(s string) string { return escape(s, false) }

// Escapef formats like fmt.Sprintf and then escapes the result. Use it only
// when every argument is untrusted; otherwise escape the untrusted arguments.
func Escapef(format string, args ...any) string {
	return Escape(fmt.Sprintf(format, args...))
}

func escape(s string, backslash bool) string {
	if !needsEscape(s, backslash) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\' && backslash:
			b.WriteString(`\\`)
		case isControl(r):
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

// needsEscape is the fast path: pure printable ASCII (the common case) is
// decided without decoding runes.
func needsEscape(s string, backslash bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return slowNeedsEscape(s[i:])
		case c < 0x20 || c == 0x7f || (c == '\\' && backslash):
			return true
		}
	}
	return false
}

func slowNeedsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\\' || isControl(r) || unsafeRune(r) {
			return true // a backslash here only costs the slow path
		}
		i += size
	}
	return false
}

// isControl reports C0 controls, DEL and C1 controls.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// unsafeRune reports runes outside C0/C1 that can hide or reorder text:
// format characters (bidi overrides and isolates, zero-width joiners, BOM),
// line and paragraph separators, and anything else a terminal would not
// print as a glyph.
func unsafeRune(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r) && r != ' '
}
