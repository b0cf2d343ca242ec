package cli

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/cerro-torre/ct/lib/keys"
	"golang.org/x/term"
)

// settings are the user's defaults from config.toml in the key store, read
// once and never creating the store. A config.toml with an error is
// reported when a command needs it (key commands, signing); here it is
// ignored so that a typo there cannot stop ct verify.
var settings = sync.OnceValue(func() keys.Config {
	dir, err := keys.DefaultStoreDir()
	if err != nil {
		return keys.Config{}
	}
	data, err := os.ReadFile(dir + "/" + keys.ConfigFile)
	if err != nil {
		return keys.Config{}
	}
	c, err := keys.ParseConfig(data, dir+"/"+keys.ConfigFile)
	if err != nil || c == nil {
		return keys.Config{}
	}
	return *c
})

// JSON reports whether a command prints JSON: --json, or output = "json" in
// config.toml.
func JSON(flag bool) bool { return flag || settings().Output == "json" }

var colorMode = "auto"

// UseColor reports whether output to f gets colour, from --color, then
// config.toml's color, then auto: a terminal and NO_COLOR unset.
func UseColor(f *os.File) bool {
	mode := colorMode
	if mode == "auto" && settings().Color != "" {
		mode = settings().Color
	}
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// Paint wraps s in an ANSI colour (red, green, yellow, bold) when on is set.
func Paint(on bool, color, s string) string {
	if !on {
		return s
	}
	codes := map[string]string{"red": "31", "green": "32", "yellow": "33", "bold": "1"}
	return "\x1b[" + codes[color] + "m" + s + "\x1b[0m"
}

// Context is cancelled on Ctrl-C or SIGTERM, so that a command stops
// reading and its deferred clean-up removes temporary and partial files.
// Only the first signal is caught: a command blocked where it cannot see
// the context (a read of a stalled pipe) would otherwise swallow every
// further Ctrl-C, so a second one ends the process as it would any program
// (its temporary files may then be left, as the user chose).
func Context() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
