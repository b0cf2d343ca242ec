package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"sort"
	"sync"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/verify"
)

// Verifying in place (archive.md §5, "In place"): for a destination that
// keeps no files (docker://, or a dry run without one), the blobs of a
// plain archive are not extracted. A structural pass (StageOptions.Locate)
// checks every header, padding and the tail and notes where each blob
// lies; each bundle is then laid out as the bundle writer rebuilds it, its
// blobs being sections of the archive file, and verified with the ct verify
// checks on that layout (lib/verify VerifyDeferred: the index and manifest
// blobs and the root config are read and hashed, layers and configs are
// sought past); every layer and config is then hashed once, all of them in
// parallel with positioned reads, and the reports completed. Nothing is
// written; the registry push reads the same sections of the archive file
// (and hashes them again while uploading: a file changed after it was
// verified fails its push).

// fileBlobs are the blobs of a plain archive file, located by a structural
// pass; their content is checked by verifyInPlace, not by Open.
type fileBlobs struct {
	ra   io.ReaderAt
	name string
	off  map[string]int64
	size map[string]int64
}

func (b *fileBlobs) Has(d string) bool    { _, ok := b.off[d]; return ok }
func (b *fileBlobs) File(d string) string { return "" }
func (b *fileBlobs) Open(d string) (io.ReadCloser, error) {
	if !b.Has(d) {
		return nil, exit.New(exit.Internal, "blob %s is not in archive %s", d, b.name)
	}
	return io.NopCloser(io.NewSectionReader(b.ra, b.off[d], b.size[d])), nil
}

// where returns the file section holding blob d of a source made of
// archive files and bundle files (read in place), or ok false.
func where(src BlobSource, d string) (ra io.ReaderAt, off, size int64, ok bool) {
	switch s := src.(type) {
	case ctxSource:
		return where(s.BlobSource, d)
	case Sources:
		for _, x := range s {
			if x != nil && x.Has(d) {
				return where(x, d)
			}
		}
	case *fileBlobs:
		if s.Has(d) {
			return s.ra, s.off[d], s.size[d], true
		}
	case *bundleFile:
		if s.Has(d) {
			return s.f, s.off[d], s.size[d], true
		}
	}
	return nil, 0, 0, false
}

// seg is a run of a laid-out bundle: bytes the writer made, or a section
// of a file.
type seg struct {
	start int64
	data  []byte
	ra    io.ReaderAt
	off   int64
	size  int64
}

// layout records a bundle written by the bundle writer, keeping each blob
// as a reference to its file section instead of its bytes.
type laidOut struct {
	segs []seg
	size int64
	hole int64 // bytes of the current blob still to come through Write
}

func (l *laidOut) Write(p []byte) (int, error) {
	if l.hole > 0 {
		if int64(len(p)) > l.hole {
			return 0, errors.New("layout: blob overrun")
		}
		l.hole -= int64(len(p))
		return len(p), nil
	}
	if k := len(l.segs); k > 0 && l.segs[k-1].ra == nil {
		l.segs[k-1].data = append(l.segs[k-1].data, p...)
	} else {
		l.segs = append(l.segs, seg{start: l.size, data: append([]byte(nil), p...)})
	}
	l.size += int64(len(p))
	return len(p), nil
}

// zeros stand in for a blob's bytes on their way through the tar writer,
// which only counts them.
var zeros = make([]byte, 1<<20)

// section is a blob's content for the bundle writer: it adds itself to
// the layout as a reference (io.WriterTo) rather than being read.
type section struct {
	l    *laidOut
	ra   io.ReaderAt
	off  int64
	size int64
}

