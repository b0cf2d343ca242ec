package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/readahead"
)

// located is a blob whose content lies at off in the bundle file.
type located struct {
	b     bundle.Blob
	i     int // position in manifest.toml, for messages
	off   int64
	where string
}

// VerifyFile verifies a bundle file. It is Verify, but faster: the first
// pass reads the structure, the manifests and the signatures and seeks past
// layers and configs, noting where each lies; then the skipped blobs are
// hashed in parallel, one per core, with positioned reads run ahead of the
// hash on a second goroutine (lib/readahead: one blob alone, the common
// one-big-layer image, is read on one core and hashed on the other).
// Memory stays at one ring of 4 x 1 MiB per core whatever the bundle's size.
func VerifyFile(f *os.File, name string, opts Options) *Report {
	var skipped []located
	opts.SkipContent = true
	opts.onSkip = func(b bundle.Blob, i int, off int64, where string) {
		skipped = append(skipped, located{b, i, off, where})
	}
	rep := Verify(f, name, opts)
	rep.ContentChecked = true
	if len(rep.errs) > 0 && rep.Manifest == nil {
		return rep
	}
	for _, c := range rep.Checks { // a structural failure ended the pass: blobs past it were not located
		if !c.OK && c.Name == "bundle" {
			return rep.finish()
		}
	}
	mismatch := false
	for _, c := range rep.Checks { // an index, manifest or root config the first pass read
		if !c.OK && strings.HasPrefix(c.Name, "blob ") {
			mismatch = true
		}
	}
	for _, e := range hashParallel(f, skipped) {
		if e.err != nil {
			mismatch = true
			rep.failBlob(e.b, e.i, e.err)
		}
	}
	if !mismatch {
		rep.ok("blobs", "%s", blobsMatch(rep.Blobs))
	}
	return rep.finish()
}

type hashResult struct {
	b   bundle.Blob
	i   int // position in manifest.toml
	err error
}

func hashParallel(f *os.File, blobs []located) []hashResult {
	out := make([]hashResult, len(blobs))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(blobs) {
		workers = len(blobs)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			for i := range next {
				l := blobs[i]
				h.Reset()
				n, err := hashAhead(h, io.NewSectionReader(f, l.off, l.b.Size))
				out[i].b, out[i].i = l.b, l.i
				switch {
				case err != nil:
					out[i].err = exit.Wrap(exit.IO, err, "cannot read blob").At(l.where)
				case n != l.b.Size:
					out[i].err = exit.New(exit.Malformed, "archive is truncated inside the blob").At(l.where)
				default:
					if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != l.b.Digest {
						out[i].err = exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", got, l.b.Digest).
							At(l.where).WithHint("the bundle was altered or damaged in transit; fetch it again from its source")
					}
				}
			}
		}()
	}
	// Largest first: a big layer starts at once instead of after the small
	// blobs listed before it, so the cores finish together (the results
	// stay in manifest order).
	order := make([]int, len(blobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return blobs[order[a]].b.Size > blobs[order[b]].b.Size })
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// hashAhead hashes what r holds, reading it ahead on a second goroutine:
// pread overlaps SHA-256, and the hash reads the read-ahead buffers in
// place. It returns the bytes hashed and the first read error (io.EOF is
// the end, not an error).
func hashAhead(h hash.Hash, r io.Reader) (int64, error) {
	ra := readahead.New(r)
	defer ra.Close()
	var n int64
	for {
		b, err := ra.ReadChunk(readahead.DefaultSize)
		h.Write(b)
		n += int64(len(b))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func blobWhere(name string, b bundle.Blob, i, n int) string {
	return fmt.Sprintf("bundle %s, entry %s (blob %d of %d, %s)", name, b.Path(), i+1, n, b.Role)
}
