package explain

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/verify"
)

// SBOMSchemaID names the JSON kind of ct explain --sbom --json
// (docs/json/sbom-packages.schema.json).
const SBOMSchemaID = "ct.sbom-packages/1"

// SBOMDoc is what ct explain --sbom shows: the packages of every SPDX
// attestation of a bundle, each under the signer the verifier names.
type SBOMDoc struct {
	Schema      string `json:"schema"`
	Bundle      string `json:"bundle"`
	Name        string `json:"name,omitempty"`    // the bundle's package name
	Version     string `json:"version,omitempty"` // and version (its claims)
	ImageDigest string `json:"imageDigest,omitempty"`
	SBOMs       []SBOM `json:"sboms"`
}

// SBOM is one SPDX attestation. Valid, Trusted and TrustSource are the
// verifier's (verify.Attestation). Its document and packages are listed only
// when the attestation is valid (its signer may still be untrusted: Trusted
// says so) and the document can be listed (attest.ListSPDX); otherwise
// Problem says why, Document is absent and Packages is empty.
type SBOM struct {
	Attestation   string               `json:"attestation"`         // the attestation manifest's digest
	Envelope      string               `json:"envelope,omitempty"`  // absent when pending
	Statement     string               `json:"statement,omitempty"` // a pending attestation's statement
	PredicateType string               `json:"predicateType"`
	Key           verify.KeyRef        `json:"key,omitzero"`      // absent when pending
	Pending       bool                 `json:"pending,omitempty"` // unsigned: the next ct sign signs it
	Valid         bool                 `json:"valid"`
	Trusted       bool                 `json:"trusted"`
	TrustSource   string               `json:"trustSource,omitempty"`
	Problem       string               `json:"problem,omitempty"`
	Document      *SPDXDocument        `json:"document,omitempty"`
	Packages      []attest.SPDXPackage `json:"packages"`

	signer string // verify.Attestation.Signer
}

// SPDXDocument names the SPDX document an attestation carries.
type SPDXDocument struct {
	Name              string `json:"name"`
	SPDXVersion       string `json:"spdxVersion"`
	DocumentNamespace string `json:"documentNamespace"`
}

// NewSBOMDoc collects the SPDX attestations of rep, which must have been
// made with verify.Options.KeepPredicates.
func NewSBOMDoc(rep *verify.Report) *SBOMDoc {
	d := &SBOMDoc{Schema: SBOMSchemaID, Bundle: rep.Bundle, ImageDigest: rep.ImageDigest, SBOMs: []SBOM{}}
	if m := rep.Manifest; m != nil {
		d.Name, d.Version = m.Package.Name, m.Package.Version
	}
	for _, a := range rep.Attestations {
		if a.PredicateType != attest.TypeSPDX {
			continue
		}
		s := SBOM{Attestation: a.Digest, Envelope: a.Envelope, Statement: a.Statement, PredicateType: a.PredicateType, Key: a.Key,
			Pending: a.Pending, Valid: a.Valid, Trusted: a.Trusted, TrustSource: a.TrustSource, Problem: a.Problem,
			Packages: []attest.SPDXPackage{}, signer: a.Signer()}
		if a.Valid || (a.Pending && a.Predicate != nil) {
			l, err := attest.ListSPDX(a.Predicate)
			if err != nil { // valid for ct verify, but not listable: say why
				s.Problem = err.Error()
			} else {
				s.Document = &SPDXDocument{Name: l.Name, SPDXVersion: l.SPDXVersion, DocumentNamespace: l.DocumentNamespace}
				s.Packages = l.Packages
			}
		}
		d.SBOMs = append(d.SBOMs, s)
	}
	return d
}

