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
		new      boundedRe
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
