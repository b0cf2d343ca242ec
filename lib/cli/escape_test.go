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
