package cli

import "testing"

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
