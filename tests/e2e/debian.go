package e2e

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/tests/harness"
)

// cmdDebian is the testscript command for the real Debian image:
//
//	debian DIR   writes DIR/layout, an OCI layout with one image tagged
//	             bookworm: the root file system mmdebstrap installs for
//	             bookworm minbase plus hello (harness.BuildDebianImage; built
//	             on first use, about 30 s from the Debian mirror, then taken
//	             from the cache outside the repository), and DIR/dpkg/status,
//	             that root file system's var/lib/dpkg/status, so that
//	             dpkg-query --admindir=DIR/dpkg can list its packages.
//
// It sets DEBIAN_HEX to the hex of the image's manifest digest (sha256).
func cmdDebian(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: debian DIR")
	}
	img, err := harness.BuildDebianImage(nil)
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(copyTree(img.Layout, filepath.Join(dir, "layout")))
	status, err := img.DpkgStatus()
	ts.Check(err)
	ts.Check(os.MkdirAll(filepath.Join(dir, "dpkg"), 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, "dpkg", "status"), status, 0o644))
	ts.Setenv("DEBIAN_HEX", strings.TrimPrefix(img.Digest, "sha256:"))
}

// copyTree copies the regular files and folders under src to dst (a copy,
// not links: the cache must stay as it is whatever a script does).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
