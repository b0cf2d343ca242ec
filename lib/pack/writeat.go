package pack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/source"
)

// WriteFile writes the planned bundle into f, a regular file open for
// writing at offset 0 (the temporary output file), with the same bytes as
// Write would stream. Every blob's size is known before the first byte, so
// every tar offset is too: the headers, padding and end of archive are
// written first by the same bundle.Writer (skipping each blob's data), then
// the blobs are downloaded Prefetch at a time (1 when Prefetch ≤ 1) straight
// into the file at their offsets with pwrite, each byte hashed once on the
// way, and the signatures are written after the last blob only when every
// blob arrived with its digest. No temporary file, no second copy.
//
// With p.writeback (an output that is fsynced before it is renamed into
// place), each blob's writeback to disk starts as it arrives, so the disk
// works during the download instead of all at the fsync.
//
// It returns the bundle's size. On any error the file holds garbage: the
// caller removes it (outfile.Abort). Errors are classified as Write's are;
// cancelling ctx stops every download and returns promptly.
func (p *Plan) WriteFile(ctx context.Context, f *os.File, modTime time.Time, progress io.Writer, outErr func(error) error,
	sign func(manifest []byte) ([]bundle.Entry, error)) (int64, error) {
	ow := io.NewOffsetWriter(f, 0)
	bw, err := bundle.NewWriter(ow, p.Manifest, bundle.WriterOptions{ModTime: modTime})
	if err != nil {
		return 0, classifyWrite(err, outErr)
	}
	blobs := p.Manifest.Blobs
	offs := make([]int64, len(blobs))
	for i, b := range blobs {
		if offs[i], err = bw.SkipBlob(b.Digest); err != nil {
			return 0, classifyWrite(err, outErr)
		}
	}
	workers := p.Prefetch
	if workers < 1 {
		workers = 1
	}
	if err := p.fetchAt(ctx, f, offs, workers, progress, outErr); err != nil {
		return 0, err
	}
	if sign != nil {
		sigs, err := sign(bw.ManifestBytes())
		if err != nil {
			return 0, err
		}
		if err := bw.WriteSignatures(sigs); err != nil {
			return 0, classifyWrite(err, outErr)
		}
	}
	if err := bw.Close(); err != nil {
		return 0, classifyWrite(err, outErr)
	}
	return bw.Offset(), nil
}

// fetchAt downloads every blob into f at offs[i], workers at a time, the
// largest first (so that the last one to finish is a small one). The first
// failure cancels the others; fetchAt returns only when every worker has
// stopped.
func (p *Plan) fetchAt(ctx context.Context, f *os.File, offs []int64, workers int, progress io.Writer, outErr func(error) error) error {
	blobs := p.Manifest.Blobs
	order := make([]int, len(blobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return blobs[order[a]].Size > blobs[order[b]].Size })
	if workers > len(order) {
		workers = len(order)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	// The first failure is reported; those it causes by cancelling the
	// other downloads say nothing more.
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
		cancel()
	}
	var pmu sync.Mutex
	var pw io.Writer
	if progress != nil {
		pw = lockedWriter{w: progress, mu: &pmu}
	}
	// Writeback requests go to one goroutine, so that a download never
	// waits for the disk queue; when it lags, requests are dropped (the
	// final fsync writes whatever is left).
	var wb chan [2]int64
	wbDone := make(chan struct{})
	if p.writeback {
		wb = make(chan [2]int64, 64)
		go func() {
			defer close(wbDone)
			for r := range wb {
				outfile.StartWriteback(f, r[0], r[1])
			}
		}()
	} else {
		close(wbDone)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for i := range jobs {
				if err := p.fetchOne(ctx, f, i, offs[i], buf, pw, wb, outErr); err != nil {
					fail(err)
				}
			}
		}()
	}
	interrupted := false
