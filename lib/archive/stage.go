package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
)

// MaxHeadBytes bounds the manifests and signature entries of one archive
// held in memory while staging.
const MaxHeadBytes = 64 << 20

// Item is one bundle to import: everything but the blobs, which come from a
// BlobSource. Its bundle bytes are a pure function of these fields and the blobs.
type Item struct {
	Entry         IndexBundle
	Manifest      *bundle.Manifest
	ManifestBytes []byte
	Signatures    []bundle.Entry
	Proofs        []bundle.Entry // transparency/… entries (bundle.md §6.1), sorted
	From          string         // the archive or bundle file it came from, for messages
	src           BlobSource
	uploaded      map[string]bool // blobs uploaded to its registry ref while hashed, and matching
}

// Uploaded reports whether blob d was uploaded to the item's registry
// destination during verification, every byte matching its digest
// (archive.md §5 "In place"): the pusher need not upload it again.
func (it *Item) Uploaded(d string) bool { return it.uploaded[d] }

// ModTime is the entry mtime of the bundle.
func (it *Item) ModTime() time.Time { return time.Unix(it.Entry.MTime, 0).UTC() }

// FileName is the bundle's file name in a dir: destination (FileName).
func (it *Item) FileName() string { return FileName(it.Entry) }

// FileName is the file name of b in a dir: destination (archive.md §6):
// NAME_VERSION.ctp where, in NAME and VERSION, each '_' is written "%5F",
// and then each '/' of NAME is written '_'. Neither grammar (bundle.md §3)
// allows '%', so the last '_' separates NAME from VERSION and the mapping
// is injective: a/b:c is a_b_c.ctp, a:b_c is a_b%5Fc.ctp. Names and
// versions without '_' keep the plain NAME_VERSION.ctp form.
func FileName(b IndexBundle) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "_", "%5F") }
	name := strings.ReplaceAll(esc(b.Name), "/", "_") + "_" + esc(b.Version) + ".ctp"
	if len(name) <= maxFileName {
		return name
	}
	// Too long for a file system (255 bytes, less room for the temporary
	// suffix): keep a prefix and add a digest of the whole name. "~" is in
	// neither the name nor the version grammar, so a shortened name never
	// equals an unshortened one, and the digest keeps shortened names apart.
	sum := sha256.Sum256([]byte(name))
	return name[:maxFileName-len(".ctp")-33] + "~" + hex.EncodeToString(sum[:16]) + ".ctp"
}

// maxFileName bounds FileName's result, leaving room for the longest
// temporary suffix ct adds (".tmp-" and a random number) within the 255
// bytes most file systems allow for one name.
const maxFileName = 200

