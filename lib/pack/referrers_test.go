package pack

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

type rawMan struct {
	raw []byte
	mt  types.MediaType
}

func (r rawMan) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawMan) MediaType() (types.MediaType, error) { return r.mt, nil }

// referrerRegistry starts go-containerregistry's registry with the OCI 1.1
// referrers API and pushes a small OCI image to REPO; it returns the
// registry's host and the image digest.
func referrerRegistry(t *testing.T, repo string) (string, string) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), static.NewLayer([]byte("layer"), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	ref, _ := name.ParseReference(host+"/"+repo+":v1", name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return host, d.String()
}

// attach pushes a referrer of image (repo@digest) whose one layer is
// content, uploaded, or (content nil) only described with size claimed.
func attach(t *testing.T, host, repo, image string, size int64, content []byte, i int) string {
	r, _ := name.NewRepository(host+"/"+repo, name.Insecure)
	for _, b := range [][]byte{bundle.EmptyConfig, content} {
		if b != nil {
			if err := remote.WriteLayer(r, static.NewLayer(b, types.MediaType("text/plain"))); err != nil {
				t.Fatal(err)
			}
		}
	}
	ld := fmt.Sprintf("sha256:%064x", i)
	if content != nil {
		ld, size = bundle.Digest(content), int64(len(content))
	}
	subj, err := remote.Head(r.Digest(image))
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+json",`+
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},`+
		`"layers":[{"mediaType":"text/plain","digest":"%s","size":%d}],`+
		`"subject":{"mediaType":"%s","digest":"%s","size":%d}}`, bundle.EmptyDigest, ld, size, subj.MediaType, image, subj.Size))
	if err := remote.Put(r.Digest(bundle.Digest(raw)), rawMan{raw, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	return bundle.Digest(raw)
}

func packReferrers(t *testing.T, src string) (*Result, []byte) {
	out := filepath.Join(t.TempDir(), "x.ctp")
	res, err := Run(context.Background(), Request{Source: src, Output: out, Quiet: true, WithReferrers: true, Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The bundle reads back: every copied manifest and blob passes the
	// reader's checks (referrers.md §2).
	br, err := bundle.NewReader(strings.NewReader(string(data)), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rd)
	}
	if _, err := br.Signatures(); err != nil {
		t.Fatal(err)
	}
	return res, data
}

// A stranger who can push to the repository cannot make --with-referrers
// read without bound or fail: a referrer with an oversize blob, one whose
// blob is missing and a cosign tag that holds an index are skipped (with
// reasons) without being downloaded, and the rest is copied.
func TestWithReferrersSkips(t *testing.T) {
	host, img := referrerRegistry(t, "app")
	good := attach(t, host, "app", img, 0, []byte("a claim"), 0)
	big := attach(t, host, "app", img, bundle.MaxReferrerBlob+1, nil, 1)
	r, _ := name.NewRepository(host+"/app", name.Insecure)
	idx, _ := random.Index(10, 1, 1)
	if err := remote.WriteIndex(r.Tag(bundle.CosignTag(img, bundle.RoleCosignSig)), idx); err != nil {
		t.Fatal(err)
	}
	// a referrer whose blob the registry does not have (it does not check)
	missing := attach(t, host, "app", img, 10, nil, 2)
	res, _ := packReferrers(t, host+"/app@"+img)
	refs := res.Referrers
	if len(refs.Copied) != 1 || refs.Copied[0].Digest != good || refs.Copied[0].Role != bundle.RoleReferrer {
		t.Fatalf("copied %+v, want only %s", refs.Copied, good)
	}
	reasons := map[string]string{}
	for _, s := range refs.Skipped {
		reasons[s.Digest+s.Tag] = s.Reason
	}
	if !strings.Contains(reasons[big], "over the 67108864-byte limit") {
		t.Errorf("oversize referrer: %q", reasons[big])
	}
	if !strings.Contains(reasons[missing], "is not in the registry") {
		t.Errorf("referrer with a missing blob: %q", reasons[missing])
	}
	idxDigest, _ := idx.Digest()
	if !strings.Contains(reasons[idxDigest.String()+bundle.CosignTag(img, bundle.RoleCosignSig)], "is not an image manifest") {
		t.Errorf("cosign tag holding an index: %v", reasons)
	}
	// The empty config is listed as attestations list it.
	if b, ok := res.Manifest.Blob(bundle.EmptyDigest); !ok || b.Role != bundle.RoleConfig || b.MediaType != bundle.MediaTypeEmpty {
		t.Errorf("empty config listed as %+v", b)
	}
}

// At most MaxReferrers manifests are copied; the rest are not read, and
// the report says how many.
func TestWithReferrersCount(t *testing.T) {
	host, img := referrerRegistry(t, "many")
	for i := 0; i < bundle.MaxReferrers+2; i++ {
		attach(t, host, "many", img, 0, []byte(fmt.Sprintf("claim %d", i)), i)
	}
	res, _ := packReferrers(t, host+"/many@"+img)
	if n := len(res.Referrers.Copied); n != bundle.MaxReferrers {
		t.Fatalf("copied %d, want %d", n, bundle.MaxReferrers)
	}
	if s := res.Referrers.Skipped; len(s) != 1 || s[0].Reason != "2 more referrers not read: at most 64 manifests are copied" {
		t.Fatalf("skipped %+v", s)
	}
}

// Not from a registry: a usage error, before anything is written.
func TestWithReferrersNeedsRegistry(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.ctp")
	_, err := Run(context.Background(), Request{Source: "oci:" + testLayout(t), Output: out, Quiet: true, WithReferrers: true, Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(fmt.Sprint(err), "not a registry source") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output written")
	}
}
