package registry

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// The sparse bundle serves its bytes and seeks over holes, and reading
// inside a hole (a blob --verify-only did not download) is an internal
// error that is remembered, never zeros that could pass for content.
func TestSparse(t *testing.T) {
	s := &sparse{}
	s.add([]byte("head"))
	s.hole(5, "sha256:hole")
	s.add([]byte("tail"))
	buf := make([]byte, 16)
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "head" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if _, err := s.Seek(5, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(s); err != nil || string(b) != "tail" {
		t.Fatalf("read %q, %v", b, err)
	}
	if _, err := s.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Read(buf); n != 0 || exit.CodeOf(err) != exit.Internal || s.err == nil {
		t.Fatalf("read inside the hole: %d bytes, %v", n, err)
	}
	if p, _ := s.Seek(-2, io.SeekEnd); p != 11 {
		t.Fatalf("SeekEnd: %d", p)
	}
	if _, err := s.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("negative position accepted")
	}
}

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

// bundle.Writer writing into a sparse, with the layers skipped, lays out
// the bundle byte for byte as the file (proofs included), with holes
// exactly where the layers' bytes are: --verify-only verifies the layout
// ct fetch writes.
func TestSparseLayoutIsTheBundles(t *testing.T) {
	path, _, _ := loggedBundle(t)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := partsOf(t, path)
	sp := &sparse{}
	bw, err := bundle.NewWriter(sp, p.Manifest, bundle.WriterOptions{ModTime: p.ModTime})
	if err != nil {
		t.Fatal(err)
	}
	holes := 0
	for _, b := range p.Manifest.Blobs {
		if b.Role == bundle.RoleLayer {
			sp.skipping = b.Digest
			if _, err := bw.SkipBlob(b.Digest); err != nil {
				t.Fatal(err)
			}
			holes++
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
	if sp.size != int64(len(full)) || holes == 0 || len(p.Proofs) == 0 {
		t.Fatalf("sparse size %d, file %d bytes, %d holes, %d proofs", sp.size, len(full), holes, len(p.Proofs))
	}
	gotHoles := 0
	for _, s := range sp.segs {
		if s.data == nil {
			gotHoles++
			if s.digest == "" {
				t.Errorf("hole at %d names no blob", s.off)
			}
			continue
		}
		if !bytes.Equal(s.data, full[s.off:s.off+s.n]) {
			t.Fatalf("bytes at %d..%d differ from the file", s.off, s.off+s.n)
		}
	}
	if gotHoles != holes {
		t.Fatalf("%d holes, want %d", gotHoles, holes)
	}
}
