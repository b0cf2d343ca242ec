package witnessserver

import (
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzParseLogs: a logs file never panics the parser, fails only as
// malformed, and every log it accepts has an origin, a key that parses and
// is named after it, and a line in the file; no origin twice.
func FuzzParseLogs(f *testing.F) {
	const key = "log.example/ct+10b5a8b0+AaRm38kiNDg+mAqPhoOfF0D6jWCKHkj8GZaWI6Cru0V8"
	good := "[[log]]\norigin = \"log.example/ct\"\nkey = \"" + key + "\"\n"
	for _, s := range []string{good, good + good, "# comment\n" + good, good + "extra = 1\n", "[[log]]\norigin = \"a\"\nkey = \"" + key + "\"\n",
		"[[log]]\norigin = \"log.example/ct\"\n", "[log]\norigin = \"x\"\n", "", "[[log]]\n", "[[\"log\"]]\norigin = 'log.example/ct'\nkey = '" + key + "'\n",
		"[[log]]\norigin = \"log.example/ct\\n\"\nkey = \"" + key + "\"\n", "\xff\xfe", good[:len(good)-20]} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		logs, err := ParseLogs(data, "logs.toml")
		if err != nil {
			if exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("error of code %d: %v", exit.CodeOf(err), err)
			}
			return
		}
		if len(logs) == 0 {
			t.Fatal("accepted a file with no log")
		}
		seen := map[string]bool{}
		for _, l := range logs {
			v, err := note.NewVerifier(l.Key)
			if err != nil || v.Name() != l.Origin || l.Origin == "" || l.verifier == nil || l.Line < 1 || seen[l.Origin] {
				t.Fatalf("accepted log %+v: %v", l, err)
			}
			seen[l.Origin] = true
		}
	})
}
