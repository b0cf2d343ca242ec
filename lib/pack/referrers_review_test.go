package pack

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
)

// A manifest that declares itself a ct bundle artifact is never copied,
// whatever the listing says about it: under cosign's tag (no listing at
// all) and as a referrer the registry lists with another artifactType
// (as anyone can in the referrers tag schema; here the registry derives
// it from the config). Attached again at the destination, it would be one
// more bundle for ct fetch (referrers.md §2).
func TestWithReferrersNoBundleArtifacts(t *testing.T) {
	host, img := referrerRegistry(t, "app")
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	subj, err := remote.Head(r.Digest(img))
	if err != nil {
		t.Fatal(err)
	}
	toml := []byte("[package]\n")
	for _, b := range [][]byte{bundle.EmptyConfig, toml} {
		if err := remote.WriteLayer(r, static.NewLayer(b, types.MediaType("text/plain"))); err != nil {
			t.Fatal(err)
		}
	}
	put := func(artifactType, configType string) string {
		at := ""
		if artifactType != "" {
			at = fmt.Sprintf(`"artifactType":%q,`, artifactType)
		}
		raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s`+
			`"config":{"mediaType":%q,"digest":"%s","size":2},`+
			`"layers":[{"mediaType":"application/vnd.cerro-torre.manifest.v1+toml","digest":"%s","size":%d}],`+
			`"subject":{"mediaType":"%s","digest":"%s","size":%d}}`, at, configType, bundle.EmptyDigest, bundle.Digest(toml), len(toml), subj.MediaType, img, subj.Size))
		if err := remote.Put(r.Digest(bundle.Digest(raw)), rawMan{raw, types.OCIManifestSchema1}); err != nil {
			t.Fatal(err)
		}
		return bundle.Digest(raw)
	}
	// Under cosign's .sig tag: no listing to filter on.
	sig := put(bundle.CTBundleArtifactType, bundle.MediaTypeEmpty)
	tag := bundle.CosignTag(img, bundle.RoleCosignSig)
	d, _ := name.NewDigest(host + "/app@" + sig)
	desc, err := remote.Get(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(r.Tag(tag), desc); err != nil {
		t.Fatal(err)
	}
	// A referrer without artifactType whose config is the bundle type: the
	// registry lists it with that artifactType, and ct fetch would too.
	cfg := put("", bundle.CTBundleArtifactType)
	good := attach(t, host, "app", img, 0, []byte("a claim"), 0)
	res, _ := packReferrers(t, host+"/app@"+img)
	if c := res.Referrers.Copied; len(c) != 1 || c[0].Digest != good {
		t.Fatalf("copied %+v, want only %s", c, good)
	}
	// The report says what the manifest says it is, not the listing.
	if at := res.Referrers.Copied[0].ArtifactType; at != "application/vnd.example+json" {
		t.Errorf("artifactType %q, want the manifest's", at)
	}
	reasons := map[string]string{}
	for _, s := range res.Referrers.Skipped {
		reasons[s.Digest] = s.Reason
	}
	if !strings.Contains(reasons[sig], "ct bundle artifact") {
		t.Errorf("bundle artifact under %s: %q", tag, reasons[sig])
	}
	if reasons[cfg] == "" {
		t.Errorf("bundle artifact by config type: not skipped (%v)", reasons)
	}
}

// tagSchemaRegistry starts a registry without the referrers API, pushes a
// small image to app:v1 and serves listing(image) as the image's referrers
// tag (sha256-<hex>), as anyone who can push may write it; it counts the
// GETs of manifests by digest. It returns the host and the image digest.
func tagSchemaRegistry(t *testing.T, listing func(img v1.Image) []byte) (string, string, *atomic.Int64) {
	gets := &atomic.Int64{}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), static.NewLayer([]byte("layer"), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	id, _ := img.Digest()
	idx := listing(img)
	idxTag := strings.Replace(id.String(), ":", "-", 1)
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))) // no referrers API: the tag schema
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/manifests/sha256:") {
			gets.Add(1)
		}
		// ggcr's registry refuses an index whose manifests it lacks; a
		// registry need not, so this one serves the tag itself.
		if req.URL.Path == "/v2/app/manifests/"+idxTag && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
			w.Header().Set("Content-Type", string(types.OCIImageIndex))
			w.Header().Set("Docker-Content-Digest", bundle.Digest(idx))
			w.Header().Set("Content-Length", fmt.Sprint(len(idx)))
			if req.Method == http.MethodGet {
				w.Write(idx)
			}
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	if err := remote.Write(r.Tag("v1"), img); err != nil {
		t.Fatal(err)
	}
	return host, id.String(), gets
}

func indexOf(entries []string) []byte {
	return []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(entries, ",") + `]}`)
}

// The referrers list is a stranger's: in the referrers tag schema anyone
// who can push writes it. Listing thousands of digests the registry does
// not have makes ct pack examine at most maxReferrersExamined of them, one
// request each, and say how many more it did not read.
func TestWithReferrersExaminedBound(t *testing.T) {
	const listed = 1000
	host, id, gets := tagSchemaRegistry(t, func(v1.Image) []byte {
		var ms []string
		for i := 0; i < listed; i++ {
			ms = append(ms, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064x","size":100,"artifactType":"application/vnd.example+json"}`, i+1))
		}
		return indexOf(ms)
	})
	gets.Store(0)
	res, _ := packReferrers(t, host+"/app@"+id)
	s := res.Referrers.Skipped
	if len(res.Referrers.Copied) != 0 || len(s) != maxReferrersExamined+1 {
		t.Fatalf("copied %d, skipped %d, want 0 and %d", len(res.Referrers.Copied), len(s), maxReferrersExamined+1)
	}
	want := fmt.Sprintf("%d more referrers not read: at most %d listed referrers are examined", listed-maxReferrersExamined, maxReferrersExamined)
	if s[len(s)-1].Reason != want {
		t.Errorf("last skipped: %q, want %q", s[len(s)-1].Reason, want)
	}
	// The pack itself reads the image manifest by digest a few times.
	if n := gets.Load(); n > maxReferrersExamined+8 {
		t.Errorf("%d manifest GETs by digest for %d listed referrers, want at most %d", n, listed, maxReferrersExamined+8)
	}
}

