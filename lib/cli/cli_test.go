package cli

import (
	"errors"
	"testing"

	"github.com/alecthomas/kong"
)

func TestHelpName(t *testing.T) {
	for _, c := range []struct{ name, argv0, want string }{
		{"ct-verify", "ct verify", "ct verify"},
		{"ct-verify", "ct-verify", "ct-verify"},
		{"ct-verify", "/usr/bin/ct-verify", "ct-verify"},
		{"ct-verify", "ct pack", "ct-verify"},
	} {
		if got := HelpName(c.name, c.argv0); got != c.want {
			t.Errorf("HelpName(%q, %q) = %q, want %q", c.name, c.argv0, got, c.want)
		}
	}
}

func TestSubcommandOfParseError(t *testing.T) {
	var f struct {
		AddLog struct {
			Key string `arg:""`
		} `cmd:"" name:"add-log"`
		Key struct {
			Export struct {
				ID string `arg:""`
			} `cmd:""`
		} `cmd:""`
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add-log"}, "add-log"},
		{[]string{"key", "export"}, "key export"},
		{[]string{"--nope"}, ""},
	} {
		p, err := kong.New(&f, kong.Name("ct-x"), kong.Exit(func(int) {}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse(c.args)
		var pe *kong.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%v: %v, want a parse error", c.args, err)
		}
		if got := subcommand(pe.Context); got != c.want {
			t.Errorf("%v: subcommand = %q, want %q", c.args, got, c.want)
		}
	}
	if got := subcommand(nil); got != "" {
		t.Errorf("subcommand(nil) = %q", got)
	}
}
