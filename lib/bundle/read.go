package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// MaxSignatureSize bounds one entry under signatures/: the one limit of
// signatures.md §4.2 (the largest valid entry, CT-SIG-02 with a 64-character
// key id, is 10075 bytes). lib/sig, lib/archive and lib/registry use it too.
const MaxSignatureSize = 16 << 10

// MaxSignatures bounds the number of entries under signatures/.
const MaxSignatures = 256

// MaxProofSize bounds one entry under transparency/ and MaxProofs their
// number (log.md §4; lib/tlog uses the same limits).
const (
	MaxProofSize = 16 << 10
	MaxProofs    = 256
)

// Reader reads a bundle in one pass. NewReader consumes and checks the
// entries before the blobs; NextBlob then yields each blob as a reader that
// verifies size and digest as it is read; after the last blob, Signatures
// returns the trailing signature entries and checks the end of the archive.
//
// Every rule of docs/spec/bundle.md "Reading" is enforced: the one tar
// encoding (each header byte for byte the writer's, zero padding, the
// end-of-archive marker and nothing after it), fixed entry order and names,
// entry types, sorted signatures, canonical manifest.toml, derived
// files byte-identical to what manifest.toml implies, blob digests and
// sizes, and (after the last blob) that the OCI manifests inside reference
// exactly the blobs manifest.toml lists.
type Reader struct {
	tr       *ustar.Reader
	src      *countingReader
	seeker   io.Seeker // the source, when it seeks (SkipContent seeks past blobs)
	name     string    // for messages: the bundle's path or "-"
	m        *Manifest
	manifest []byte
	next     int
	cur      *blobReader
	meta     map[string][]byte // index and manifest blobs, kept for the closure check
	sigs     []Entry
	proofs   []Entry // transparency/…, after the signatures (log.md §4)
	done     bool
	mtime    int64 // of manifest.toml; every entry must carry it
	// mismatches counts blobs whose content or size did not match.
	mismatches int
	// keptBad names the first kept blob (index, manifest, root config) that
	// did not match: the image-graph check cannot run on its bytes, so it is
	// skipped and the hash mismatch decides (verify.md §2).
	keptBad  string
	graphErr error // the image-graph check's failure, once it ran
	// stop is the failure at which the reader stopped reading: a blob
	// entry whose header declares more bytes than manifest.toml gives the
	// blob (a hash mismatch; verify.md §2, "Bound"), or under SkipContent a
	// blob to be sought past that the source ends inside (a truncation).
	// Nothing after it is read, and NextBlob returns it from then on.
	stop      error
	skip      bool  // SkipContent: layers and configs are not read
	metaBytes int64 // index and manifest bytes kept for the graph check
	attest    []Attestation
}

// Entry is a small file read whole from the bundle.
type Entry struct {
	Name string
	Data []byte
}

// NewReader reads the head of a bundle from r. name is used in error
// messages (a file path, or "-" for stdin).
func NewReader(r io.Reader, name string) (*Reader, error) {
	cr := &countingReader{r: r}
	var tr *ustar.Reader
	if s, ok := r.(io.ReadSeeker); ok {
		// The tar reader seeks past unread entry data when it can.
		// Offsets are absolute, so start counting where the reader stands.
		var pos int64
		if p, err := s.Seek(0, io.SeekCurrent); err == nil {
			pos = p
		}
		tr = ustar.NewReader(&seekingCountingReader{cr, s}, pos)
	} else if c, ok := r.(ustar.ChunkReader); ok {
		// A read-ahead source (lib/readahead): blobs are hashed in its
		// buffers, without a copy (chunkedBlob).
		tr = ustar.NewReader(&chunkCountingReader{cr, c}, 0)
	} else {
		tr = ustar.NewReader(cr, 0)
	}
	br := &Reader{tr: tr, src: cr, name: name, meta: map[string][]byte{}}
	if s, ok := r.(io.Seeker); ok {
		br.seeker = s
	}
	mb, err := br.small(ManifestName, MaxManifestSize, "the first entry")
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, br.at(err)
	}
	br.m, br.manifest = m, mb
	sb, err := br.small(SummaryName, MaxSummarySize, "the second entry")
	if err != nil {
		return nil, err
	}
	want, err := SummaryBytes(m, mb)
	if err != nil {
		return nil, br.at(err)
	}
	if !bytes.Equal(sb, want) {
		if canon.CheckJSON(sb) != nil {
			return nil, br.fail(exit.Malformed, SummaryName, "not canonical JSON (RFC 8785)")
		}
		return nil, br.fail(exit.HashMismatch, SummaryName, "does not match manifest.toml (it lists other digests, sizes or names)")
	}
	for _, f := range []struct {
		name string
		want []byte
	}{{LayoutName, LayoutBytes()}, {IndexName, mustIndex(m)}} {
		b, err := br.small(f.name, MaxManifestSize, "")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b, f.want) {
			return nil, br.fail(exit.HashMismatch, f.name, "differs from what manifest.toml implies: want %q", f.want)
		}
	}
	for _, d := range []string{BlobsDir, BlobsSHA256Dir} {
		hdr, err := br.header(d)
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != ustar.TypeDir || hdr.Name != d {
			return nil, br.fail(exit.Malformed, hdr.Name, "expected directory entry %s here", d)
		}
	}
	return br, nil
}

func mustIndex(m *Manifest) []byte {
	b, _ := IndexBytes(m)
	return b
}

// Manifest returns the parsed manifest.toml.
func (r *Reader) Manifest() *Manifest { return r.m }

// ManifestBytes returns the canonical bytes of manifest.toml.
func (r *Reader) ManifestBytes() []byte { return r.manifest }

