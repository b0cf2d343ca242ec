package keys

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestConfigParse(t *testing.T) {
	c, err := ParseConfig([]byte("# my settings\ncolor = 'never'\n\noutput = \"json\"\ndefault_key = \"alice\"\npolicy = \"policy.toml\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if *c != (Config{DefaultKey: "alice", Policy: "policy.toml", Output: "json", Color: "never"}) {
		t.Fatalf("%+v", c)
	}
	if c, err := ParseConfig(nil, "c.toml"); err != nil || *c != (Config{}) {
		t.Fatal(c, err)
	}
	for _, tc := range []struct{ in, where, want string }{
		{"color = \"auto\"\ncolour = \"never\"\n", "c.toml:2", `unknown setting "colour"`},
		{"\n\n[extra]\nx = 1\n", "c.toml:3", `unknown setting "extra"`},
		{"output = \"yaml\"\n", "c.toml:1", `output = "yaml" is not allowed`},
		{"color = \"auto\"\n\ncolor = \"never\"\n", "c.toml:3", "invalid TOML"},
		{"# c\ncolor = true\n", "c.toml:2", "color must be a string"},
		{"default_key = \"../etc\"\n", "c.toml:1", "not a key id"},
		{"output = \"text\"\nzzz = 1\naaa = 2\n", "c.toml:2", `unknown setting "zzz"`},
		{"output = \"text\nx\"\n", "c.toml:1", "invalid TOML"},
		{"a.b = 1\n", "c.toml:1", `unknown setting "a"`},
	} {
		_, err := ParseConfig([]byte(tc.in), "c.toml")
		wantCode(t, err, exit.Usage, tc.want)
		var e *exit.Error
		e, _ = err.(*exit.Error)
		if e == nil || e.Where != tc.where {
			t.Errorf("%q: where %q, want %q", tc.in, e.Where, tc.where)
		}
	}
}

func TestConfigStore(t *testing.T) {
	s := newStore(t)
	c, err := s.Config()
	if err != nil || *c != (Config{}) {
		t.Fatal(c, err)
	}
	want := Config{DefaultKey: "k", Policy: "p.toml", Output: "text", Color: "always"}
	if err := s.SaveConfig(&want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Config()
	if err != nil || *got != want {
		t.Fatal(got, err)
	}
	if p := s.PolicyPath(got); p != s.Dir+"/p.toml" {
		t.Fatal(p)
	}
	if err := s.SaveConfig(&Config{Color: "purple"}); exit.CodeOf(err) != exit.Usage {
		t.Fatal("saved a bad value")
	}
	writeRaw(t, s.ConfigPath(), []byte("output = \"text\"\nfoo = 1\n"), 0o600)
	_, err = s.Config()
	wantCode(t, err, exit.Usage, "unknown setting")
	if !strings.HasSuffix(err.(*exit.Error).Where, "config.toml:2") {
		t.Fatal(err)
	}
}
