package meter

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Bytes read after Finish (a read-ahead goroutine whose Read was still in
// flight when the verifier finished) draw nothing: the cleared line stays
// cleared.
func TestNothingAfterFinish(t *testing.T) {
	var out bytes.Buffer
	m := &Meter{w: &out, desc: "reading -"}
	r := m.Reader(strings.NewReader(strings.Repeat("x", 5000)))
	if _, err := io.CopyN(io.Discard, r, 4000); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "reading -") {
		t.Fatalf("no meter drawn: %q", out.String())
	}
	m.Finish()
	cleared := out.Len()
	if !strings.HasSuffix(out.String(), "\r") {
		t.Fatalf("Finish did not clear the line: %q", out.String())
	}
	m.last = m.last.AddDate(0, 0, -1) // not rate-limited: the next read would draw
	io.Copy(io.Discard, r)
	if out.Len() != cleared {
		t.Fatalf("drawn after Finish: %q", out.String()[cleared:])
	}
}