// ModTime is the mtime of the manifest.toml entry; a writer re-creating the
// bundle uses it for every entry so that re-signing changes no header.
func (r *Reader) ModTime() time.Time { return time.Unix(r.mtime, 0).UTC() }

// Offset is the stream offset of the next byte the reader will consume (for
// a file, the absolute file offset).
func (r *Reader) Offset() int64 { return r.tr.Offset() }

func (r *Reader) at(err error) error {
	var e *exit.Error
	if errors.As(err, &e) {
		if e.Where == "" {
			e.Where = "bundle " + r.name
		} else if !strings.HasPrefix(e.Where, "bundle ") {
			e.Where = "bundle " + r.name + ", " + e.Where
		}
		if e.Hint == "" {
			e.Hint = hintFor(e.Code)
		}
	}
	return err
}

func hintFor(c exit.Code) string {
	switch c {
	case exit.HashMismatch:
		return "the bundle was altered or damaged in transit; fetch it again from its source"
	case exit.Malformed:
		return "this is not an intact ct bundle; fetch it again, or repack it with ct pack"
	case exit.IO:
		return "check that the file exists and is readable"
	}
	return ""
}

func (r *Reader) fail(c exit.Code, where, format string, args ...any) error {
	e := exit.New(c, format, args...)
	if where != "" {
		e.Where = "entry " + where
	}
	return r.at(e)
}

// header reads the next tar header, expecting entry want (for messages), and
// applies the rules every entry obeys.
func (r *Reader) header(want string) (*ustar.Header, error) {
	hdr, err := r.tr.Next()
	if err == io.EOF {
		return nil, r.fail(exit.Malformed, "", "archive ends early: expected entry %s", want)
	}
	if err != nil {
		return nil, r.tarErr(err, want)
	}
	if err := r.checkHeader(hdr); err != nil {
		return nil, err
	}
	if hdr.Name != want {
		return nil, r.unexpected(hdr.Name, want)
	}
	return hdr, nil
}

func (r *Reader) tarErr(err error, want string) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return r.at(err)
	}
	var te *ustar.TruncatedError
	if errors.As(err, &te) {
		return r.fail(exit.Malformed, want, "archive is truncated: %v", err)
	}
	var ue *ustar.Error
	if errors.As(err, &ue) {
		if ue.Entry != "" {
			want = ue.Entry
		} else if want == endOfArchive {
			want = ""
		}
		return r.fail(exit.Malformed, want, "%v", err)
	}
	if r.src.err != nil && errors.Is(err, r.src.err) {
		return r.at(exit.Wrap(exit.IO, err, "cannot read bundle"))
	}
	return r.fail(exit.Malformed, want, "not a valid tar archive at byte %d: %v", r.tr.Offset(), err)
}

func (r *Reader) unexpected(got, want string) error {
	switch {
	case unsafePath(got):
		return r.fail(exit.Malformed, got, "unsafe path (absolute, '..' or not clean)")
	case got == want:
		return nil
	}
	return r.fail(exit.Malformed, got, "unexpected entry (expected %s)", want)
}

func unsafePath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, "//") {
		return true
	}
	for _, c := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if c == "" || c == "." || c == ".." {
			return true
		}
	}
	return false
}

// checkHeader applies the entry rules of bundle.md §1: first those with a
// message a user knows (type, mode, owner, mtime), then that the header is
// byte for byte the one the writer emits for the entry.
func (r *Reader) checkHeader(h *ustar.Header) error {
	bad := func(format string, args ...any) error {
		return r.fail(exit.Malformed, h.Name, format+" (header at byte %d)", append(args, h.Offset)...)
	}
	switch h.Typeflag {
	case ustar.TypeReg:
		if strings.HasSuffix(h.Name, "/") {
			return bad("a regular file whose name ends in '/' (a directory name)")
		}
		if h.Mode != 0o644 {
			return bad("mode %o, the format requires 644", h.Mode)
		}
	case ustar.TypeDir:
		if h.Mode != 0o755 || h.Size != 0 {
			return bad("directory with mode %o and size %d, the format requires 755 and 0", h.Mode, h.Size)
		}
	case '1', '2':
		return bad("link entries are not allowed (link to %q)", h.Linkname)
	default:
		return bad("entry type %q is not allowed: only regular files ('0') and directories ('5')", string(h.Typeflag))
	}
	if unsafePath(h.Name) {
		return bad("unsafe path (absolute, '..' or not clean)")
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
		return bad("owner %d:%d (%q:%q), the format requires 0:0 with no names", h.Uid, h.Gid, h.Uname, h.Gname)
	}
	for k := range h.PAX {
		if k != "size" {
			return bad("PAX record %q is not allowed", k)
		}
	}
	if h.ModTime != r.mtime {
		return bad("mtime %d, but manifest.toml's is %d: every entry carries the same mtime", h.ModTime, r.mtime)
	}
	if err := h.Exact(r.mtime); err != nil {
		return r.fail(exit.Malformed, h.Name, "header is not the one the bundle writer emits: %v", err)
	}
	return nil
}

// small reads a whole entry of at most max bytes.
func (r *Reader) small(name string, max int64, what string) ([]byte, error) {
	hdr, err := r.tr.Next()
	if err == nil && name == ManifestName {
		r.mtime = hdr.ModTime
	}
	if err == io.EOF {
		return nil, r.fail(exit.Malformed, "", "archive ends early: expected entry %s", name)
	}
	if err != nil {
		if name == ManifestName {
			var te *ustar.TruncatedError
			if errors.As(err, &te) && te.Offset == 0 {
				return nil, r.fail(exit.Malformed, "", "empty input: not a bundle")
			}
			if r.src.err == nil {
				return nil, r.fail(exit.Malformed, "", "not a ct bundle: not a tar archive (%v)", err)
			}
		}
		return nil, r.tarErr(err, name)
	}
	if err := r.checkHeader(hdr); err != nil {
		return nil, err
	}
	if hdr.Name != name {
		if what != "" && !unsafePath(hdr.Name) {
			return nil, r.fail(exit.Malformed, hdr.Name, "unexpected entry: %s of a bundle must be %s", what, name)
		}
		return nil, r.unexpected(hdr.Name, name)
	}
	if hdr.Typeflag != ustar.TypeReg {
		return nil, r.fail(exit.Malformed, name, "must be a regular file")
	}
	if hdr.Size > max {
		return nil, r.fail(exit.Malformed, name, "%d bytes, over the %d-byte limit", hdr.Size, max)
	}
	b := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r.tr, b); err != nil {
		return nil, r.tarErr(err, name)
	}
	return b, nil
}

