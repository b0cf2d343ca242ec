package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/verify"
)

// hugeLayers is how many layers of the largest size a blob may have
// (bundle.MaxBlobSize, 1 TiB) hugeArchive adds: more than any TMPDIR has
// free.
const hugeLayers = 1000

// hugeArchive returns the heads of an archive (index, manifest.toml,
// signature entry: every entry as the exporter writes it) of one bundle
// signed by k whose manifest.toml and index declare hugeLayers layers of
// 1 TiB besides the bundle's own blobs; the archive ends there, before its
// first blob. A reader that unpacks the blobs of the trusted bundle would
// fill any disk with a stream that went on.
func hugeArchive(t *testing.T, k *keys.PrivateKey) []byte {
	t.Helper()
	data, err := os.ReadFile(makeBundle(t, t.TempDir(), "a", "layer a"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(data), "a.ctp")
	if err != nil {
		t.Fatal(err)
	}
	m := br.Manifest()
	var layer bundle.Blob
	for _, b := range m.Blobs {
		if b.Role == bundle.RoleLayer {
			layer = b
		}
	}
	for i := range hugeLayers {
		sum := sha256.Sum256(fmt.Appendf(nil, "huge layer %d", i))
		layer.Digest, layer.Size = "sha256:"+hex.EncodeToString(sum[:]), bundle.MaxBlobSize
		m.Blobs = append(m.Blobs, layer)
	}
	m.SortBlobs()
	var head bytes.Buffer
	w, err := bundle.NewWriter(&head, m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mb := w.ManifestBytes()
	e, _, err := sig.BundleEntry(k, mb)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := spool.Size(m, int64(head.Len())) // without the signature: the archive never gets that far
	ib := IndexBundle{Name: m.Package.Name, Version: m.Package.Version, ManifestDigest: Digest(mb), ImageDigest: m.Image.Digest,
		Signatures: []string{e.Name}, Size: size}
	x := &Index{Format: FormatVersion, Bundles: []IndexBundle{ib}}
	for _, b := range m.Blobs {
		x.Blobs = append(x.Blobs, IndexBlob{Digest: b.Digest, Size: b.Size, Present: true})
	}
	sort.Slice(x.Blobs, func(i, j int) bool { return x.Blobs[i].Digest < x.Blobs[j].Digest })
	xb, err := x.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tw := ustar.NewWriter(&out, 0)
	for _, f := range []struct {
		name string
		data []byte
	}{{IndexName, xb}, {ib.Dir() + manifestLeaf, mb}, {ib.Dir() + e.Name, e.Data}} {
		if err := writeFile(tw, f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	// The last entry padded to its block; no end-of-archive marker.
	return append(out.Bytes(), make([]byte, (ustar.BlockSize-out.Len()%ustar.BlockSize)%ustar.BlockSize)...)
}

// roomErr fails unless err is lib/spool's refusal of a full TMPDIR
// (exit 11, both numbers, the index named as what declares them), its
// message starting with prefix.
func roomErr(t *testing.T, err error, tmp, prefix, declares string) {
	t.Helper()
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "TMPDIR "+tmp+" has") ||
		!strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), declares) {
		t.Fatalf("got %v (code %d), want an I/O error about TMPDIR's room", err, exit.CodeOf(err))
	}
}

// TestCheckNoRoom: ct verify ARCHIVE unpacks the blobs of the bundles it
// trusts into a private folder under TMPDIR. When the index declares more
// than TMPDIR has free, it is refused (11) once the heads are judged and
// before a blob is written or read (the archive here ends before its
// first blob: reading on would make it malformed, 10), from a file as
// from a stream, and the folder is removed. Untrusted, the bundle's blobs
// would only be hashed: no room is needed, and the truncation decides.
func TestCheckNoRoom(t *testing.T) {
	k := newKey(t, "alice")
	arc := hugeArchive(t, k)
	path := filepath.Join(t.TempDir(), "huge.tar")
	if err := os.WriteFile(path, arc, 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, in := range []string{path, "-"} {
		reps := VerifyPath(in, trusting(k), verify.PathOptions{Stdin: bytes.NewReader(arc)}, tmp)
		if len(reps) != 1 {
			t.Fatalf("%s: %d reports", in, len(reps))
		}
		roomErr(t, reps[0].Err(), tmp, "archive "+in+": the archive needs ", "as its index declares) to unpack its blobs")
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: left behind: %v", in, left)
		}
	}
	reps := VerifyPath(path, verify.Options{}, verify.PathOptions{}, tmp)
	if len(reps) != 1 || reps[0].Code != int(exit.Malformed) {
		t.Fatalf("untrusted: %+v", reps)
	}
}

// TestImportStageNoRoom: ct import of a zstd archive (no random access:
// staged) in a dry run stages under TMPDIR; when the index declares more
// than TMPDIR has free, the import is refused (11) before a blob is
// written, and nothing is left there.
func TestImportStageNoRoom(t *testing.T) {
	k := newKey(t, "alice")
	var z bytes.Buffer
	zw, err := zstd.NewWriter(&z, zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(hugeArchive(t, k))
	zw.Close()
	path := filepath.Join(t.TempDir(), "huge.tar.zst")
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	_, err = Import(ImportOptions{Inputs: []string{path}, DryRun: true, Verify: true, Trust: trusting(k), Log: &bytes.Buffer{}})
	roomErr(t, err, tmp, "archive "+path+": the archive needs ", "as its index declares) to stage its blobs")
	if err := filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
