package archive

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzIndex: ParseIndex never panics, classifies every rejection as
// malformed, and whatever it accepts re-encodes to the same bytes.
func FuzzIndex(f *testing.F) {
	good, err := sample().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	delta := sample()
	delta.Base = d3
	delta.Blobs[0].Present = false
	if b, err := delta.Encode(); err == nil {
		f.Add(b)
	}
	f.Add([]byte("format = 1\n"))
	f.Add([]byte(strings.Replace(string(good), "format = 1", "format = 2", 1)))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseIndex(data)
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Malformed {
				t.Fatalf("code %d for %q: %v", c, data, err)
			}
			return
		}
		b, err := x.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		if string(b) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%q\n%q", data, b)
		}
	})
}