// WriteBundle rebuilds the .ctp of it on w, checking every blob's digest
// and size as it streams.
func (it *Item) WriteBundle(w io.Writer) error {
	bw, err := bundle.NewWriter(w, it.Manifest, bundle.WriterOptions{ModTime: it.ModTime()})
	if err != nil {
		return err
	}
	if !bytes.Equal(bw.ManifestBytes(), it.ManifestBytes) {
		return exit.New(exit.Malformed, "manifest.toml does not re-encode to itself").At("bundle " + it.Entry.Ref())
	}
	for _, b := range it.Manifest.Blobs {
		rc, err := it.src.Open(b.Digest)
		if err != nil {
			return err
		}
		err = bw.WriteBlob(b.Digest, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	if err := bw.WriteSignatures(it.Signatures); err != nil {
		return err
	}
	if err := bw.WriteProofs(it.Proofs); err != nil {
		return err
	}
	return bw.Close()
}

// BlobSource gives blob content by digest.
type BlobSource interface {
	// Open returns the blob's content; the caller checks the digest.
	Open(digest string) (io.ReadCloser, error)
	// Has reports whether the source holds the blob.
	Has(digest string) bool
	// File returns a file path holding exactly the blob, already hashed,
	// which may be hard-linked; "" when there is none.
	File(digest string) string
}

// Sources tries each source in turn.
type Sources []BlobSource

func (s Sources) Has(d string) bool {
	for _, x := range s {
		if x != nil && x.Has(d) {
			return true
		}
	}
	return false
}

func (s Sources) Open(d string) (io.ReadCloser, error) {
	for _, x := range s {
		if x != nil && x.Has(d) {
			return x.Open(d)
		}
	}
	return nil, exit.New(exit.IO, "blob %s is in no source", d)
}

func (s Sources) File(d string) string {
	for _, x := range s {
		if x != nil && x.Has(d) {
			return x.File(d)
		}
	}
	return ""
}

// dirBlobs is a folder of blobs named by hex digest, verified when written.
type dirBlobs struct {
	dir  string
	have map[string]bool
	size map[string]int64 // of each blob in have
}

func (d *dirBlobs) path(digest string) string {
	return filepath.Join(d.dir, strings.TrimPrefix(digest, "sha256:"))
}
func (d *dirBlobs) Has(digest string) bool { return d.have[digest] }
func (d *dirBlobs) File(digest string) string {
	if d.have[digest] {
		return d.path(digest)
	}
	return ""
}
func (d *dirBlobs) Open(digest string) (io.ReadCloser, error) {
	f, err := os.Open(d.path(digest))
	if err != nil {
		return nil, exit.Wrap(exit.IO, pathless(err), "cannot read staged blob %s", digest)
	}
	return f, nil
}

// Staged is an archive extracted into a private folder (or, from
// ReadHeads, only its heads: index, manifests, signatures, keys, policy).
type Staged struct {
	Name       string // the archive's path, for messages
	Index      *Index
	IndexBytes []byte
	Items      []*Item
	Keys       []*keys.PublicKey
	Policy     []byte // policy.json, nil when absent
	Zstd       bool
	blobs      *dirBlobs
	located    *fileBlobs        // StageOptions.Locate: where each blob lies in the archive file
	headSum    [sha256.Size]byte // of every head entry, name and bytes
}

// StageOptions controls Stage beyond its defaults.
type StageOptions struct {
	// Ctx stops staging when cancelled (Ctrl-C, SIGTERM); nil never stops.
	Ctx context.Context
	// Heads, from ReadHeads on the same archive, is what the caller has
	// already checked: staging refuses an archive whose heads differ
	// (the file changed between the two reads).
	Heads *Staged
	// Want says which present blobs to write; the others are hashed and
	// dropped. nil writes them all.
	Want func(digest string) bool
	// AfterHeads, when set, is called once the heads are read and before
	// any blob is: the caller judges them (signatures, trust, policy) and
	// returns which blobs to write (replacing Want), or an error that ends
	// staging with nothing written. One pass over a stream, trust before
	// disk.
	AfterHeads func(*Staged) (func(digest string) bool, error)
	// Locate reads a plain (uncompressed) archive in place instead of
	// extracting it: r must be an io.ReadSeeker (the archive file, at its
	// start). Every header, padding and the tail are checked as when
	// staging, but blob data is seeked past, not read: each wanted blob's
	// offset is noted (Staged.Located), and its content is NOT checked
	// here; the caller hashes it (ct import, in place: verifyInPlace).
	Locate bool
}

// ReadHeads reads the archive r up to its first blob, enforcing the rules
// of archive.md §1–§3 on everything it reads, and writes nothing. The
// items' blob sources know only which blobs the archive declares present.
func ReadHeads(r io.Reader, name string) (*Staged, error) {
	s, err := stage(r, name, "", StageOptions{}, true)
	if err != nil {
		return nil, at(err, "archive "+name)
	}
	return s, nil
}

// Blobs is the staged blob store.
func (s *Staged) Blobs() BlobSource { return s.blobs }

// Stage reads the archive r (named name in messages) and extracts its blobs
// into dir, which must exist and be private to the caller. Every rule of
// archive.md §4 is enforced while reading: entry order and names, types and
// headers, sizes from the index, every blob hashed, nothing unlisted.
func Stage(r io.Reader, name, dir string) (*Staged, error) {
	return StageWith(r, name, dir, StageOptions{})
}

// StageWith is Stage with options.
func StageWith(r io.Reader, name, dir string, so StageOptions) (*Staged, error) {
	s, err := stage(r, name, dir, so, false)
	if err != nil && so.Ctx != nil && so.Ctx.Err() != nil {
		return nil, interrupted(so.Ctx.Err())
	}
	if err != nil {
		return nil, at(err, "archive "+name)
	}
	return s, nil
}

// archiveFile is what reading an archive in place (StageOptions.Locate)
// needs: seeking past blob data, then positioned reads of it.
type archiveFile interface {
	io.ReadSeeker
	io.ReaderAt
}

func stage(r io.Reader, name, dir string, so StageOptions, headsOnly bool) (*Staged, error) {
	ctx := so.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var o *opened
	var err error
	var file archiveFile
	if so.Locate {
		var ok bool
		if file, ok = r.(archiveFile); !ok {
			return nil, exit.New(exit.Internal, "archive %s: reading in place needs a file", name)
		}
		o = &opened{r: file} // ustar seeks past blob data; headers are read unbuffered
	} else {
		r = ctxReader{ctx, r}
		size := 1 << 20
		if headsOnly {
			size = 64 << 10 // the heads are small: no 1 MiB of blob read for nothing
		}
		if o, err = openSize(r, size); err != nil {
			return nil, err
		}
	}
	defer o.Close()
	tr := newTarReader(o)
	x, xb, err := readIndexEntry(tr)
	if err != nil {
		return nil, err
	}
	st := &Staged{Name: name, Index: x, IndexBytes: xb, Zstd: o.Zstd, blobs: &dirBlobs{dir: dir, have: map[string]bool{}, size: map[string]int64{}}}
	if so.Locate {
		st.located = &fileBlobs{ra: file, name: name, off: map[string]int64{}, size: map[string]int64{}}
	}
	hs := sha256.New()
	head := func(name string, b []byte) {
		fmt.Fprintf(hs, "%s\x00%d\x00", name, len(b))
		hs.Write(b)
	}
	head(IndexName, xb)
	// The sequence of entries the index implies (§2), checked one by one.
	next := func(want string, max int64) (*ustar.Header, error) {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, malformed("", "archive ends early: expected entry %s", want)
		}
		if err != nil {
			return nil, tarErr(err, want)
		}
		if err := checkHeader(h); err != nil {
			return nil, err
		}
		if h.Name != want {
			return nil, malformed(h.Name, "unexpected entry (expected %s)", want)
		}
		if h.Size > max {
			return nil, malformed(h.Name, "%d bytes, over the %d-byte limit", h.Size, max)
		}
		return h, nil
	}
	small := func(want string, max int64) ([]byte, error) {
		h, err := next(want, max)
		if err != nil {
			return nil, err
		}
		b := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, tarErr(err, want)
		}
		head(want, b)
		return b, nil
	}
	used := map[string]bool{}
	var heads int64
	for _, ib := range x.Bundles {
		mb, err := small(ib.Dir()+manifestLeaf, bundle.MaxManifestSize)
		if err != nil {
			return nil, err
		}
		where := ib.Dir() + manifestLeaf
		if got := Digest(mb); got != ib.ManifestDigest {
			return nil, exit.New(exit.HashMismatch, "content has digest %s, %s says %s", got, IndexName, ib.ManifestDigest).At("entry " + where).
				WithHint("the archive was altered or damaged in transit; fetch it again")
		}
		m, err := bundle.ParseManifest(mb)
		if err != nil {
			return nil, at(err, "entry "+where)
		}
		if m.Package.Name != ib.Name || m.Package.Version != ib.Version || m.Image.Digest != ib.ImageDigest {
			return nil, malformed(where, "name, version or image digest differ from %s", IndexName)
		}
		for _, b := range m.Blobs {
			xb, ok := x.Blob(b.Digest)
			if !ok || xb.Size != b.Size {
				return nil, malformed(where, "blob %s (%d bytes) is not listed with that size in %s", b.Digest, b.Size, IndexName)
			}
			used[b.Digest] = true
		}
		it := &Item{Entry: ib, Manifest: m, ManifestBytes: mb, From: name}
		heads += int64(len(mb))
		for _, sn := range ib.Signatures {
			sb, err := small(ib.Dir()+sn, bundle.MaxSignatureSize)
			if err != nil {
				return nil, err
			}
			heads += int64(len(sb))
			if heads > MaxHeadBytes {
				return nil, malformed(where, "manifests and signatures exceed %d bytes in all", MaxHeadBytes)
			}
			it.Signatures = append(it.Signatures, bundle.Entry{Name: sn, Data: sb})
		}
		for _, pn := range ib.Proofs {
			pb, err := small(ib.Dir()+pn, bundle.MaxProofSize)
			if err != nil {
				return nil, err
			}
			heads += int64(len(pb))
			if heads > MaxHeadBytes {
				return nil, malformed(where, "manifests, signatures and proofs exceed %d bytes in all", MaxHeadBytes)
			}
			// Parsed strictly here (log.md §4), not verified: ct import
			// carries proofs as ct export does, and a proof that does not
			// parse is a damaged archive whether or not it is checked.
			if _, err := tlog.ParseProof(pn, pb); err != nil {
				return nil, at(err, "archive bundle "+ib.Dir())
			}
			it.Proofs = append(it.Proofs, bundle.Entry{Name: pn, Data: pb})
		}
		if len(it.Signatures) > 0 && m.HasPending() {
			// attestations.md §9.3: malformed for every reader, whether
			// or not the import verifies signatures.
			return nil, malformed(where, "the bundle is signed but still lists %d pending (unsigned) attestation(s); a signer replaces every pending attestation by a signed one before signing", m.PendingCount())
		}
		if heads > MaxHeadBytes {
			return nil, malformed(where, "manifests and signatures exceed %d bytes in all", MaxHeadBytes)
		}
		st.Items = append(st.Items, it)
	}
	for _, b := range x.Blobs {
		if !used[b.Digest] {
			return nil, malformed(IndexName, "blob %s is listed but no bundle uses it", b.Digest)
		}
	}
	for _, k := range x.Keys {
		kb, err := small(k.Path(), MaxKeySize)
		if err != nil {
			return nil, err
		}
		p, err := keys.DecodePublic(kb)
		if err != nil {
			return nil, at(err, "entry "+k.Path())
		}
		if p.Fingerprint().String() != k.Fingerprint || p.ID() != k.ID || p.Suite() != k.Suite {
			return nil, malformed(k.Path(), "the key differs from its %s entry", IndexName)
		}
		st.Keys = append(st.Keys, p)
	}
	if x.Policy != "" {
		if st.Policy, err = small(PolicyName, MaxPolicySize); err != nil {
			return nil, err
		}
	}
	hs.Sum(st.headSum[:0])
	if so.Heads != nil && so.Heads.headSum != st.headSum {
		return nil, malformed("", "the archive changed while it was read: its heads differ from the first reading").
			WithHint("do not modify the archive during the import; run it again")
	}
	if headsOnly {
		declared := declaredBlobs{}
		for _, b := range x.Blobs {
			if b.Present {
				declared[b.Digest] = true
			}
		}
		for _, it := range st.Items {
			it.src = declared
		}
		return st, nil
	}
	if so.AfterHeads != nil {
		want, err := so.AfterHeads(st)
		if err != nil {
			return nil, err
		}
		so.Want = want
	}
	buf := make([]byte, 1<<20)
	for _, b := range x.Blobs {
		if !b.Present {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, interrupted(err)
		}
		h, err := next(b.Path(), bundle.MaxBlobSize)
		if err != nil {
			return nil, err
		}
		if h.Size != b.Size {
			return nil, exit.New(exit.HashMismatch, "size %d, %s says %d", h.Size, IndexName, b.Size).At("entry " + b.Path()).
				WithHint("the archive was altered or damaged in transit; fetch it again")
		}
		if so.Locate {
			// Not read now: the next header is sought past it (its
			// padding checked); verifyInPlace hashes it, in parallel.
			if so.Want == nil || so.Want(b.Digest) {
				st.located.off[b.Digest], st.located.size[b.Digest] = tr.ur.Offset(), b.Size
			}
			continue
		}
		if so.Want != nil && !so.Want(b.Digest) {
			if err := hashOnly(b, tr, buf); err != nil {
				return nil, err
			}
			continue
		}
		if err := st.blobs.write(b, tr, buf); err != nil {
			return nil, err
		}
	}
	if h, err := tr.Next(); err != io.EOF {
		if err != nil {
			return nil, tarErr(err, "end of archive")
		}
		return nil, malformed(h.Name, "unexpected entry after the last blob (not listed in %s, or a duplicate)", IndexName)
	}
	if err := checkTail(tr); err != nil {
		return nil, err
	}
	for _, it := range st.Items {
		it.src = st.blobs
		if st.located != nil {
			it.src = st.located
		}
	}
	return st, nil
}

