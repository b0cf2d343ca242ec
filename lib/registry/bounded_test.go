package registry

import (
	"regexp"
	"strings"
	"testing"
)

// reTitle accepts exactly what the counted repetition it replaces
// accepts, around its length bound.
func TestBoundedTitleSameAsCounted(t *testing.T) {
	old := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$`)
	for n := 0; n <= 300; n++ {
		for _, f := range []string{"", "_", "-", "é"} {
			s := f + strings.Repeat("a.", n/2) + strings.Repeat("b", n%2)
			for _, in := range []string{s, s + "\n", s + "/", "x" + s} {
				if old.MatchString(in) != reTitle.MatchString(in) {
					t.Fatalf("%q (len %d): counted %v, bounded %v", in, len(in), old.MatchString(in), reTitle.MatchString(in))
				}
			}
		}
	}
}

// FuzzBoundedTitleSameAsCounted: for any bytes (invalid UTF-8, multi-byte
// runes, a run of one byte long enough to cross the bound) reTitle agrees
// with the counted repetition it replaces.
func FuzzBoundedTitleSameAsCounted(f *testing.F) {
	f.Add("_", uint16(254), byte('a'), "")
	f.Add("é", uint16(255), byte('.'), "\n")
	old := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$`)
	f.Fuzz(func(t *testing.T, prefix string, n uint16, unit byte, suffix string) {
		s := prefix + strings.Repeat(string([]byte{unit}), int(n%600)) + suffix
		if old.MatchString(s) != reTitle.MatchString(s) {
			t.Fatalf("%q (len %d): counted %v", s, len(s), old.MatchString(s))
		}
	})
}