func (s *section) Read([]byte) (int, error) { return 0, errors.New("section: read through WriteTo") }
func (s *section) WriteTo(w io.Writer) (int64, error) {
	s.l.segs = append(s.l.segs, seg{start: s.l.size, ra: s.ra, off: s.off, size: s.size})
	s.l.size += s.size
	s.l.hole = s.size
	var n int64
	for n < s.size {
		k := int64(len(zeros))
		if k > s.size-n {
			k = s.size - n
		}
		m, err := w.Write(zeros[:k])
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// layOut lays out the bundle of it as WriteBundle writes it, each blob a
// section of the file it lies in.
func layOut(it *Item) (*laidOut, error) {
	l := &laidOut{}
	bw, err := bundle.NewWriter(l, it.Manifest, bundle.WriterOptions{ModTime: it.ModTime()})
	if err != nil {
		return nil, err
	}
	if string(bw.ManifestBytes()) != string(it.ManifestBytes) {
		return nil, exit.New(exit.Malformed, "manifest.toml does not re-encode to itself").At("bundle " + it.Entry.Ref())
	}
	for _, b := range it.Manifest.Blobs {
		ra, off, size, ok := where(it.src, b.Digest)
		if !ok {
			return nil, exit.New(exit.Internal, "blob %s of %s is not located", b.Digest, it.Entry.Ref())
		}
		if err := bw.WriteUnhashedBlob(b.Digest, &section{l: l, ra: ra, off: off, size: size}); err != nil {
			return nil, err
		}
	}
	if err := bw.WriteSignatures(it.Signatures); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return l, nil
}

// layoutReader reads a layout as one seekable stream.
type layoutReader struct {
	l   *laidOut
	pos int64
}

func (r *layoutReader) Read(p []byte) (int, error) {
	if r.pos >= r.l.size {
		return 0, io.EOF
	}
	segs := r.l.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].start+segLen(segs[i]) > r.pos })
	s := segs[i]
	rel := r.pos - s.start
	left := segLen(s) - rel
	if int64(len(p)) > left {
		p = p[:left]
	}
	var n int
	var err error
	if s.ra == nil {
		n = copy(p, s.data[rel:])
	} else {
		n, err = s.ra.ReadAt(p, s.off+rel)
		if err == io.EOF {
			if n < len(p) {
				err = io.ErrUnexpectedEOF // the file shrank after it was checked
			} else {
				err = nil
			}
		}
	}
	r.pos += int64(n)
	return n, err
}

func segLen(s seg) int64 {
	if s.ra == nil {
		return int64(len(s.data))
	}
	return s.size
}

func (r *layoutReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.l.size
	}
	if off < 0 {
		return r.pos, errors.New("layout: negative position")
	}
	r.pos = off
	return off, nil
}

// inPlace is one bundle being verified in place.
type inPlace struct {
	rep     *verify.Report
	skipped []verify.Deferred
	err     error // final when rep is nil or done
	done    bool  // the report is final (no content left to hash)
	sizeErr error // the rebuilt length differs from the index's
}

// verifyLaidOut runs the ct verify checks on the bundle of it, laid out
// over its files, leaving the layers' and configs' hashing to hashAll.
func verifyLaidOut(it *Item, opts verify.Options) inPlace {
	l, err := layOut(it)
	if err != nil {
		return inPlace{err: at(err, "bundle "+it.Entry.Ref()), done: true}
	}
	rep, skipped, ok := verify.VerifyDeferred(&layoutReader{l: l}, it.Entry.Ref(), opts)
	if !ok {
		return inPlace{rep: rep, err: rep.Err(), done: true}
	}
	ip := inPlace{rep: rep, skipped: skipped}
	if l.size != it.Entry.Size {
		// As verifyItem: the verifier's verdict first, then the length.
		ip.sizeErr = exit.New(exit.Malformed, "the rebuilt bundle is %d bytes, the archive index says %d", l.size, it.Entry.Size).
			At("bundle " + it.Entry.Ref()).WithHint("the archive was altered, or the exported bundle was not byte-reproducible")
	}
	return ip
}

// hashed is the outcome of hashing one blob in place.
type hashed struct {
	got string // "sha256:…" of the bytes read
	n   int64
	err error // a read error
}

