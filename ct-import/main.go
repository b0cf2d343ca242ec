// Command ct-import installs the bundles of offline archives (or bundle
// files) into a destination, after verifying every one of them.
package main

import (
	"encoding/json"
	"fmt"
	"os"

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
	Detail: `Reads each input (a ct export archive, plain or zstd, or a .ctp bundle) and checks the signatures,
trust and policy of every bundle on its manifest before any blob is read; then stages the blobs
beside the destination, rebuilds every bundle byte for byte and verifies it with the ct verify rules
(content, signatures, trust, policy) BEFORE anything is written. If one bundle fails nothing is installed
(unless --keep-going), and the exit code is that of ct verify for the deciding failure.

Destinations (--to):
  dir:PATH              the .ctp bundles, NAME_VERSION.ctp ('/' written '_', '_' written %5F),
                        byte-identical to the exported ones
  oci:PATH              one OCI image layout, each image tagged NAME:VERSION
  docker-archive:FILE   a docker save style tar for podman load / docker load (layers may be
                        recompressed; a multi-platform bundle contributes its first platform)
  docker://REG/PREFIX   a registry: each bundle is pushed to REG/PREFIX/NAME:VERSION with its own
                        digests (any client pulls the signed image) and the bundle attached (ct fetch)

Keys carried in the archive are trusted only with --trust-included-keys (each is printed) or when
they equal keys already trusted. A delta archive is imported into the destination holding its
base. A destination that is a symbolic link is followed. Imports into one destination take turns
(a lock file .NAME.ct-import.lock beside it). A new destination appears whole or not at all; Ctrl-C
or SIGTERM stops the import and cleans up (exit 11); a killed import leaves at most a hidden
.NAME.ct-import-* folder beside the destination, which the next import removes.

Examples:
  ct import offline.tar --to dir:/srv/bundles --key release.pub
  ct import offline.tar --to oci:/srv/layout --trust-included-keys
  ct import delta.tar.zst --to oci:/srv/layout`,
	ExitCodes: []exit.Code{exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.PolicyRejected,
		exit.MissingAttestation, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Inputs            []string `arg:"" name:"INPUT" help:"Archives (ct export) or bundle files."`
	To                string   `required:"" placeholder:"DEST" help:"Destination: dir:PATH, oci:PATH, docker-archive:FILE or docker://REGISTRY/PREFIX."`
	InsecureRegistry  bool     `help:"Allow plain HTTP and unverified TLS for a non-loopback registry destination."`
	Verify            bool     `default:"true" negatable:"" help:"Verify every bundle before installing (default); --no-verify skips signatures and trust (content is still hashed)."`
	Key               []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable)."`
	Policy            string   `placeholder:"FILE" help:"Enforce this policy.json (default: the policy named in config.toml, if any)."`
	NoStore           bool     `help:"Trust only --key files (and included keys with --trust-included-keys), not the key store."`
	TrustIncludedKeys bool     `help:"Trust the public keys carried in the archive (each is printed), and apply its policy.json when no other is set."`
	KeepGoing         bool     `help:"Install the bundles that verify even when others fail (the exit code still reports the failure)."`
	JSON              bool     `name:"json" help:"Print a report of every bundle as JSON on stdout."`
	Quiet             bool     `short:"q" help:"Print nothing on success."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON)
		ctx, stop := cli.Context()
		defer stop()
		dest, err := archive.ParseDestination(f.To)
		if err != nil {
			return err
		}
		if r, ok := dest.(*archive.RegistryDest); ok {
			r.Push = registrydest.Pusher(source.Options{InsecureRegistry: f.InsecureRegistry, UserAgent: "ct-import/" + cli.Version, Context: ctx})
		}
		setup := verify.Setup{KeyFiles: f.Key, PolicyFile: f.Policy, NoStore: f.NoStore}
		opts, err := setup.Load()
		if err != nil {
			return err
		}
		rep, err := archive.Import(archive.ImportOptions{Inputs: f.Inputs, Dest: dest, Verify: f.Verify, Trust: opts,
			PolicySet: opts.Policy != nil, TrustIncludedKeys: f.TrustIncludedKeys, KeepGoing: f.KeepGoing, Log: logWriter{}, Ctx: ctx})
		if f.JSON && rep != nil {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			e.Encode(rep)
		}
		if err != nil {
			failed := rep.Failed()
			if len(failed) == 0 {
				return err
			}
			cli.PrintError(os.Stderr, command.Name, err)
			for _, o := range failed {
				if o != err {
					fmt.Fprintf(os.Stderr, "ct-import: also: %s\n", termsafe.Escape(o.Error()))
				}
			}
			if exit.CodeOf(err) == exit.KeyNotTrusted && len(rep.IncludedKeys) > 0 && !f.TrustIncludedKeys {
				fmt.Fprintf(os.Stderr, "ct-import: note: the archive carries keys %s; check their fingerprints, then pass --trust-included-keys\n", termsafe.Escape(fmt.Sprint(rep.IncludedKeys)))
			}
			if rep.Installed > 0 {
				fmt.Fprintf(os.Stderr, "ct-import: installed %d of %d bundles into %s (--keep-going)\n", rep.Installed, len(rep.Bundles), dest)
			} else {
				fmt.Fprintf(os.Stderr, "ct-import: nothing was installed into %s\n", dest)
			}
			os.Exit(int(exit.CodeOf(err)))
		}
		if !f.JSON && !f.Quiet {
			for _, b := range rep.Bundles {
				fmt.Printf("%s %s %s\n", cli.Paint(cli.UseColor(os.Stdout), "green", "OK"), termsafe.Escape(b.Bundle), b.ManifestDigest)
			}
			fmt.Printf("imported %d bundles into %s\n", rep.Installed, dest)
		}
		return nil
	})
}

type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	return fmt.Fprintf(os.Stderr, "ct-import: %s", p)
}
