package signing

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/provenance"
)

// pend returns the unsigned vector bundle with one pending attestation per
// predicate (type, predicate built from the bundle's manifest).
func pend(t *testing.T, preds ...func(m *bundle.Manifest) (string, []byte)) []byte {
	t.Helper()
	return attestAll(t, nil, preds...)
}

// attestAll returns the unsigned vector bundle with one attestation per
// predicate, signed with k (nil: pending).
func attestAll(t *testing.T, k *keys.PrivateKey, preds ...func(m *bundle.Manifest) (string, []byte)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectors, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := bundle.Check(bytes.NewReader(data), "unsigned.ctp")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range preds {
		typ, pred := p(m)
		var out bytes.Buffer
		if _, err := attest.AddToBundle(bytes.NewReader(data), "in.ctp", &out, attest.AddRequest{Key: k, PredicateType: typ, Predicate: pred}, nil); err != nil {
			t.Fatal(err)
		}
		data = out.Bytes()
	}
	return data
}

func ctPackProvenance(m *bundle.Manifest) (string, []byte) {
	p, err := provenance.Build(m, provenance.Options{})
	if err != nil {
		panic(err)
	}
	return attest.TypeSLSAProvenanceV1, p
}

func spdxWithNamespace(ns string) func(m *bundle.Manifest) (string, []byte) {
	return func(m *bundle.Manifest) (string, []byte) {
		if ns == "" {
			ns = attest.SBOMNamespace(m)
		}
		return attest.TypeSPDX, []byte(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"` + ns + `","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: ct-sbom"]},"packages":[{"SPDXID":"SPDXRef-p1","name":"bash"}]}`)
	}
}

func predicate(typ, p string) func(m *bundle.Manifest) (string, []byte) {
	return func(*bundle.Manifest) (string, []byte) { return typ, []byte(p) }
}

// forgedSLSA names another builder and another source: a stranger's claim.
const forgedSLSA = `{"buildDefinition":{"buildType":"https://evil.example/build/v1","externalParameters":{"source":"git+https://evil.example/backdoor"},"resolvedDependencies":[{"uri":"git+https://evil.example/backdoor","digest":{"sha1":"0000000000000000000000000000000000000000"}}]},"runDetails":{"builder":{"id":"https://trusted-ci.example/builder"}}}`

// TestSignPendingUncheckedRefused: ct sign does not vouch, with the
// signer's key, for a stranger's pending claim it cannot check
// (attestations.md §9.5): provenance of another builder (or naming ct
// pack's builder under another build type, as the pending-unsigned vector
// does), an SBOM that is not ct-sbom's of this image, any other predicate
// type (which a policy's require_attestations would count). Each is
// refused with exit 64 naming it, nothing is written, and --sign-pending
// (Options.SignPending) signs it.
func TestSignPendingUncheckedRefused(t *testing.T) {
	vec, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"foreign provenance":      pend(t, predicate(attest.TypeSLSAProvenanceV1, forgedSLSA)),
		"ct pack builder id only": vec,
		"foreign SBOM":            pend(t, spdxWithNamespace("https://evil.example/spdx/hidden")),
		"any predicate type":      pend(t, predicate("https://example.com/scan/v1", `{"passed":true}`)),
		"checked ones and one other": pend(t, ctPackProvenance, spdxWithNamespace(""),
			predicate("https://example.com/scan/v1", `{"passed":true}`)),
	} {
		for _, stream := range []bool{false, true} {
			var reopen func() (io.ReadCloser, error)
			if !stream {
				reopen = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
			}
			var out bytes.Buffer
			_, err := SignBundle(bytes.NewReader(data), "x.ctp", reopen, &out, alice(t), nil)
			if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "cannot check") || !strings.Contains(exit.HintOf(err), "--sign-pending") {
				t.Errorf("%s: got %v (code %d), want a usage error asking for --sign-pending", name, err, exit.CodeOf(err))
			}
			if out.Len() != 0 {
				t.Errorf("%s: %d bytes written although not signed", name, out.Len())
			}
			out.Reset()
			res, err := SignBundleWith(bytes.NewReader(data), "x.ctp", reopen, &out, alice(t), nil, Options{SignPending: true})
			if err != nil {
				t.Fatalf("%s, --sign-pending: %v", name, err)
			}
			if res.Attested == 0 || len(res.Reviewed) != res.Attested {
				t.Errorf("%s: %d signed, %d reviewed", name, res.Attested, len(res.Reviewed))
			}
			if _, _, err := bundle.Check(bytes.NewReader(out.Bytes()), name); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// TestSignPendingCheckedByDefault: the pipeline ct-pack | ct-sbom | ct-sign
// needs no flag: ct pack's provenance (checked against manifest.toml) and
// ct-sbom's SBOM of this image are signed, and each is described.
func TestSignPendingCheckedByDefault(t *testing.T) {
	data := pend(t, ctPackProvenance, spdxWithNamespace(""))
	var out bytes.Buffer
	res, err := SignBundle(bytes.NewReader(data), "x.ctp", nil, &out, alice(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attested != 2 || len(res.Reviewed) != 2 {
		t.Fatalf("%d signed, reviewed %+v", res.Attested, res.Reviewed)
	}
	kinds := res.Reviewed[0].Kind + "," + res.Reviewed[1].Kind
	if kinds != "ct pack provenance,ct-sbom SBOM" && kinds != "ct-sbom SBOM,ct pack provenance" {
		t.Errorf("kinds %s", kinds)
	}
	for i, r := range res.Reviewed {
		if r.Unchecked || r.Summary == "" {
			t.Errorf("%+v", r)
		}
		// ct sign --json names each by the attestation that replaced it
		if i >= len(res.Signed) || res.Signed[i].PredicateType != r.PredicateType {
			t.Errorf("review %d (%s) and signed %+v are not in the same order", i, r.PredicateType, res.Signed)
		}
	}
	if !strings.Contains(res.Reviewed[0].Summary+res.Reviewed[1].Summary, "1 packages") {
		t.Errorf("the SBOM's summary does not count its packages: %+v", res.Reviewed)
	}
}

// TestSignPendingSameAsAttestingWithKey: signing a bundle with three
// pending attestations gives, byte for byte, the bundle made by attesting
// each with the key and then signing (attestations.md §9.3, determinism),
// from a file and from a stream, and again on a second run.
func TestSignPendingSameAsAttestingWithKey(t *testing.T) {
	preds := []func(m *bundle.Manifest) (string, []byte){ctPackProvenance, spdxWithNamespace(""),
		predicate("https://example.com/scan/v1", `{"passed":true}`)}
	pending := pend(t, preds...)
	data := attestAll(t, alice(t), preds...)
	var want bytes.Buffer
	if _, err := SignBundle(bytes.NewReader(data), "k.ctp", nil, &want, alice(t), nil); err != nil {
		t.Fatal(err)
	}
	for i, stream := range []bool{false, true, false} {
		var reopen func() (io.ReadCloser, error)
		if !stream {
			reopen = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pending)), nil }
		}
		var got bytes.Buffer
		res, err := SignBundleWith(bytes.NewReader(pending), "p.ctp", reopen, &got, alice(t), nil, Options{SignPending: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Attested != 3 {
			t.Errorf("run %d: %d signed", i, res.Attested)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("run %d (stream %v): the signed bundle differs from attesting with the key and signing", i, stream)
		}
	}
}

// TestSignPendingVectors: the pending-sign-* vectors of attestations.md
// §9.5 (tests/vectors/gen-verify/pendingsign.go): "sign: signed" ones are
// signed without --sign-pending, "sign: refused" ones are refused (exit 64,
// nothing written), and every one is signed with it.
func TestSignPendingVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectors, "pending-sign-*.expect"))
	if err != nil || len(files) < 6 {
		t.Fatalf("found %d pending-sign vectors (%v); regenerate them with: cd tests && go run ./vectors/gen-verify", len(files), err)
	}
	seen := map[string]int{}
	for _, f := range files {
		exp, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		for _, line := range strings.Split(string(exp), "\n") {
			if v, ok := strings.CutPrefix(line, "sign: "); ok {
				want = v
			}
		}
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		data, err := os.ReadFile(filepath.Join(vectors, name+".ctp"))
		if err != nil {
			t.Fatal(err)
		}
		seen[want]++
		var out bytes.Buffer
		res, err := SignBundle(bytes.NewReader(data), name, nil, &out, alice(t), nil)
		switch want {
		case "signed":
			if err != nil || res.Attested != 1 || res.Reviewed[0].Unchecked {
				t.Errorf("%s: %v, want it signed unasked", name, err)
			}
		case "refused":
			if exit.CodeOf(err) != exit.Usage || out.Len() != 0 {
				t.Errorf("%s: %v (code %d, %d bytes written), want refused with 64", name, err, exit.CodeOf(err), out.Len())
			}
		default:
			t.Fatalf("%s: sign: %q", name, want)
		}
		out.Reset()
		if _, err := SignBundleWith(bytes.NewReader(data), name, nil, &out, alice(t), nil, Options{SignPending: true}); err != nil {
			t.Errorf("%s with --sign-pending: %v", name, err)
		}
	}
	if seen["signed"] == 0 || seen["refused"] == 0 {
		t.Errorf("vectors by outcome: %v", seen)
	}
}

// TestSignPendingBesideSigned: a pending statement beside the same
// statement already signed (ct attest -k) does not give two attestations
// for one signer: signing with that key only removes the pending one, and
// the bundle is byte for byte the one without it, signed. Another key adds
// its own attestation beside the first signer's, so that each signer's
// attestation is counted for that signer alone.
func TestSignPendingBesideSigned(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	scan := attest.AddRequest{PredicateType: "https://example.com/scan/v1", Predicate: []byte(`{"passed":true}`)}
	var signedOnly, both bytes.Buffer
	withKey := scan
	withKey.Key = alice(t)
	if _, err := attest.AddToBundle(bytes.NewReader(data), "u.ctp", &signedOnly, withKey, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := attest.AddToBundle(bytes.NewReader(signedOnly.Bytes()), "s.ctp", &both, scan, nil); err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	if _, err := SignBundle(bytes.NewReader(signedOnly.Bytes()), "s.ctp", nil, &want, alice(t), nil); err != nil {
		t.Fatal(err)
	}
	res, err := SignBundleWith(bytes.NewReader(both.Bytes()), "b.ctp", nil, &got, alice(t), nil, Options{SignPending: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attested != 1 || !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("alice: %d signed; same bytes as without the pending copy: %v", res.Attested, bytes.Equal(got.Bytes(), want.Bytes()))
	}
	bob, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "bob", bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	got.Reset()
	res, err = SignBundleWith(bytes.NewReader(both.Bytes()), "b.ctp", nil, &got, bob, nil, Options{SignPending: true})
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(got.Bytes()), "bob.ctp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Finish(); err != nil {
		t.Fatal(err)
	}
	signers := map[string]bool{}
	for _, a := range br.Attestations() {
		if a.Pending {
			t.Fatal("a pending attestation is left")
		}
		signers[a.SignerFP] = true
	}
	if len(signers) != 2 || !signers[alice(t).Fingerprint().String()] || !signers[bob.Fingerprint().String()] {
		t.Errorf("signers %v, want alice's and bob's", signers)
	}
}

// TestSignPendingTwoSBOMsInNamespace: a stranger's bundle that already
// holds an SBOM in ct-sbom's namespace (one hiding a package, say), run
// through ct-sbom, has two such SBOMs; ct sign signs neither unasked.
func TestSignPendingTwoSBOMsInNamespace(t *testing.T) {
	hiding := func(m *bundle.Manifest) (string, []byte) {
		return attest.TypeSPDX, []byte(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"` + attest.SBOMNamespace(m) + `","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: ct-sbom"]},"packages":[]}`)
	}
	data := pend(t, ctPackProvenance, hiding, spdxWithNamespace(""))
	var out bytes.Buffer
	_, err := SignBundle(bytes.NewReader(data), "x.ctp", nil, &out, alice(t), nil)
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "2 pending SBOMs claim ct-sbom's namespace") || out.Len() != 0 {
		t.Fatalf("got %v (code %d, %d bytes), want refused", err, exit.CodeOf(err), out.Len())
	}
	if strings.Contains(err.Error(), "slsa") {
		t.Errorf("ct pack's provenance named among the refused: %v", err)
	}
}
