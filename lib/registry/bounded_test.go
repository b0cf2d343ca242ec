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