// A tag-schema listing that names a real referrer with a wrong size is the
// listing's lie, not the registry's tampering (the content matches its
// digest): the referrer is skipped and the pack goes on, so that whoever
// can push cannot stop every pack with it (referrers.md §3).
func TestWithReferrersListedSizeLie(t *testing.T) {
	var ref []byte
	host, id, _ := tagSchemaRegistry(t, func(img v1.Image) []byte {
		d, _ := img.Digest()
		raw, _ := img.RawManifest()
		ref = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+json",`+
			`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[],`+
			`"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d}}`, bundle.EmptyDigest, d, len(raw)))
		return indexOf([]string{fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d}`, bundle.Digest(ref), len(ref)+1)})
	})
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	if err := remote.WriteLayer(r, static.NewLayer(bundle.EmptyConfig, types.MediaType("text/plain"))); err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r.Digest(bundle.Digest(ref)), rawMan{ref, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	res, _ := packReferrers(t, host+"/app@"+id)
	s := res.Referrers.Skipped
	if len(res.Referrers.Copied) != 0 || len(s) != 1 || s[0].Digest != bundle.Digest(ref) ||
		s[0].Reason != fmt.Sprintf("listed as %d bytes, but the manifest with that digest is %d bytes", len(ref)+1, len(ref)) {
		t.Fatalf("copied %+v, skipped %+v", res.Referrers.Copied, s)
	}
}

// A referrer whose manifest names a blob the registry has with another
// size (a registry need not check that when the manifest is pushed) is
// skipped before the bundle is written: copied, it would fail the pack
// halfway, so whoever can push could stop every pack with it.
func TestWithReferrersBlobSizeLie(t *testing.T) {
	host, img := referrerRegistry(t, "app")
	good := attach(t, host, "app", img, 0, []byte("a claim"), 0)
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	subj, err := remote.Head(r.Digest(img))
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("the real blob")
	if err := remote.WriteLayer(r, static.NewLayer(content, types.MediaType("text/plain"))); err != nil {
		t.Fatal(err)
	}
	raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+json",`+
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},`+
		`"layers":[{"mediaType":"text/plain","digest":"%s","size":%d}],`+
		`"subject":{"mediaType":"%s","digest":"%s","size":%d}}`, bundle.EmptyDigest, bundle.Digest(content), len(content)-3, subj.MediaType, img, subj.Size))
	if err := remote.Put(r.Digest(bundle.Digest(raw)), rawMan{raw, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	res, _ := packReferrers(t, host+"/app@"+img)
	if c := res.Referrers.Copied; len(c) != 1 || c[0].Digest != good {
		t.Fatalf("copied %+v, want only %s", c, good)
	}
	want := fmt.Sprintf("its blob %s is %d bytes in the registry, not the %d its manifest says", bundle.Digest(content), len(content), len(content)-3)
	if s := res.Referrers.Skipped; len(s) != 1 || s[0].Digest != bundle.Digest(raw) || s[0].Reason != want {
		t.Fatalf("skipped %+v, want %s: %s", s, bundle.Digest(raw), want)
	}
}

// The blob checks (a HEAD each) of one pack are bounded too: referrers of
// maxReferrerBlobs blobs each (the empty config shared, so 255 new ones
// after the first) are copied while the checks fit in
// maxReferrerBlobChecks, and the next one is skipped unchecked.
func TestWithReferrersBlobCheckBudget(t *testing.T) {
	host, img := referrerRegistry(t, "app")
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	subj, err := remote.Head(r.Digest(img))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteLayer(r, static.NewLayer(bundle.EmptyConfig, types.MediaType("text/plain"))); err != nil {
		t.Fatal(err)
	}
	n := maxReferrerBlobChecks/maxReferrerBlobs + 1
	var refs []string
	for i := 0; i < n; i++ {
		var layers []string
		for j := 0; j < maxReferrerBlobs-1; j++ { // with the config, maxReferrerBlobs
			c := []byte(fmt.Sprintf("blob %d %d", i, j))
			if err := remote.WriteLayer(r, static.NewLayer(c, types.MediaType("text/plain"))); err != nil {
				t.Fatal(err)
			}
			layers = append(layers, fmt.Sprintf(`{"mediaType":"text/plain","digest":%q,"size":%d}`, bundle.Digest(c), len(c)))
		}
		raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+json",`+
			`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[%s],`+
			`"subject":{"mediaType":"%s","digest":"%s","size":%d}}`, bundle.EmptyDigest, strings.Join(layers, ","), subj.MediaType, img, subj.Size))
		if err := remote.Put(r.Digest(bundle.Digest(raw)), rawMan{raw, types.OCIManifestSchema1}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, bundle.Digest(raw))
	}
	res, _ := packReferrers(t, host+"/app@"+img)
	if c, s := res.Referrers.Copied, res.Referrers.Skipped; len(c) != n-1 || len(s) != 1 ||
		s[0].Reason != fmt.Sprintf("checking its %d blobs would take the pack over %d blob checks", maxReferrerBlobs-1, maxReferrerBlobChecks) {
		t.Fatalf("copied %d, skipped %+v; want %d copied and one skipped", len(c), s, n-1)
	}
}