// NextBlob returns the next blob and a reader of its content. The reader
// checks the content as it is read: at its end it returns an exit.HashMismatch
// error instead of io.EOF if the digest differs. A caller may stop reading
// early; NextBlob then reads and checks the rest itself. After the last blob
// NextBlob returns io.EOF. Under SkipContent, a blob to be sought past
// that the source ends inside is returned with its error (a
// *ustar.TruncatedError at the source's end, as a stream reading it
// meets it), and nil reader; every later call returns that error, as it
// does after a blob entry longer than manifest.toml says (Stopped).
func (r *Reader) NextBlob() (Blob, io.Reader, error) {
	if r.stop != nil {
		return Blob{}, nil, r.stop
	}
	if r.cur != nil {
		// A blob the caller read to its end has had its verdict delivered
		// already (a caller such as the verifier may go on after a hash
		// mismatch to report every problem); otherwise check it here.
		if !r.cur.done && !(r.skip && r.cur.keep == nil) {
			var rd io.Reader = r.cur
			if r.tr.CanChunk() {
				rd = chunkedBlob{r.cur}
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return Blob{}, nil, err
			}
		}
		r.cur = nil
	}
	if r.next >= len(r.m.Blobs) {
		if err := r.finishBlobs(); err != nil {
			return Blob{}, nil, err
		}
		return Blob{}, nil, io.EOF
	}
	b := r.m.Blobs[r.next]
	r.next++
	hdr, err := r.tr.Next()
	if err == io.EOF {
		return Blob{}, nil, r.fail(exit.Malformed, b.Path(), "archive ends before blob %d of %d (%s, %s)", r.next, len(r.m.Blobs), b.Role, b.Digest)
	}
	if err != nil {
		return Blob{}, nil, r.tarErr(err, b.Path())
	}
	if err := r.checkHeader(hdr); err != nil {
		return Blob{}, nil, err
	}
	if hdr.Name != b.Path() {
		if i := r.blobIndex(hdr.Name); i >= 0 {
			if i >= r.next {
				return Blob{}, nil, r.fail(exit.Malformed, b.Path(), "missing blob %d of %d (%s, %s): the next entry is blob %d", r.next, len(r.m.Blobs), b.Role, b.Digest, i+1)
			}
			return Blob{}, nil, r.fail(exit.Malformed, hdr.Name, "duplicate entry of blob %d of %d", i+1, len(r.m.Blobs))
		}
		if strings.HasPrefix(hdr.Name, SignaturesDir) {
			return Blob{}, nil, r.fail(exit.Malformed, b.Path(), "missing blob %d of %d (%s, %s): signatures begin before it", r.next, len(r.m.Blobs), b.Role, b.Digest)
		}
		return Blob{}, nil, r.unexpected(hdr.Name, b.Path())
	}
	if hdr.Typeflag != ustar.TypeReg {
		return Blob{}, nil, r.fail(exit.Malformed, hdr.Name, "a blob must be a regular file")
	}
	where := fmt.Sprintf("%s (blob %d of %d, %s)", b.Path(), r.next, len(r.m.Blobs), b.Role)
	if hdr.Size != b.Size {
		r.mismatches++
		if r.Retains(b) && r.keptBad == "" {
			r.keptBad = b.Digest
		}
		if hdr.Size > b.Size {
			// Its bytes cannot be the blob, and reading through them (up
			// to 1 TiB) to find a later structural failure would let
			// a stream spend the reader's time on bytes whose verdict is
			// decided: the reading stops here (verify.md §2).
			r.stop = r.fail(exit.HashMismatch, where, "size %d, manifest.toml says %d; the bundle is not read past this entry's header", hdr.Size, b.Size)
			return Blob{}, nil, r.stop
		}
		return Blob{}, nil, r.fail(exit.HashMismatch, where, "size %d, manifest.toml says %d", hdr.Size, b.Size)
	}
	br := &blobReader{r: r, b: b, where: where, h: sha256.New(), left: b.Size}
	if r.skip && !r.Retains(b) {
		if end, ok := r.sourceEnd(); ok && end-r.tr.Offset() < b.Size {
			// The blob will be sought past, and the source ends inside it:
			// say so here, where a stream reading it would (at the end of
			// the source), not as a padding or entry after it that the
			// seek lands beyond.
			r.stop = r.tarErr(&ustar.TruncatedError{Offset: end, What: "the data of " + hdr.Name}, where)
			return b, nil, r.stop
		}
	}
	if r.Retains(b) {
		if !isAttestationRole(b.Role) && !IsCopiedManifest(b.Role) { // bounded on their own (attestations.md §4.3, §9, referrers.md §2)
			r.metaBytes += b.Size
		}
		if r.metaBytes > MaxMetaTotal {
			return Blob{}, nil, r.fail(exit.Malformed, where, "index and manifest blobs and the image config add up to more than %d bytes", int64(MaxMetaTotal))
		}
		br.keep = &bytes.Buffer{}
	}
	r.cur = br
	if r.tr.CanChunk() {
		return b, chunkedBlob{br}, nil
	}
	return b, br, nil
}

