package e2e

import (
	"go/build"
	"os"
	"path/filepath"
)

// Tools installed with `go install` by scripts/install-deps.sh (oras,
// cosign) live in $(go env GOPATH)/bin, which a fresh machine's PATH may
// lack: the scripts find them there too (after PATH).
func init() {
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	if gopath == "" {
		return
	}
	bin := filepath.Join(filepath.SplitList(gopath)[0], "bin")
	os.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+bin)
}
