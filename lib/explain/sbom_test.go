package explain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/verify"
)

func sbomVector(t *testing.T, name string) *verify.Report {
	t.Helper()
	k, err := keys.ReadPublicFile(filepath.Join(vectors, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(vectors, name+".ctp"))
	if err != nil {
		t.Fatalf("%v (regenerate: cd tests && go run ./vectors/gen-verify)", err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "--key trusted.pub"}}, KeepPredicates: true}
	return verify.Verify(bytes.NewReader(data), name+".ctp", opts)
}

// The SPDX vector's packages are listed under its trusted signer; the
// predicate is kept only when asked for.
func TestSBOMVector(t *testing.T) {
	rep := sbomVector(t, "attest-valid-spdx")
	d := NewSBOMDoc(rep)
	if len(d.SBOMs) != 1 || !d.SBOMs[0].Valid || !d.SBOMs[0].Trusted || d.SBOMs[0].Document == nil || len(d.SBOMs[0].Packages) == 0 {
		t.Fatalf("doc %+v", d)
	}
	if err := SBOMError(rep, d); err != nil {
		t.Fatalf("SBOMError = %v", err)
	}
	var out bytes.Buffer
	SBOMText(&out, rep, d, Options{})
	noControl(t, out.String())
	for _, want := range []string{"sbom ✓ https://spdx.dev/Document (attestation sha256:", "valid, trusted via --key trusted.pub", "  NAME "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	k, _ := keys.ReadPublicFile(filepath.Join(vectors, "trusted.pub"))
	data, _ := os.ReadFile(filepath.Join(vectors, "attest-valid-spdx.ctp"))
	plain := verify.Verify(bytes.NewReader(data), "x.ctp", verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "x"}}})
	if p := plain.Attestations[0].Predicate; p != nil {
		t.Fatalf("predicate kept without KeepPredicates: %.40s", p)
	}
}

// A bundle without attestations: exit 5, and the text says so.
func TestSBOMNone(t *testing.T) {
	rep := sbomVector(t, "attest-valid-unknown-type")
	d := NewSBOMDoc(rep)
	err := SBOMError(rep, d)
	if exit.CodeOf(err) != exit.MissingAttestation || !strings.Contains(err.Error(), "no SBOM") {
		t.Fatalf("SBOMError = %v, want exit 5", err)
	}
	var out bytes.Buffer
	SBOMText(&out, rep, d, Options{})
	if !strings.Contains(out.String(), "  none: the bundle has no attestation of type https://spdx.dev/Document\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	if b, _ := json.Marshal(d); !bytes.Contains(b, []byte(`"sboms":[]`)) {
		t.Fatalf("JSON %s", b)
	}
}

// An attestation the verifier accepts but whose document cannot be listed
// (a member the listing reads spelt in another case), one that does not
// verify, and hostile text: nothing unescaped, no packages of either.
func TestSBOMNotListed(t *testing.T) {
	head := `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"n\u001b[2J","documentNamespace":"https://x","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]},`
	rep := &verify.Report{Bundle: "b.ctp", Manifest: &bundle.Manifest{Package: bundle.Package{Name: "p\x1b[31m", Version: "1"}},
		Attestations: []verify.Attestation{
			{Digest: "sha256:aa", PredicateType: "https://spdx.dev/Document", Valid: true, Trusted: true, TrustSource: "key store",
				Key:       verify.KeyRef{KeyID: "alice", Suite: "CT-SIG-01", Fingerprint: strings.Repeat("ab", 32)},
				Predicate: json.RawMessage(head + `"packages":[{"SPDXID":"SPDXRef-a","name":"secret","VERSIONINFO":"1"}]}`)},
			{Digest: "sha256:bb", PredicateType: "https://spdx.dev/Document", Problem: "envelope signature \x1b[32mdoes not verify",
				Key: verify.KeyRef{Suite: "CT-SIG-01", Fingerprint: strings.Repeat("cd", 32)}},
			{Digest: "sha256:cc", PredicateType: "https://spdx.dev/Document", Valid: true,
				Key:       verify.KeyRef{Suite: "CT-SIG-01", Fingerprint: strings.Repeat("ef", 32)},
				Predicate: json.RawMessage(head + `"packages":[{"SPDXID":"SPDXRef-b","name":"b\u202eb","versionInfo":"1\u0007"}]}`)},
		}}
	d := NewSBOMDoc(rep)
	if len(d.SBOMs) != 3 || d.SBOMs[0].Document != nil || !strings.Contains(d.SBOMs[0].Problem, `"VERSIONINFO" is not "versionInfo"`) ||
		!d.SBOMs[0].Valid || len(d.SBOMs[0].Packages) != 0 || d.SBOMs[1].Document != nil || d.SBOMs[2].Document == nil {
		t.Fatalf("doc %+v", d)
	}
	var out bytes.Buffer
	SBOMText(&out, rep, d, Options{})
	s := out.String()
	noControl(t, s)
	for _, want := range []string{
		`p\x1b[31m 1: `,
		"  signed by   alice (CT-SIG-01, abab:",
		"  packages    not shown: the document cannot be listed\n",
		`  problem     envelope signature \x1b[32mdoes not verify`,
		"  packages    not shown: the attestation does not verify\n",
		"valid, signer NOT trusted\n  warning     what follows is the claim of a key you do not trust\n",
		`  document    n\x1b[2J (SPDX-2.3, https://x), 1 package`,
		`  b\u202eb  1\x07    -     -`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in\n%s", want, s)
		}
	}
	if strings.Contains(s, "secret") {
		t.Errorf("a package of an unlisted document is shown:\n%s", s)
	}
}
