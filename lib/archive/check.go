package archive

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/readahead"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/verify"
)

// Open opens the blob d of the bundle from wherever its blobs come from
// (the staging folder, a bundle file, a destination): for code outside
// this package that installs an item, such as a registry pusher.
func (it *Item) Open(d string) (io.ReadCloser, error) { return it.src.Open(d) }

// CheckResult is the outcome of verifying an archive: one report per
// bundle, in index order (sorted by manifest digest).
type CheckResult struct {
	Archive string
	Reports []*verify.Report
}

// stopped is Check's error on SIGINT or SIGTERM.
func stopped(name string) error {
	return exit.New(exit.IO, "interrupted (SIGINT or SIGTERM): verification stopped, the unpacked blobs were removed").
		At("archive " + name)
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Check verifies every bundle of the archive r (named name in messages)
// as ct verify verifies a bundle file, and installs nothing (verify.md §3,
// archive.md §5); ctx, when not nil, stops it (Ctrl-C, SIGTERM: code 11). The archive is read with the ct import reader, every
// rule of archive.md §1–§3 enforced, its blobs extracted into a private
// folder made under tmp ("" for the system's) and removed before Check
// returns; each bundle is then rebuilt from its parts, as ct import
// rebuilds it, and the rebuilt stream verified with lib/verify, its length
// checked against the index. Keys and a policy carried in the archive are
// not trusted (archive.md §5 "Trust"): opts is all the trust there is.
//
// An archive that cannot be read whole (malformed, a blob that fails its
// hash, unreadable) is an error, with its code: no bundle of it is then
// reported valid. A delta's bundles that need blobs of its base, which
// only a destination holds, get a report with code 11 saying so.
func Check(ctx context.Context, r io.Reader, name, tmp string, opts verify.Options) (*CheckResult, error) {
	dir, err := os.MkdirTemp(tmp, ".ct-verify-")
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot create a folder to unpack the archive's blobs").At(tmp).
			WithHint("set TMPDIR to a folder with room for the archive's blobs")
	}
	defer os.RemoveAll(dir)
	// Trust before disk (archive.md §5 phase 1, as ct import): signatures,
	// trust and policy are checked on the heads, which come first, and only
	// the blobs of bundles that pass are unpacked. Every other blob is still
	// hashed against the index (so a changed byte anywhere fails the archive
	// with 1), but never written, and a bundle refused on its heads is
	// reported with that code (verify.md §3: its image graph is not read).
	headReps := map[*Item]*verify.Report{}
	afterHeads := func(st *Staged) (func(string) bool, error) {
		want := map[string]bool{}
		for _, it := range st.Items {
			vr := verify.VerifyHead(it.Entry.Ref(), it.Manifest, it.ManifestBytes, it.Signatures, opts)
			if vr.Err() != nil {
				headReps[it] = vr
				continue
			}
			for _, b := range it.Manifest.Blobs {
				want[b.Digest] = true
			}
		}
		// Room before disk: the blobs to unpack, at the sizes the index
		// declares, must fit in TMPDIR before the first is written.
		if err := roomIn(tmp, spool.Need{Bytes: stageNeed(st.Index, want), What: "the archive", Declares: "as its index declares",
			For: "to unpack its blobs"}); err != nil { // StageWith names the archive
			return nil, err
		}
		return func(d string) bool { return want[d] }, nil
	}
	st, err := StageWith(r, name, dir, StageOptions{Ctx: ctx, AfterHeads: afterHeads})
	if err != nil && ctx != nil && ctx.Err() != nil {
		return nil, stopped(name)
	}
	if err != nil {
		return nil, err
	}
	res := &CheckResult{Archive: name}
	items := append([]*Item(nil), st.Items...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Entry.ManifestDigest < items[j].Entry.ManifestDigest })
	for _, it := range items {
		missing := 0
		for _, b := range it.Manifest.Blobs {
			if ib, ok := st.Index.Blob(b.Digest); ok && !ib.Present {
				missing++
			}
		}
		if ctx != nil && ctx.Err() != nil {
			return nil, stopped(name)
		}
		ref := it.Entry.Ref()
		if vr := headReps[it]; vr != nil {
			res.Reports = append(res.Reports, vr)
			continue
		}
		if missing > 0 {
			err := exit.New(exit.IO, "%d of %d blobs are not in this archive: it is a delta, and they are in its base", missing, len(it.Manifest.Blobs)).
				At(fmt.Sprintf("archive %s, bundle %s", name, ref)).
				WithHint("verify the full archive it was made against, or install the base and then this delta with ct import")
			res.Reports = append(res.Reports, verify.Failed(ref, it.Manifest, it.ManifestBytes, err))
			continue
		}
		rep, err := verifyItem(it, opts)
		if err != nil && rep.Err() == nil { // the rebuilt length, or the rebuild itself
			rep.AddFailure("bundle", err)
		}
		res.Reports = append(res.Reports, rep)
	}
	return res, nil
}