// declaredBlobs are the blobs an archive's index declares present, before
// they are staged: enough to tell which blobs a delta lacks.
type declaredBlobs map[string]bool

func (d declaredBlobs) Has(digest string) bool    { return d[digest] }
func (d declaredBlobs) File(digest string) string { return "" }
func (d declaredBlobs) Open(digest string) (io.ReadCloser, error) {
	return nil, exit.New(exit.Internal, "blob %s is not staged yet", digest)
}

// ctxReader stops a read when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, interrupted(err)
	}
	return c.r.Read(p)
}

// interrupted is the error of a cancelled import (Ctrl-C, SIGTERM).
func interrupted(error) *exit.Error {
	return exit.New(exit.IO, "interrupted (SIGINT or SIGTERM); staging folder and temporary files removed").
		WithHint("bundles already installed whole stay; run the import again to install the rest")
}

// hashOnly reads the blob b from r and checks its digest, writing nothing.
func hashOnly(b IndexBlob, r io.Reader, buf []byte) error {
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, buf)
	if err != nil {
		return tarErr(err, b.Path())
	}
	if n != b.Size {
		return malformed(b.Path(), "archive is truncated inside the blob")
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.Digest {
		return exit.New(exit.HashMismatch, "content has digest %s, %s says %s", got, IndexName, b.Digest).At("entry " + b.Path()).
			WithHint("the archive was altered or damaged in transit; fetch it again")
	}
	return nil
}

