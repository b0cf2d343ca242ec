// Command mksample writes the built-in sample images (the test images of
// tests/harness) as one OCI image layout, for `make demo` and for trying ct
// without a network: tags multi, index, zstd and docker.
package main

import (
	"fmt"
	"os"

	"github.com/cerro-torre/ct/tests/harness"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mksample DIR   (DIR must not exist or be empty)")
		os.Exit(64)
	}
	imgs, err := harness.BuildImages(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksample: error:", err)
		os.Exit(1)
	}
	for _, t := range harness.SortedTags(imgs) {
		fmt.Printf("oci:%s:%s\t%s\n", os.Args[1], t, imgs[t].Digest)
	}
}
