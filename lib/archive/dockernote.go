package archive

import (
	"fmt"
	"strings"

	"github.com/cerro-torre/ct/lib/termsafe"
)

// noteDockerFormat tells, for each bundle just installed into an oci:
// layout whose root is Docker-typed (packed with --keep-docker-format, or by
// a ct older than the conversion of bundle.md §3.1), that OCI-only tools
// cannot read it there, and how to get a bundle they can read.
func noteDockerFormat(opts ImportOptions, installed []*Item) {
	d, ok := opts.Dest.(*OCIDest)
	if !ok {
		return
	}
	for _, it := range installed {
		if !strings.HasPrefix(it.Manifest.Image.MediaType, "application/vnd.docker.") {
			continue
		}
		name := termsafe.Escape(it.Manifest.Package.Name + ":" + it.Manifest.Package.Version)
		fmt.Fprintf(opts.Log, "note: %s is a Docker schema 2 image: skopeo, podman, umoci and other tools that read only OCI media types "+
			"cannot install it from %s; ct pack oci:%s:%s converts it to OCI (a new digest), or import it with --to docker:// or docker-archive:\n",
			name, termsafe.Escape(d.String()), termsafe.Escape(d.Path), name)
	}
}
