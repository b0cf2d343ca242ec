// Command mksbomimage writes the multi-ecosystem test image of the SBOM
// tests (a Debian package database, a Go binary built here, a Python and
// an npm package; lib/bundle/bundletest) as an OCI layout, without a
// network: mksbomimage [-rootfs TAR] DIR [TAG] (TAG defaults to app). With
// -rootfs, the image is that root file system instead (an uncompressed tar,
// e.g. from mmdebstrap). bench/sbom.sh uses it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
)

func main() {
	rootfs := flag.String("rootfs", "", "an uncompressed root file system tar to use instead")
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		fmt.Fprintln(os.Stderr, "usage: mksbomimage [-rootfs TAR] DIR [TAG]")
		os.Exit(2)
	}
	tag := "app"
	if flag.NArg() == 2 {
		tag = flag.Arg(1)
	}
	d, err := write(flag.Arg(0), tag, *rootfs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksbomimage:", err)
		os.Exit(1)
	}
	fmt.Println(d)
}

func write(dir, tag, rootfs string) (string, error) {
	if rootfs != "" {
		b, err := os.ReadFile(rootfs)
		if err != nil {
			return "", err
		}
		return bundletest.WriteRootfsLayout(dir, tag, b)
	}
	work, err := os.MkdirTemp("", "mksbomimage-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	bin, err := bundletest.BuildGoBinary(work)
	if err != nil {
		return "", err
	}
	return bundletest.WriteEcosystemsLayout(dir, tag, bin)
}
