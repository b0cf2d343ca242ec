// Command mkdebian prints oci:DIR:TAG of the Debian test image (the root
// file system mmdebstrap installs for bookworm minbase plus hello, one gzip
// layer; tests/harness/debian.go), building it first when the cache has
// none (about 30 s from the Debian mirror; mmdebstrap's progress goes to
// standard error). bench/sbom.sh uses it.
package main

import (
	"fmt"
	"os"

	"github.com/cerro-torre/ct/tests/harness"
)

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkdebian")
		os.Exit(2)
	}
	img, err := harness.BuildDebianImage(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdebian:", err)
		os.Exit(1)
	}
	fmt.Printf("oci:%s:%s\n", img.Layout, harness.DebianTag)
}
