package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
)

// cmdSPDX is the testscript command for SBOMs, with two forms:
//
//	spdx image DIR TAG        writes an OCI layout at DIR with one image
//	                          tagged TAG: a Debian package database, a Go
//	                          binary (built here, no network), a Python and
//	                          an npm package (bundletest.WriteEcosystemsLayout)
//	spdx check [-list] FILE   checks FILE with readers we did not write: ajv
//	                          against the official SPDX 2.3 JSON schema
//	                          (../shared/schemas/spdx-2.3.schema.json beside the
//	                          clone; draft-07), then spdx/tools-golang v0.5.7's
//	                          JSON reader and an SPDX id check (tests/spdxcheck);
//	                          -list writes NAME VERSION PURL-TYPE per package,
//	                          sorted, to spdx.list in $WORK (for grep).
//
// With `!`, check fails unless FILE is rejected by one of them.
func cmdSPDX(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: spdx image DIR TAG | spdx check [-list] FILE")
	}
	switch args[0] {
	case "image":
		if neg || len(args) != 3 {
			ts.Fatalf("usage: spdx image DIR TAG")
		}
		work := ts.MkAbs(".spdx-image")
		ts.Check(os.MkdirAll(work, 0o755))
		bin, err := bundletest.BuildGoBinary(work)
		ts.Check(err)
		_, err = bundletest.WriteEcosystemsLayout(ts.MkAbs(args[1]), args[2], bin)
		ts.Check(err)
	case "check":
		list := len(args) == 3 && args[1] == "-list"
		if len(args) != 2 && !list {
			ts.Fatalf("usage: spdx check [-list] FILE")
		}
		file := ts.MkAbs(args[len(args)-1])
		root, err := filepath.Abs("../..")
		ts.Check(err)
		ajv := filepath.Join(root, "tests", "tools", "node_modules", ".bin", "ajv")
		if _, err := os.Stat(ajv); err != nil {
			ts.Fatalf("ajv is not installed (%v): run scripts/install-deps.sh", err)
		}
		schema := filepath.Join(root, "..", "shared", "schemas", "spdx-2.3.schema.json")
		if _, err := os.Stat(schema); err != nil {
			ts.Fatalf("no SPDX schema at %s (CI keeps shared/ beside the clone): %v", schema, err)
		}
		out, aerr := exec.Command(ajv, "validate", "--spec=draft7", "-c", "ajv-formats",
			"-s", schema, "-d", file).CombinedOutput()
		if aerr != nil {
			if neg {
				return
			}
			ts.Fatalf("%s does not satisfy the SPDX 2.3 schema:\n%s", args[len(args)-1], out)
		}
		checker := spdxChecker(ts, root)
		cargs := []string{file}
		if list {
			cargs = []string{"-list", file}
		}
		cmd := exec.Command(checker, cargs...)
		stdout, cerr := cmd.Output()
		var stderr []byte
		if e, ok := cerr.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		switch {
		case cerr != nil && !neg:
			ts.Fatalf("spdxcheck %s: %v\n%s", args[len(args)-1], cerr, stderr)
		case cerr == nil && neg:
			ts.Fatalf("%s passes ajv and spdxcheck, but should not", args[len(args)-1])
		}
		if list {
			ts.Check(os.WriteFile(ts.MkAbs("spdx.list"), stdout, 0o644))
		}
	default:
		ts.Fatalf("usage: spdx image DIR TAG | spdx check [-list] FILE")
	}
}

var (
	checkerOnce sync.Once
	checkerPath string
	checkerErr  []byte
)

// spdxChecker builds tests/spdxcheck once, outside the workspace (see its
// package comment), into the e2e binaries' folder.
func spdxChecker(ts *testscript.TestScript, root string) string {
	checkerOnce.Do(func() {
		out := filepath.Join(ts.Getenv("CTBIN"), "spdxcheck")
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = filepath.Join(root, "tests", "spdxcheck")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			checkerErr = append([]byte(err.Error()+"\n"), b...)
			return
		}
		checkerPath = out
	})
	if checkerPath == "" {
		ts.Fatalf("building tests/spdxcheck: %s", checkerErr)
	}
	return checkerPath
}