// stageNeed is what staging the present blobs of x that want holds takes,
// at the sizes x declares.
func stageNeed(x *Index, want map[string]bool) int64 {
	var need int64
	for _, b := range x.Blobs {
		if b.Present && want[b.Digest] && b.Size > 0 {
			need = spool.Add(need, b.Size)
		}
	}
	return need
}

// roomIn returns an error (exit.IO, lib/spool's wording) when the
// temporary folder tmp ("" for TMPDIR) has less than need.Bytes free.
func roomIn(tmp string, need spool.Need) error {
	if tmp == "" {
		tmp = os.TempDir()
	}
	need.Hint = "set TMPDIR to a folder with room for the archive's blobs"
	return need.In(tmp)
}

// VerifyPath is what ct verify runs on each input: an export archive
// (plain or zstd, told by its first bytes, never its name) is checked with
// Check, one report per bundle, each naming the archive; anything else
// goes to verify.VerifyPath as a bundle. Every outcome is reports: an
// archive that cannot be read whole is one failed report for the archive.
func VerifyPath(path string, opts verify.Options, po verify.PathOptions, tmp string) []*verify.Report {
	var in io.Reader
	if path == "-" {
		in = po.Stdin
		if in == nil {
			in = os.Stdin
		}
		// Redirected from a regular file (< FILE): read like a named file
		// (no progress shown), a bundle by verify.VerifyPath (blobs hashed
		// in parallel), an archive by Check on the file.
		if f := spool.StdinFile(in); f != nil {
			return verifyFile(f, path, opts, po, tmp)
		}
	} else {
		f, err := os.Open(path)
		if err != nil { // verify.VerifyPath reports it
			return []*verify.Report{verify.VerifyPath(path, opts, po)}
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return []*verify.Report{verify.Failed(path, nil, nil, exit.Wrap(exit.IO, err, "cannot read bundle").At(path))}
		}
		in = f
		if st.Mode().IsRegular() {
			return verifyFile(f, path, opts, po, tmp)
		}
	}
	// A stream (standard input, a pipe): read once, so peek.
	src := in
	if po.Stream != nil {
		in = po.Stream(in)
		po.Stream = nil
	}
	// Read ahead on a second goroutine: reading overlaps hashing.
	br := readahead.New(in)
	defer br.Close()
	head, _ := br.Peek(512)
	if !verify.IsArchive(head) {
		return []*verify.Report{verify.VerifyStream(br, path, opts, po)}
	}
	closer := io.Closer(nil)
	if c, ok := src.(io.Closer); ok {
		closer = c
	}
	return check(po.Ctx, br, closer, path, tmp, opts)
}

// verifyFile is VerifyPath on a regular file at offset 0, named path
// ("-" for standard input redirected from it).
func verifyFile(f *os.File, path string, opts verify.Options, po verify.PathOptions, tmp string) []*verify.Report {
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	if !verify.IsArchive(head[:n]) {
		return []*verify.Report{verify.VerifyPath(path, opts, po)}
	}
	return check(po.Ctx, f, f, path, tmp, opts)
}

func check(ctx context.Context, in io.Reader, file io.Closer, path, tmp string, opts verify.Options) []*verify.Report {
	if ctx == nil {
		ctx = context.Background()
	}
	// While an archive is unpacked, Ctrl-C and SIGTERM stop it and its
	// folder is removed (code 11); before and after, they act as usual.
	// The input is closed on the signal, so that a read waiting on a pipe
	// returns (where the file can be interrupted: a named pipe can).
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	defer close(done)
	if file != nil {
		go func() {
			select {
			case <-ctx.Done():
				file.Close()
			case <-done:
			}
		}()
	}
	res, err := Check(ctx, in, path, tmp, opts)
	if err != nil {
		rep := verify.Failed(path, nil, nil, err)
		rep.Archive = path
		return []*verify.Report{rep}
	}
	for _, r := range res.Reports {
		r.Archive = path
	}
	return res.Reports // none for a delta that lists no bundle
}