// sourceEnd returns where a seekable source ends (its size, for a file),
// leaving its position as it was; ok false when it cannot be known.
func (r *Reader) sourceEnd() (end int64, ok bool) {
	if r.seeker == nil {
		return 0, false
	}
	cur, err := r.seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false
	}
	end, err = r.seeker.Seek(0, io.SeekEnd)
	if _, serr := r.seeker.Seek(cur, io.SeekStart); serr != nil {
		return 0, false
	}
	return end, err == nil
}

// blobIndex returns the position of the blob entry name in the manifest, or -1.
func (r *Reader) blobIndex(name string) int {
	if !strings.HasPrefix(name, BlobsSHA256Dir) {
		return -1
	}
	d := "sha256:" + strings.TrimPrefix(name, BlobsSHA256Dir)
	for i, b := range r.m.Blobs {
		if b.Digest == d {
			return i
		}
	}
	return -1
}

type blobReader struct {
	r     *Reader
	b     Blob
	where string
	h     hash.Hash
	left  int64
	keep  *bytes.Buffer
	err   error
	done  bool // finish has run
}

func (br *blobReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	if br.left == 0 {
		br.err = br.finish()
		return 0, br.err
	}
	if int64(len(p)) > br.left {
		p = p[:br.left]
	}
	n, err := br.r.tr.Read(p)
	br.h.Write(p[:n])
	if br.keep != nil {
		br.keep.Write(p[:n])
	}
	br.left -= int64(n)
	if err != nil && err != io.EOF {
		br.err = br.r.tarErr(err, br.where)
		return n, br.err
	}
	if err == io.EOF && br.left > 0 {
		br.err = br.r.fail(exit.Malformed, br.where, "archive is truncated inside the blob")
		return n, br.err
	}
	return n, nil
}

// chunkedBlob is a blob of a source that hands out its own buffers
// (lib/readahead, through ustar.Reader.ReadChunk): io.Copy from it hashes
// the bytes where they lie instead of copying them first. Read and WriteTo
// share the blobReader's state and give the same bytes, verdicts and errors.
type chunkedBlob struct{ *blobReader }

// maxChunk bounds one ReadChunk (an int on every platform).
const maxChunk = 1 << 30

// WriteTo writes the rest of the blob to w, checking it as Read does: at
// the end it returns nil if the digest matches, else the exit.HashMismatch
// error Read would return.
func (cb chunkedBlob) WriteTo(w io.Writer) (int64, error) {
	br := cb.blobReader
	var total int64
	empty := 0
	for {
		if br.err != nil {
			if br.err == io.EOF {
				return total, nil
			}
			return total, br.err
		}
		if br.left == 0 {
			br.err = br.finish()
			continue
		}
		max := br.left
		if max > maxChunk {
			max = maxChunk
		}
		p, err := br.r.tr.ReadChunk(int(max))
		n := len(p)
		br.h.Write(p)
		if br.keep != nil {
			br.keep.Write(p)
		}
		br.left -= int64(n)
		switch {
		case err != nil && err != io.EOF:
			br.err = br.r.tarErr(err, br.where)
		case err == io.EOF && br.left > 0:
			br.err = br.r.fail(exit.Malformed, br.where, "archive is truncated inside the blob")
		case n == 0:
			if empty++; empty >= 100 {
				br.err = br.r.tarErr(io.ErrNoProgress, br.where)
			}
		default:
			empty = 0
		}
		if n > 0 {
			m, werr := w.Write(p)
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m != n {
				return total, io.ErrShortWrite
			}
		}
	}
}

func (br *blobReader) finish() error {
	br.done = true
	got := "sha256:" + hex.EncodeToString(br.h.Sum(nil))
	if got != br.b.Digest {
		br.r.mismatches++
		if br.keep != nil && br.r.keptBad == "" {
			br.r.keptBad = br.b.Digest
		}
		return br.r.fail(exit.HashMismatch, br.where, "content has digest %s, manifest.toml says %s", got, br.b.Digest)
	}
	if br.keep != nil {
		br.r.meta[br.b.Digest] = br.keep.Bytes()
	}
	return io.EOF
}

// finishBlobs runs the checks that need every index and manifest blob: the
// image graph, then the platform and time claims of manifest.toml. It is
// skipped when a kept blob did not match its digest (GraphSkipped says
// which). A failure is returned once; NextBlob returns io.EOF after it, so
// a caller may go on to the signatures.
func (r *Reader) finishBlobs() error {
	if r.done {
		return nil
	}
	r.done = true
	if r.keptBad != "" {
		return nil
	}
	att, err := checkClosure(r.m, r.meta)
	r.attest = att
	if err == nil {
		err = checkClaims(r.m, r.meta)
	}
	if err != nil {
		r.graphErr = r.at(err)
	}
	return r.graphErr
}

// Retains reports whether the reader keeps blob b in memory for the checks
// after the last blob: every index and manifest blob, and the root image's
// config when it is an image config (bundle.md §3). Such a blob is read and
// checked even under SkipContent.
func (r *Reader) Retains(b Blob) bool {
	if b.Role == RoleIndex || b.Role == RoleManifest || isAttestationRole(b.Role) || IsCopiedManifest(b.Role) {
		return true
	}
	return b.Role == RoleConfig && b.Digest == r.m.Image.Config && IsImageConfigMediaType(b.MediaType)
}

// Stopped reports whether the reader stopped reading at the blob NextBlob
// last returned an error for: a blob entry whose header declares more
// bytes than manifest.toml gives the blob (a hash mismatch, verify.md §2
// "Bound"), or under SkipContent a blob to be sought past that the source
// ends inside (a truncation, returned with the blob). Nothing after it is
// read, so the blobs after it, the image graph and the signatures are not
// checked; NextBlob returns the same error from then on.
func (r *Reader) Stopped() bool { return r.stop != nil }

