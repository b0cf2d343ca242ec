// Command ct-pack wraps an OCI image into a Cerro Torre bundle (.ctp).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/pack"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/signing"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/ttylock"
)

var command = cli.Command{
	Name:    "ct-pack",
	Summary: "Wrap an OCI image into a bundle (.ctp)",
	Detail: `SOURCE is one of:
  REGISTRY/REPO[:TAG|@DIGEST]   an image in a registry; short names expand as docker does
                                (nginx = docker.io/library/nginx:latest); docker:// may prefix it
  oci:DIR[:NAME][@DIGEST]       an OCI image layout directory; NAME is the image's
                                org.opencontainers.image.ref.name: a TAG, or NAME:VERSION as
                                ct import --to oci: writes (oci:DIR:apps/web:1.0)
  oci-archive:FILE[:NAME][@DIGEST]
                                a tar of an OCI image layout (NAME as for oci:)
  docker-archive:FILE[:REF]     what docker save / podman save write

The bundle is deterministic: packing the same source twice gives identical bytes. Layers are
copied as stored, so an OCI image keeps the source's digest.

Docker schema 2 images (what docker push and crane write) are converted to OCI media types,
because skopeo, podman and umoci find a tag in an OCI layout only when it names an OCI manifest:
without it, neither the extracted bundle (tar -x, then skopeo copy oci:DIR:VERSION) nor
ct import --to oci: could be installed. Layer and config bytes stay the same; the manifest (and
index) JSON is rewritten, so the image digest changes. ct-pack prints the old and new digest and
records the old one in manifest.toml as image.source_digest (signed). --keep-docker-format keeps
the source's manifests and digest; such a bundle installs with ct import --to docker:// or
docker-archive:, or ct push, but not from an extracted bundle or an oci: layout with those tools.

An index resolves to the host's
platform unless --platform or --all-platforms says otherwise. Registry credentials come from
the docker and podman config files; plain HTTP is used only for loopback registries unless
--insecure-registry is given.

Examples:
  ct pack docker.io/library/nginx:1.26 -o nginx.ctp
  ct pack oci:./layout:app --name app --version 2.0 -o app.ctp
  ct pack oci:/srv/layout:web:2.0 -o web.ctp     (an image ct import --to oci: installed)
  ct pack localhost:5000/app@sha256:… --all-platforms -o app.ctp
  ct-pack IMG | ct-sign -k KEY > app.ctp
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ct pack IMG -o app.ctp`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO, exit.Network, exit.Cancelled},
}

type flags struct {
	cli.Globals
	Source           string `arg:"" name:"SOURCE" help:"The image to pack (see above)."`
	Output           string `short:"o" placeholder:"FILE" help:"Write the bundle to FILE (atomically) instead of standard output."`
	Name             string `placeholder:"NAME" help:"Package name (default: the repository's last component)."`
	Version          string `placeholder:"VERSION" help:"Package version (default: the tag, else sha256- and 12 hex digits). ct-pack's own version: ct --version."`
	Platform         string `placeholder:"OS/ARCH[/VARIANT]" help:"Platform to pick from a multi-platform image (default: the host's)."`
	AllPlatforms     bool   `help:"Pack the whole multi-platform index."`
	KeepDockerFormat bool   `help:"Keep Docker schema 2 manifests as they are (the source's digest) instead of converting them to OCI; see above for what that limits."`
	Created          string `placeholder:"TIME" help:"Record a creation time: RFC 3339 or 'now' (default: SOURCE_DATE_EPOCH if set, else none)."`
	InsecureRegistry bool   `help:"Allow plain HTTP and unverified TLS for a non-loopback registry."`
	Key              string `short:"k" placeholder:"KEY" help:"Sign with this key (id, fingerprint or private key file); default: the store's default key, if any."`
	NoSign           bool   `help:"Do not sign, even if a default key is configured."`
	PassphraseFile   string `placeholder:"FILE" help:"Read the signing key's passphrase from FILE."`
	Quiet            bool   `short:"q" help:"No progress bar and no summary line."`
	JSON             bool   `name:"json" help:"Print a JSON report (to stdout with -o, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
		ctx, stop := cli.Context()
		defer stop()
		key, err := signer(ctx, f) // nil: unsigned, as the summary line says
		if err != nil {
			return err
		}
		res, err := pack.Run(ctx, pack.Request{
			Sign:   signFunc(key),
			Source: f.Source, Output: f.Output, Stdout: os.Stdout, Quiet: f.Quiet,
			Created: f.Created, Platform: f.Platform,
			Options: pack.Options{Name: f.Name, Version: f.Version, AllPlatforms: f.AllPlatforms, KeepDockerFormat: f.KeepDockerFormat,
				Tool: bundle.Tool{Name: "ct-pack", Version: cli.Version}},
			Sources: source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-pack/" + cli.Version},
		})
		if err != nil {
			return err
		}
		return report(f, res, key)
	})
}

// signer picks the signing key: -k, else the store's default unless --no-sign.
func signer(ctx context.Context, f flags) (*keys.PrivateKey, error) {
	pass := passphrase.Source{File: f.PassphraseFile, Context: ctx}
	switch {
	case f.NoSign && f.Key != "":
		return nil, exit.New(exit.Usage, "-k and --no-sign exclude each other")
	case f.NoSign:
		return nil, nil
	case f.Key != "":
		return signing.LoadKey(f.Key, "", pass)
	}
	k, _, err := signing.DefaultKey("", pass)
	return k, err
}

func signFunc(k *keys.PrivateKey) func([]byte) ([]bundle.Entry, error) {
	if k == nil {
		return nil
	}
	return func(manifest []byte) ([]bundle.Entry, error) {
		e, _, err := sig.BundleEntry(k, manifest)
		return []bundle.Entry{e}, err
	}
}

func report(f flags, res *pack.Result, key *keys.PrivateKey) error {
	signed := "unsigned"
	var signer any
	if key != nil {
		fp := key.Fingerprint()
		signed = fmt.Sprintf("signed by %s (%s, %s)", key.ID(), key.Suite(), fp.Short())
		signer = map[string]string{"id": key.ID(), "suite": key.Suite(), "fingerprint": fp.String()}
	}
	m := res.Manifest
	if f.JSON {
		w := os.Stderr
		if res.Path != "-" {
			w = os.Stdout
		}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(map[string]any{
			"bundle": res.Path, "bytes": res.Bytes, "manifestDigest": res.ManifestDigest,
			"name": m.Package.Name, "version": m.Package.Version, "source": m.Source,
			"image": map[string]any{"digest": m.Image.Digest, "mediaType": m.Image.MediaType, "platform": m.Image.Platform, "platforms": m.Image.Platforms,
				"sourceDigest": m.Image.SourceDigest},
			"blobs": len(m.Blobs), "signer": signer,
		})
	}
	if !f.Quiet {
		if note := pack.FormatNote(m); note != "" {
			fmt.Fprintf(ttylock.Writer(os.Stderr), "ct-pack: note: %s\n", note)
		}
		// Through the terminal lock: in `ct-pack -k A | ct-sign -k B` this line
		// can come while ct-sign asks for its passphrase.
		fmt.Fprintf(ttylock.Writer(os.Stderr), "ct-pack: wrote %s: %s %s %s (%d blobs, %d bytes, %s)\n",
			termsafe.Escape(res.Path), termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version),
			m.Image.Digest, len(m.Blobs), res.Bytes, termsafe.Escape(signed))
	}
	return nil
}
