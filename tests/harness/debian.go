package harness

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
)

// The Debian root file system of the SBOM tests and bench/sbom.sh: what
// mmdebstrap (Debian's own bootstrapper) installs for a minbase bookworm
// plus hello, with SOURCE_DATE_EPOCH set so that the same packages give the
// same tar bytes (two builds here were byte-identical).
const (
	DebianSuite   = "bookworm"
	DebianVariant = "minbase"
	DebianInclude = "hello" // a small package with a version that bookworm will not change (2.10-3)
	DebianEpoch   = "1700000000"
	DebianTag     = "bookworm"
	// debianFormat names how the cache entry is laid out; change it when
	// the entry or the image written from the tar changes.
	debianFormat = "ct-debian-1"
)

// DebianImage is a cached Debian image: Tar is mmdebstrap's uncompressed
// root file system, Layout an OCI layout holding it as one gzip layer,
// tagged DebianTag (bundletest.WriteRootfsLayout), Digest its manifest
// digest. Nothing in the cache entry may be written to.
type DebianImage struct {
	Dir, Tar, Layout, Digest string
}

// DebianMirror is the mirror mmdebstrap downloads from: $CT_TEST_DEBIAN_MIRROR,
// else http://deb.debian.org/debian.
func DebianMirror() string {
	if m := os.Getenv("CT_TEST_DEBIAN_MIRROR"); m != "" {
		return m
	}
	return "http://deb.debian.org/debian"
}

// DebianCacheDir is where built images are kept between runs:
// $CT_TEST_CACHE, else the user cache folder's ct-tests
// ($XDG_CACHE_HOME/ct-tests or ~/.cache/ct-tests).
func DebianCacheDir() (string, error) {
	if d := os.Getenv("CT_TEST_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for the Debian test image (set CT_TEST_CACHE): %v", err)
	}
	return filepath.Join(d, "ct-tests"), nil
}

// BuildDebianImage returns the cached Debian image, building it first when
// the cache has none for this suite, variant, package list, mirror,
// architecture and epoch: mmdebstrap downloads from the mirror (about 30 s
// and 30 MB), and needs root, user namespaces or fakechroot. A new entry
// is written into a temporary folder beside it and renamed into place, so
// a failed or concurrent build never leaves a half entry. logw gets
// mmdebstrap's progress when not nil.
func BuildDebianImage(logw io.Writer) (*DebianImage, error) {
	base, err := DebianCacheDir()
	if err != nil {
		return nil, err
	}
	arch := runtime.GOARCH // Go's and Debian's names agree for amd64 and arm64
	key := strings.Join([]string{debianFormat, DebianSuite, DebianVariant, DebianInclude,
		DebianMirror(), arch, DebianEpoch}, "\n")
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(base, "debian-"+DebianSuite+"-"+hex.EncodeToString(sum[:])[:16])
	img := &DebianImage{Dir: dir, Tar: filepath.Join(dir, "rootfs.tar"), Layout: filepath.Join(dir, "layout")}
	if d, err := os.ReadFile(filepath.Join(dir, "digest")); err == nil {
		img.Digest = strings.TrimSpace(string(d))
		return img, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return nil, fmt.Errorf("mmdebstrap is not installed (run scripts/install-deps.sh): %v", err)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(base, ".building-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	tarPath := filepath.Join(tmp, "rootfs.tar")
	cmd := exec.Command("mmdebstrap", "--mode=auto", "--variant="+DebianVariant, "--include="+DebianInclude,
		"--architectures="+arch, "--format=tar", DebianSuite, tarPath, DebianMirror())
	// With no terminal on standard input and no mirror, mmdebstrap would
	// read sources.list from it; the mirror is given, and stdin is empty.
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+DebianEpoch, "LC_ALL=C.UTF-8")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if logw != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, logw), io.MultiWriter(&out, logw)
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("mmdebstrap %s from %s (the Debian test image; set CT_TEST_DEBIAN_MIRROR for another mirror): %v\n%s",
			DebianSuite, DebianMirror(), err, out.Bytes())
	}
	b, err := os.ReadFile(tarPath)
	if err != nil {
		return nil, err
	}
	digest, err := bundletest.WriteRootfsLayout(filepath.Join(tmp, "layout"), DebianTag, b)
	if err != nil {
		return nil, fmt.Errorf("writing the Debian image: %v", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "digest"), []byte(digest+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Someone else finished first: theirs is as good.
		if d, rerr := os.ReadFile(filepath.Join(dir, "digest")); rerr == nil {
			img.Digest = strings.TrimSpace(string(d))
			return img, nil
		}
		return nil, err
	}
	img.Digest = digest
	return img, nil
}

// DpkgStatus returns the root file system's var/lib/dpkg/status, read from
// the tar mmdebstrap wrote.
func (d *DebianImage) DpkgStatus() ([]byte, error) {
	f, err := os.Open(d.Tar)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s has no var/lib/dpkg/status", d.Tar)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %v", d.Tar, err)
		}
		if strings.TrimPrefix(h.Name, "./") == "var/lib/dpkg/status" && h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
