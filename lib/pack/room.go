package pack

import (
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/spool"
)

// The sizes of a registry's blobs are what its manifests declare: a
// stranger's word, known before the first blob byte. ct pack checks them
// against the free space where it writes them (lib/spool's check and
// wording, exit 11) and refuses a bundle that cannot fit with nothing
// written, instead of filling the disk and failing half-way with ENOSPC;
// and it never writes a blob past its declared size (the prefetcher's
// downloads stop one byte after it, which the writer refuses).

// bundleSize is the size of the planned bundle without its signatures
// (spool.Size's need: its head, every blob at its declared size, the end
// of archive), or an error when the manifest cannot be written.
func (p *Plan) bundleSize(modTime time.Time) (int64, error) {
	head := &progress.Counter{W: io.Discard}
	if _, err := bundle.NewWriter(head, p.Manifest, bundle.WriterOptions{ModTime: modTime}); err != nil {
		return 0, err
	}
	need, _ := spool.Size(p.Manifest, head.N)
	return need, nil
}

// roomBeside refuses (exit 11) a bundle of need bytes that the file system
// of dir, the folder of the output file output, has no room for.
func (p *Plan) roomBeside(dir, output string, need int64) error {
	return spool.Need{Bytes: need, What: "the bundle", Declares: "as the source's manifests declare", For: "to be written",
		Place: "the output's folder", Where: output,
		Hint: "free space there, or write the bundle to a folder with room (-o DIR/FILE.ctp)"}.In(dir)
}

// aheadNeed is the most the prefetcher holds in TMPDIR at once: the ahead
// largest blobs, at their declared sizes.
func (p *Plan) aheadNeed(ahead int) int64 {
	sizes := make([]int64, 0, len(p.Manifest.Blobs))
	for _, b := range p.Manifest.Blobs {
		sizes = append(sizes, b.Size)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] > sizes[j] })
	var n int64
	for i, s := range sizes {
		if i == ahead {
			break
		}
		if s > 0 {
			n = spool.Add(n, s)
		}
	}
	return n
}

// roomAhead refuses (exit 11) a prefetch of ahead blobs that TMPDIR has no
// room for.
func (p *Plan) roomAhead(tmp string, ahead int) error {
	return spool.Need{Bytes: p.aheadNeed(ahead), What: "downloading ahead",
		Declares: "the " + strconv.Itoa(ahead) + " largest blobs, as the source's manifests declare", For: "in temporary files",
		Where: p.refOf().Given,
		Hint:  "set TMPDIR to a folder with room for them, or write the bundle with -o FILE to a file system other than FAT or exFAT (its blobs then go straight into the file)"}.In(tmp)
}

// roomSBOM refuses (exit 11) ct pack --sbom when TMPDIR has no room for
// the two copies it holds there: the unsigned bundle, and ct-sbom's bundle
// with the SBOM (at least as large). ct-sbom checks the room for what it
// unpacks itself.
func (p *Plan) roomSBOM(tmp string, need int64) error {
	return spool.Need{Bytes: spool.Add(need, need), What: "ct pack --sbom", Declares: "twice the bundle, as the source's manifests declare",
		For: "for the unsigned bundle and ct-sbom's copy of it", Where: p.refOf().Given,
		Hint: "set TMPDIR to a folder with room for two copies of the bundle, or pack without --sbom and run ct-sbom on the bundle later"}.In(tmp)
}

// limitOpen bounds what open's blob yields to one byte past its declared
// size: enough for the writer to see that the source sent too much (a
// hash mismatch), and never more on disk than the manifests declared.
func limitOpen(open func() (io.ReadCloser, error), size int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(rc, spool.Add(size, 1)), rc}, nil
	}
}