feed:
	for _, i := range order {
		select {
		case jobs <- i:
		case <-ctx.Done():
			interrupted = true
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if wb != nil {
		close(wb)
	}
	<-wbDone
	if firstErr != nil && !errors.Is(firstErr, context.Canceled) {
		return firstErr
	}
	if interrupted || firstErr != nil || ctx.Err() != nil {
		if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return exit.Wrap(exit.IO, err, "interrupted")
		}
		return exit.Wrap(exit.IO, context.Canceled, "interrupted")
	}
	return nil
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// writebackChunk is how much of a blob is written before its writeback to
// disk is started (outfile.StartWriteback).
const writebackChunk = 8 << 20

// verifiedDigest is implemented by a blob reader that checks the blob's
// digest itself as it streams (lib/regnet's response body): at io.EOF it
// returns the digest it verified, and fetchOne does not hash the bytes a
// second time.
type verifiedDigest interface{ VerifiedDigest() string }

// fetchOne copies blob i into f at off through buf, checking its size and
// digest, with the errors and messages of Write's path.
func (p *Plan) fetchOne(ctx context.Context, f *os.File, i int, off int64, buf []byte, progress io.Writer, wb chan<- [2]int64, outErr func(error) error) error {
	ref := p.refOf()
	b := p.Manifest.Blobs[i]
	n := len(p.Manifest.Blobs)
	if err := ctx.Err(); err != nil {
		return err
	}
	rc, err := p.opener(ctx, b)()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return source.ClassifyError(ref, fmt.Errorf("opening %s %s (blob %d of %d): %w", b.Role, b.Digest, i+1, n, err))
	}
	defer rc.Close()
	vd, _ := rc.(verifiedDigest)
	var h hash.Hash
	if vd == nil {
		h = sha256.New()
	}
	where := fmt.Sprintf("blob %s (%s, %d of %d)", b.Digest, b.Role, i+1, n)
	var got, flushed int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, rerr := rc.Read(buf)
		if m > 0 {
			if got+int64(m) > b.Size {
				return p.wrongContent(exit.New(exit.HashMismatch, "content is longer than the %d bytes manifest.toml says", b.Size).At(where))
			}
			if h != nil {
				h.Write(buf[:m])
			}
			if _, werr := f.WriteAt(buf[:m], off+got); werr != nil {
				return classifyWrite(werr, outErr)
			}
			got += int64(m)
			if wb != nil && got-flushed >= writebackChunk {
				select {
				case wb <- [2]int64{off + flushed, got - flushed}:
				default:
				}
				flushed = got
			}
			if progress != nil {
				progress.Write(buf[:m])
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ee *exit.Error
			if errors.As(rerr, &ee) && ee.Code == exit.HashMismatch {
				return rerr // the registry's own check (lib/regnet), with its message
			}
			return source.ClassifyError(ref, fmt.Errorf("%s: %w", where, rerr))
		}
	}
	if got < b.Size {
		return p.wrongContent(exit.New(exit.HashMismatch, "content ends after %d bytes, manifest.toml says %d", got, b.Size).At(where))
	}
	var sum string
	if h != nil {
		sum = "sha256:" + hex.EncodeToString(h.Sum(nil))
	} else {
		sum = vd.VerifiedDigest()
	}
	if sum != b.Digest {
		if h == nil {
			return p.wrongContent(exit.New(exit.HashMismatch, "content was not verified as %s", b.Digest).At(where))
		}
		return p.wrongContent(exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", sum, b.Digest).At(where))
	}
	return nil
}

// wrongContent words a digest or size mismatch as Write does.
func (p *Plan) wrongContent(ee *exit.Error) error {
	ref := p.refOf()
	ee.Msg = "the source served wrong content: " + ee.Msg
	ee.Where = ref.Given + ", " + ee.Where
	if ee.Hint == "" {
		ee.Hint = "the source is corrupt or changed while packing; check it (for a layout: skopeo inspect) and try again"
	}
	return ee
}
