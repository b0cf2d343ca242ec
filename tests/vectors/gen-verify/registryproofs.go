package main

// Bundle artifact vectors for transparency proof layers (registry.md §2),
// in tests/vectors/registry: NAME.json (an artifact manifest) with
// NAME.expect (expect: valid | malformed). lib/registry's
// TestArtifactVectors parses each with ParseArtifact.

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/registry"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

func registryProofVectors(dir string, alice *keys.PrivateKey) int {
	rdir := filepath.Join(dir, "..", "registry")
	must(os.MkdirAll(rdir, 0o755))
	m, blobs := image("web", "1.0")
	logged, err := tlogtest.AddProofFile(write(m, blobs, alice), "log1.example/ct", key(keys.SuiteEd25519, "log", 9))
	must(err)
	logged, err = tlogtest.AddProofFile(logged, "log2.example/ct", key(keys.SuiteEd25519, "log", 9))
	must(err)
	es := entries(logged)
	var sigs, proofs []bundle.Entry
	for _, e := range es {
		switch {
		case e.Dir:
		case strings.HasPrefix(e.Name, bundle.SignaturesDir):
			sigs = append(sigs, bundle.Entry{Name: e.Name, Data: e.Data})
		case strings.HasPrefix(e.Name, bundle.ProofsDir):
			proofs = append(proofs, bundle.Entry{Name: e.Name, Data: e.Data})
		}
	}
	subject := registry.Descriptor{MediaType: m.Image.MediaType, Digest: m.Image.Digest, Size: m.Image.Size}
	raw, _, err := registry.BuildArtifact(subject, es[0].Data, sigs, proofs, time.Unix(0, 0))
	must(err)
	s := string(raw)
	fp := strings.TrimSuffix(strings.TrimPrefix(sigs[0].Name, bundle.SignaturesDir), ".sig")
	t0 := strings.TrimPrefix(proofs[0].Name, bundle.ProofsDir)
	t1 := strings.TrimPrefix(proofs[1].Name, bundle.ProofsDir)
	swap := func(s, a, b string) string {
		s = strings.Replace(s, a, "\x00", 1)
		s = strings.Replace(s, b, a, 1)
		return strings.Replace(s, "\x00", b, 1)
	}
	// The signature layer's JSON object, and the first proof layer's.
	layer := func(title string) string {
		i := strings.Index(s, `{"annotations":{"org.opencontainers.image.title":"`+title+`"}`)
		j := strings.Index(s[i:], `"size":`) // the layer ends at "size":N}
		k := strings.Index(s[i+j:], "}")
		return s[i : i+j+k+1]
	}
	sigLayer, p0 := layer(fp+".sig"), layer(t0)
	type vec struct{ name, expect, what, data string }
	vs := []vec{
		{"artifact-proofs-valid", "valid", "the artifact of a bundle signed by one key with proofs from two logs", s},
		{"artifact-proofs-unsorted", "malformed", "the two proof layers in reverse order", swap(s, p0, layer(t1))},
		{"artifact-proof-before-signature", "malformed", "a proof layer before the signature layer", swap(s, sigLayer, p0)},
		{"artifact-proof-duplicate", "malformed", "the first proof layer twice", strings.Replace(s, p0, p0+","+p0, 1)},
		{"artifact-proof-bad-title", "malformed", "a proof titled <fp>.proof (no log id)", strings.Replace(s, `"`+t0+`"`, `"`+fp+`.proof"`, 1)},
		{"artifact-proof-uppercase-title", "malformed", "a proof title in uppercase hex", strings.Replace(s, `"`+t0+`"`, `"`+strings.ToUpper(strings.TrimSuffix(t0, ".proof"))+`.proof"`, 1)},
		{"artifact-proof-of-no-signature", "malformed", "a proof of a fingerprint the artifact has no signature layer for", strings.Replace(s, `"`+t0+`"`, `"`+strings.Repeat("0", 64)+t0[64:]+`"`, 1)},
		{"artifact-proof-too-large", "malformed", "a proof layer of 16,385 bytes", strings.Replace(s, p0, p0[:strings.LastIndex(p0, `"size":`)]+`"size":16385}`, 1)},
		{"artifact-proof-media-type", "malformed", "a proof layer of another media type", strings.Replace(s, registry.ProofMediaType, "application/vnd.cerro-torre.proof.v2+toml", 1)},
	}
	for _, v := range vs {
		if v.name != "artifact-proofs-valid" && v.data == s {
			panic(v.name + ": the case changed nothing")
		}
		must(os.WriteFile(filepath.Join(rdir, v.name+".json"), []byte(v.data), 0o644))
		exp := "expect: " + v.expect + "\ncase: " + v.what + "\n"
		must(os.WriteFile(filepath.Join(rdir, v.name+".expect"), []byte(exp), 0o644))
	}
	return len(vs)
}
