// Command mksbomimage writes the multi-ecosystem test image of the SBOM
// tests (a Debian package database, a Go binary built here, a Python and
// an npm package; lib/bundle/bundletest) as an OCI layout, without a
// network: mksbomimage DIR [TAG] (TAG defaults to app). bench/sbom.sh uses it.
package main

import (
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: mksbomimage DIR [TAG]")
		os.Exit(2)
	}
	tag := "app"
	if len(os.Args) == 3 {
		tag = os.Args[2]
	}
	work, err := os.MkdirTemp("", "mksbomimage-")
	if err == nil {
		defer os.RemoveAll(work)
		var bin []byte
		if bin, err = bundletest.BuildGoBinary(work); err == nil {
			var d string
			if d, err = bundletest.WriteEcosystemsLayout(os.Args[1], tag, bin); err == nil {
				fmt.Println(d)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksbomimage:", err)
		os.Exit(1)
	}
}
