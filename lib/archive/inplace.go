package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
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
	case *dirBlobs:
		if s.Has(d) {
			return pathReaderAt(s.path(d)), 0, s.size[d], true
		}
	}
	return nil, 0, 0, false
}

// prehashed reports whether blob d of src was hashed when it was written
// (a staged blob: kept under a temporary name until its digest matched).
func prehashed(src BlobSource, d string) bool {
	switch s := src.(type) {
	case ctxSource:
		return prehashed(s.BlobSource, d)
	case Sources:
		for _, x := range s {
			if x != nil && x.Has(d) {
				return prehashed(x, d)
			}
		}
	case *dirBlobs:
		return s.Has(d)
	}
	return false
}

// locatable reports whether every blob of it lies in a file section.
func locatable(it *Item) bool {
	for _, b := range it.Manifest.Blobs {
		if _, _, _, ok := where(it.src, b.Digest); !ok {
			return false
		}
	}
	return true
}

// pathReaderAt reads a file by its path, opening it for each read, so that
// a layout of many staged blobs holds no file open.
type pathReaderAt string

func (p pathReaderAt) ReadAt(b []byte, off int64) (int, error) {
	f, err := os.Open(string(p))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.ReadAt(b, off)
}

// layOut lays out the bundle of it as WriteBundle writes it, each blob a
// section of the file it lies in.
func layOut(it *Item) (*bundle.Layout, error) {
	l := &bundle.Layout{}
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
		if err := l.Section(bw, b.Digest, ra, off, size); err != nil {
			return nil, err
		}
	}
	if err := bw.WriteSignatures(it.Signatures); err != nil {
		return nil, err
	}
	if err := bw.WriteProofs(it.Proofs); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return l, nil
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
	rep, skipped, ok := verify.VerifyDeferred(l.Reader(), it.Entry.Ref(), opts)
	if !ok {
		return inPlace{rep: rep, err: rep.Err(), done: true}
	}
	ip := inPlace{rep: rep, skipped: skipped}
	if l.Size() != it.Entry.Size {
		// As verifyItem: the verifier's verdict first, then the length.
		ip.sizeErr = exit.New(exit.Malformed, "the rebuilt bundle is %d bytes, the archive index says %d", l.Size(), it.Entry.Size).
			At("bundle " + it.Entry.Ref()).WithHint("the archive was altered, or the exported bundle was not byte-reproducible")
	}
	return ip
}

// hashed is the outcome of hashing one blob in place.
type hashed = verify.Hashed

// copyAt names one copy of a blob: its digest and the file section it lies
// in. Two inputs may both carry a blob (two archives, an archive and a
// bundle file): each bundle is laid out over, and so installed from, the
// copy its own source gives, so each copy is hashed, not one per digest
// (else a damaged copy passes on the strength of an intact one).
type copyAt struct {
	d   string
	ra  io.ReaderAt // *os.File or pathReaderAt: comparable
	off int64
}

// copyOf is the copy of blob d that src gives (ra nil when not located).
func copyOf(src BlobSource, d string) copyAt {
	ra, off, _, _ := where(src, d)
	return copyAt{d: d, ra: ra, off: off}
}

// hashAll hashes each copy once with verify.HashSections (in parallel,
// one worker per core, positioned reads of the files they lie in run
// ahead of the hash) and returns the outcome by copy. It stops early
// when ctx is cancelled.
func hashAll(ctx context.Context, blobs map[copyAt]BlobSource) (map[copyAt]hashed, error) {
	copies := make([]copyAt, 0, len(blobs))
	secs := make([]verify.Section, 0, len(blobs))
	for c, src := range blobs {
		ra, off, size, ok := where(src, c.d)
		if !ok {
			return nil, exit.New(exit.Internal, "blob %s is not located", c.d)
		}
		copies = append(copies, c)
		secs = append(secs, verify.Section{RA: ra, Off: off, Len: size})
	}
	sums := verify.HashSections(ctx, secs)
	if err := ctx.Err(); err != nil {
		return nil, interrupted(err)
	}
	out := make(map[copyAt]hashed, len(copies))
	for i, c := range copies {
		out[c] = sums[i]
	}
	return out, nil
}

