// Command ct-explain shows a bundle's verification chain for a person.
package main

import (
	"encoding/json"
	"os"

	"github.com/cerro-torre/ct/lib/cli"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/explain"
	"github.com/cerro-torre/ct/lib/verify"
)

var command = cli.Command{
	Name:    "ct-explain",
	Summary: "Explain a bundle: contents, origin, signers, trust, verdict",
	Detail: `Shows the package, where it came from (source reference, registry, digest, platform), its
content (config, layers, sizes, media types), every signature (signer, suite, fingerprint, valid or
not, trusted or not and by which trust source), the policy outcome, and the verdict with the exit
code ct verify would give. On a file (named, or standard input redirected from one: < FILE) it
reads only the manifests and signatures and seeks past the blobs, so a multi-GiB bundle is
explained at once; --verify hashes the blobs as well. From a pipe it reads, and hashes, everything. The verdict
says what was checked: VALID only when the content was hashed too; without --verify it reads
"signatures valid and trusted, content NOT checked (use --verify)". --layers lists the blobs of a
multi-platform index under each platform; --attestations lists the bundle's attestations (type,
signer, valid, trusted).

--sbom shows instead the packages of the bundle's SBOMs (attestations of type
https://spdx.dev/Document, SPDX 2.3) as a table: name, version, type (the package URL's type, else
the SPDX primary package purpose) and licence (licenseConcluded, else licenseDeclared), sorted by
name and version. Each SBOM is headed by its signer as ct verify names it (the trusted key's id and
fingerprint, or only the fingerprint of a key not trusted) and whether it verifies; the packages
of one that does not verify are not shown. With --json it prints a ct.sbom-packages/1 document
(docs/json/README.md).

ct-explain exits 0 when it could explain the bundle, whatever the verdict (use ct verify in
scripts), and 10 or 11 when the bundle cannot be read at all. With --sbom, a bundle without an
SPDX attestation is exit 5 (missing attestation, as in ct verify under a policy that requires one),
after saying so on standard output (and printing the document, with no SBOM, under --json).

Examples:
  ct explain nginx.ctp
  ct explain nginx.ctp --layers --signers
  ct explain nginx.ctp --attestations
  ct explain nginx.ctp --sbom
  ct explain nginx.ctp --policy strict.json --json`,
	ExitCodes: []exit.Code{exit.MissingAttestation, exit.Malformed, exit.IO},
}

type flags struct {
	cli.Globals
	cli.VersionFlag
	Bundle       string   `arg:"" name:"BUNDLE" help:"The bundle to explain; - for standard input."`
	Layers       bool     `help:"List every blob (grouped by platform for a multi-platform index)."`
	Signers      bool     `help:"Show full signer fingerprints."`
	Attestations bool     `help:"List every attestation: predicate type, signer, and whether it verifies and is trusted."`
	SBOM         bool     `name:"sbom" help:"Show the packages of the bundle's SPDX SBOMs (name, version, type, licence) instead; exit 5 if it has none."`
	Verify       bool     `help:"Hash every blob too, as ct verify does."`
	Key          []string `placeholder:"PUBFILE" help:"Trust this public key file (repeatable)."`
	Policy       string   `placeholder:"FILE" help:"Evaluate this policy.json (default: the one named in config.toml)."`
	NoStore      bool     `help:"Trust only --key files, not the key store."`
	JSON         bool     `name:"json" help:"Print the report as JSON on stdout: a ct.verify/1 document (docs/json/verify.schema.json); with --sbom a ct.sbom-packages/1 one."`
}

func main() {
	var f flags
	cli.Main(command, &f, func() error {
		f.JSON = cli.JSON(f.JSON) // or output = "json" in config.toml
		if f.SBOM && (f.Layers || f.Attestations) {
			return exit.New(exit.Usage, "--sbom shows only the SBOMs: it does not combine with --layers or --attestations").
				WithHint("run ct explain twice: once with --sbom, once with the other flags")
		}
		opts, err := verify.Setup{KeyFiles: f.Key, PolicyFile: f.Policy, NoStore: f.NoStore}.Load()
		if err != nil {
			return cli.Escaped(err) // may quote a key or policy file
		}
		opts.KeepPredicates = f.SBOM
		rep := verify.VerifyPath(f.Bundle, opts, verify.PathOptions{SkipContent: !f.Verify})
		var sbom *explain.SBOMDoc
		if f.SBOM {
			sbom = explain.NewSBOMDoc(rep)
		}
		switch {
		case f.SBOM && f.JSON:
			json.NewEncoder(os.Stdout).Encode(sbom) // ct.sbom-packages/1, one line
		case f.SBOM:
			explain.SBOMText(os.Stdout, rep, sbom, explain.Options{Color: cli.UseColor(os.Stdout)})
		case f.JSON:
			json.NewEncoder(os.Stdout).Encode(rep) // ct.verify/1, one line
		default:
			explain.Text(os.Stdout, rep, explain.Options{Layers: f.Layers, Signers: f.Signers, Attestations: f.Attestations, Color: cli.UseColor(os.Stdout)})
		}
		if c := exit.Code(rep.Code); c == exit.Malformed || c == exit.IO {
			if err := rep.Err(); err != nil && rep.Manifest == nil {
				return cli.Escaped(err) // not a bundle, or unreadable: say why
			}
			return cli.Escaped(exit.New(c, "the bundle cannot be fully read").At(f.Bundle))
		}
		if f.SBOM {
			return cli.Escaped(explain.SBOMError(rep, sbom))
		}
		return nil
	})
}
