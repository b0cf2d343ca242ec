package bundletest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Package is a package an SBOM of the ecosystems image must list.
type Package struct {
	Name, Version string
	PURLType      string // the package URL type: deb, golang, pypi, npm
}

// EcosystemPackages are the packages of the image WriteEcosystemsLayout
// makes, as catalogers that read real package databases report them.
var EcosystemPackages = []Package{
	{"base-files", "12.4+deb12u5", "deb"},
	{"tzdata", "2024a-0+deb12u1", "deb"},
	{"github.com/BurntSushi/toml", "v1.6.0", "golang"},
	{"requests", "2.31.0", "pypi"},
	{"left-pad", "1.3.0", "npm"},
}

// EcosystemsCreated is the image config's created time.
const EcosystemsCreated = "2024-01-02T03:04:05Z"

const dpkgStatus = `Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 351
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: tzdata
Status: install ok installed
Priority: required
Section: localization
Installed-Size: 3000
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data

`

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`

const goMain = `package main

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
)

func main() {
	_ = toml.NewEncoder(os.Stdout).Encode(map[string]string{"hello": "world"})
	fmt.Println()
}
`

// BuildGoBinary builds a tiny Go program that links
// github.com/BurntSushi/toml v1.6.0, so that its build information names a
// module: no network (GOPROXY=off), the module must be in the module cache
// (lib requires it, so it is after any build of lib).
func BuildGoBinary(work string) ([]byte, error) {
	src := filepath.Join(work, "hello-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	files := map[string]string{
		"go.mod":  "module example.com/hello\n\ngo 1.22\n\nrequire github.com/BurntSushi/toml v1.6.0\n",
		"main.go": goMain,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(src, n), []byte(c), 0o644); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(work, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod -buildvcs=false", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build of the test program: %v\n%s", err, b)
	}
	return os.ReadFile(out)
}

// WriteEcosystemsLayout writes an OCI layout at dir holding one image,
// tagged tag, whose root file system has a Debian package database
// (EcosystemPackages' deb packages), the Go binary goBinary at
// /usr/local/bin/hello, a Python package's dist-info and an npm package
// under node_modules. It returns the image manifest's digest.
func WriteEcosystemsLayout(dir, tag string, goBinary []byte) (string, error) {
	files := map[string][]byte{
		"etc/os-release":      []byte(osRelease),
		"var/lib/dpkg/status": []byte(dpkgStatus),
		"usr/local/bin/hello": goBinary,
		"usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA": []byte(
			"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\nLicense: Apache 2.0\n\n"),
		"usr/lib/python3/dist-packages/requests-2.31.0.dist-info/RECORD": []byte(
			"requests/__init__.py,sha256=AAAA,100\n"),
		"usr/lib/python3/dist-packages/requests/__init__.py": []byte("__version__ = '2.31.0'\n"),
		"app/package.json": []byte(`{"name": "app", "version": "0.1.0", "dependencies": {"left-pad": "1.3.0"}}` + "\n"),
		"app/node_modules/left-pad/package.json": []byte(
			`{"name": "left-pad", "version": "1.3.0", "license": "WTFPL", "main": "index.js"}` + "\n"),
		"app/node_modules/left-pad/index.js": []byte("module.exports = function leftPad(s) { return s; };\n"),
	}
	tarBytes, err := rootfsTar(files)
	if err != nil {
		return "", err
	}
	return WriteRootfsLayout(dir, tag, tarBytes)
}

// WriteRootfsLayout writes an OCI layout at dir holding one image, tagged
// tag, of one layer: the uncompressed tar rootfs, gzipped (for example a
// Debian root file system that mmdebstrap wrote). It returns the image
// manifest's digest.
func WriteRootfsLayout(dir, tag string, tarBytes []byte) (string, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return "", err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cf = cf.DeepCopy()
	created, _ := time.Parse(time.RFC3339, EcosystemsCreated)
	cf.Created = v1.Time{Time: created}
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"/usr/local/bin/hello"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag})); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// rootfsTar is a deterministic tar of files with their parent folders.
func rootfsTar(files map[string][]byte) ([]byte, error) {
	dirs := map[string]bool{}
	var names []string
	for n := range files {
		names = append(names, n)
		for d := filepath.Dir(n); d != "."; d = filepath.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1700000000, 0)
	for _, n := range names {
		h := &tar.Header{Name: n, ModTime: mtime, Format: tar.FormatPAX}
		if dirs[n] {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		} else {
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(files[n]))
			if n == "usr/local/bin/hello" {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if !dirs[n] {
			if _, err := tw.Write(files[n]); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