// verifyAllInPlace verifies the items still valid in results over the
// files their blobs lie in (the archive read in place, bundle files, the
// staging folder): each laid out and verified without its layers and
// configs, then every such blob of every item hashed once, in parallel
// (a staged blob was hashed when it was staged: not again), and each
// report completed. An item with a blob only a stream gives is rebuilt
// and verified as a stream (verifyItem). Without verify (--no-verify)
// only the digests are checked.
// It returns the items that passed; fail records the others.
//
// With up set (a registry destination with an Upload, not a dry run), the
// layers and configs of each bundle whose other checks passed are hashed
// while they are uploaded to its repository (unless, without keepGoing,
// another bundle already failed: then nothing is uploaded) (only a blob whose every byte
// matched is committed there); nothing references them until Install
// pushes the manifests, after every bundle passed. A blob the registry
// already has is not uploaded and is hashed here instead.
func verifyAllInPlace(ctx context.Context, items []*Item, results []BundleResult, trust verify.Options, verifyOn, keepGoing bool,
	up *RegistryDest, fail func(i int, vr *verify.Report, err error)) ([]*Item, error) {
	ips := make([]inPlace, len(items))
	blobs := map[copyAt]BlobSource{} // each copy a bundle is laid out over
	var uploads []uploadJob
	for i, it := range items {
		if !results[i].Valid {
			continue
		}
		if !verifyOn {
			for j, b := range it.Manifest.Blobs {
				blobs[copyOf(it.src, b.Digest)] = it.src
				ips[i].skipped = append(ips[i].skipped, verify.Deferred{Blob: b, Index: j,
					Where: "bundle " + it.Entry.Ref() + ", entry " + b.Path()})
			}
			continue
		}
		if !locatable(it) {
			// A blob only a stream gives (an existing oci: layout's, hashed
			// on use): rebuilt and verified as a stream.
			vr, err := verifyItem(it, trust)
			ips[i] = inPlace{rep: vr, err: err, done: true}
			continue
		}
		if ips[i] = verifyLaidOut(it, trust); ips[i].done {
			continue
		}
		if up != nil && up.Upload != nil && ips[i].rep.Err() == nil && ips[i].sizeErr == nil {
			have := map[string]bool{}
			for _, d := range ips[i].skipped {
				have[d.Blob.Digest] = true
				uploads = append(uploads, uploadJob{it: it, ref: up.Ref(it), src: it.src, b: d.Blob})
			}
			uploads = append(uploads, aheadJobs(up, it, have)...)
			continue
		}
		for _, d := range ips[i].skipped {
			blobs[copyOf(it.src, d.Blob.Digest)] = it.src
		}
	}
	// Without --keep-going, a bundle that already failed a check other
	// than its content refuses the whole import: nothing is uploaded
	// then; the blobs are hashed in place, for complete reports.
	if len(uploads) > 0 && !keepGoing {
		for i := range items {
			if results[i].Valid && (ips[i].done && ips[i].err != nil || ips[i].rep != nil && (ips[i].rep.Err() != nil || ips[i].sizeErr != nil)) {
				for _, j := range uploads {
					if !j.ahead {
						blobs[copyOf(j.src, j.b.Digest)] = j.src
					}
				}
				uploads = nil
				break
			}
		}
	}
	upSums := map[string]hashed{} // by ref and digest
	aheadErr := map[*Item]error{} // an ahead blob that changed since it was verified
	if len(uploads) > 0 {
		done, err := uploadAll(ctx, up, uploads)
		if err != nil {
			return nil, err
		}
		for k, j := range uploads {
			if j.ahead {
				switch h := done[k]; {
				case h.N < 0 || h.Err == nil && h.Got == j.b.Digest && h.N == j.b.Size: // the registry has it
					j.it.markUploaded(j.b.Digest)
				case aheadErr[j.it] == nil:
					aheadErr[j.it] = verify.ContentErr(verify.Deferred{Blob: j.b, Where: "bundle " + j.it.Entry.Ref() + ", entry " + j.b.Path()}, h,
						"the archive changed while it was imported; import it again from a copy nothing writes to")
				}
				continue
			}
			if done[k].N < 0 { // not read: the registry had it
				blobs[copyOf(j.src, j.b.Digest)] = j.src
				continue
			}
			upSums[j.ref+"@"+j.b.Digest] = done[k]
			if h := done[k]; h.Err == nil && h.Got == j.b.Digest && h.N == j.b.Size {
				j.it.markUploaded(j.b.Digest)
			}
		}
	}
	known := map[copyAt]hashed{}
	for c, src := range blobs {
		if prehashed(src, c.d) { // staged: hashed when written, not again
			_, _, size, _ := where(src, c.d)
			known[c] = hashed{Got: c.d, N: size}
			delete(blobs, c)
		}
	}
	sums, err := hashAll(ctx, blobs)
	if err != nil {
		return nil, err
	}
	for c, h := range known {
		sums[c] = h
	}
	if err := ctx.Err(); err != nil {
		return nil, interrupted(err)
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
				h, ok := upSums[up.refOr(it)+"@"+d.Blob.Digest]
				if !ok {
					h, ok = sums[copyOf(it.src, d.Blob.Digest)]
				}
				if !ok { // never hashed: not a match
					h = hashed{Err: exit.New(exit.Internal, "blob %s was not hashed", d.Blob.Digest)}
				}
				errs[k] = verify.ContentErr(d, h, "the archive was altered or damaged in transit; fetch it again")
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
		if ip.err == nil {
			ip.err = aheadErr[it]
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

// refOr is d.Ref(it), "" without a destination.
func (d *RegistryDest) refOr(it *Item) string {
	if d == nil {
		return ""
	}
	return d.Ref(it)
}

// uploadJob is one blob to upload to the repository of ref.
type uploadJob struct {
	it  *Item
	ref string
	src BlobSource
	b   bundle.Blob
	// ahead: a blob RegistryDest.Ahead listed (not one whose hash the
	// verdict waits for), read from data when set, else from src.
	ahead bool
	data  []byte
}

// aheadJobs are the jobs of the blobs up.Ahead lists for it that have no
// job yet (have): each uploaded in the same phase as the layers, rather
// than one by one by Push after them.
func aheadJobs(up *RegistryDest, it *Item, have map[string]bool) []uploadJob {
	if up.Ahead == nil {
		return nil
	}
	var jobs []uploadJob
	for _, a := range up.Ahead(it) {
		if have[a.Blob.Digest] {
			continue
		}
		if a.Data == nil {
			if _, _, _, ok := where(it.src, a.Blob.Digest); !ok {
				continue // only a stream gives it: Push uploads it
			}
		}
		have[a.Blob.Digest] = true
		jobs = append(jobs, uploadJob{it: it, ref: up.Ref(it), src: it.src, b: a.Blob, ahead: true, data: a.Data})
	}
	return jobs
}

// markUploaded notes that blob d is in the repository it is pushed to.
func (it *Item) markUploaded(d string) {
	if it.uploaded == nil {
		it.uploaded = map[string]bool{}
	}
	it.uploaded[d] = true
}

// uploadJobs is how many blobs are uploaded at once (as ct push does).
const uploadJobs = 4

// uploadAll uploads the jobs, uploadJobs at a time, each hashed while it
// streams; done[k] is the outcome of the last attempt of job k (n -1 when
// the registry already had the blob and nothing was read). A registry
// error ends it (the jobs not yet started are not); a content mismatch or
// a read error is an outcome, not an error: contentErr words it.
func uploadAll(ctx context.Context, dest *RegistryDest, jobs []uploadJob) ([]hashed, error) {
	done := make([]hashed, len(jobs))
	var mu sync.Mutex
	var first error
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < uploadJobs && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				r, err := uploadOne(ctx, dest, jobs[k])
				mu.Lock()
				done[k] = r
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for k := range jobs {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return done, nil
}

// uploadOne uploads one blob, hashing it as it streams. The error is the
// registry's (or the interruption); what the content was is the outcome.
func uploadOne(ctx context.Context, dest *RegistryDest, j uploadJob) (hashed, error) {
	ra, off, size, ok := where(j.src, j.b.Digest)
	if j.data != nil {
		ra, off, size, ok = bytes.NewReader(j.data), 0, int64(len(j.data)), true
	}
	if !ok {
		return hashed{}, exit.New(exit.Internal, "blob %s is not located", j.b.Digest)
	}
	var mu sync.Mutex
	res := hashed{N: -1}
	open := func() (io.ReadCloser, error) {
		if err := ctx.Err(); err != nil {
			return nil, interrupted(err)
		}
		return io.NopCloser(&hashingReader{r: io.NewSectionReader(ra, off, size), ctx: ctx, h: sha256.New(), want: j.b.Digest, size: size,
			out: func(h hashed) { mu.Lock(); res = h; mu.Unlock() }}), nil
	}
	err := dest.Upload(j.ref, j.b, open)
	mu.Lock()
	r := res
	mu.Unlock()
	switch {
	case err == nil:
		return r, nil
	case ctx.Err() != nil:
		return r, interrupted(ctx.Err())
	case r.N >= 0 && (r.Err != nil || r.Got != j.b.Digest || r.N != j.b.Size):
		return r, nil // the content ended the upload: an outcome for contentErr
	}
	return r, err
}

// errContent ends an upload whose content does not match its digest.
var errContent = errors.New("content does not match its digest")

// hashingReader hashes r as it is read; at its end it reports the outcome
// to out and fails (so that the upload reading it is never committed)
// when the size or digest differs.
type hashingReader struct {
	r    io.Reader
	ctx  context.Context
	h    hash.Hash
	n    int64
	want string
	size int64
	out  func(hashed)
}

func (c *hashingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.out(hashed{N: c.n, Err: interrupted(err)})
		return 0, interrupted(err)
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err == io.EOF {
		got := "sha256:" + hex.EncodeToString(c.h.Sum(nil))
		c.out(hashed{Got: got, N: c.n})
		if got != c.want || c.n != c.size {
			return n, errContent
		}
		return n, io.EOF
	}
	if err != nil {
		c.out(hashed{N: c.n, Err: err})
	}
	return n, err
}
