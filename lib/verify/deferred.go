package verify

import (
	"io"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
)

// Deferred is a layer or config blob that VerifyDeferred did not hash: the
// caller hashes it and hands the outcome to Report.Content.
type Deferred struct {
	Blob   bundle.Blob
	Index  int    // position in manifest.toml
	Where  string // for messages: bundle, entry, position, role
	Offset int64  // where its content starts in the reader VerifyDeferred read
}

// VerifyDeferred is VerifyFile with the hashing left to the caller: one
// pass over the seekable bundle rd checks its structure, the manifests,
// the image graph (index and manifest blobs and the root config are read
// and hashed), the signatures, trust, attestations and policy, and seeks
// past the layers and configs, which it returns. The report is not final:
// the caller hashes every returned blob (each once, in parallel, from
// wherever its bytes are) and calls Content with the outcomes, which
// completes the report exactly as VerifyFile would. ct import verifies an
// archive in place this way, without staging a copy of its blobs.
//
// done is false when the pass failed before manifest.toml was read (then
// the report is final). A structure failure after it leaves done true,
// with the blobs a stream would have hashed before meeting the failure
// (each lies whole in rd). The report then gets their failures, as a
// stream's has, but no "blobs" check unless the pass got past the last
// blob.
func VerifyDeferred(rd io.ReadSeeker, name string, opts Options) (rep *Report, skipped []Deferred, done bool) {
	opts.SkipContent = true
	opts.onSkip = func(b bundle.Blob, i int, off int64, where string) {
		skipped = append(skipped, Deferred{Blob: b, Index: i, Where: where, Offset: off})
	}
	rep = Verify(rd, name, opts)
	rep.ContentChecked = true
	if len(rep.errs) > 0 && rep.Manifest == nil {
		return rep, nil, false
	}
	// A structure failure among the blobs leaves the blobs before it,
	// which a stream would have hashed before meeting it: the reader
	// hands out no blob to seek past that rd ends inside (it stops there,
	// bundle.Reader.Stopped), so each returned blob lies whole in rd.
	return rep, skipped, true
}

// Content completes a report of VerifyDeferred with the outcome of hashing
// its deferred blobs: errs[i] is nil when skipped[i] matched its digest
// and size, else the failure (exit.HashMismatch for a wrong digest). The
// report then has the "blobs" check, or one failure per blob, as
// VerifyFile writes them.
func (r *Report) Content(skipped []Deferred, errs []error) *Report {
	mismatch := false
	for _, c := range r.Checks { // an index, manifest or root config the first pass read
		if !c.OK && strings.HasPrefix(c.Name, "blob ") {
			mismatch = true
		}
	}
	for i, d := range skipped {
		if i < len(errs) && errs[i] != nil {
			mismatch = true
			r.failBlob(d.Blob, d.Index, errs[i])
		}
	}
	if !mismatch && r.blobsPassed {
		r.ok("blobs", "%s", blobsMatch(r.Blobs))
	}
	return r.finish()
}
