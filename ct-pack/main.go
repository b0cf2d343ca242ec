// Command ct-pack wraps an OCI image into a Cerro Torre bundle (.ctp).
package main

import (
	"encoding/json"
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/pack"
	"github.com/cerro-torre/ct/lib/regnet"
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
index) JSON is rewritten, so the image digest changes. ct pack prints the old and new digest and
records the old one in manifest.toml as image.source_digest (signed). --keep-docker-format keeps
the source's manifests and digest; such a bundle installs with ct import --to docker:// or
docker-archive:, or ct push, but not from an extracted bundle or an oci: layout with those tools.

Provenance: every bundle carries its SLSA v1 provenance (https://slsa.dev/provenance/v1; build
type https://cerro-torre.dev/ct-pack/v1, defined in docs/spec/provenance.md) as an attestation:
the source reference and the digest it resolved to, the platform(s), --all-platforms,
--keep-docker-format, a Docker conversion, ct's version. It is canonical JSON and reproducible:
its times are SOURCE_DATE_EPOCH (else --created), and without either it has none; nothing of this
machine is in it. It is signed with the key that signs the bundle; in an unsigned bundle
(--no-sign, or into a pipe without a key) it is pending, and the next ct sign signs it with its
own key (docs/spec/attestations.md §9). ct verify checks it against manifest.toml.
--no-provenance leaves it out; --provenance-out FILE also writes the predicate to FILE,
atomically and only when the bundle was written.

SBOM: --sbom also adds the image's SPDX 2.3 SBOM as an attestation (https://spdx.dev/Document):
ct-pack runs the ct-sbom program (found beside ct-pack, else on PATH; ct-pack itself does not
contain syft) on the unsigned bundle in a private temporary folder (TMPDIR), then signs the
result, so the SBOM and the provenance are signed by the packing key. Unsigned (--no-sign, or
into a pipe without a key) they stay pending for ct sign. Without ct-sbom installed, --sbom
fails (exit 11) saying where it looked. See docs/sbom.md.

Supply-chain artifacts: --with-referrers (registry sources) also copies what the registry
attached to the packed image: cosign's sha256-<hex>.sig, .att and .sbom tags and the image's OCI
referrers, each with its blobs, at most 64 manifests, 256 KiB each, blobs of 64 MiB each and
256 MiB in all (more is skipped, and said). They are the source's claims: manifest.toml covers
them, ct verify neither trusts nor counts them, ct explain lists them, and ct push and ct import
--to docker:// attach them again (so cosign verify works at the destination). See
docs/spec/referrers.md.

An index resolves to the host's platform unless --platform or --all-platforms says otherwise.

Signing: the bundle is signed with -k KEY, else with the key store's default key
(ct keygen --id release --default makes one). The signature covers manifest.toml, which names
every blob by digest and records the package name and version, the source and the image digest:
so it vouches for the whole bundle. Without -k and without a default key ct pack refuses
(exit 64). Into a pipe without -k the bundle goes unsigned, even with a default key, because a
later stage signs it (ct-pack IMG | ct-sbom | ct-sign -k KEY > x.ctp: stages that add
attestations refuse signed bundles, and the last stage's key signs the pending provenance and
SBOM too); a note says so. --no-sign writes an unsigned bundle on purpose, to be signed later
with ct sign.

Default names: --name and --package-version set the package name and version. Without them:
  registry REPO:TAG              the repository's last component and TAG (nginx, 1.26)
  docker-archive:FILE            the image's tag in the archive's manifest.json (RepoTags; the
                                 first one when there are several, and ct pack says which)
  oci:DIR:NAME:TAG               NAME's last component and TAG (ct import --to oci: writes these)
  oci:DIR:TAG                    the image's io.containerd.image.name annotation (docker save,
                                 nerdctl), else the directory's name and TAG
  no tag at all                  the version is sha256- and the image digest's first 12 hex digits
For every source but a registry, a note on standard error says where the name and version came
from.

Registry credentials come from the docker and podman config files; plain HTTP is used only for
loopback registries unless --insecure-registry is given. Redirects, timeouts and response sizes
are bounded; the CT_REGISTRY_* environment variables set the bounds (below).

