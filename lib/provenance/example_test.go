package provenance_test

import (
	"fmt"
	"os"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/provenance"
)

// How the attestation layer uses the package: the packer builds the
// predicate from the manifest it wrote; the verifier, having checked the
// DSSE envelope and that the Statement's predicateType is
// provenance.PredicateType, checks the predicate against the verified
// manifest.toml.
func Example() {
	m := &bundle.Manifest{
		Source: bundle.Source{Reference: "registry.example/apps/web:1.0", Transport: "docker",
			Digest: "sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6"},
		Image: bundle.Image{Platform: "linux/amd64"},
		Tool:  bundle.Tool{Name: "ct-pack", Version: "0.3.0"},
	}
	pred, err := provenance.Build(m, provenance.Options{Time: time.Unix(1700000000, 0)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(string(pred))
	fmt.Println(provenance.Check(pred, m))

	other := *m
	other.Source.Reference = "registry.example/apps/web:2.0"
	err = provenance.Check(pred, &other)
	fmt.Println(exit.CodeOf(err), err)
	// Output:
	// {"buildDefinition":{"buildType":"https://cerro-torre.dev/ct-pack/v1","externalParameters":{"allPlatforms":false,"keepDockerFormat":false,"platform":"linux/amd64","source":"registry.example/apps/web:1.0"},"internalParameters":{"tool":"ct-pack","version":"0.3.0"},"resolvedDependencies":[{"digest":{"sha256":"1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6"},"uri":"registry.example/apps/web:1.0"}]},"runDetails":{"builder":{"id":"https://cerro-torre.dev/ct-pack","version":{"ct":"0.3.0"}},"metadata":{"finishedOn":"2023-11-14T22:13:20Z","startedOn":"2023-11-14T22:13:20Z"}}}
	// <nil>
	// 10 provenance predicate (https://slsa.dev/provenance/v1): buildDefinition.externalParameters.source: "registry.example/apps/web:1.0", but manifest.toml's source.reference is "registry.example/apps/web:2.0"
}
