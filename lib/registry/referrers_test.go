package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/verify"
)

// signedBundle writes a small signed bundle to a file and returns its path
// and the signer's key.
func signedBundle(t *testing.T) (string, *keys.PrivateKey, *bundle.Manifest) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := bundle.Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := bytes.Repeat([]byte("layer "), 5000)
	cd, ld := add(cfg), add(layer)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}`, cd, len(cfg), ld, len(layer)))
	md := add(man)
	m := &bundle.Manifest{Format: bundle.FormatVersion, Package: bundle.Package{Name: "app", Version: "1"},
		Source: bundle.Source{Reference: "oci:x:1", Transport: "oci", Tag: "1", Digest: md},
		Image:  bundle.Image{Digest: md, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(man)), Config: cd, Platform: "linux/amd64"},
		Tool:   bundle.Tool{Name: "test", Version: "1"},
		Blobs: []bundle.Blob{
			{Digest: md, Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: bundle.RoleManifest},
			{Digest: cd, Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: bundle.RoleConfig},
			{Digest: ld, Size: int64(len(layer)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: bundle.RoleLayer},
		}}
	m.SortBlobs()
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "alice", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	e, _, err := sig.BundleEntry(k, w.ManifestBytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSignatures([]bundle.Entry{e}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.ctp")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, k, m
}

// On a registry with the OCI 1.1 referrers API (go-containerregistry's
// in-process registry with referrers on; the distribution registry of the
// e2e tests has none, so there the tag fallback is tested), push attaches the
// bundle through the API, writes no fallback tag, and fetch finds it and
// rebuilds the identical bundle.
func TestReferrersAPI(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true)))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	path, k, m := signedBundle(t)
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: host + "/r/app:1", Quiet: true}); err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(m.Image.Digest, "sha256:")
	resp, err := http.Get(srv.URL + "/v2/r/app/referrers/sha256:" + hex)
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Manifests []struct {
			ArtifactType string `json:"artifactType"`
		} `json:"manifests"`
	}
	json.NewDecoder(resp.Body).Decode(&idx)
	resp.Body.Close()
	// This registry reports the config media type as artifactType (older
	// than image-spec 1.1 final); fetch must find the bundle all the same.
	if len(idx.Manifests) != 1 {
		t.Fatalf("referrers API lists %+v", idx.Manifests)
	}
	if resp, err := http.Get(srv.URL + "/v2/r/app/manifests/sha256-" + hex); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("a fallback tag was written although the registry has the referrers API")
		}
	}
	out := filepath.Join(t.TempDir(), "back.ctp")
	_, rep, err := Fetch(ctx, FetchRequest{Ref: host + "/r/app:1", Output: out, Quiet: true,
		Verify: verify.Options{Trusted: []verify.TrustedKey{{Key: k.Public(), Source: "test"}}}})
	if err != nil {
		t.Fatalf("fetch: %v (%v)", err, rep)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatal("fetched bundle differs from the pushed one")
	}
}
