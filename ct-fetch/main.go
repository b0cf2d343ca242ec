// Command ct-fetch gets a bundle back from an OCI registry, byte-identical to
// what ct push stored, and verifies it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/pack"
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

var command = cli.Command{
	Name:    "ct-fetch",
	Summary: "Get a bundle from an OCI registry and verify it",
	Detail: `Resolves REF to its image, finds the bundle artifacts ct push attached to it (referrers API or
referrers tag schema), rebuilds the bundle from them and the image's blobs, byte-identical to the
bundle that was pushed, and verifies it as ct verify does (trust: the key store and --key files;
policy: --policy or config.toml). A bundle that fails verification is not written: the exit code
is the verification's. Specification: docs/spec/registry.md.

Anyone who can push to the repository can attach artifacts, so ct fetch reads the artifacts'
manifests and signatures first (at most 64 referrers), before downloading any layer, and uses only
the artifacts whose signatures verify with a trusted key and pass the policy; it merges their
signatures over their one manifest.toml (co-signers who pushed separately). Every artifact or
signature it ignores is listed on standard error and in --json ("ignored"), with the reason.

Registry redirects, timeouts and response sizes are bounded; the CT_REGISTRY_* environment
variables set the bounds (docs/spec/registry.md §4).

With --create, an image without an attached bundle is packed instead, as ct pack would: named
after the repository and tag, signed with -k KEY or else the key store's default key; without
either ct fetch --create refuses (exit 64) unless --no-sign asks for an unsigned bundle. The
packed bundle is not verified (it comes from the registry, not from a signer), and stderr says so.
Like every bundle ct pack makes, it carries its SLSA v1 provenance as an attestation
(docs/spec/provenance.md), signed with the same key, or pending for ct sign with --no-sign;
--no-provenance leaves it out.
Docker schema 2 images are converted to OCI media types as ct pack does (ct pack --help).

Without -o the bundle goes to standard output; the status line and --json report then go to
standard error. To standard output, or to -o naming a FIFO or device, the bundle is rebuilt and
verified in a temporary file under $TMPDIR first: exit 11 before a layer is downloaded when its
manifest.toml declares more than $TMPDIR has free.

With --verify-only nothing is written and no layer is downloaded: ct fetch chooses the attached
bundle as above, downloads the image's indexes, manifests and configs and the attestations that
its manifest.toml lists, each by digest and checked against it, and verifies them as ct verify
would verify the bundle (signatures, trust, policy, the image graph, attestations, the same exit
codes). The layers are named by digest and size in the verified manifests, so their bytes are not
hashed here: whoever pulls them by digest checks them. The --json report (ct.fetch/1, on
standard output) says "verifyOnly": true and lists the blobs not downloaded.

Examples:
  ct fetch registry.example.com/mirror/nginx:1.26 -o nginx.ctp
  ct fetch localhost:5000/app@sha256:… --key release.pub -o app.ctp
  ct fetch localhost:5000/app:1.0 --no-store --key release.pub > app.ctp
  ct fetch docker.io/library/alpine:3.20 --create -k release -o alpine.ctp
  ct fetch registry.example.com/app:1.0 --verify-only --key release.pub

` + regnet.EnvHelp,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO, exit.Network, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Ref              string   `arg:"" name:"REF" help:"The image: REGISTRY/REPOSITORY[:TAG|@DIGEST]."`
	Output           string   `short:"o" placeholder:"FILE" help:"Write the bundle to FILE (atomically) instead of standard output."`
	Artifact         string   `placeholder:"DIGEST" help:"Use only this bundle artifact (when different bundles are attached)."`
	Key              []string `placeholder:"FILE" help:"Trust this public key file (repeatable)."`
	Policy           string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore          bool     `help:"Trust only --key files, not the key store."`
	NoVerify         bool     `help:"Write the bundle without verifying it (check it later with ct verify)."`
	VerifyOnly       bool     `help:"Verify the attached bundle against what the registry serves, downloading no layer and writing nothing."`
	Create           bool     `help:"If no bundle is attached, pack one from the image."`
	AllPlatforms     bool     `help:"With --create: pack the whole multi-platform index."`
	Platform         string   `placeholder:"OS/ARCH[/VARIANT]" help:"With --create: the platform to pick from an index."`
	SignKey          string   `short:"k" name:"sign-key" placeholder:"KEY" help:"With --create: sign with this key: a key id or fingerprint in the key store, or a private key file (default: the store's default key)."`
	NoSign           bool     `help:"With --create: write an unsigned bundle on purpose."`
	NoProvenance     bool     `name:"no-provenance" help:"With --create: do not put the SLSA v1 provenance attestation into the bundle."`
	PassphraseFile   string   `placeholder:"FILE" help:"With --create: read the signing key's passphrase from FILE."`
	InsecureRegistry bool     `help:"Allow plain HTTP and unverified TLS for a non-loopback registry."`
	Quiet            bool     `short:"q" help:"No progress bar and no summary line."`
	JSON             bool     `name:"json" help:"Print a ct.fetch/1 JSON report (to stdout with -o or --verify-only, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		ctx, stop := cli.Context()
		defer stop()
		if !f.Create && (f.AllPlatforms || f.Platform != "" || f.SignKey != "" || f.NoSign || f.PassphraseFile != "" || f.NoProvenance) {
			return exit.New(exit.Usage, "--all-platforms, --platform, -k, --no-sign, --passphrase-file and --no-provenance apply only with --create").
				WithHint("ct fetch gets the bundle attached to the image as it was pushed; add --create to pack one when none is attached")
		}
		if f.VerifyOnly && (f.Output != "" || f.NoVerify || f.Create) {
			return exit.New(exit.Usage, "--verify-only writes nothing: it does not go with -o, --no-verify or --create").
				WithHint("ct fetch %s --verify-only checks the image in place; drop --verify-only to get the bundle", termsafe.Escape(f.Ref))
		}
		var vopts verify.Options
		if !f.NoVerify {
			var err error
			if vopts, err = (verify.Setup{KeyFiles: f.Key, PolicyFile: f.Policy, NoStore: f.NoStore}).Load(); err != nil {
				return registry.TermSafe(err)
			}
		}
		srcOpts := source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-fetch/" + cli.Version}
		res, rep, err := registry.Fetch(ctx, registry.FetchRequest{
			Ref: f.Ref, Output: f.Output, Stdout: os.Stdout, Artifact: f.Artifact, NoVerify: f.NoVerify,
			Verify: vopts, Sources: srcOpts, Quiet: f.Quiet, VerifyOnly: f.VerifyOnly,
		})
		if err != nil && f.Create && registry.IsNoBundle(err) {
			return registry.TermSafe(create(ctx, f, srcOpts))
		}
		if f.JSON && res != nil {
			printJSON(f, res)
		}
		if !f.JSON && res != nil {
			printIgnored(res.Ignored)
		}
		if err != nil {
			if rep != nil {
				for _, o := range rep.Others() {
					defer fmt.Fprintf(os.Stderr, "ct-fetch: also: %s\n", termsafe.Escape(o.Error()))
				}
			}
			return registry.TermSafe(err)
		}
		if !f.JSON && !f.Quiet && res.VerifyOnly {
			fmt.Fprintf(os.Stderr, "ct-fetch: verified %s@%s: %s %s (%s; %s read, %s not downloaded)\n",
				termsafe.Escape(res.Repository), res.ImageDigest, termsafe.Escape(res.Name), termsafe.Escape(res.Version),
				human.Count(len(res.Signatures), "signature")+registry.ProofCount(res.Proofs), human.Count(int(res.Bytes), "byte"), human.Count(len(res.NotDownloaded), "blob"))
			return nil
		}
		if !f.JSON && !f.Quiet {
			state := "not verified (--no-verify)"
			if res.Verified {
				state = "verified"
			}
			fmt.Fprintf(os.Stderr, "ct-fetch: wrote %s: %s %s %s (%s, %d bytes, %s)\n",
				wrote(res.Path), termsafe.Escape(res.Name), termsafe.Escape(res.Version), res.ImageDigest,
				human.Count(len(res.Signatures), "signature")+registry.ProofCount(res.Proofs), res.Bytes, state)
		}
		return nil
	})
}

// printIgnored says which attached artifacts and signatures were not used
// and why; the reasons carry registry text, so they are escaped.
func printIgnored(ignored []registry.Ignored) {
	for _, ig := range ignored {
		switch {
		case ig.Artifact == "":
			fmt.Fprintf(os.Stderr, "ct-fetch: ignored: %s\n", termsafe.Escape(ig.Reason))
		case ig.Entry != "":
			fmt.Fprintf(os.Stderr, "ct-fetch: ignored %s of artifact %s: %s\n", termsafe.Escape(ig.Entry), termsafe.Escape(ig.Artifact), termsafe.Escape(ig.Reason))
		default:
			fmt.Fprintf(os.Stderr, "ct-fetch: ignored artifact %s: %s\n", termsafe.Escape(ig.Artifact), termsafe.Escape(ig.Reason))
		}
	}
}

func printJSON(f flags, v any) {
	w := outfile.ReportStream(f.Output) // stderr when the bundle goes to stdout (-o -, -o /dev/stdout)
	if f.VerifyOnly {
		w = os.Stdout
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.Encode(v)
}

// wrote names where the bundle went in the status line.
func wrote(path string) string {
	if path == "" || path == "-" {
		return "bundle to standard output"
	}
	return termsafe.Escape(path)
}

// create packs the image when no bundle is attached (--create).
func create(ctx context.Context, f flags, srcOpts source.Options) error {
	key, err := pack.SigningKey(ctx, pack.KeyChoice{SignKey: f.SignKey, NoSign: f.NoSign, PassphraseFile: f.PassphraseFile})
	if err != nil {
		return err
	}
	if !f.Quiet {
		fmt.Fprintf(os.Stderr, "ct-fetch: no bundle attached to %s; packing one from the image (--create)\n", termsafe.Escape(f.Ref))
	}
	srcOpts.UserAgent = "ct-fetch/" + cli.Version
	res, err := pack.Run(ctx, pack.Request{
		Sign: pack.SignFunc(key), Key: key, Provenance: !f.NoProvenance, Source: f.Ref, Output: f.Output, Stdout: os.Stdout, Quiet: f.Quiet, Platform: f.Platform,
		Options: pack.Options{AllPlatforms: f.AllPlatforms, Tool: bundle.Tool{Name: "ct-fetch", Version: cli.Version}},
		Sources: srcOpts,
	})
	if err != nil {
		return err
	}
	m := res.Manifest
	if f.JSON {
		out := registry.FetchResult{Schema: "ct.fetch/1", Path: res.Path, Repository: m.Source.Registry + "/" + m.Source.Repository,
			ImageDigest: m.Image.Digest, ManifestDigest: res.ManifestDigest, Name: m.Package.Name, Version: m.Package.Version,
			Artifacts: []string{}, Signatures: []string{}, Ignored: []registry.Ignored{}, Bytes: res.Bytes, Created: true}
		if key != nil {
			out.Signatures = append(out.Signatures, sig.EntryName(key.Fingerprint()))
		}
		printJSON(f, out)
		return nil
	}
	if !f.Quiet {
		if note := pack.FormatNote(m); note != "" {
			fmt.Fprintf(os.Stderr, "ct-fetch: note: %s\n", note)
		}
		signed := "unsigned (--no-sign)"
		if key != nil {
			signed = "signed by " + termsafe.Escape(key.ID())
		}
		fmt.Fprintf(os.Stderr, "ct-fetch: wrote %s: %s %s %s (packed, %s, not verified)\n",
			wrote(res.Path), termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version), termsafe.Escape(m.Image.Digest), signed)
		for _, a := range res.Attestations {
			fmt.Fprintf(os.Stderr, "ct-fetch: attested %s (%s)\n", termsafe.Escape(a.PredicateType), termsafe.Escape(a.How(key)))
		}
	}
	return nil
}
