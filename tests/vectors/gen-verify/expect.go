package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/exit"
)

// writeVector writes dir/NAME.EXT (data) and dir/NAME.expect. The code is
// lib/exit's for the expected outcome's name, so a vector cannot name an
// outcome the verifier does not have, nor give it another number. policy
// may be empty (no policy line).
func writeVector(dir, name, ext string, data []byte, expect, what, trusted, policy string) {
	code := -1
	for _, i := range exit.Codes {
		if i.Name == expect || (expect == "valid" && i.Code == exit.OK) {
			code = int(i.Code)
		}
	}
	if code < 0 {
		panic(fmt.Sprintf("vector %s: %q is not an exit code name", name, expect))
	}
	must(os.WriteFile(filepath.Join(dir, name+ext), data, 0o644))
	exp := fmt.Sprintf("expect: %s\ncode: %d\ncase: %s\ntrusted: %s\n", expect, code, what, trusted)
	if policy != "" {
		exp += "policy: " + policy + "\n"
	}
	must(os.WriteFile(filepath.Join(dir, name+".expect"), []byte(exp), 0o644))
}
