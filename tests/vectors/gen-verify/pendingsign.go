package main

// The vectors of docs/spec/attestations.md §9.5: what the first ct sign
// signs unasked. Each is an unsigned bundle with one pending attestation
// (verify: unsigned, 2, like any unsigned bundle); the extra line
// "sign: signed" or "sign: refused" says what ct sign -k KEY does without
// --sign-pending (refused: exit 64, nothing written). With --sign-pending
// every one is signed.

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/provenance"
)

func pendingSignVectors(dir string) int {
	m, blobs := image("web", "1.0")
	d := m.Image.Digest
	prov, err := provenance.Build(m, provenance.Options{})
	must(err)
	spdx := func(ns string) string {
		return `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"` + ns +
			`","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: ct-sbom-1"]},"packages":[{"SPDXID":"SPDXRef-p1","name":"bash","versionInfo":"5.2"}]}`
	}
	vs := []struct {
		name, sign, what, typ, pred string
	}{
		{"pending-sign-ct-pack-provenance", "signed", "ct pack's provenance of this bundle (checked against manifest.toml)", attest.TypeSLSAProvenanceV1, string(prov)},
		{"pending-sign-ct-sbom", "signed", "an SBOM in ct-sbom's namespace for this bundle", attest.TypeSPDX, spdx(attest.SBOMNamespace(m))},
		{"pending-sign-foreign-provenance", "refused", "SLSA provenance of another builder, build type and source", attest.TypeSLSAProvenanceV1,
			`{"buildDefinition":{"buildType":"https://evil.example/build/v1","externalParameters":{"source":"git+https://evil.example/backdoor"}},"runDetails":{"builder":{"id":"https://trusted-ci.example/builder"}}}`},
		{"pending-sign-ct-builder-other-type", "refused", "SLSA provenance naming ct pack's builder id under another build type", attest.TypeSLSAProvenanceV1, vecSLSA},
		{"pending-sign-foreign-sbom", "refused", "an SPDX SBOM in another namespace (another tool, or one that may hide a package)", attest.TypeSPDX, spdx("https://evil.example/spdx/web")},
		{"pending-sign-other-type", "refused", "a predicate type ct cannot check (a scan a policy may require)", "https://example.com/scan/v1", `{"passed":true}`},
	}
	for _, v := range vs {
		st := statementFor(d, v.typ, v.pred)
		must(os.WriteFile(filepath.Join(dir, v.name+".ctp"), pendBundle(m, blobs, st, v.typ, nil, nil), 0o644))
		exp := fmt.Sprintf("expect: signature-invalid\ncode: 2\ncase: unsigned, with a pending attestation: %s\ntrusted: trusted.pub\nsign: %s\n", v.what, v.sign)
		must(os.WriteFile(filepath.Join(dir, v.name+".expect"), []byte(exp), 0o644))
	}
	return len(vs)
}
