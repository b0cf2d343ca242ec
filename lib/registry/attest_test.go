package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/verify"
)

// attestedBundle writes a small signed bundle with one attestation and
// returns its path, the signer and the attestation manifest's digest.
func attestedBundle(t *testing.T) (string, *keys.PrivateKey, string) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := bundle.Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := bytes.Repeat([]byte("layer "), 500)
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
	m2, env, am, err := attest.Attach(m, k, "https://example.com/scan/v1", []byte(`{"result":"clean"}`))
	if err != nil {
		t.Fatal(err)
	}
	add(env)
	add(am)
	add(bundle.EmptyConfig)
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m2, bundle.WriterOptions{})
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
	return p, k, bundle.Digest(am)
}

// On a registry with the referrers API: push puts the attestation through
// the manifest API, the registry lists it as a referrer of the image with
// its artifactType, and fetch rebuilds the identical bundle. A registry
// that serves other bytes for the attestation manifest is caught as
// tampering (1), and nothing is written.
func TestAttestationsAsReferrers(t *testing.T) {
	var tamper string // an attestation digest whose manifest GETs are altered
	reg := ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tamper != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/manifests/"+tamper) {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, r)
			body := bytes.Replace(rec.Body.Bytes(), []byte(`"size":2`), []byte(`"size":3`), 1)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	path, k, att := attestedBundle(t)
	ctx := context.Background()
	res, err := Push(ctx, PushRequest{Bundle: path, Ref: host + "/r/app:1", Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attestations) != 1 || res.Attestations[0] != att {
		t.Fatalf("pushed attestations %v, want [%s]", res.Attestations, att)
	}
	ref, _ := name.NewDigest(host+"/r/app@"+res.ImageDigest, name.Insecure)
	idx, err := remote.Referrers(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	found := false
	for _, d := range im.Manifests {
		// This registry gives the config media type as artifactType (older
		// than image-spec 1.1 final); distribution's tag schema keeps the
		// manifest's own (referrers_push.txtar checks it with oras).
		if d.Digest.String() == att && (d.ArtifactType == bundle.ArtifactType || d.ArtifactType == bundle.MediaTypeEmpty) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the referrers API does not list attestation %s: %+v", att, im.Manifests)
	}
	trust := verify.Options{Trusted: []verify.TrustedKey{{Key: k.Public(), Source: "test"}}}
	out := filepath.Join(t.TempDir(), "back.ctp")
	if _, rep, err := Fetch(ctx, FetchRequest{Ref: host + "/r/app:1", Output: out, Quiet: true, Verify: trust}); err != nil {
		t.Fatalf("fetch: %v (%v)", err, rep)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatal("fetched bundle differs from the pushed one")
	}

	tamper = att
	out2 := filepath.Join(t.TempDir(), "bad.ctp")
	_, _, err = Fetch(ctx, FetchRequest{Ref: host + "/r/app:1", Output: out2, Quiet: true, Verify: trust})
	t.Logf("tampered: %v", err)
	if exit.CodeOf(err) != exit.HashMismatch {
		t.Fatalf("tampered attestation manifest: got %v (code %d), want 1", err, exit.CodeOf(err))
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Fatal("a bundle was written although the attestation was tampered with")
	}
}