// write stores the blob b from r under the store, hashing it; the file
// keeps a temporary name until its digest is confirmed.
func (d *dirBlobs) write(b IndexBlob, r io.Reader, buf []byte) error {
	p := d.path(b.Digest)
	f, err := os.OpenFile(p+".part", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return exit.Wrap(exit.IO, pathless(err), "cannot stage blob").At(p)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), r, buf)
	cerr := f.Close()
	if err != nil {
		os.Remove(p + ".part")
		var pe *os.PathError
		if errors.As(err, &pe) {
			return exit.Wrap(exit.IO, pathless(err), "cannot stage blob").At(p)
		}
		return tarErr(err, b.Path())
	}
	if cerr != nil {
		os.Remove(p + ".part")
		return exit.Wrap(exit.IO, cerr, "cannot stage blob").At(p)
	}
	if n != b.Size {
		os.Remove(p + ".part")
		return malformed(b.Path(), "archive is truncated inside the blob")
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.Digest {
		os.Remove(p + ".part")
		return exit.New(exit.HashMismatch, "content has digest %s, %s says %s", got, IndexName, b.Digest).At("entry " + b.Path()).
			WithHint("the archive was altered or damaged in transit; fetch it again")
	}
	// Readable by all once verified, as any OCI layout's blobs are: an
	// oci: install hard-links this file, and skopeo or podman running as
	// another user must read it (0600 while it is unverified).
	if err := os.Chmod(p+".part", 0o644); err != nil {
		os.Remove(p + ".part")
		return exit.Wrap(exit.IO, err, "cannot stage blob").At(p)
	}
	if err := os.Rename(p+".part", p); err != nil {
		return exit.Wrap(exit.IO, pathless(err), "cannot stage blob").At(p)
	}
	d.have[b.Digest] = true
	d.size[b.Digest] = b.Size
	return nil
}

