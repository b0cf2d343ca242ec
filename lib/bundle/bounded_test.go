package bundle

import (
	"regexp"
	"strings"
	"testing"
)

// boundedInputs are strings around every length bound: runs of allowed
// characters of each length up to 300 with each first character, and
// the same with a bad character, a trailing newline or a second '/'.
func boundedInputs(first, rest string) []string {
	var out []string
	for n := 0; n <= 300; n++ {
		for _, f := range []string{"", first, "-", "/", "é"} {
			s := f + strings.Repeat(rest, n)
			out = append(out, s, s+"\n", s+" ", "x"+s, s+"/"+s, s+"//"+s)
		}
	}
	return out
}

// The bounded matchers accept exactly what the counted repetitions they
// replace accept.
func TestBoundedRegexpsSameAsCounted(t *testing.T) {
	for _, c := range []struct {
		old *regexp.Regexp
		new interface{ MatchString(string) bool }
		in  []string
	}{
		{regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`), reVersion, boundedInputs("_", "a")},
		{regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`), reMediaType, boundedInputs("A", "+")},
	} {
		for _, s := range c.in {
			if c.old.MatchString(s) != c.new.MatchString(s) {
				t.Fatalf("%s: %q (len %d): counted %v, bounded %v", c.old, s, len(s), c.old.MatchString(s), c.new.MatchString(s))
			}
		}
	}
	if !reMediaType.MatchString("application/vnd.oci.image.manifest.v1+json") || reMediaType.MatchString(strings.Repeat("a", 128)+"/json") {
		t.Fatal("media type bounds")
	}
}

// FuzzBoundedSameAsCounted: for any bytes (invalid UTF-8, multi-byte
// runes, a run of one byte long enough to cross every bound) the bounded
// matchers agree with the counted repetitions they replace.
func FuzzBoundedSameAsCounted(f *testing.F) {
	f.Add("application", uint16(120), byte('a'), "/json")
	f.Add("A", uint16(126), byte('+'), "/B")
	f.Add("é", uint16(127), byte('.'), "")
	f.Add("a/", uint16(127), byte('b'), "\n")
	oldVersion := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	oldMediaType := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)
	f.Fuzz(func(t *testing.T, prefix string, n uint16, unit byte, suffix string) {
		s := prefix + strings.Repeat(string([]byte{unit}), int(n%300)) + suffix
		for _, in := range []string{s, s + "/" + s, prefix + "/" + s} {
			if oldVersion.MatchString(in) != reVersion.MatchString(in) {
				t.Fatalf("version %q (len %d): counted %v", in, len(in), oldVersion.MatchString(in))
			}
			if oldMediaType.MatchString(in) != reMediaType.MatchString(in) {
				t.Fatalf("media type %q (len %d): counted %v", in, len(in), oldMediaType.MatchString(in))
			}
		}
	})
}