Examples:
  ct keygen --id release --default                     (once: the default signing key)
  ct pack docker.io/library/nginx:1.26 -o nginx.ctp
  ct pack docker-archive:saved.tar -o app.ctp          (name and version from its RepoTags)
  ct pack oci:./layout:app --name app --package-version 2.0 -o app.ctp
  ct pack oci:/srv/layout:web:2.0 -o web.ctp           (an image ct import --to oci: installed)
  ct pack localhost:5000/app@sha256:… --all-platforms -k release -o app.ctp
  ct pack IMG --no-sign | ct sign -k KEY > app.ctp
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ct pack IMG -o app.ctp
  ct pack IMG -o app.ctp --provenance-out app.slsa.json
  ct pack IMG --sbom -k release -o app.ctp               (SBOM and provenance signed by release)

` + regnet.EnvHelp,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.Malformed, exit.IO, exit.Network, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Source           string  `arg:"" name:"SOURCE" help:"The image to pack (see above)."`
	Output           string  `short:"o" placeholder:"FILE" help:"Write the bundle to FILE (atomically) instead of standard output."`
	Name             string  `placeholder:"NAME" help:"Package name (default: the registry repository's last component; see DEFAULT NAMES above)."`
	PackageVersion   *string `name:"package-version" placeholder:"VERSION" help:"Package version (default: the tag, else sha256- and 12 hex digits; see DEFAULT NAMES above)."`
	Platform         string  `placeholder:"OS/ARCH[/VARIANT]" help:"Platform to pick from a multi-platform image (default: the host's); a single image of another platform is refused."`
	AllPlatforms     bool    `help:"Pack the whole multi-platform index."`
	KeepDockerFormat bool    `help:"Keep Docker schema 2 manifests as they are (the source's digest) instead of converting them to OCI; see above for what that limits."`
	Created          string  `placeholder:"TIME" help:"Record a creation time: RFC 3339 or 'now' (default: SOURCE_DATE_EPOCH if set, else none)."`
	InsecureRegistry bool    `help:"Allow plain HTTP and unverified TLS for a non-loopback registry."`
	SignKey          string  `short:"k" name:"sign-key" placeholder:"KEY" help:"Sign with this key: a key id or fingerprint in the key store, or a private key file (default: the store's default key; without one ct pack refuses unless --no-sign)."`
	NoSign           bool    `help:"Write an unsigned bundle on purpose (ct push and ct verify refuse it unless told otherwise)."`
	PassphraseFile   string  `placeholder:"FILE" help:"Read the signing key's passphrase from FILE."`
	ProvenanceOut    string  `name:"provenance-out" placeholder:"FILE" help:"Also write the bundle's SLSA v1 provenance predicate to FILE (atomically); see Provenance above."`
	WithReferrers    bool    `name:"with-referrers" help:"Also copy the image's cosign signatures, attestations and SBOMs and its OCI referrers from the registry into the bundle; see above."`
	NoProvenance     bool    `name:"no-provenance" help:"Do not put the SLSA v1 provenance attestation into the bundle."`
	SBOM             bool    `name:"sbom" help:"Also add the image's SPDX 2.3 SBOM as an attestation, made by the ct-sbom program (beside ct-pack, else on PATH); see SBOM above."`
	Quiet            bool    `short:"q" help:"No progress bar, notes or summary line."`
	JSON             bool    `name:"json" help:"Print a ct.pack/1 JSON report (to stdout with -o, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
		version := ""
		if f.PackageVersion != nil {
			if *f.PackageVersion == "" {
				return exit.New(exit.Usage, "--package-version is empty").
					WithHint("give the package version, e.g. --package-version 1.0, or leave the flag out to take the tag")
			}
			version = *f.PackageVersion
		}
		// A mistyped SOURCE is said before the key is looked for (or its
		// passphrase asked).
		if _, err := source.Parse(f.Source); err != nil {
			return err
		}
		ctx, stop := cli.Context()
		defer stop()
		toPipe := outfile.ToStdout(f.Output) && pack.StdoutIsPipe(os.Stdout) // -o -, or -o /dev/stdout
		key, err := pack.SigningKey(ctx, pack.KeyChoice{SignKey: f.SignKey, NoSign: f.NoSign, PassphraseFile: f.PassphraseFile, Pipe: toPipe})
		if err != nil {
			return err
		}
		if key == nil && !f.NoSign && !f.Quiet {
			fmt.Fprintln(ttylock.Writer(os.Stderr), "ct-pack: note: no -k: the bundle goes unsigned into the pipe, its attestations pending; sign it there: | ct sign -k KEY")
		}
		res, err := pack.Run(ctx, pack.Request{
			Sign: pack.SignFunc(key), Key: key, Provenance: !f.NoProvenance, SBOM: f.SBOM,
			Source: f.Source, Output: f.Output, Stdout: os.Stdout, Quiet: f.Quiet,
			Created: f.Created, Platform: f.Platform, ProvenanceOut: f.ProvenanceOut, WithReferrers: f.WithReferrers,
			Options: pack.Options{Name: f.Name, Version: version, AllPlatforms: f.AllPlatforms, KeepDockerFormat: f.KeepDockerFormat,
				Tool: bundle.Tool{Name: "ct-pack", Version: cli.Version}},
			Sources: source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-pack/" + cli.Version},
		})
		if err != nil {
			return err
		}
		return report(f, res, key)
	})
}

