package main

// The vectors of docs/spec/attestations.md §8: bundles with attestations,
// valid in every suite, and one per MUST-reject of §2, §4 and §7. Every
// bundle's own signature is valid and trusted, so the attestation (or the
// policy's require_attestations) decides.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
)

const (
	vecSLSA = `{"buildDefinition":{"buildType":"https://cerro-torre.dev/pack/v1","externalParameters":{"source":"registry.example/team/web:1.0"},"resolvedDependencies":[{"uri":"registry.example/team/web","digest":{"sha256":"00"}}]},"runDetails":{"builder":{"id":"https://cerro-torre.dev/ct-pack"}}}`
	vecSPDX = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"https://cerro-torre.dev/spdx/web","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: gen-verify"]},"packages":[{"SPDXID":"SPDXRef-Package-busybox","name":"busybox","versionInfo":"1.36"}]}`
)

// statementFor returns a statement payload about image digest d.
func statementFor(d, predicateType, predicate string) []byte {
	st := attest.Statement{Type: attest.StatementType, Subject: []attest.Subject{{Name: "web", Digest: map[string]string{"sha256": strings.TrimPrefix(d, "sha256:")}}},
		PredicateType: predicateType, Predicate: json.RawMessage(predicate)}
	b, err := st.Encode()
	must(err)
	return b
}

// envelopeOf re-encodes an envelope after edit, exactly as a writer would
// spell the edited members.
func envelopeOf(env []byte, edit func(e map[string]any)) []byte {
	var e map[string]any
	must(json.Unmarshal(env, &e))
	edit(e)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Member order as a writer writes it, then any extra member.
	b.WriteString(`{"payloadType":`)
	must(enc.Encode(e["payloadType"]))
	b.Truncate(b.Len() - 1)
	b.WriteString(`,"payload":`)
	must(enc.Encode(e["payload"]))
	b.Truncate(b.Len() - 1)
	b.WriteString(`,"signatures":`)
	must(enc.Encode(e["signatures"]))
	b.Truncate(b.Len() - 1)
	for k, v := range e {
		if k != "payloadType" && k != "payload" && k != "signatures" {
			fmt.Fprintf(&b, `,%q:`, k)
			must(enc.Encode(v))
			b.Truncate(b.Len() - 1)
		}
	}
	b.WriteString("}")
	return b.Bytes()
}

func signEnv(k *keys.PrivateKey, payload []byte) []byte {
	env, err := attest.Sign(k, payload)
	must(err)
	return env
}

// attBundle returns a bundle of m with the given envelope attached; am
// edits the attestation manifest's bytes (nil: as the writer writes it),
// signer names the envelope's signer in the annotations.
func attBundle(m *bundle.Manifest, blobs map[string][]byte, env []byte, predicateType string, signer *keys.PublicKey,
	am func([]byte) []byte, mf func(*bundle.Manifest), signers ...*keys.PrivateKey) []byte {
	a, err := bundle.AttestationManifest(m, bundle.Digest(env), int64(len(env)), predicateType, attest.Signer(signer))
	must(err)
	return withArtifact(m, blobs, env, a, bundle.AddAttestation, am, mf, signers...)
}

// withArtifact returns a bundle of m with one more artifact: the layer and
// its manifest a (edited by am when not nil), listed by add, the manifest
// edited by mf before writing.
func withArtifact(m *bundle.Manifest, blobs map[string][]byte, layer, a []byte,
	add func(*bundle.Manifest, []byte, []byte) (*bundle.Manifest, error),
	am func([]byte) []byte, mf func(*bundle.Manifest), signers ...*keys.PrivateKey) []byte {
	if am != nil {
		a = am(a)
	}
	m2, err := add(m, layer, a)
	must(err)
	if mf != nil {
		mf(m2)
	}
	b2 := map[string][]byte{bundle.Digest(layer): layer, bundle.Digest(a): a, bundle.EmptyDigest: bundle.EmptyConfig}
	for d, b := range blobs {
		b2[d] = b
	}
	return write(m2, b2, signers...)
}

func attestVectors(dir string, alice, mallory, pq *keys.PrivateKey) int {
	ml := key(keys.SuiteMLDSA87, "alice-ml", 4)
	pub, err := keys.EncodePublic(ml.Public())
	must(err)
	must(os.WriteFile(filepath.Join(dir, "trusted-ml.pub"), pub, 0o644))
	for name, p := range map[string]string{
		"attest-require-slsa.json":        `{"version": 1, "require_attestations": ["slsa-provenance"]}`,
		"attest-require-spdx.json":        `{"version": 1, "require_attestations": ["https://slsa.dev/provenance/v1", "spdx"]}`,
		"attest-require-slsa-by-bob.json": `{"version": 1, "require_attestations": [{"type": "https://slsa.dev/provenance/v1", "signers": ["bob"]}]}`,
		"attest-require-slsa-denied.json": `{"version": 1, "signers": {"denied": ["alice"], "threshold": 1}, "require_attestations": ["slsa-provenance"]}`,
	} {
		must(os.WriteFile(filepath.Join(dir, name), []byte(p), 0o644))
	}

	m, blobs := image("web", "1.0")
	d := m.Image.Digest
	slsa := statementFor(d, attest.TypeSLSAProvenanceV1, vecSLSA)
	good := signEnv(alice, slsa)
	ok := func(env []byte, pt string, signer *keys.PrivateKey) []byte {
		return attBundle(m, blobs, env, pt, signer.Public(), nil, nil, alice)
	}
	flipSig := func(env []byte, i int) []byte {
		return envelopeOf(env, func(e map[string]any) {
			s := e["signatures"].([]any)[0].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(s["sig"].(string))
			raw[i] ^= 1
			s["sig"] = base64.StdEncoding.EncodeToString(raw)
		})
	}
	// The Ed25519 half of a hybrid envelope, as a CT-SIG-01 signature by
	// the Ed25519 half of the key.
	hy := signEnv(pq, slsa)
	half, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "half", pq.Seed()[:32])
	must(err)
	stripped := envelopeOf(hy, func(e map[string]any) {
		s := e["signatures"].([]any)[0].(map[string]any)
		raw, _ := base64.StdEncoding.DecodeString(s["sig"].(string))
		s["sig"], s["keyid"] = base64.StdEncoding.EncodeToString(raw[:64]), ""
	})
	other, _ := image("web", "2.0-other")
	_ = other
	otherDigest := "sha256:" + strings.Repeat("0f", 32)
	badSLSA := strings.Replace(vecSLSA, `"builder":{"id":"https://cerro-torre.dev/ct-pack"}`, `"builder":{}`, 1)
	badSPDX := strings.Replace(vecSPDX, `"documentNamespace":"https://cerro-torre.dev/spdx/web",`, "", 1)
	twoSubjects := bytes.Replace(slsa, []byte(`}}],`), []byte(`}},{"name":"other","digest":{"sha256":"`+strings.Repeat("0f", 32)+`"}}],`), 1)
	unknownMember := bytes.Replace(slsa, []byte(`{"_type"`), []byte(`{"comment":"x","_type"`), 1)

	type v struct {
		name, expect, trusted, policy, what string
		data                                []byte
	}
	vs := []v{
		{"attest-valid-ct-sig-01", "valid", "trusted.pub", "", "an SLSA v1 attestation signed with CT-SIG-01 by the trusted key", ok(good, attest.TypeSLSAProvenanceV1, alice)},
		{"attest-valid-ct-sig-02", "valid", "trusted-pq.pub", "", "an SLSA v1 attestation and the bundle signed with CT-SIG-02 by the trusted key",
			attBundle(m, blobs, hy, attest.TypeSLSAProvenanceV1, pq.Public(), nil, nil, pq)},
		{"attest-valid-ct-sig-03", "valid", "trusted-ml.pub", "", "an SLSA v1 attestation and the bundle signed with CT-SIG-03 by the trusted key",
			attBundle(m, blobs, signEnv(ml, slsa), attest.TypeSLSAProvenanceV1, ml.Public(), nil, nil, ml)},
		{"attest-valid-spdx", "valid", "trusted.pub", "", "an SPDX 2.3 attestation", ok(signEnv(alice, statementFor(d, attest.TypeSPDX, vecSPDX)), attest.TypeSPDX, alice)},
		{"attest-valid-unknown-type", "valid", "trusted.pub", "", "an attestation of a type ct does not know (only a JSON object is required)",
			ok(signEnv(alice, statementFor(d, "https://example.com/scan/v1", `{"findings":[]}`)), "https://example.com/scan/v1", alice)},
		{"attest-flipped-signature-bit", "signature-invalid", "trusted.pub", "", "one bit of the envelope's Ed25519 signature changed", ok(flipSig(good, 3), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-hybrid-ml-half-flipped", "signature-invalid", "trusted-pq.pub", "", "one bit of the ML-DSA-87 half of a CT-SIG-02 envelope signature changed",
			attBundle(m, blobs, flipSig(hy, 100), attest.TypeSLSAProvenanceV1, pq.Public(), nil, nil, pq)},
		{"attest-payload-changed", "signature-invalid", "trusted.pub", "", "the statement's builder id changed after signing", ok(envelopeOf(good, func(e map[string]any) {
			e["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(slsa, []byte("ct-pack"), []byte("ct-evil"), 1))
		}), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-hybrid-stripped", "signature-invalid", "trusted.pub", "", "the Ed25519 half of a CT-SIG-02 envelope signature presented as CT-SIG-01 by the Ed25519 half of the key",
			ok(stripped, attest.TypeSLSAProvenanceV1, half)},
		{"attest-other-image", "signature-invalid", "trusted.pub", "", "a valid statement about another image digest",
			ok(signEnv(alice, statementFor(otherDigest, attest.TypeSLSAProvenanceV1, vecSLSA)), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-untrusted-signer", "key-not-trusted", "trusted.pub", "", "a valid attestation by a key that is not trusted (the bundle signer is)", ok(signEnv(mallory, slsa), attest.TypeSLSAProvenanceV1, mallory)},
		{"attest-envelope-unknown-member", "malformed", "trusted.pub", "", "the envelope has an extra member", ok(envelopeOf(good, func(e map[string]any) { e["x"] = 1 }), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-envelope-two-signatures", "malformed", "trusted.pub", "", "the envelope carries its signature twice", ok(envelopeOf(good, func(e map[string]any) {
			e["signatures"] = append(e["signatures"].([]any), e["signatures"].([]any)[0])
		}), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-envelope-url-base64", "malformed", "trusted.pub", "", "the payload in URL-safe base64 without padding", ok(envelopeOf(good, func(e map[string]any) {
			e["payload"] = base64.RawURLEncoding.EncodeToString(slsa)
		}), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-envelope-payload-type", "malformed", "trusted.pub", "", "payloadType application/json", ok(envelopeOf(good, func(e map[string]any) { e["payloadType"] = "application/json" }), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-envelope-whitespace", "malformed", "trusted.pub", "", "the envelope pretty-printed", ok(bytes.Replace(good, []byte(`","payload"`), []byte(`", "payload"`), 1), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-statement-unknown-member", "malformed", "trusted.pub", "", "the signed statement has a member Statement v1 does not define", ok(signEnv(alice, unknownMember), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-statement-two-subjects", "malformed", "trusted.pub", "", "the signed statement has two subjects", ok(signEnv(alice, twoSubjects), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-slsa-no-builder", "malformed", "trusted.pub", "", "a signed SLSA v1 predicate without runDetails.builder.id",
			ok(signEnv(alice, statementFor(d, attest.TypeSLSAProvenanceV1, badSLSA)), attest.TypeSLSAProvenanceV1, alice)},
		{"attest-spdx-no-namespace", "malformed", "trusted.pub", "", "a signed SPDX 2.3 predicate without documentNamespace",
			ok(signEnv(alice, statementFor(d, attest.TypeSPDX, badSPDX)), attest.TypeSPDX, alice)},
		{"attest-type-annotation-differs", "malformed", "trusted.pub", "", "the manifest's in-toto.io/predicate-type annotation names another type than the statement",
			ok(good, "https://example.com/other", alice)},
		{"attest-manifest-other-subject", "malformed", "trusted.pub", "", "the attestation manifest's subject is another image", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(),
			func(a []byte) []byte {
				return bytes.Replace(a, []byte(strings.TrimPrefix(d, "sha256:")), []byte(strings.Repeat("0f", 32)), 1)
			}, nil, alice)},
		{"attest-manifest-extra-annotation", "malformed", "trusted.pub", "", "the attestation manifest has one annotation more", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(),
			func(a []byte) []byte {
				return bytes.Replace(a, []byte(`"annotations":{`), []byte(`"annotations":{"a":"b",`), 1)
			}, nil, alice)},
		{"attest-manifest-not-canonical", "malformed", "trusted.pub", "", "the attestation manifest with a space after its first brace", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(),
			func(a []byte) []byte { return append([]byte("{ "), a[1:]...) }, nil, alice)},
		{"attest-wrong-key-annotation", "malformed", "trusted.pub", "", "the signer's public-key annotation is mallory's key under alice's fingerprint", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(),
			func(a []byte) []byte {
				return bytes.Replace(a, []byte(base64.StdEncoding.EncodeToString(alice.Public().Bytes())), []byte(base64.StdEncoding.EncodeToString(mallory.Public().Bytes())), 1)
			}, nil, alice)},
		{"attest-orphan-envelope", "malformed", "trusted.pub", "", "an envelope listed in manifest.toml that no attestation manifest names", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(), nil, func(m2 *bundle.Manifest) {
			for i, b := range m2.Blobs {
				if b.Role == bundle.RoleAttestation {
					m2.Blobs = append(m2.Blobs[:i:i], m2.Blobs[i+1:]...)
					break
				}
			}
		}, alice)},
		{"attest-no-empty-config", "malformed", "trusted.pub", "", "an attestation without the empty config listed", attBundle(m, blobs, good, attest.TypeSLSAProvenanceV1, alice.Public(), nil, func(m2 *bundle.Manifest) {
			for i, b := range m2.Blobs {
				if b.Digest == bundle.EmptyDigest {
					m2.Blobs = append(m2.Blobs[:i:i], m2.Blobs[i+1:]...)
					break
				}
			}
		}, alice)},
		{"attest-required-present", "valid", "trusted.pub", "attest-require-slsa.json", "the policy requires SLSA provenance; the bundle has it, by the trusted key", ok(good, attest.TypeSLSAProvenanceV1, alice)},
		{"attest-required-missing", "missing-attestation", "trusted.pub", "attest-require-spdx.json", "the policy requires SLSA provenance and an SPDX SBOM; the bundle has only SLSA", ok(good, attest.TypeSLSAProvenanceV1, alice)},
		{"attest-required-wrong-signer", "missing-attestation", "trusted.pub", "attest-require-slsa-by-bob.json", "the policy requires SLSA provenance signed by bob; alice signed it", ok(good, attest.TypeSLSAProvenanceV1, alice)},
		{"attest-required-unsigned-bundle-none", "missing-attestation", "trusted.pub", "attest-require-slsa.json", "the policy requires SLSA provenance; the bundle has no attestation", write(m, blobs, alice)},
	}
	for _, x := range vs {
		writeVector(dir, x.name, ".ctp", x.data, x.expect, x.what, x.trusted, x.policy)
	}
	return len(vs)
}
