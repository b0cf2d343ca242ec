package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"runtime"
	"sort"
	"sync"

	"github.com/cerro-torre/ct/lib/readahead"
)

// Section is a run of bytes to hash: Len bytes at Off in RA.
type Section struct {
	RA       io.ReaderAt
	Off, Len int64
}

// Hashed is the outcome of hashing one Section.
type Hashed struct {
	Got string // "sha256:…" of the bytes read
	N   int64  // bytes read: less than Len when the file ends early
	Err error  // the first read error, or ctx's error
}

// HashSections hashes every section once, in parallel (one worker per
// core, the largest first so the cores finish together), each with
// positioned reads run ahead of the hash on a second goroutine
// (lib/readahead: one big layer alone is read on one core and hashed on
// the other). out[i] is the outcome of secs[i]. Once ctx is done no
// section is started and a running one stops at its next chunk, with
// ctx's error.
func HashSections(ctx context.Context, secs []Section) []Hashed {
	out := make([]Hashed, len(secs))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(secs) {
		workers = len(secs)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			for i := range next {
				s := secs[i]
				h.Reset()
				n, err := hashAhead(ctx, h, io.NewSectionReader(s.RA, s.Off, s.Len))
				out[i] = Hashed{Got: "sha256:" + hex.EncodeToString(h.Sum(nil)), N: n, Err: err}
			}
		}()
	}
	order := make([]int, len(secs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return secs[order[a]].Len > secs[order[b]].Len })
	for _, i := range order {
		if ctx.Err() != nil {
			out[i].Err = ctx.Err()
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// hashAhead hashes what r holds, reading it ahead on a second goroutine:
// pread overlaps SHA-256, and the hash reads the read-ahead buffers in
// place. It returns the bytes hashed and the first read error (io.EOF is
// the end, not an error), or ctx's error once ctx is done.
func hashAhead(ctx context.Context, h hash.Hash, r io.Reader) (int64, error) {
	ra := readahead.New(r)
	defer ra.Close()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
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
