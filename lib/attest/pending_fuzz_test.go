package attest

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/provenance"
)

// FuzzPendingStatement feeds a stranger's pending statement (attestations.md
// §9.2) to what every reader and ct sign run on it: CheckPending and
// ReviewPending (§9.5). They never panic, fail only as malformed (10), and
// a statement that holds is described; ct sign signs unasked only ct
// pack's provenance and ct-sbom's SBOM of this image.
func FuzzPendingStatement(f *testing.F) {
	m := testManifest()
	m.Source = bundle.Source{Reference: "registry.example/team/web:1.0", Digest: "sha256:" + strings.Repeat("cd", 32)}
	m.Image.Platform = "linux/amd64"
	prov, err := provenance.Build(m, provenance.Options{})
	if err != nil {
		f.Fatal(err)
	}
	spdx := `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"` + SBOMNamespace(m) + `","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: ct-sbom"]},"packages":[{"SPDXID":"SPDXRef-p1","name":"bash","versionInfo":"5.2","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/bash@5.2"}]}]}`
	for _, p := range []struct{ typ, pred string }{
		{TypeSLSAProvenanceV1, string(prov)},
		{TypeSLSAProvenanceV1, slsa},
		{TypeSPDX, spdx},
		{TypeSPDX, strings.Replace(spdx, "cerro-torre.dev", "evil.example", 1)},
		{"https://example.com/scan/v1", `{"passed":true}`},
	} {
		st, err := NewStatement(m, p.typ, []byte(p.pred))
		if err != nil {
			f.Fatal(err)
		}
		b, err := st.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, p.typ)
	}
	f.Fuzz(func(t *testing.T, data []byte, typ string) {
		a := bundle.Attestation{Digest: bundle.Digest(data), PredicateType: typ, Pending: true, EnvelopeData: data}
		st, err := CheckPending(a, m)
		rs, rerr := ReviewPending(m, []bundle.Attestation{a})
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Malformed {
				t.Fatalf("code %d: %v", c, err)
			}
			if rerr == nil || exit.CodeOf(rerr) != exit.Malformed {
				t.Fatalf("CheckPending failed (%v) but ReviewPending gave %v", err, rerr)
			}
			return
		}
		if rerr != nil || len(rs) != 1 {
			t.Fatalf("ReviewPending: %v, %d reviews", rerr, len(rs))
		}
		r := rs[0]
		if r.Summary == "" || r.PredicateType != st.PredicateType {
			t.Fatalf("review %+v", r)
		}
		if !r.Unchecked {
			if ok := (st.PredicateType == TypeSLSAProvenanceV1 && ctPackBuilt(st.Predicate)) ||
				(st.PredicateType == TypeSPDX && strings.Contains(string(st.Predicate), SBOMNamespace(m))); !ok {
				t.Fatalf("signed unasked: %+v", r)
			}
		}
		if err := UncheckedError("x.ctp", rs); (err != nil) != r.Unchecked {
			t.Fatalf("UncheckedError %v for %+v", err, r)
		}
	})
}
