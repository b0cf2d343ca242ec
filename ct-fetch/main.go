// Command ct-fetch gets a bundle back from an OCI registry, byte-identical to
// what ct push stored, and verifies it.
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
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/signing"
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

With --create, an image without an attached bundle is packed instead (as ct pack would, signed
with -k if given); the packed bundle is not verified, and stderr says so.

Examples:
  ct fetch registry.example.com/mirror/nginx:1.26 -o nginx.ctp
  ct fetch localhost:5000/app@sha256:… --key release.pub -o app.ctp
  ct fetch docker.io/library/alpine:3.20 --create -o alpine.ctp`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO, exit.Network, exit.Cancelled},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Ref              string   `arg:"" name:"REF" help:"The image: REGISTRY/REPOSITORY[:TAG|@DIGEST]."`
	Output           string   `short:"o" placeholder:"FILE" help:"Write the bundle to FILE (atomically) instead of standard output."`
	Artifact         string   `placeholder:"DIGEST" help:"Use only this bundle artifact (when different bundles are attached)."`
	Key              []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable)."`
	Policy           string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore          bool     `help:"Trust only --key files, not the key store."`
	NoVerify         bool     `help:"Write the bundle without verifying it (check it later with ct verify)."`
	Create           bool     `help:"If no bundle is attached, pack one from the image."`
	AllPlatforms     bool     `help:"With --create: pack the whole multi-platform index."`
	Platform         string   `placeholder:"OS/ARCH[/VARIANT]" help:"With --create: the platform to pick from an index."`
	SignKey          string   `short:"k" name:"sign-key" placeholder:"KEY" help:"With --create: sign with this key (id, fingerprint or private key file)."`
	PassphraseFile   string   `placeholder:"FILE" help:"With --create -k: read the key's passphrase from FILE."`
	InsecureRegistry bool     `help:"Allow plain HTTP and unverified TLS for a non-loopback registry."`
	Quiet            bool     `short:"q" help:"No progress bar and no summary line."`
	JSON             bool     `name:"json" help:"Print a JSON report (to stdout with -o, else to stderr)."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		ctx, stop := cli.Context()
		defer stop()
		if !f.Create && (f.AllPlatforms || f.Platform != "" || f.SignKey != "") {
			return exit.New(exit.Usage, "--all-platforms, --platform and -k apply only with --create")
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
			Verify: vopts, Sources: srcOpts, Quiet: f.Quiet,
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
		if !f.JSON && !f.Quiet {
			state := "not verified (--no-verify)"
			if res.Verified {
				state = "verified"
			}
			fmt.Fprintf(os.Stderr, "ct-fetch: wrote %s: %s %s %s (%d signatures, %d bytes, %s)\n",
				termsafe.Escape(res.Path), termsafe.Escape(res.Package), termsafe.Escape(res.Version), res.ImageDigest, len(res.Signatures), res.Bytes, state)
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
	w := os.Stderr
	if f.Output != "" && f.Output != "-" {
		w = os.Stdout
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.Encode(v)
}

// create packs the image when no bundle is attached (--create).
func create(ctx context.Context, f flags, srcOpts source.Options) error {
	if !f.Quiet {
		fmt.Fprintf(os.Stderr, "ct-fetch: no bundle attached to %s; packing one from the image (--create)\n", termsafe.Escape(f.Ref))
	}
	var sign func([]byte) ([]bundle.Entry, error)
	var key *keys.PrivateKey
	if f.SignKey != "" {
		k, err := signing.LoadKey(f.SignKey, "", passphrase.Source{File: f.PassphraseFile, Context: ctx})
		if err != nil {
			return err
		}
		key = k
		sign = func(manifest []byte) ([]bundle.Entry, error) {
			e, _, err := sig.BundleEntry(k, manifest)
			return []bundle.Entry{e}, err
		}
	}
	srcOpts.UserAgent = "ct-fetch/" + cli.Version
	res, err := pack.Run(ctx, pack.Request{
		Sign: sign, Source: f.Ref, Output: f.Output, Stdout: os.Stdout, Quiet: f.Quiet, Platform: f.Platform,
		Options: pack.Options{AllPlatforms: f.AllPlatforms, Tool: bundle.Tool{Name: "ct-fetch", Version: cli.Version}},
		Sources: srcOpts,
	})
	if err != nil {
		return err
	}
	signed := "unsigned"
	if key != nil {
		signed = "signed by " + termsafe.Escape(key.ID())
	}
	m := res.Manifest
	if f.JSON {
		printJSON(f, map[string]any{"bundle": res.Path, "created": true, "bytes": res.Bytes, "manifestDigest": res.ManifestDigest,
			"package": m.Package.Name, "version": m.Package.Version, "imageDigest": m.Image.Digest, "verified": false})
		return nil
	}
	if !f.Quiet {
		fmt.Fprintf(os.Stderr, "ct-fetch: wrote %s: %s %s %s (packed, %s, not verified)\n",
			termsafe.Escape(res.Path), termsafe.Escape(m.Package.Name), termsafe.Escape(m.Package.Version), termsafe.Escape(m.Image.Digest), signed)
	}
	return nil
}
