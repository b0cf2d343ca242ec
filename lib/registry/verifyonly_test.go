package registry

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// What --verify-only downloads: never a layer or a copied referrer's blob.
func TestDownloads(t *testing.T) {
	for _, c := range []struct {
		b    bundle.Blob
		want bool
	}{
		{bundle.Blob{Role: bundle.RoleLayer, Size: 10}, false},
		{bundle.Blob{Role: bundle.RoleReferrerBlob, Size: 10}, false},
		{bundle.Blob{Role: bundle.RoleConfig, Size: 10}, true},
		{bundle.Blob{Role: bundle.RoleConfig, Size: bundle.MaxMetaBlobSize + 1}, false},
		{bundle.Blob{Role: bundle.RoleManifest, Size: 10}, true},
		{bundle.Blob{Role: bundle.RoleIndex, Size: 10}, true},
		{bundle.Blob{Role: bundle.RoleAttestation, Size: 10}, true},
		{bundle.Blob{Role: bundle.RoleEnvelope, Size: 10}, true},
	} {
		if got := downloads(c.b); got != c.want {
			t.Errorf("downloads(%s, %d) = %v", c.b.Role, c.b.Size, got)
		}
	}
}

// bundle.Writer writing into a bundle.Layout, with the layers as holes,
// lays out the bundle byte for byte as the file (proofs included), with
// holes exactly where the layers' bytes are: --verify-only verifies the
// layout ct fetch writes.
func TestVerifyOnlyLayoutIsTheBundles(t *testing.T) {
	path, _, _ := loggedBundle(t)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := partsOf(t, path)
	lay := &bundle.Layout{}
	bw, err := bundle.NewWriter(lay, p.Manifest, bundle.WriterOptions{ModTime: p.ModTime})
	if err != nil {
		t.Fatal(err)
	}
	holes := map[int64]int64{}
	for _, b := range p.Manifest.Blobs {
		if b.Role == bundle.RoleLayer {
			off, err := lay.Hole(bw, b.Digest)
			if err != nil {
				t.Fatal(err)
			}
			holes[off] = b.Size
			continue
		}
		rc, _ := p.Open(b)
		if err := bw.WriteUnhashedBlob(b.Digest, rc); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.WriteSignatures(p.Signatures); err != nil {
		t.Fatal(err)
	}
	if err := bw.WriteProofs(p.Proofs); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if lay.Size() != int64(len(full)) || len(holes) == 0 || len(p.Proofs) == 0 {
		t.Fatalf("layout size %d, file %d bytes, %d holes, %d proofs", lay.Size(), len(full), len(holes), len(p.Proofs))
	}
	r := lay.Reader()
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < lay.Size(); {
		if n, ok := holes[pos]; ok {
			if k, err := r.Read(buf); k != 0 || exit.CodeOf(err) != exit.Internal {
				t.Fatalf("read inside the hole at %d: %d bytes, %v", pos, k, err)
			}
			pos, _ = r.Seek(n, io.SeekCurrent)
			continue
		}
		k, err := r.Read(buf)
		if err != nil || k == 0 || !bytes.Equal(buf[:k], full[pos:pos+int64(k)]) {
			t.Fatalf("bytes at %d differ from the file (%d read, %v)", pos, k, err)
		}
		pos += int64(k)
	}
}
