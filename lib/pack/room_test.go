package pack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// hugeLayers is how many layers of the largest size a blob may have
// (bundle.MaxBlobSize, 1 TiB) hugeRegistry's manifest declares besides the
// image's own: more than any disk holds.
const hugeLayers = 1000

type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// hugeRegistry is a real registry (packRegistry's) serving REG/test/huge:v1,
// an image of one real 1000-byte layer whose manifest also declares
// hugeLayers layers of 1 TiB the registry never holds. It returns the
// reference and a count of the layer GETs the registry answered.
func hugeRegistry(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	src, content, hooks := packRegistry(t, 1000)
	host := strings.SplitN(src, "/", 2)[0]
	ref, _ := name.ParseReference(src, name.Insecure)
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	var mf v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &mf); err != nil {
		t.Fatal(err)
	}
	for i := range hugeLayers {
		sum := sha256.Sum256(fmt.Appendf(nil, "huge layer %d", i))
		d, _ := v1.NewHash("sha256:" + hex.EncodeToString(sum[:]))
		mf.Layers = append(mf.Layers, v1.Descriptor{MediaType: types.OCILayer, Size: bundle.MaxBlobSize, Digest: d})
	}
	raw, err := json.Marshal(mf)
	if err != nil {
		t.Fatal(err)
	}
	huge, _ := name.ParseReference(host+"/test/img:huge", name.Insecure)
	if err := remote.Put(huge, rawManifest{raw, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	var gets atomic.Int64
	for d := range content {
		hooks[d] = func(w http.ResponseWriter, r *http.Request, c []byte) {
			gets.Add(1)
			w.Write(c)
		}
	}
	return host + "/test/img:huge", &gets
}

// roomErr fails unless err is lib/spool's refusal for want (exit 11, the
// folder and its free space named, the manifests named as what declares
// the sizes), with hint.
func roomErr(t *testing.T, err error, want, hint string) {
	t.Helper()
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "as the source's manifests declare") || !strings.Contains(exit.HintOf(err), hint) {
		t.Fatalf("got %v (code %d, hint %q), want exit 11 with %q", err, exit.CodeOf(err), exit.HintOf(err), want)
	}
}

func emptyTree(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return err
	})
}

// TestPackNoRoomBesideOutput: ct pack -o FILE writes the bundle into a
// temporary file beside FILE. A registry whose manifest declares more than
// that folder has free is refused (11) before a layer is downloaded, and
// nothing is left there.
func TestPackNoRoomBesideOutput(t *testing.T) {
	src, gets := hugeRegistry(t)
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	_, err := Run(context.Background(), Request{Source: src, Output: filepath.Join(dir, "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	roomErr(t, err, "the output's folder "+dir+" has", "write the bundle to a folder with room")
	if !strings.HasPrefix(err.Error(), filepath.Join(dir, "x.ctp")+": the bundle needs ") {
		t.Errorf("error %q does not start with the output and the bundle", err)
	}
	if n := gets.Load(); n != 0 {
		t.Errorf("%d layer downloads before the refusal", n)
	}
	emptyTree(t, dir)
	emptyTree(t, os.TempDir())
}

// TestPackNoRoomAhead: ct pack from a registry to standard output (a pipe)
// downloads blobs ahead of the writer into TMPDIR. When the largest blobs
// the manifest declares do not fit there, the pack is refused (11) before
// a byte goes to the pipe or a layer is downloaded, and TMPDIR is left as
// it was.
func TestPackNoRoomAhead(t *testing.T) {
	src, gets := hugeRegistry(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); out <- b }()
	_, err = Run(context.Background(), Request{Source: src, Stdout: w, Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	w.Close()
	roomErr(t, err, "TMPDIR "+tmp+" has", "-o FILE")
	if !strings.Contains(err.Error(), "downloading ahead needs") {
		t.Errorf("error %q", err)
	}
	if b := <-out; len(b) != 0 {
		t.Errorf("%d bytes went to standard output", len(b))
	}
	if n := gets.Load(); n != 0 {
		t.Errorf("%d layer downloads before the refusal", n)
	}
	emptyTree(t, tmp)
}

// TestPackSBOMNoRoom: ct pack --sbom writes the unsigned bundle into TMPDIR
// and ct-sbom its copy beside it; without room for both at the declared
// sizes it is refused (11) before either is written or a layer fetched
// (ct-sbom is never run: its path here does not exist).
func TestPackSBOMNoRoom(t *testing.T) {
	src, gets := hugeRegistry(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	plan := testPlan(t, src)
	need, err := plan.bundleSize(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	err = writeWithSBOM(context.Background(), Request{Quiet: true}, plan, filepath.Join(tmp, "no-ct-sbom"), need, io.Discard, nil, nil, &Result{})
	roomErr(t, err, "TMPDIR "+tmp+" has", "pack without --sbom")
	if !strings.Contains(err.Error(), fmt.Sprintf("needs %d bytes", 2*need)) {
		t.Errorf("error %q does not ask for two copies of %d bytes", err, need)
	}
	if n := gets.Load(); n != 0 {
		t.Errorf("%d layer downloads before the refusal", n)
	}
	emptyTree(t, tmp)
}

// TestPrefetchStopsPastDeclaredSize: a source that sends more than a
// blob's declared size puts at most one byte more into TMPDIR (the
// prefetcher's download stops there), and the writer refuses the blob
// (exit 1).
func TestPrefetchStopsPastDeclaredSize(t *testing.T) {
	src, content, _ := packRegistry(t, 1000)
	t.Setenv("TMPDIR", t.TempDir())
	plan := testPlan(t, src)
	var layer string
	for d := range content {
		layer = d
	}
	const extra = 32 << 20
	var served atomic.Int64
	plan.RawBlob = func(ctx context.Context, d string) (io.ReadCloser, error) {
		r := io.MultiReader(strings.NewReader(string(content[d])), io.LimitReader(zeros{}, extra))
		return io.NopCloser(countReader{r, &served}), nil
	}
	err := plan.Write(context.Background(), io.Discard, time.Time{}, nil, nil, nil)
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), layer) {
		t.Fatalf("a layer longer than declared: exit %d, %v", exit.CodeOf(err), err)
	}
	if n := served.Load(); n > int64(len(content[layer]))+1 {
		t.Fatalf("the prefetcher read %d bytes of a %d-byte blob", n, len(content[layer]))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
