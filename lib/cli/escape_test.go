package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestEscaped(t *testing.T) {
	if Escaped(nil) != nil {
		t.Fatal("Escaped(nil) is not nil")
	}
	err := exit.New(exit.PolicyRejected, "source reg/web\x1b[8m matches none").At("bundle x\u202e.ctp").
		WithHint("line one \x1b[2K\nline two\r")
	e := Escaped(err)
	if exit.CodeOf(e) != exit.PolicyRejected {
		t.Errorf("code %d, want %d", exit.CodeOf(e), exit.PolicyRejected)
	}
	var b bytes.Buffer
	PrintError(&b, "ct-verify", e)
	out := b.String()
	want := "ct-verify: error: bundle x\\u202e.ctp: source reg/web\\x1b[8m matches none\n" +
		"ct-verify: hint: line one \\x1b[2K\n" +
		"ct-verify: hint: line two\\x0d\n"
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
	if strings.ContainsAny(out, "\x1b\r\u202e") {
		t.Errorf("raw control characters printed: %q", out)
	}
}

// PrintError escapes on its own, so a command that forgot cli.Escaped still
// cannot print a bundle's escape sequence; text already escaped is unchanged.
func TestPrintErrorEscapes(t *testing.T) {
	for _, err := range []error{
		exit.New(exit.Malformed, "entry \x1b]0;owned\x07 is bad\nand \u202eline two").WithHint("try \x1b[2K again"),
		Escaped(exit.New(exit.Malformed, "entry \x1b]0;owned\x07 is bad\nand \u202eline two").WithHint("try \x1b[2K again")),
	} {
		var b bytes.Buffer
		PrintError(&b, "ct-x", err)
		want := "ct-x: error: entry \\x1b]0;owned\\x07 is bad\nand \\u202eline two\nct-x: hint: try \\x1b[2K again\n"
		if _, ok := err.(*exit.Error); ok && strings.Contains(err.Error(), `\x0a`) {
			want = "ct-x: error: entry \\x1b]0;owned\\x07 is bad\\x0aand \\u202eline two\nct-x: hint: try \\x1b[2K again\n"
		}
		if got := b.String(); got != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	}
}