// hashAll hashes each blob once, in parallel (one worker per core), with
// positioned reads of the files they lie in, and returns the outcome by
// digest. It stops early when ctx is cancelled.
func hashAll(ctx context.Context, blobs map[string]BlobSource) (map[string]hashed, error) {
	type job struct {
		d        string
		ra       io.ReaderAt
		off, len int64
	}
	var jobs []job
	for d, src := range blobs {
		ra, off, size, ok := where(src, d)
		if !ok {
			return nil, exit.New(exit.Internal, "blob %s is not located", d)
		}
		jobs = append(jobs, job{d, ra, off, size})
	}
	// Biggest first, so that the last to finish is a small one.
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].len != jobs[j].len {
			return jobs[i].len > jobs[j].len
		}
		return jobs[i].d < jobs[j].d
	})
	out := make(map[string]hashed, len(jobs))
	var mu sync.Mutex
	workers := runtime.GOMAXPROCS(0)
	if workers > len(jobs) {
		workers = len(jobs)
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			h := sha256.New()
			for j := range next {
				h.Reset()
				n, err := io.CopyBuffer(h, ctxReader{ctx, io.NewSectionReader(j.ra, j.off, j.len)}, buf)
				r := hashed{n: n, err: err, got: "sha256:" + hex.EncodeToString(h.Sum(nil))}
				mu.Lock()
				out[j.d] = r
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, interrupted(err)
	}
	return out, nil
}

// contentErr is the failure of a deferred blob, as ct verify words it.
func contentErr(d verify.Deferred, h hashed) error {
	switch {
	case h.err != nil:
		return exit.Wrap(exit.IO, h.err, "cannot read blob").At(d.Where)
	case h.n != d.Blob.Size:
		return exit.New(exit.Malformed, "archive is truncated inside the blob").At(d.Where)
	case h.got != d.Blob.Digest:
		return exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", h.got, d.Blob.Digest).
			At(d.Where).WithHint("the archive was altered or damaged in transit; fetch it again")
	}
	return nil
}

// verifyAllInPlace verifies the items still valid in results, in place:
// each laid out and verified without its layers and configs, then every
// such blob of every item hashed once, in parallel, and each report
// completed. Without verify (--no-verify) only the digests are checked.
// It returns the items that passed; fail records the others.
func verifyAllInPlace(ctx context.Context, items []*Item, results []BundleResult, trust verify.Options, verifyOn bool,
	fail func(i int, vr *verify.Report, err error)) ([]*Item, error) {
	ips := make([]inPlace, len(items))
	blobs := map[string]BlobSource{}
	for i, it := range items {
		if !results[i].Valid {
			continue
		}
		if !verifyOn {
			for j, b := range it.Manifest.Blobs {
				blobs[b.Digest] = it.src
				ips[i].skipped = append(ips[i].skipped, verify.Deferred{Blob: b, Index: j,
					Where: "bundle " + it.Entry.Ref() + ", entry " + b.Path()})
			}
			continue
		}
		if ips[i] = verifyLaidOut(it, trust); ips[i].done {
			continue
		}
		for _, d := range ips[i].skipped {
			blobs[d.Blob.Digest] = it.src
		}
	}
	sums, err := hashAll(ctx, blobs)
	if err != nil {
		return nil, err
	}
	var good []*Item
	for i, it := range items {
		if !results[i].Valid {
			continue
		}
		ip := ips[i]
		if !ip.done {
			errs := make([]error, len(ip.skipped))
			for k, d := range ip.skipped {
				errs[k] = contentErr(d, sums[d.Blob.Digest])
			}
			if verifyOn {
				if ip.err = ip.rep.Content(ip.skipped, errs).Err(); ip.err == nil {
					ip.err = ip.sizeErr
				}
			} else {
				for _, e := range errs {
					if e != nil && (ip.err == nil || exit.CodeOf(e) == exit.Malformed) {
						ip.err = e
					}
				}
			}
		}
		if ip.rep != nil {
			results[i].Report = ip.rep
		}
		if ip.err != nil {
			fail(i, ip.rep, ip.err)
			continue
		}
		good = append(good, it)
	}
	return good, nil
}
