package attest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// A pending attestation is a claim nobody has signed; the first ct sign
// signs it with the key that signs the bundle, so the signer vouches for a
// claim they may never have seen (attestations.md §9.5). ReviewPending says,
// for each, what ct sign can check of it and whether it signs it without
// --sign-pending.

// SBOMNamespaceBase is the prefix of the documentNamespace of every SBOM
// ct-sbom writes (docs/sbom.md); the package name, version and image digest
// follow, so a namespace names one bundle's image.
const SBOMNamespaceBase = "https://cerro-torre.dev/spdx/"

// SBOMNamespace is the documentNamespace ct-sbom gives the SBOM of m's image.
func SBOMNamespace(m *bundle.Manifest) string {
	return SBOMNamespaceBase + url.PathEscape(m.Package.Name) + "/" + url.PathEscape(m.Package.Version) + "/" +
		strings.Replace(m.Image.Digest, ":", "-", 1)
}

// PendingReview is what ct sign shows of one pending attestation before it
// signs it.
type PendingReview struct {
	Digest        string // the pending attestation manifest's digest
	PredicateType string
	// Kind is what the statement is: "ct pack provenance", "ct-sbom SBOM",
	// "SPDX SBOM", "SLSA provenance" or "other".
	Kind string
	// Summary is one line of what it claims (text from the statement:
	// escape it before printing it for humans).
	Summary string
	// Unchecked is set for a claim ct sign neither checks against the
	// bundle nor knows a ct stage to have written: signed only when the
	// signer asks for it (--sign-pending).
	Unchecked bool
}

// ReviewPending checks every pending attestation of list as CheckPending
// does (its error is returned as SignPending returns it) and says what ct
// sign signs by default (attestations.md §9.5):
//
//   - ct pack's provenance (buildType ct-pack/v1), which CheckPending
//     checks field by field against manifest.toml;
//   - an SPDX SBOM whose documentNamespace is the one ct-sbom gives this
//     bundle's image (the pipeline ct-pack | ct-sbom | ct-sign).
//
// Every other pending statement (provenance of another builder, an SBOM of
// another tool, any other predicate type) is Unchecked.
func ReviewPending(m *bundle.Manifest, list []bundle.Attestation) ([]PendingReview, error) {
	out := []PendingReview{}
	for _, a := range list {
		if !a.Pending {
			continue
		}
		st, err := CheckPending(a, m)
		if err != nil {
			return nil, exit.Wrap(exit.CodeOf(err), err, "pending attestation %s (%s) does not hold, so it is not signed", a.Digest, a.PredicateType).
				WithHint("make the attestation again (ct attest, ct-sbom, ct pack) and sign the new bundle")
		}
		out = append(out, ReviewStatement(a, st, m))
	}
	// ct-sbom adds one SBOM to a bundle: when several claim its namespace,
	// at most one is ct-sbom's, and a stranger's copy (one hiding a
	// package, say) would be signed beside it. None is signed unasked.
	var sboms []int
	for i, r := range out {
		if r.Kind == "ct-sbom SBOM" {
			sboms = append(sboms, i)
		}
	}
	if len(sboms) > 1 {
		for _, i := range sboms {
			out[i].Unchecked = true
			out[i].Summary += fmt.Sprintf("; but %d pending SBOMs claim ct-sbom's namespace, and ct-sbom adds one", len(sboms))
		}
	}
	return out, nil
}

// ReviewStatement describes a pending attestation a whose statement st
// CheckPending accepted for m.
func ReviewStatement(a bundle.Attestation, st *Statement, m *bundle.Manifest) PendingReview {
	r := PendingReview{Digest: a.Digest, PredicateType: a.PredicateType, Kind: "other", Unchecked: true,
		Summary: "a claim ct cannot check"}
	switch a.PredicateType {
	case TypeSLSAProvenanceV1:
		var p struct {
			BuildDefinition struct {
				BuildType string `json:"buildType"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID string `json:"id"`
				} `json:"builder"`
			} `json:"runDetails"`
		}
		_ = json.Unmarshal(st.Predicate, &p) // CheckPredicate parsed it
		if ctPackBuilt(st.Predicate) {
			r.Kind, r.Unchecked = "ct pack provenance", false
			r.Summary = fmt.Sprintf("ct pack's provenance of %s, checked against manifest.toml", m.Source.Reference)
			return r
		}
		r.Kind = "SLSA provenance"
		r.Summary = fmt.Sprintf("provenance by builder %q, buildType %q: a claim ct cannot check", p.RunDetails.Builder.ID, p.BuildDefinition.BuildType)
	case TypeSPDX:
		r.Kind = "SPDX SBOM"
		l, err := ListSPDX(st.Predicate)
		if err != nil {
			r.Summary = "an SPDX document ct cannot list: " + err.Error()
			return r
		}
		r.Summary = fmt.Sprintf("SBOM %q, %d packages, namespace %q", l.Name, len(l.Packages), l.DocumentNamespace)
		if l.DocumentNamespace == SBOMNamespace(m) {
			r.Kind, r.Unchecked = "ct-sbom SBOM", false
			r.Summary = fmt.Sprintf("ct-sbom's SBOM of this image, %d packages (not checked against the image: ct explain --sbom lists them)", len(l.Packages))
		}
	}
	return r
}

// UncheckedError is ct sign's refusal of pending attestations it cannot
// check (attestations.md §9.5): exit.Usage naming each, since the signer
// must ask for them.
func UncheckedError(name string, rs []PendingReview) error {
	var lines []string
	for _, r := range rs {
		if r.Unchecked {
			lines = append(lines, fmt.Sprintf("%s %s: %s", r.PredicateType, r.Digest, r.Summary))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return exit.New(exit.Usage, "not signed: the bundle has %d pending attestation(s) that ct sign cannot check, and signing would vouch for them with your key: %s",
		len(lines), strings.Join(lines, "; ")).At(name).
		WithHint("look at them (ct explain --attestations BUNDLE; ct explain --sbom BUNDLE), and sign with --sign-pending only if you vouch for every one; a stage that holds its own key signs its claim itself (ct attest -k KEY)")
}
