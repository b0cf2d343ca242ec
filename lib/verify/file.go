package verify

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// VerifyFile verifies a bundle file. It is Verify, but faster: the first
// pass (VerifyDeferred) reads the structure, the manifests and the
// signatures and seeks past layers and configs, noting where each lies;
// then the skipped blobs are hashed with HashSections: in parallel, one
// per core, with positioned reads run ahead of the hash on a second
// goroutine (lib/readahead: one blob alone, the common one-big-layer
// image, is read on one core and hashed on the other). Memory stays at
// one ring of 4 x 1 MiB per core whatever the bundle's size.
//
// f is read from its start with positioned reads only (ReadAt, through an
// io.SectionReader of the size fstat gives): its file offset is neither
// used nor moved, so a descriptor shared with another process (standard
// input redirected from a file) reads the same however that process moves
// the offset.
func VerifyFile(f *os.File, name string, opts Options) *Report {
	st, err := f.Stat()
	if err != nil {
		return ioReport(name, exit.Wrap(exit.IO, err, "cannot read bundle").At(name).WithHint("%s", unreadableHint))
	}
	rep, skipped, done := VerifyDeferred(io.NewSectionReader(f, 0, st.Size()), name, opts)
	if !done {
		return rep
	}
	secs := make([]Section, len(skipped))
	for i, d := range skipped {
		secs[i] = Section{RA: f, Off: d.Offset, Len: d.Blob.Size}
	}
	errs := make([]error, len(skipped))
	for i, h := range HashSections(context.Background(), secs) {
		errs[i] = skippedErr(skipped[i], h)
	}
	return rep.Content(skipped, errs)
}

// skippedErr is the failure of a blob of a bundle file that VerifyFile
// hashed, or nil.
func skippedErr(d Deferred, h Hashed) error {
	return ContentErr(d, h, "the bundle was altered or damaged in transit; fetch it again from its source")
}

// ContentErr is the failure of a deferred blob that was hashed apart from
// the stream (h), worded as ct verify words it, or nil. hint says where to
// get an undamaged copy (a bundle's source, an archive's).
func ContentErr(d Deferred, h Hashed, hint string) error {
	switch {
	case h.Err != nil:
		return exit.Wrap(exit.IO, h.Err, "cannot read blob").At(d.Where)
	case h.N != d.Blob.Size:
		return exit.New(exit.Malformed, "archive is truncated inside the blob").At(d.Where)
	case h.Got != d.Blob.Digest:
		return exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", h.Got, d.Blob.Digest).
			At(d.Where).WithHint("%s", hint)
	}
	return nil
}

func blobWhere(name string, b bundle.Blob, i, n int) string {
	return fmt.Sprintf("bundle %s, entry %s (blob %d of %d, %s)", name, b.Path(), i+1, n, b.Role)
}