// GraphSkipped returns, once the last blob was read, the digest of the blob
// that kept the image-graph check from running (an index, manifest or root
// config whose bytes do not match manifest.toml), or "" when it ran.
func (r *Reader) GraphSkipped() string { return r.keptBad }

// GraphErr returns the image-graph check's failure once it ran (nil when it
// passed, was skipped, or has not run yet).
func (r *Reader) GraphErr() error { return r.graphErr }

// SkipContent makes the reader skip layer and config blobs that the caller
// does not read (on a file, the tar reader seeks past them) while still
// reading and checking index and manifest blobs, which the image-graph check
// needs. ct explain uses it to describe a multi-GiB bundle in milliseconds;
// the content of skipped blobs is then not checked.
func (r *Reader) SkipContent() { r.skip = true }

// LayerOrder returns the layer digests of the root image manifest in image
// order (the first is the base layer), once the last blob has been read; nil
// for an index, or when the manifest was not read or did not match.
func (r *Reader) LayerOrder() []string {
	if r.m == nil || !r.done {
		return nil
	}
	om, err := parseOCI(r.meta[r.m.Image.Digest])
	if err != nil || om.Config == nil {
		return nil
	}
	out := make([]string, 0, len(om.Layers))
	for _, l := range om.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// Mismatches is the number of blobs whose content did not match manifest.toml.
func (r *Reader) Mismatches() int { return r.mismatches }

// Signatures reads the entries after the last blob (each under signatures/)
// and checks the end of the archive. It must be called after NextBlob has
// returned io.EOF.
func (r *Reader) Signatures() ([]Entry, error) {
	if !r.done {
		return nil, exit.New(exit.Internal, "Signatures called before the last blob was read")
	}
	sawDir := false
	var proofs *proofSection
	for {
		hdr, err := r.tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.tarErr(err, "signatures")
		}
		if err := r.checkHeader(hdr); err != nil {
			return nil, err
		}
		if proofs == nil && strings.HasPrefix(hdr.Name, ProofsDir) {
			if len(r.sigs) == 0 {
				return nil, r.fail(exit.Malformed, hdr.Name, "a transparency proof in a bundle without signatures (a proof entry proves a signature entry, log.md §4)")
			}
			proofs = &proofSection{}
		}
		if proofs != nil {
			if err := r.proofEntry(proofs, hdr); err != nil {
				return nil, err
			}
			continue
		}
		if !strings.HasPrefix(hdr.Name, SignaturesDir) {
			if strings.HasPrefix(hdr.Name, BlobsSHA256Dir) {
				return nil, r.fail(exit.Malformed, hdr.Name, "extra blob not listed in manifest.toml, or a duplicate")
			}
			return nil, r.fail(exit.Malformed, hdr.Name, "unexpected entry after the blobs (only signatures/… and then transparency/… may follow)")
		}
		if len(r.sigs) >= MaxSignatures {
			return nil, r.fail(exit.Malformed, hdr.Name, "more than %d signature entries", MaxSignatures)
		}
		if hdr.Typeflag == ustar.TypeDir {
			if hdr.Name != SignaturesDir || len(r.sigs) > 0 || sawDir {
				return nil, r.fail(exit.Malformed, hdr.Name, "unexpected directory entry")
			}
			sawDir = true
			continue
		}
		if strings.Contains(strings.TrimPrefix(hdr.Name, SignaturesDir), "/") {
			return nil, r.fail(exit.Malformed, hdr.Name, "a signature entry in a sub-directory of signatures/")
		}
		if !sawDir {
			return nil, r.fail(exit.Malformed, hdr.Name, "signature entry without the %s directory entry before it (the writer writes it first)", SignaturesDir)
		}
		// Writers sort signature entries bytewise (bundle.md §6), so one
		// set of signatures has one byte sequence.
		if n := len(r.sigs); n > 0 {
			if prev := r.sigs[n-1].Name; hdr.Name == prev {
				return nil, r.fail(exit.Malformed, hdr.Name, "duplicate entry")
			} else if hdr.Name < prev {
				return nil, r.fail(exit.Malformed, hdr.Name, "signature entries out of order: it follows %s (writers sort them bytewise)", prev)
			}
		}
		if hdr.Size > MaxSignatureSize {
			return nil, r.fail(exit.Malformed, hdr.Name, "%d bytes, over the %d-byte limit", hdr.Size, MaxSignatureSize)
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(r.tr, b); err != nil {
			return nil, r.tarErr(err, hdr.Name)
		}
		r.sigs = append(r.sigs, Entry{Name: hdr.Name, Data: b})
	}
	if sawDir && len(r.sigs) == 0 {
		return nil, r.fail(exit.Malformed, SignaturesDir, "a %s directory entry with no signature after it (a writer writes neither)", SignaturesDir)
	}
	if proofs != nil && len(r.proofs) == 0 {
		return nil, r.fail(exit.Malformed, ProofsDir, "a %s directory entry with no proof after it (a writer writes neither)", ProofsDir)
	}
	// A signature over a manifest.toml that lists a pending attestation
	// signs an unsigned claim (attestations.md §9.3): the first signing
	// step replaces every pending attestation before it signs.
	if len(r.sigs) > 0 && r.m.HasPending() {
		e := exit.New(exit.Malformed, "the bundle is signed but still lists %d pending (unsigned) attestation(s); a signer replaces every pending attestation by a signed one before signing", r.m.PendingCount()).
			WithHint("the bundle was altered after signing or written by a non-conforming tool; sign the unsigned bundle again with ct sign")
		e.Where = "entry " + r.sigs[0].Name
		return nil, r.at(e)
	}
	// Nothing may follow the end-of-archive marker: the writer ends the
	// stream there, and any byte after it would be unsigned data.
	if err := r.tr.End(); err != nil {
		return nil, r.tarErr(err, endOfArchive)
	}
	return r.sigs, nil
}

const endOfArchive = "end of archive"

// Proofs returns the transparency proof entries (transparency/…, log.md §4)
// that Signatures read after the signature entries. Their names are checked:
// each proves a signature entry the bundle has, in sorted order, at most one
// per signature and log. Their content is lib/tlog's to parse and verify:
// they are not covered by manifest.toml, and authenticate themselves.
func (r *Reader) Proofs() []Entry { return r.proofs }

// proofSection is the state of reading the transparency/ entries.
type proofSection struct{ sawDir bool }

// proofEntry checks one entry of the transparency/ section (bundle.md §2,
// log.md §4): the directory entry first, then files named
// transparency/<64 hex>.<16 hex>.proof, sorted, each naming the fingerprint
// of a signature entry, within the size and count limits.
func (r *Reader) proofEntry(ps *proofSection, hdr *ustar.Header) error {
	if !strings.HasPrefix(hdr.Name, ProofsDir) {
		if strings.HasPrefix(hdr.Name, SignaturesDir) {
			return r.fail(exit.Malformed, hdr.Name, "signature entry after the transparency proofs (signatures come first)")
		}
		return r.fail(exit.Malformed, hdr.Name, "unexpected entry after the transparency proofs (nothing may follow them)")
	}
	if hdr.Typeflag == ustar.TypeDir {
		if hdr.Name != ProofsDir || ps.sawDir {
			return r.fail(exit.Malformed, hdr.Name, "unexpected directory entry")
		}
		ps.sawDir = true
		return nil
	}
	if !ps.sawDir {
		return r.fail(exit.Malformed, hdr.Name, "proof entry without the %s directory entry before it (the writer writes it first)", ProofsDir)
	}
	fp, ok := ProofFingerprint(hdr.Name)
	if !ok {
		return r.fail(exit.Malformed, hdr.Name, "a proof entry is named transparency/<64 lowercase hex>.<16 lowercase hex>.proof")
	}
	if !r.hasSignature(SignaturesDir + fp + ".sig") {
		return r.fail(exit.Malformed, hdr.Name, "proof of a signature the bundle does not have (no entry %s%s.sig)", SignaturesDir, fp)
	}
	if n := len(r.proofs); n > 0 {
		if prev := r.proofs[n-1].Name; hdr.Name == prev {
			return r.fail(exit.Malformed, hdr.Name, "duplicate entry")
		} else if hdr.Name < prev {
			return r.fail(exit.Malformed, hdr.Name, "proof entries out of order: it follows %s (writers sort them bytewise)", prev)
		}
	}
	if len(r.proofs) >= MaxProofs {
		return r.fail(exit.Malformed, hdr.Name, "more than %d proof entries", MaxProofs)
	}
	if hdr.Size > MaxProofSize {
		return r.fail(exit.Malformed, hdr.Name, "%d bytes, over the %d-byte limit", hdr.Size, MaxProofSize)
	}
	b := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r.tr, b); err != nil {
		return r.tarErr(err, hdr.Name)
	}
	r.proofs = append(r.proofs, Entry{Name: hdr.Name, Data: b})
	return nil
}