// bundleFile is a .ctp given to import directly: its blobs are read in place.
type bundleFile struct {
	f    *os.File
	name string
	off  map[string]int64
	size map[string]int64
}

func (b *bundleFile) Has(d string) bool    { _, ok := b.off[d]; return ok }
func (b *bundleFile) File(d string) string { return "" }
func (b *bundleFile) Open(d string) (io.ReadCloser, error) {
	return io.NopCloser(io.NewSectionReader(b.f, b.off[d], b.size[d])), nil
}

// OpenBundle reads the head and blob locations of the bundle file f (named
// name), checking its structure (not yet its blob content, which rebuilding
// checks). The caller closes f after the import.
func OpenBundle(f *os.File, name string) (*Item, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, exit.Wrap(exit.IO, pathless(err), "cannot stat bundle").At(name)
	}
	br, err := bundle.NewReader(f, name)
	if err != nil {
		return nil, err
	}
	br.SkipContent()
	src := &bundleFile{f: f, name: name, off: map[string]int64{}, size: map[string]int64{}}
	for {
		b, _, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, br.Decide(err) // verify.md §2: a later 10 outranks a 1
		}
		src.off[b.Digest], src.size[b.Digest] = br.Offset(), b.Size
	}
	sigs, err := br.Signatures()
	if err != nil {
		return nil, err
	}
	m := br.Manifest()
	ib := IndexBundle{Name: m.Package.Name, Version: m.Package.Version, ManifestDigest: bundle.Digest(br.ManifestBytes()),
		ImageDigest: m.Image.Digest, MTime: br.ModTime().Unix(), Size: fi.Size()}
	var sizes, psizes []int64
	for _, s := range sigs {
		ib.Signatures = append(ib.Signatures, s.Name)
		sizes = append(sizes, int64(len(s.Data)))
	}
	proofs := br.Proofs()
	for _, p := range proofs {
		ib.Proofs = append(ib.Proofs, p.Name)
		psizes = append(psizes, int64(len(p.Data)))
	}
	// The rebuilt bundle is the file without what the bundle reader lets
	// follow the end-of-archive marker (the padding ct verify accepts too),
	// as ct export computes it (§4).
	if n, ok := CanonicalSize(m, br.ManifestBytes(), sizes, psizes); ok && n <= fi.Size() {
		ib.Size = n
	}
	return &Item{Entry: ib, Manifest: m, ManifestBytes: br.ManifestBytes(), Signatures: sigs, Proofs: proofs, From: name, src: src}, nil
}