// SBOMError is the outcome of ct explain --sbom once d is shown: nil when
// the bundle has an SPDX attestation (valid or not: the listing says);
// when it has attestations the verifier could not check (the image graph
// was not read intact), the report's error; else exit 5, *missing
// attestation*, the code ct verify gives when a policy requires one that
// is not there.
func SBOMError(rep *verify.Report, d *SBOMDoc) error {
	if len(d.SBOMs) > 0 {
		return nil
	}
	if rep.Manifest != nil && len(rep.Attestations) == 0 {
		for _, b := range rep.Manifest.Blobs {
			if b.Role == bundle.RoleAttestation {
				if err := rep.Err(); err != nil {
					return exit.Wrap(exit.CodeOf(err), err, "the bundle's attestations could not be checked").At(rep.Bundle)
				}
			}
		}
	}
	return exit.New(exit.MissingAttestation, "the bundle has no SBOM: no attestation of type %s", attest.TypeSPDX).At(rep.Bundle).
		WithHint("add one with: ct sbom BUNDLE -k KEY -o BUNDLE (before signing; or ct pack --sbom)")
}

// SBOMText writes d for a person: the bundle's headline, then for each SPDX
// attestation who signed it and whether that verifies and is trusted, and
// its packages as a table (name, version, type, licence). Every string
// from the bundle is escaped.
func SBOMText(w io.Writer, rep *verify.Report, d *SBOMDoc, opts Options) {
	if rep.Manifest == nil { // not a bundle: the usual explanation says why
		Text(w, rep, opts)
		return
	}
	fmt.Fprintf(w, "%s %s: %s\n", esc(rep.Manifest.Package.Name), esc(rep.Manifest.Package.Version), Headline(rep))
	if len(d.SBOMs) == 0 {
		fmt.Fprintln(w, "sbom")
		if err := SBOMError(rep, d); exit.CodeOf(err) != exit.MissingAttestation {
			fmt.Fprintln(w, "  not checked: the bundle's attestations could not be checked (ct explain says why)")
			return
		}
		fmt.Fprintf(w, "  none: the bundle has no attestation of type %s\n", attest.TypeSPDX)
		return
	}
	for _, s := range d.SBOMs {
		mark, state := "✓", "valid, trusted via "+s.TrustSource
		switch {
		case s.Pending && s.Problem == "":
			mark, state = "?", "nobody yet: pending, the next ct sign signs it"
		case !s.Valid:
			mark, state = "✗", "INVALID"
		case !s.Trusted:
			mark, state = "?", "valid, signer NOT trusted"
		}
		color := map[string]string{"✓": "32", "✗": "31", "?": "33"}[mark]
		fmt.Fprintf(w, "sbom %s %s (attestation %s)\n", paint(opts.Color, color, mark), esc(s.PredicateType), esc(s.Attestation))
		if s.Pending && s.Problem == "" {
			fmt.Fprintf(w, "  signed by   %s\n", state)
		} else {
			fmt.Fprintf(w, "  signed by   %s: %s\n", esc(s.signer), esc(state))
		}
		if s.Document == nil {
			fmt.Fprintf(w, "  problem     %s\n", escMsg(s.Problem))
			if s.Valid {
				fmt.Fprintln(w, "  packages    not shown: the document cannot be listed")
			} else {
				fmt.Fprintln(w, "  packages    not shown: the attestation does not verify")
			}
			continue
		}
		if s.Pending {
			fmt.Fprintln(w, "  warning     what follows is unsigned: nobody vouches for it yet")
		} else if !s.Trusted {
			fmt.Fprintln(w, "  warning     what follows is the claim of a key you do not trust")
		}
		fmt.Fprintf(w, "  document    %s (%s, %s), %s\n", esc(s.Document.Name), esc(s.Document.SPDXVersion),
			esc(s.Document.DocumentNamespace), human.Count(len(s.Packages), "package"))
		if len(s.Packages) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tVERSION\tTYPE\tLICENCE")
		cell := func(s string) string {
			if s == "" {
				return "-"
			}
			return esc(s)
		}
		for _, p := range s.Packages {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", cell(p.Name), cell(p.Version), cell(p.Type), cell(p.Licence()))
		}
		tw.Flush()
	}
}
