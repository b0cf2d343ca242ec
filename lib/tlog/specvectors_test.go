package tlog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSpecVectors: every vector log.md names in brackets after a rule
// exists (§4.3 names are log-entry-* unless they start with log-), and every
// log-* vector in tests/vectors/verify is named somewhere in log.md, so a
// MUST-reject cannot lose its vector, nor a vector its rule.
func TestSpecVectors(t *testing.T) {
	spec, err := os.ReadFile("../../docs/spec/log.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(spec)
	i, j := strings.Index(s, "### 4.3"), strings.Index(s, "## 5.")
	if i < 0 || j < i {
		t.Fatal("log.md has no §4.3 followed by §5")
	}
	dir := "../../tests/vectors/verify"
	brackets := regexp.MustCompile(`\[(` + "`" + `[^\]]+)\]`)
	names := regexp.MustCompile("`([a-z0-9-]+)`")
	n := 0
	for _, part := range []struct {
		text   string
		prefix string
	}{{s[i:j], "log-entry-"}, {s[j:], ""}} {
		for _, b := range brackets.FindAllStringSubmatch(part.text, -1) {
			for _, m := range names.FindAllStringSubmatch(b[1], -1) {
				name := m[1]
				if !strings.HasPrefix(name, "log-") {
					name = part.prefix + name
				}
				n++
				if _, err := os.Stat(filepath.Join(dir, name+".expect")); err != nil {
					t.Errorf("log.md names the vector %s, which does not exist (cd tests && go run ./vectors/gen-verify)", name)
				}
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d vector names in log.md's brackets", n)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "log-*.expect"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		short := strings.TrimPrefix(name, "log-entry-")
		if !strings.Contains(s, "`"+name+"`") && !strings.Contains(s, "`"+short+"`") {
			t.Errorf("vector %s is not named in log.md", name)
		}
	}
}
