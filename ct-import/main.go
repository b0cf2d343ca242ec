// Command ct-import installs the bundles of offline archives (or bundle
// files) into a destination, after verifying every one of them.
package main

import (
	"encoding/json"
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/archive/registrydest"
	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

var command = cli.Command{
	Name:    "ct-import",
	Summary: "Verify and install the bundles of an offline archive",
	Detail: `An archive (made by ct export, docs/spec/archive.md) is one tar file carrying many signed bundles
across an air gap, each blob once. ct import reads each INPUT (an archive, plain or zstd, or a .ctp
bundle), checks the signatures, trust and policy of every bundle on its manifest before any blob
is read, then stages the blobs beside the destination, rebuilds every bundle byte for byte and
verifies it with the ct verify rules (content, signatures, trust, policy) BEFORE anything is
written. If one bundle fails nothing is installed (unless --keep-going), and the exit code is
that of ct verify for the deciding failure. --dry-run does all of this and installs nothing.
Status goes to stderr; --json prints a ct.import/1 report on stdout.

Destinations (--to):
  dir:PATH              the .ctp bundles, NAME_VERSION.ctp ('/' written '_', '_' written %5F),
                        byte-identical to the exported ones
  oci:PATH              one OCI image layout, each image tagged NAME:VERSION; an existing layout
                        keeps its other images
  docker-archive:FILE   a docker save style tar for podman load / docker load (layers may be
                        recompressed). An existing docker-archive keeps its other images (a
                        file of another kind, or with untagged images, is replaced only with
                        --force). Of a multi-platform bundle, the image of --platform is written:
                        by default this machine's platform, else the bundle's only one
  docker://REG/PREFIX   a registry: each bundle is pushed to REG/PREFIX/NAME:VERSION with its own
                        digests (any client pulls the signed image) and the bundle attached (ct fetch)

Deltas (ct export --since): a delta lacks the blobs its base holds. Import it into the oci: or
dir: destination that already holds its base, or name the base with it:
ct import BASE.tar DELTA.tar --to DEST (this works for every destination). A docker-archive: or
docker:// destination keeps no bundle blobs, so a delta alone cannot be imported there.

Trust: bundles are verified against your key store and --key files. Keys carried in the archive
(ct export --include-keys) are trusted only with --trust-included-keys (each is printed: check
the fingerprints) or when they equal keys already trusted. --no-verify skips signatures and
trust, never content hashes.

A destination that is a symbolic link is followed. Imports into one destination take turns
(a lock file .NAME.ct-import.lock beside it). A new destination appears whole or not at all; Ctrl-C
or SIGTERM stops the import and cleans up (exit 11); a killed import leaves at most a hidden
.NAME.ct-import-* folder beside the destination, which the next import removes.

Examples:
  ct import offline.tar --dry-run --key release.pub
  ct import offline.tar --to dir:/srv/bundles --key release.pub
  ct import offline.tar --to oci:/srv/layout --trust-included-keys
  ct import offline.tar --to docker-archive:images.tar --platform linux/arm64
  ct import offline.tar --to docker://registry.internal:5000/mirror
  ct import delta.tar.zst --to oci:/srv/layout
  ct import offline.tar delta.tar.zst --to docker://registry.internal:5000/mirror`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Inputs            []string `arg:"" name:"INPUT" help:"Archives (ct export) or bundle files."`
	To                string   `placeholder:"DEST" help:"Destination: dir:PATH, oci:PATH, docker-archive:FILE or docker://REGISTRY/PREFIX (required, except with --dry-run)."`
	DryRun            bool     `help:"Verify every bundle (signatures, trust, policy, content) and check the destination would accept them, but install nothing; the exit code is the one a real import would give."`
	Platform          string   `placeholder:"OS/ARCH[/VARIANT]" help:"The image of a multi-platform bundle written to a docker-archive: (default: this machine's platform, else the bundle's only one)."`
	Force             bool     `short:"f" help:"Replace a docker-archive: FILE that is not a docker archive or holds untagged images (other images are always kept)."`
	InsecureRegistry  bool     `help:"Allow plain HTTP and unverified TLS for a non-loopback registry destination."`
	Verify            bool     `default:"true" negatable:"" help:"Verify every bundle before installing (default); --no-verify skips signatures and trust (content is still hashed)."`
	Key               []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable)."`
	Policy            string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore           bool     `help:"Trust only --key files (and included keys with --trust-included-keys), not the key store."`
	TrustIncludedKeys bool     `help:"Trust the public keys carried in the archive (each is printed), and apply its policy.json when no other is set."`
	KeepGoing         bool     `help:"Install the bundles that verify even when others fail (the exit code still reports the failure)."`
	JSON              bool     `name:"json" help:"Print the report (schema ct.import/1) as JSON on stdout, also on failure."`
	Quiet             bool     `short:"q" help:"Print nothing on stderr on success."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		ctx, stop := cli.Context()
		defer stop()
		var dest archive.Destination
		if f.To == "" && !f.DryRun {
			return exit.New(exit.Usage, "no destination").WithHint("name one with --to dir:PATH, oci:PATH, docker-archive:FILE or docker://REGISTRY/PREFIX, or check the inputs only with --dry-run")
		}
		if f.To != "" {
			d, err := archive.ParseDestination(f.To)
			if err != nil {
				return err
			}
			dest = d
		}
		if err := archive.ConfigureDestination(dest, archive.DestinationOptions{Platform: f.Platform, Force: f.Force}); err != nil {
			return err
		}
		if r, ok := dest.(*archive.RegistryDest); ok {
			so := source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-import/" + cli.Version, Context: ctx}
			registrydest.Configure(r, so, func(s string) { fmt.Fprintf(os.Stderr, "ct-import: note: %s\n", termsafe.Escape(s)) })
		}
		setup := verify.Setup{KeyFiles: f.Key, PolicyFile: f.Policy, NoStore: f.NoStore}
		opts, err := setup.Load()
		if err != nil {
			return err
		}
		rep, err := archive.Import(archive.ImportOptions{Inputs: f.Inputs, Dest: dest, Verify: f.Verify, Trust: opts, DryRun: f.DryRun,
			PolicySet: opts.Policy != nil, TrustIncludedKeys: f.TrustIncludedKeys, KeepGoing: f.KeepGoing, Log: logWriter{quiet: f.Quiet}, Ctx: ctx})
		if f.JSON && rep != nil {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			e.Encode(rep)
		}
		where := "into " + f.To
		if dest == nil {
			where = "(no destination given)"
		}
		if err != nil {
			failed := rep.Failed()
			if len(failed) == 0 {
				if f.DryRun {
					cli.PrintError(os.Stderr, command.Name, err)
					fmt.Fprintf(os.Stderr, "ct-import: dry run: nothing was installed\n")
					os.Exit(int(exit.CodeOf(err)))
				}
				return err
			}
			cli.PrintError(os.Stderr, command.Name, err)
			for _, o := range failed {
				if o != err {
					fmt.Fprintf(os.Stderr, "ct-import: also: %s\n", termsafe.Escape(o.Error()))
				}
			}
			if exit.CodeOf(err) == exit.KeyNotTrusted && len(rep.IncludedKeys) > 0 && !f.TrustIncludedKeys {
				var ks []string
				for _, k := range rep.IncludedKeys {
					ks = append(ks, k.String())
				}
				fmt.Fprintf(os.Stderr, "ct-import: note: the archive carries %s %s; check the fingerprints, then pass --trust-included-keys\n",
					human.Noun(len(ks), "key"), termsafe.Escape(strings.Join(ks, ", ")))
			}
			switch {
			case f.DryRun:
				fmt.Fprintf(os.Stderr, "ct-import: dry run: %d of %d %s would fail; nothing was installed\n", len(failed), len(rep.Bundles), human.Noun(len(rep.Bundles), "bundle"))
			case rep.Installed > 0:
				fmt.Fprintf(os.Stderr, "ct-import: installed %d of %d bundles %s (--keep-going)\n", rep.Installed, len(rep.Bundles), termsafe.Escape(where))
			default:
				fmt.Fprintf(os.Stderr, "ct-import: nothing was installed %s\n", termsafe.Escape(where))
			}
			os.Exit(int(exit.CodeOf(err)))
		}
		if f.Quiet || f.JSON { // the report replaces the status lines
			return nil
		}
		ok := cli.Paint(cli.UseColor(os.Stderr), "green", "OK")
		for _, b := range rep.Bundles {
			fmt.Fprintf(os.Stderr, "ct-import: %s %s %s\n", ok, termsafe.Escape(b.Ref()), termsafe.Escape(b.ImageDigest))
		}
		n := len(rep.Bundles)
		if f.DryRun {
			fmt.Fprintf(os.Stderr, "ct-import: dry run: %d %s verified, nothing was installed %s\n", n, human.Noun(n, "bundle"), termsafe.Escape(where))
			return nil
		}
		fmt.Fprintf(os.Stderr, "ct-import: imported %d %s %s\n", rep.Installed, human.Noun(rep.Installed, "bundle"), termsafe.Escape(where))
		return nil
	})
}

// logWriter prints the import's notices on stderr; --quiet keeps only
// warnings and notes a person must read (trusted included keys).
type logWriter struct{ quiet bool }

func (w logWriter) Write(p []byte) (int, error) {
	if w.quiet && !strings.HasPrefix(string(p), "trusting ") {
		return len(p), nil
	}
	return fmt.Fprintf(os.Stderr, "ct-import: %s", p)
}
