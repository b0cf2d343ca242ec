package main

// Vectors for the MUST-rejects of docs/spec/referrers.md §2 added in
// review: a copied manifest that declares itself a ct bundle artifact (by
// artifactType or by its config's media type), which attached again at the
// destination would be one more "bundle" for ct fetch to choose from; and
// a copied cosign manifest whose subject is another image, which attached
// again would become a referrer of that image there.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
)

func referrerReviewVectors(dir string, alice *keys.PrivateKey) int {
	m, blobs := image("web", "1.0")
	subject := fmt.Sprintf(`"subject":{"mediaType":%q,"digest":%q,"size":%d}`, m.Image.MediaType, m.Image.Digest, m.Image.Size)
	toml := []byte("[package]\nname = \"old\"\n")
	// bundleLike is a referrer of the image shaped as ct push's bundle
	// artifact: artifactType (when given) and a config of configType.
	bundleLike := func(artifactType, configType string, cfg []byte) []byte {
		at := ""
		if artifactType != "" {
			at = fmt.Sprintf(`"artifactType":%q,`, artifactType)
		}
		return []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,%s"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":"application/vnd.cerro-torre.manifest.v1+toml","digest":%q,"size":%d}],%s}`,
			bundle.MediaTypeManifest, at, configType, bundle.Digest(cfg), len(cfg), bundle.Digest(toml), len(toml), subject))
	}
	build := func(role string, man []byte, cfg []byte, cfgRole, cfgType string) []byte {
		m2 := *m
		m2.Blobs = append([]bundle.Blob(nil), m.Blobs...)
		b2 := map[string][]byte{}
		for d, b := range blobs {
			b2[d] = b
		}
		for _, p := range []struct {
			role, mt string
			data     []byte
		}{{role, bundle.MediaTypeManifest, man}, {cfgRole, cfgType, cfg}, {bundle.RoleReferrerBlob, "application/vnd.cerro-torre.manifest.v1+toml", toml}} {
			d := bundle.Digest(p.data)
			if _, ok := m2.Blob(d); ok {
				continue
			}
			b2[d] = p.data
			m2.Blobs = append(m2.Blobs, bundle.Blob{Digest: d, Size: int64(len(p.data)), MediaType: p.mt, Role: p.role})
		}
		m2.SortBlobs()
		return write(&m2, b2, alice)
	}
	empty := []byte("{}")
	otherSubject := func(man []byte) []byte {
		return []byte(strings.Replace(string(man), strings.TrimPrefix(m.Image.Digest, "sha256:"), strings.Repeat("0f", 32), 1))
	}
	vs := []struct {
		name, what string
		data       []byte
	}{
		{"referrers-bundle-artifact", "a copied referrer whose artifactType is ct's bundle artifact type (ct fetch would take it for a bundle at the destination)",
			build(bundle.RoleReferrer, bundleLike(bundle.CTBundleArtifactType, bundle.MediaTypeEmpty, empty), empty, bundle.RoleConfig, bundle.MediaTypeEmpty)},
		{"referrers-bundle-artifact-case", "a copied referrer that spells artifactType in another case with ct's bundle artifact type (ct fetch's JSON decoder matches it)",
			build(bundle.RoleReferrer, []byte(fmt.Sprintf(`{"ARTIFACTTYPE":%q,`, bundle.CTBundleArtifactType)+string(bundleLike("", bundle.MediaTypeEmpty, empty)[1:])),
				empty, bundle.RoleConfig, bundle.MediaTypeEmpty)},
		{"referrers-bundle-config", "a copied cosign signature whose config has ct's bundle artifact type as media type (a registry derives artifactType from it)",
			build(bundle.RoleCosignSig, bundleLike("", bundle.CTBundleArtifactType, []byte(`{"x":1}`)), []byte(`{"x":1}`), bundle.RoleReferrerBlob, bundle.CTBundleArtifactType)},
		{"referrers-cosign-other-subject", "a copied cosign signature with a subject that is another image (attached again, it would become a referrer of that image at the destination)",
			build(bundle.RoleCosignSig, otherSubject(bundleLike("application/vnd.dev.cosign.artifact.sig.v1+json", bundle.MediaTypeEmpty, empty)), empty, bundle.RoleConfig, bundle.MediaTypeEmpty)},
	}
	for _, x := range vs {
		must(os.WriteFile(filepath.Join(dir, x.name+".ctp"), x.data, 0o644))
		exp := fmt.Sprintf("expect: malformed\ncode: 10\ncase: %s\ntrusted: trusted.pub\n", x.what)
		must(os.WriteFile(filepath.Join(dir, x.name+".expect"), []byte(exp), 0o644))
	}
	return len(vs)
}