func (r *Reader) hasSignature(name string) bool {
	i := sort.Search(len(r.sigs), func(i int) bool { return r.sigs[i].Name >= name })
	return i < len(r.sigs) && r.sigs[i].Name == name
}

// ProofFingerprint returns the fingerprint (64 hex) a proof entry's name
// carries, and whether name has the form transparency/<64 hex>.<16 hex>.proof.
func ProofFingerprint(name string) (string, bool) {
	fp, _, ok := SplitProofName(name)
	return fp, ok
}

// SplitProofName returns the two parts of a proof entry's name
// transparency/<64 hex>.<16 hex>.proof (bundle.md §6.1): the signer's
// fingerprint and the log id, and whether name has that form (lowercase
// hex). It is the one place the name is taken apart.
func SplitProofName(name string) (fp, logID string, ok bool) {
	rest, ok := strings.CutPrefix(name, ProofsDir)
	if ok {
		rest, ok = strings.CutSuffix(rest, ".proof")
	}
	fp, logID, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(fp) != 64 || len(logID) != 16 || !lowerHex(fp) || !lowerHex(logID) {
		return "", "", false
	}
	return fp, logID, true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Check reads a whole bundle from r, verifying everything the format
// promises without signatures or trust, and returns its manifest and
// signature entries.
//
// When several problems exist, the error returned is the one that decides by
// the rule of verify.md §2: a malformed or unreadable bundle (10, 11) before
// a hash mismatch (1), and among equals the first in stream order. So a
// hash mismatch does not stop the reading: a later structural problem still
// decides.
func Check(r io.Reader, name string) (*Manifest, []Entry, error) {
	br, err := NewReader(r, name)
	if err != nil {
		return nil, nil, err
	}
	if err := br.settle(nil); err != nil {
		return nil, nil, err
	}
	return br.m, br.sigs, nil
}

// Finish reads the rest of the bundle, checking every blob, and returns
// its signature entries and the deciding error as Check does. After it,
// Attestations lists the bundle's attestations.
func (r *Reader) Finish() ([]Entry, error) {
	if err := r.settle(nil); err != nil {
		return nil, err
	}
	return r.sigs, nil
}

// Decide returns the error that decides for a reader that met err in
// NextBlob (verify.md §2): for a hash mismatch it reads on, since a later
// structural problem (10, 11) outranks it, unless the reader Stopped at
// that blob's entry; any other error is returned as it is. Callers that stop at the first error use it so that every reader
// of bundles reaches the same code as ct verify.
func (r *Reader) Decide(err error) error {
	err = r.at(err)
	if exit.CodeOf(err) == exit.HashMismatch {
		return r.settle(err)
	}
	return err
}

// settle reads the rest of the bundle after first (nil, or a hash mismatch
// already met) and returns the deciding error: the first structural or I/O
// error if any, else first, else the first hash mismatch met on the way.
func (r *Reader) settle(first error) error {
	for {
		_, _, err := r.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			if exit.CodeOf(err) == exit.HashMismatch {
				if first == nil {
					first = err
				}
				if r.stop != nil { // nothing more is read
					return first
				}
				continue
			}
			return err
		}
	}
	if _, err := r.Signatures(); err != nil {
		return err
	}
	return first
}