func report(f flags, res *pack.Result, key *keys.PrivateKey) error {
	if f.JSON {
		e := json.NewEncoder(outfile.ReportStream(res.Path))
		e.SetIndent("", "  ")
		return e.Encode(pack.NewReport(res, key))
	}
	if f.Quiet {
		return nil
	}
	// Through the terminal lock: in `ct-pack -k A | ct-sign -k B` these
	// lines can come while ct-sign asks for its passphrase.
	w := ttylock.Writer(os.Stderr)
	m := res.Manifest
	if res.NameNote != "" {
		fmt.Fprintf(w, "ct-pack: note: %s\n", termsafe.Escape(res.NameNote))
	}
	if note := pack.FormatNote(m); note != "" {
		fmt.Fprintf(w, "ct-pack: note: %s\n", note)
	}
	signed := "unsigned (--no-sign)"
	if !f.NoSign {
		signed = "unsigned, for the next stage of the pipe to sign"
	}
	if key != nil {
		signed = fmt.Sprintf("signed by %s (%s, %s)", key.ID(), key.Suite(), key.Fingerprint().Short())
	}
	where := res.Path
	if where == "-" {
		where = "bundle to standard output"
	}
	fmt.Fprintf(w, "ct-pack: wrote %s: %s %s %s (%s, %d bytes, %s)\n",
		termsafe.Escape(where), termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version),
		m.Image.Digest, human.Count(len(m.Blobs), "blob"), res.Bytes, termsafe.Escape(signed))
	if r := res.Referrers; r != nil {
		fmt.Fprintf(w, "ct-pack: copied %s of the source (--with-referrers)\n", human.Count(len(r.Copied), "supply-chain artifact"))
		for _, c := range r.Copied {
			what := c.Role + " " + c.Digest
			if c.Tag != "" {
				what += " (tag " + c.Tag + ")"
			}
			if c.ArtifactType != "" {
				what += " " + termsafe.Escape(c.ArtifactType)
			}
			fmt.Fprintf(w, "  copied   %s\n", what)
		}
		for _, sk := range r.Skipped {
			what := sk.Digest
			if sk.Tag != "" {
				what += " (tag " + sk.Tag + ")"
			}
			if what != "" {
				what += ": "
			}
			fmt.Fprintf(w, "  skipped  %s%s\n", what, termsafe.Escape(sk.Reason))
		}
	}
	for _, a := range res.Attestations {
		fmt.Fprintf(w, "ct-pack: attested %s (%s)\n", termsafe.Escape(a.PredicateType), termsafe.Escape(a.How(key)))
	}
	if res.Provenance != "" {
		fmt.Fprintf(w, "ct-pack: wrote %s: SLSA v1 provenance of %s (source %s)\n",
			termsafe.Escape(res.Provenance), m.Image.Digest, m.Source.Digest)
	}
	return nil
}
