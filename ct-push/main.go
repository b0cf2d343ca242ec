// Command ct-push stores a bundle in an OCI registry: the image itself, and
// the bundle's manifest and signatures attached to it as an OCI artifact.
package main

import (
	"encoding/json"
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
)

var command = cli.Command{
	Name:    "ct-push",
	Summary: "Store a bundle in an OCI registry (image + attached signatures)",
	Detail: `Reads BUNDLE once and checks it completely (a damaged bundle is refused before anything is
sent) and that every signature in it verifies over its manifest.toml (trust is not needed: the
registry is a transport, ct fetch decides trust); an unsigned bundle is refused unless
--allow-unsigned is given. It then pushes the image's blobs and manifests to REF's repository with their exact bytes, so
the image keeps its digest and any client can pull it. REF's tag is set to the image; when
REF names no tag, the bundle's package version is the tag (not latest), so that
ct fetch REPO:VERSION finds it again. The bundle's manifest.toml and signatures are then attached to the image as an OCI artifact
(artifactType application/vnd.cerro-torre.bundle.v1), through the referrers API or, on registries
without it, the referrers tag schema (tag sha256-<hex>). ct fetch rebuilds the identical bundle.
Specification: docs/spec/registry.md.

The bundle's attestations (ct attest, ct pack's provenance) are pushed before the bundle artifact
as OCI referrers of the image (artifactType application/vnd.dsse.envelope.v1+json), so that
oras discover and cosign tree --registry-referrers-mode=oci-1-1 list them. The source's cosign
signatures, attestations and SBOMs and OCI referrers that ct pack --with-referrers copied are
attached again: cosign's under their sha256-<hex>.sig/.att/.sbom tags (a tag that already holds
another manifest is kept, with a note), so cosign verify works here as at the source; the others
as referrers. Specification: docs/spec/referrers.md.

Only the image as bundled is pushed (one platform, or the whole index if it was packed with
--all-platforms): ct push chooses nothing, so it has no --platform.

Registry credentials come from the docker and podman config files; plain HTTP is used only for
loopback registries unless --insecure-registry is given. Redirects, timeouts and response sizes are
bounded; the CT_REGISTRY_* environment variables set the bounds (below; docs/spec/registry.md §4).

Examples:
  ct push nginx.ctp registry.example.com/mirror/nginx:1.26
  ct push app.ctp localhost:5000/app             (tag: the bundle's version)
  ct push app.ctp localhost:5000/app@sha256:…    (no tag; the digest must be the bundle's image)
  ct pack IMG -k KEY | ct push - localhost:5000/app:1.0

` + regnet.EnvHelp,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.Malformed, exit.IO, exit.Network},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle           string `arg:"" name:"BUNDLE" help:"The bundle to push; - for standard input (copied to a temporary file under TMPDIR first, unless redirected from a file: < FILE is read in place)."`
	Ref              string `arg:"" name:"REF" help:"Where to push: REGISTRY/REPOSITORY[:TAG|@DIGEST] (no tag: the bundle's version)."`
	InsecureRegistry bool   `help:"Allow plain HTTP and unverified TLS for a non-loopback registry."`
	AllowUnsigned    bool   `help:"Push a bundle that has no signature (refused otherwise)."`
	Quiet            bool   `short:"q" help:"No progress bar and no summary line."`
	JSON             bool   `name:"json" help:"Print a ct.push/1 JSON report on stdout."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		ctx, stop := cli.Context()
		defer stop()
		res, err := registry.Push(ctx, registry.PushRequest{
			Bundle: f.Bundle, Stdin: os.Stdin, Ref: f.Ref, Quiet: f.Quiet, AllowUnsigned: f.AllowUnsigned,
			Sources: source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-push/" + cli.Version},
		})
		if err != nil {
			return registry.TermSafe(err)
		}
		if f.JSON {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			return e.Encode(res)
		}
		if !f.Quiet {
			at := res.Repository + "@" + res.ImageDigest
			if res.Tag != "" {
				at = res.Repository + ":" + res.Tag + " (" + res.ImageDigest + ")"
			}
			if res.TagFromVersion {
				at += "; tag from the bundle's version, give REPOSITORY:TAG to choose"
			}
			att := ""
			if n := len(res.Attestations); n > 0 {
				att = "; " + human.Count(n, "attestation") + " attached as referrers"
			}
			if n := len(res.Referrers); n > 0 {
				att += "; " + human.Count(n, "supply-chain artifact") + " of the source attached again"
			}
			fmt.Fprintf(os.Stderr, "ct-push: pushed %s %s to %s; bundle attached as %s (%s)%s\n",
				termsafe.Escape(res.Name), termsafe.Escape(res.Version), termsafe.Escape(at), res.ArtifactDigest,
				human.Count(len(res.Signatures), "signature")+registry.ProofCount(res.Proofs), att)
			for _, r := range res.Referrers {
				if r.Kept != "" {
					fmt.Fprintf(os.Stderr, "ct-push: note: tag %s already holds %s; kept it (it may carry the destination's own signatures), so the bundle's %s %s is stored by digest only, untagged\n",
						r.Tag, r.Kept, r.Role, r.Digest)
				}
			}
		}
		return nil
	})
}
