package e2e

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdMakeInstall: `makeinstall DESTDIR PREFIX` runs the repository's own
// `make install DESTDIR=… PREFIX=…` (the README's install step), building
// into $WORK/.build so the source tree and the harness's binaries stay as
// they are. It runs with the test process's environment (Go's caches), not
// the script's sandboxed one, since make builds with go.
func cmdMakeInstall(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: makeinstall DESTDIR PREFIX")
	}
	root, err := filepath.Abs("../..")
	ts.Check(err)
	cmd := exec.Command("make", "-s", "-C", root, "install",
		"DESTDIR="+ts.MkAbs(args[0]), "PREFIX="+args[1], "BIN="+filepath.Join(ts.Getenv("WORK"), ".build"))
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("make install: %v\n%s", err, out)
	}
}
