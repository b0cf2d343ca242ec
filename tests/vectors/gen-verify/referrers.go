package main

// The vectors of docs/spec/referrers.md §6: bundles that carry the source's
// supply-chain artifacts (ct pack --with-referrers), valid, never counted as
// attestations, and one per MUST-reject of §2 that a writer can express
// (the manifest.toml-level rejects are lib/bundle's TestReferrerLimits:
// the writer refuses to encode them). Every bundle's own signature is valid
// and trusted, so the copied artifacts decide.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
)

// copiedManifest returns an image manifest with the given config and
// layers, and a subject (the image) unless subject is "".
func copiedManifest(mediaType string, config, layer []byte, layerType, subject string) []byte {
	s := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d,"annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="}}]`,
		mediaType, bundle.Digest(config), len(config), layerType, bundle.Digest(layer), len(layer))
	if subject != "" {
		s += subject
	}
	return []byte(s + "}")
}

func referrerVectors(dir string, alice *keys.PrivateKey) int {
	must(os.WriteFile(filepath.Join(dir, "referrers-require-scan.json"),
		[]byte(`{"version": 1, "require_attestations": ["https://example.com/scan/v1"]}`), 0o644))
	m, blobs := image("web", "1.0")
	subject := fmt.Sprintf(`,"subject":{"mediaType":%q,"digest":%q,"size":%d}`, m.Image.MediaType, m.Image.Digest, m.Image.Size)
	sigCfg := []byte(`{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:00"]}}`)
	sigPayload := []byte(`{"critical":{"identity":{"docker-reference":"registry.example/team/web"},"image":{"docker-manifest-digest":"` + m.Image.Digest + `"},"type":"cosign container image signature"},"optional":null}`)
	attPayload := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUCIQ=="}]}`)
	note := []byte(`{"note":"scanned"}`)
	const simple = "application/vnd.dev.cosign.simplesigning.v1+json"

	type part struct {
		role, mediaType string
		data            []byte
	}
	// build lists the image, the copied manifests and their blobs (each
	// blob the image does not list as referrer-blob), then edits.
	build := func(copied []part, extra []part, edit func(*bundle.Manifest)) []byte {
		m2 := *m
		m2.Blobs = append([]bundle.Blob(nil), m.Blobs...)
		b2 := map[string][]byte{}
		for d, b := range blobs {
			b2[d] = b
		}
		add := func(p part) {
			d := bundle.Digest(p.data)
			if _, ok := m2.Blob(d); ok {
				return
			}
			b2[d] = p.data
			m2.Blobs = append(m2.Blobs, bundle.Blob{Digest: d, Size: int64(len(p.data)), MediaType: p.mediaType, Role: p.role})
		}
		for _, p := range copied {
			add(p)
		}
		for _, p := range extra {
			add(p)
		}
		if edit != nil {
			edit(&m2)
		}
		m2.SortBlobs()
		return write(&m2, b2, alice)
	}
	sig := copiedManifest(bundle.MediaTypeManifest, sigCfg, sigPayload, simple, "")
	att := copiedManifest(bundle.MediaTypeManifest, sigCfg, attPayload, "application/vnd.dsse.envelope.v1+json", "")
	ref := copiedManifest(bundle.MediaTypeManifest, sigCfg, note, "application/vnd.example.note+json", subject)
	blobsOf := []part{{bundle.RoleReferrerBlob, "application/vnd.oci.image.config.v1+json", sigCfg},
		{bundle.RoleReferrerBlob, simple, sigPayload}, {bundle.RoleReferrerBlob, "application/vnd.dsse.envelope.v1+json", attPayload},
		{bundle.RoleReferrerBlob, "application/vnd.example.note+json", note}}
	all := []part{{bundle.RoleCosignSig, bundle.MediaTypeManifest, sig}, {bundle.RoleCosignAtt, bundle.MediaTypeManifest, att},
		{bundle.RoleReferrer, bundle.MediaTypeManifest, ref}}
	one := func(role string, data []byte, extra ...part) []byte {
		return build([]part{{role, bundle.MediaTypeManifest, data}}, append(blobsOf[:1:1], extra...), nil)
	}

	type v struct {
		name, expect, policy, what string
		data                       []byte
	}
	otherSubject := strings.Replace(subject, strings.TrimPrefix(m.Image.Digest, "sha256:"), strings.Repeat("0f", 32), 1)
	vs := []v{
		{"referrers-valid", "valid", "", "a cosign signature, a cosign attestation and an OCI referrer copied from the source, with their blobs",
			build(all, blobsOf, nil)},
		{"referrers-not-attestations", "missing-attestation", "referrers-require-scan.json",
			"the policy requires an attestation of the type the copied cosign attestation claims; copied artifacts are never counted (referrers.md, introduction)",
			build(all, blobsOf, nil)},
		{"referrers-other-subject", "malformed", "", "a copied referrer whose subject is another image",
			one(bundle.RoleReferrer, copiedManifest(bundle.MediaTypeManifest, sigCfg, note, "application/vnd.example.note+json", otherSubject), blobsOf[3])},
		{"referrers-no-subject", "malformed", "", "a copied referrer without a subject",
			one(bundle.RoleReferrer, copiedManifest(bundle.MediaTypeManifest, sigCfg, note, "application/vnd.example.note+json", ""), blobsOf[3])},
		{"referrers-missing-blob", "malformed", "", "a copied cosign signature whose layer the bundle does not carry",
			one(bundle.RoleCosignSig, sig)},
		{"referrers-blob-size", "malformed", "", "a copied cosign signature that names its layer with another size than manifest.toml lists",
			one(bundle.RoleCosignSig, []byte(strings.Replace(string(sig), fmt.Sprintf(`"size":%d,"annotations"`, len(sigPayload)), fmt.Sprintf(`"size":%d,"annotations"`, len(sigPayload)+1), 1)), blobsOf[1])},
		{"referrers-orphan-blob", "malformed", "", "a referrer-blob that no copied manifest names",
			build(all, append(blobsOf, part{bundle.RoleReferrerBlob, "text/plain", []byte("stray")}), nil)},
		{"referrers-media-type-differs", "malformed", "", "a copied manifest whose mediaType is the Docker one while manifest.toml lists the OCI one",
			one(bundle.RoleCosignSig, copiedManifest(bundle.MediaTypeDockerManifest, sigCfg, sigPayload, simple, ""), blobsOf[1])},
		{"referrers-duplicate-key", "malformed", "", "a copied manifest with schemaVersion twice (JSON that does not read one way)",
			one(bundle.RoleCosignSig, []byte(strings.Replace(string(sig), `{"schemaVersion":2,`, `{"schemaVersion":2,"schemaVersion":2,`, 1)), blobsOf[1])},
		{"referrers-schema-version", "malformed", "", "a copied manifest of schemaVersion 1",
			one(bundle.RoleCosignSig, []byte(strings.Replace(string(sig), `{"schemaVersion":2,`, `{"schemaVersion":1,`, 1)), blobsOf[1])},
		{"referrers-index", "malformed", "", "a copied manifest that lists manifests (an index) and has no config",
			one(bundle.RoleCosignSig, []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}`))},
	}
	for _, x := range vs {
		writeVector(dir, x.name, ".ctp", x.data, x.expect, x.what, "trusted.pub", x.policy)
	}
	return len(vs)
}
