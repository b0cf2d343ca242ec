package source

import (
	"regexp"
	"strings"
	"testing"
)

// The bounded matchers accept exactly what the counted repetitions they
// replace accept, around every length.
func TestBoundedRegexpsSameAsCounted(t *testing.T) {
	for _, c := range []struct {
		old      *regexp.Regexp
		new      BoundedRe
		first, r string
	}{
		{regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`), reTag, "_", "a"},
		{regexp.MustCompile(`^[a-z0-9_.-]{1,64}$`), rePlatformPart, ".", "z"},
	} {
		for n := 0; n <= 300; n++ {
			for _, f := range []string{"", c.first, "-", "A", "é"} {
				s := f + strings.Repeat(c.r, n)
				for _, in := range []string{s, s + "\n", s + ":", "x" + s} {
					if c.old.MatchString(in) != c.new.MatchString(in) {
						t.Fatalf("%s: %q (len %d): counted %v, bounded %v", c.old, in, len(in), c.old.MatchString(in), c.new.MatchString(in))
					}
				}
			}
		}
	}
}

// FuzzBoundedSameAsCounted: for any bytes (invalid UTF-8, multi-byte
// runes, a run of one byte long enough to cross every bound) the bounded
// matchers agree with the counted repetitions they replace.
func FuzzBoundedSameAsCounted(f *testing.F) {
	f.Add("_", uint16(127), byte('a'), "")
	f.Add("", uint16(64), byte('z'), "\n")
	f.Add("é", uint16(63), byte('.'), "")
	oldTag := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	oldPart := regexp.MustCompile(`^[a-z0-9_.-]{1,64}$`)
	f.Fuzz(func(t *testing.T, prefix string, n uint16, unit byte, suffix string) {
		s := prefix + strings.Repeat(string([]byte{unit}), int(n%300)) + suffix
		if oldTag.MatchString(s) != reTag.MatchString(s) {
			t.Fatalf("tag %q (len %d): counted %v", s, len(s), oldTag.MatchString(s))
		}
		if oldPart.MatchString(s) != rePlatformPart.MatchString(s) {
			t.Fatalf("platform part %q (len %d): counted %v", s, len(s), oldPart.MatchString(s))
		}
	})
}