// countingReader remembers the source's own read error, so that an I/O
// failure is told from a malformed bundle.
type countingReader struct {
	r   io.Reader
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// chunkCountingReader is a countingReader whose source hands out its own
// buffers (ustar.ChunkReader).
type chunkCountingReader struct {
	*countingReader
	c ustar.ChunkReader
}

func (c *chunkCountingReader) ReadChunk(max int) ([]byte, error) {
	b, err := c.c.ReadChunk(max)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return b, err
}

type seekingCountingReader struct {
	*countingReader
	s io.Seeker
}

func (c *seekingCountingReader) Seek(off int64, whence int) (int64, error) {
	n, err := c.s.Seek(off, whence)
	if err != nil {
		c.err = err
	}
	return n, err
}

// ociManifest covers what the closure check reads of an OCI image manifest
// or index (and their Docker equivalents).
type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Config    *ociDescriptor  `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
	Manifests []ociDescriptor `json:"manifests"`
}

// checkClosure verifies that the blobs form exactly the image graph rooted at
// image.digest plus the bundle's attestations (attestations.md §4): every
// descriptor reachable from the root names a listed blob with the same size
// and media type, every attestation manifest is exactly what a writer emits,
// and every listed blob is reachable.
func checkClosure(m *Manifest, meta map[string][]byte) ([]Attestation, error) {
	att, err := checkGraph(m, meta)
	if err != nil {
		return nil, err
	}
	return att, nil
}

func checkGraph(m *Manifest, meta map[string][]byte) ([]Attestation, error) {
	seen := map[string]bool{}
	var walk func(d ociDescriptor, role, from string, depth int) error
	walk = func(d ociDescriptor, role, from string, depth int) error {
		b, ok := m.Blob(d.Digest)
		where := "entry " + BlobsSHA256Dir + strings.TrimPrefix(d.Digest, "sha256:")
		if !ok {
			return exit.New(exit.Malformed, "%s references %s %s, which the bundle does not list", from, role, d.Digest).At(where)
		}
		if b.Size != d.Size || b.MediaType != d.MediaType {
			return exit.New(exit.Malformed, "%s references it as (%s, %d bytes) but manifest.toml lists (%s, %d bytes)", from, d.MediaType, d.Size, b.MediaType, b.Size).At(where)
		}
		if b.Role != role {
			return exit.New(exit.Malformed, "%s references it as a %s but manifest.toml says role %q", from, role, b.Role).At(where)
		}
		if seen[d.Digest] && role != RoleLayer && role != RoleConfig {
			return nil
		}
		seen[d.Digest] = true
		if role != RoleIndex && role != RoleManifest {
			return nil
		}
		if depth > MaxGraphDepth {
			return exit.New(exit.Malformed, "%s at depth %d: indexes and manifests may be nested at most %d levels below the root", role, depth, MaxGraphDepth).At(where)
		}
		om, err := parseOCI(meta[d.Digest])
		if err != nil {
			return exit.Wrap(exit.Malformed, err, "%s is not valid JSON, or not JSON that reads one way", role).At(where)
		}
		if om.MediaType != "" && om.MediaType != d.MediaType {
			return exit.New(exit.Malformed, "its mediaType %q differs from its descriptor's %q", om.MediaType, d.MediaType).At(where)
		}
		name := role + " " + d.Digest
		if role == RoleManifest {
			if om.Config == nil || len(om.Manifests) > 0 {
				return exit.New(exit.Malformed, "an image manifest needs a config and no manifests").At(where)
			}
			if err := walk(*om.Config, RoleConfig, name, depth+1); err != nil {
				return err
			}
			for _, l := range om.Layers {
				if err := walk(l, RoleLayer, name, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if om.Config != nil || len(om.Layers) > 0 {
			return exit.New(exit.Malformed, "an index must not have a config or layers").At(where)
		}
		for _, c := range om.Manifests {
			r := RoleManifest
			if IsIndexMediaType(c.MediaType) {
				r = RoleIndex
			}
			if err := walk(c, r, name, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	rootRole := RoleManifest
	if IsIndexMediaType(m.Image.MediaType) {
		rootRole = RoleIndex
	}
	if err := walk(ociDescriptor{MediaType: m.Image.MediaType, Digest: m.Image.Digest, Size: m.Image.Size}, rootRole, "image", 0); err != nil {
		return nil, err
	}
	if rootRole == RoleManifest {
		om, err := parseOCI(meta[m.Image.Digest]) // walk parsed it already
		if err != nil || om.Config == nil {
			return nil, exit.New(exit.Internal, "image manifest %s not parsed", m.Image.Digest)
		}
		if om.Config.Digest != m.Image.Config {
			return nil, exit.New(exit.Malformed, "image.config is %s but the image manifest's config is %s", m.Image.Config, om.Config.Digest).At(ManifestName)
		}
	}
	if len(m.attestationRoots()) > 0 {
		if e, ok := m.Blob(EmptyDigest); !ok || e.Role != RoleConfig || e.MediaType != MediaTypeEmpty || e.Size != 2 {
			return nil, exit.New(exit.Malformed, "the bundle has attestations but does not list the empty config %s (config, %s, 2 bytes)", EmptyDigest, MediaTypeEmpty).At(ManifestName)
		}
	}
	att, err := checkAttestations(m, meta, seen)
	if err != nil {
		return nil, err
	}
	if err := checkReferrers(m, meta, seen); err != nil {
		return nil, err
	}
	for _, b := range m.Blobs {
		if !seen[b.Digest] {
			return nil, exit.New(exit.Malformed, "blob %s (%s) is listed but not part of the image, of an attestation or of a copied referrer", b.Digest, b.Role).At(ManifestName)
		}
	}
	return att, nil
}

// checkClaims checks what manifest.toml says about the image against the
// image itself (bundle.md §3): image.platform and image.created against the
// root image's config, image.platforms against the root index's entries.
// They are signed claims; a mismatch is malformed and names both values.
func checkClaims(m *Manifest, meta map[string][]byte) error {
	if IsIndexMediaType(m.Image.MediaType) {
		want, err := IndexPlatforms(meta[m.Image.Digest])
		if err != nil {
			return err.(*exit.Error).At("entry " + BlobsSHA256Dir + strings.TrimPrefix(m.Image.Digest, "sha256:"))
		}
		if !slices.Equal(want, m.Image.Platforms) {
			return exit.New(exit.Malformed, "image.platforms is %q but the image index lists %q", m.Image.Platforms, want).At(ManifestName)
		}
		return nil
	}
	c, _ := m.Blob(m.Image.Config)
	if !IsImageConfigMediaType(c.MediaType) {
		return nil // Validate refused platform and created for other configs
	}
	platform, created, err := ImageClaims(meta[c.Digest])
	if err != nil {
		return err.(*exit.Error).At("entry " + c.Path() + " (the image config)")
	}
	if platform != m.Image.Platform {
		return exit.New(exit.Malformed, "image.platform is %s but the image config says %s", quoteOrNone(m.Image.Platform), quoteOrNone(platform)).At(ManifestName)
	}
	if created != m.Image.Created {
		return exit.New(exit.Malformed, "image.created is %s but the image config says %s", quoteOrNone(m.Image.Created), quoteOrNone(created)).At(ManifestName)
	}
	return nil
}

func quoteOrNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return fmt.Sprintf("%q", s)
}

// Rewrite copies the bundle read from in to out, checking it fully on the
// way, and replaces its signature entries with what sigs returns. The
// transparency proofs of the signatures that remain are kept (KeepProofs). sigs is
// called after the last blob with the manifest, its canonical bytes and the
// existing signature entries. Every entry before the signatures is copied
// byte for byte (same headers, same mtime), so signing changes nothing but
// the signatures. Errors are classified as by Reader; errors writing out are
// passed through outErr.
func Rewrite(in io.Reader, name string, out io.Writer, sigs func(m *Manifest, manifest []byte, old []Entry) ([]Entry, error), outErr func(error) error) (*Manifest, error) {
	return RewriteProofs(in, name, out, sigs, func(_ *Manifest, entries, proofs []Entry) ([]Entry, error) {
		return KeepProofs(proofs, entries), nil
	}, outErr)
}

// RewriteProofs is Rewrite with the transparency proofs chosen by proofs,
// which is called after sigs with the new signature entries and the proofs
// the bundle had (ct log submit adds proofs, ct log strip removes them).
// Each proof it returns must prove one of the new signature entries.
func RewriteProofs(in io.Reader, name string, out io.Writer, sigs func(m *Manifest, manifest []byte, old []Entry) ([]Entry, error),
	proofs func(m *Manifest, entries, old []Entry) ([]Entry, error), outErr func(error) error) (*Manifest, error) {
	br, err := NewReader(in, name)
	if err != nil {
		return nil, err
	}
	bw, err := NewWriter(out, br.m, WriterOptions{ModTime: br.ModTime()})
	if err != nil {
		return nil, WrapOut(err, outErr)
	}
	if !bytes.Equal(bw.ManifestBytes(), br.manifest) {
		return nil, exit.New(exit.Internal, "manifest.toml does not re-encode to itself")
	}
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			if exit.CodeOf(err) == exit.HashMismatch {
				return nil, br.settle(err)
			}
			return nil, err
		}
		if err := bw.WriteBlob(b.Digest, rd); err != nil {
			var ee *exit.Error
			if errors.As(err, &ee) { // the blob does not match manifest.toml
				if ee.Code == exit.HashMismatch {
					return nil, br.settle(br.at(err))
				}
				return nil, br.at(err)
			}
			return nil, WrapOut(err, outErr)
		}
	}
	old, err := br.Signatures()
	if err != nil {
		return nil, err
	}
	entries, err := sigs(br.m, br.manifest, old)
	if err != nil {
		return nil, err
	}
	if err := bw.WriteSignatures(entries); err != nil {
		return nil, WrapOut(err, outErr)
	}
	keep, err := proofs(br.m, entries, br.proofs)
	if err != nil {
		return nil, err
	}
	if err := bw.WriteProofs(keep); err != nil {
		return nil, WrapOut(err, outErr)
	}
	if err := bw.Close(); err != nil {
		return nil, WrapOut(err, outErr)
	}
	return br.m, nil
}

// WrapOut passes a write-side error through outErr (which classifies the
// output's failures: disk full, permissions), unless it is already an
// exit.Error anywhere in its chain: a verdict on the input, kept as it is.
// A nil outErr keeps every error.
func WrapOut(err error, outErr func(error) error) error {
	var ee *exit.Error
	if errors.As(err, &ee) || outErr == nil {
		return err
	}
	return outErr(err)
}
