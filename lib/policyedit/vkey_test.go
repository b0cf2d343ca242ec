package policyedit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestLogArgs(t *testing.T) {
	const vkey = "log.test/ct+6ed2cf5a+AU+eSR2zTBOm6w9U4dqLQtx/Kdgynz2SsEO6uYj4MRm7"
	dir := t.TempDir()
	file := filepath.Join(dir, "log.vkey")
	if err := os.WriteFile(file, []byte(vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(dir, "two.vkey")
	if err := os.WriteFile(two, []byte(vkey+"\n"+vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.vkey")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args         []string
		origin, vkey string
	}{
		{[]string{vkey}, "log.test/ct", vkey},
		{[]string{file}, "log.test/ct", vkey},
		{[]string{"other.example", vkey}, "other.example", vkey}, // the older form: the parser checks the name
		{[]string{"log.test/ct", file}, "log.test/ct", vkey},
	} {
		origin, got, err := LogArgs(c.args)
		if err != nil || origin != c.origin || got != c.vkey {
			t.Errorf("LogArgs(%q) = %q, %q, %v; want %q, %q", c.args, origin, got, err, c.origin, c.vkey)
		}
	}
	for _, c := range []struct {
		args []string
		code exit.Code
		msg  string
	}{
		{[]string{"nofile"}, exit.Usage, "neither a log verifier key"},
		{[]string{two}, exit.Malformed, "not one line"},
		{[]string{empty}, exit.Malformed, "not one line"},
		{[]string{"a", "b", "c"}, exit.Usage, "3 arguments"},
	} {
		_, _, err := LogArgs(c.args)
		e, ok := err.(*exit.Error)
		if !ok || e.Code != c.code || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("LogArgs(%q) = %v, want exit %d %q", c.args, err, c.code, c.msg)
		}
	}
}
