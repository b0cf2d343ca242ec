package archive

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/klauspost/compress/zstd"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// ExportOptions says what goes into an archive besides the bundles.
type ExportOptions struct {
	IncludeKeys bool   // carry the signers' public keys
	PolicyFile  string // carry this policy.json ("" for none)
	Since       string // a base archive: write only what it lacks ("" for a full archive)
	Zstd        bool   // compress the whole stream with zstd
}

// ExportResult describes a written archive.
type ExportResult struct {
	Index         *Index
	Bundles       int // bundles written (a delta leaves out those of its base)
	Skipped       int // bundles of the base, left out
	Blobs         int // blob entries written
	BlobBytes     int64
	OmittedBlobs  int // blobs the base holds
	Keys          int
	PolicyWritten bool
	Warnings      []string // e.g. an input bundle with extra padding
}

// located is where a blob lies in an input bundle file.
type located struct {
	f    *os.File
	name string
	off  int64
	b    bundle.Blob
}

type head struct {
	ib     IndexBundle
	mb     []byte
	sigs   []bundle.Entry
	proofs []bundle.Entry // transparency/… (bundle.md §6.1), sorted by the bundle reader
}

// Export writes one archive holding the bundle files inputs to w. It reads
// each input twice: pass 1 checks its structure and collects heads and blob
// locations; pass 2 copies each unique blob once, in digest order, hashing it
// again (on another goroutine, while the next chunk is read and written:
// hashCopier). Memory does not grow with the blobs.
func Export(inputs []string, opts ExportOptions, w io.Writer) (*ExportResult, error) {
	if len(inputs) == 0 {
		return nil, exit.New(exit.Usage, "no bundles to export").WithHint("name bundle files, or a list with --manifest")
	}
	var base *Index
	var baseDigest string
	if opts.Since != "" {
		f, err := os.Open(opts.Since)
		if err != nil {
			return nil, exit.Wrap(exit.IO, pathless(err), "cannot open the base archive").At(opts.Since)
		}
		x, xb, err := ReadIndex(f)
		f.Close()
		if err != nil {
			return nil, at(err, "archive "+opts.Since)
		}
		base, baseDigest = x, Digest(xb)
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	heads := map[string]*head{}
	where := map[string]located{}
	pubs := map[string]*keys.PublicKey{}
	skipped := 0
	res0 := &ExportResult{}
	for _, in := range inputs {
		f, err := os.Open(in)
		if err != nil {
			return nil, exit.Wrap(exit.IO, pathless(err), "cannot open bundle").At(in).WithHint("check the path")
		}
		files = append(files, f)
		fi, err := f.Stat()
		if err != nil {
			return nil, exit.Wrap(exit.IO, pathless(err), "cannot stat bundle").At(in)
		}
		br, err := bundle.NewReader(f, in)
		if err != nil {
			return nil, err
		}
		br.SkipContent()
		var locs []located
		for {
			b, _, err := br.NextBlob()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, br.Decide(err) // verify.md §2: a later 10 outranks a 1
			}
			locs = append(locs, located{f: f, name: in, off: br.Offset(), b: b})
		}
		sigs, err := br.Signatures()
		if err != nil {
			return nil, err
		}
		m := br.Manifest()
		md := bundle.Digest(br.ManifestBytes())
		ib := IndexBundle{Name: m.Package.Name, Version: m.Package.Version, ManifestDigest: md, ImageDigest: m.Image.Digest,
			MTime: br.ModTime().Unix(), Size: fi.Size()}
		for _, s := range sigs {
			ib.Signatures = append(ib.Signatures, s.Name)
			if opts.IncludeKeys {
				se, err := sig.ParseEntry(s.Name, s.Data)
				if err != nil {
					return nil, exit.Wrap(exit.Malformed, err, "unreadable signature entry %s", s.Name).At("bundle " + in)
				}
				fp := se.Fingerprint.String()
				if _, ok := pubs[fp]; !ok {
					pubs[fp] = se.PublicKey
				}
			}
		}
		sort.Strings(ib.Signatures)
		proofs := br.Proofs()
		for _, p := range proofs {
			// Parsed as every archive reader parses it (§3): an entry
			// that does not parse would make an archive that no import
			// accepts, found out only on the far side of the air gap.
			if _, err := tlog.ParseProof(p.Name, p.Data); err != nil {
				err = at(err, "bundle "+in)
				if e, ok := err.(*exit.Error); ok {
					err = e.WithHint("remove the bundle's proofs (ct log strip) and submit it again (ct log submit)")
				}
				return nil, err
			}
			ib.Proofs = append(ib.Proofs, p.Name)
		}
		// size is what import rebuilds: the file's own length, since the
		// bundle reader accepts only the writer's exact bytes, with
		// nothing after the end-of-archive marker (bundle.md §1).
		if ib.MTime < 0 {
			return nil, exit.New(exit.Usage, "entry mtime before 1970 cannot be carried").At("bundle " + in)
		}
		if old, ok := heads[md]; ok {
			if old.ib.MTime != ib.MTime || fmt.Sprint(old.ib.Signatures) != fmt.Sprint(ib.Signatures) ||
				fmt.Sprint(old.ib.Proofs) != fmt.Sprint(ib.Proofs) || old.ib.Size != ib.Size {
				return nil, exit.New(exit.Usage, "two different files of the same bundle %s (%s): other signatures, transparency proofs or mtime", ib.Ref(), md).
					At("bundle " + in).WithHint("export one of them; co-sign to merge signatures")
			}
			continue
		}
		if base != nil && baseHas(base, md) {
			skipped++
			continue
		}
		heads[md] = &head{ib: ib, mb: br.ManifestBytes(), sigs: sigs, proofs: proofs}
		for _, l := range locs {
			if _, ok := where[l.b.Digest]; !ok {
				where[l.b.Digest] = l
			}
		}
	}
	// Index.
	x := &Index{Format: FormatVersion, Base: baseDigest}
	refs := map[string]string{}
	for md, h := range heads {
		if other, ok := refs[h.ib.Ref()]; ok {
			return nil, exit.New(exit.Usage, "two different bundles are both %s (%s and %s)", h.ib.Ref(), other, md).
				WithHint("an archive installs each name:version once; repack one with another --version")
		}
		refs[h.ib.Ref()] = md
		x.Bundles = append(x.Bundles, h.ib)
	}
	sort.Slice(x.Bundles, func(i, j int) bool { return x.Bundles[i].ManifestDigest < x.Bundles[j].ManifestDigest })
	res := res0
	res.Index, res.Bundles, res.Skipped = x, len(x.Bundles), skipped
	for d, l := range where {
		present := true
		// The 2-byte empty config of attestations is always carried:
		// nearly every bundle lists it, and leaving it out would make a
		// delta that shares nothing else with its base need the base
		// (archive.md §5).
		if base != nil && d != bundle.EmptyDigest {
			if _, ok := base.Blob(d); ok {
				present = false
				res.OmittedBlobs++
			}
		}
		x.Blobs = append(x.Blobs, IndexBlob{Digest: d, Size: l.b.Size, Present: present})
	}
	sort.Slice(x.Blobs, func(i, j int) bool { return x.Blobs[i].Digest < x.Blobs[j].Digest })
	var keyFiles [][]byte
	if opts.IncludeKeys {
		var fps []string
		for fp := range pubs {
			fps = append(fps, fp)
		}
		sort.Strings(fps)
		for _, fp := range fps {
			p := pubs[fp]
			kb, err := keys.EncodePublic(p)
			if err != nil {
				return nil, err
			}
			keyFiles = append(keyFiles, kb)
			x.Keys = append(x.Keys, IndexKey{ID: p.ID(), Suite: p.Suite(), Fingerprint: fp})
		}
		res.Keys = len(x.Keys)
	}
	var policyData []byte
	if opts.PolicyFile != "" {
		if _, err := policy.Load(opts.PolicyFile); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(opts.PolicyFile)
		if err != nil {
			return nil, exit.Wrap(exit.IO, pathless(err), "cannot read policy").At(opts.PolicyFile)
		}
		if len(b) > MaxPolicySize {
			return nil, exit.New(exit.Usage, "policy file over %d bytes", MaxPolicySize).At(opts.PolicyFile)
		}
		policyData = b
		x.Policy = PolicyName
		res.PolicyWritten = true
	}
	if len(x.Bundles) > MaxBundles || len(x.Blobs) > MaxBlobs {
		return nil, exit.New(exit.Usage, "%d bundles and %d blobs: over the limits of one archive (%d, %d)", len(x.Bundles), len(x.Blobs), MaxBundles, MaxBlobs).
			WithHint("split the bundles over several archives")
	}
	if len(x.Bundles) == 0 && base == nil {
		return nil, exit.New(exit.Usage, "no bundles to export")
	}
	xb, err := x.Encode()
	if err != nil {
		return nil, err
	}

	// Write.
	out := w
	var zw *zstd.Encoder
	if opts.Zstd {
		// One goroutine and fixed parameters: the compressed bytes are a
		// function of the tar bytes for a given klauspost/compress version.
		zw, err = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderCRC(true), zstd.WithZeroFrames(true))
		if err != nil {
			return nil, exit.Wrap(exit.Internal, err, "zstd")
		}
		out = zw
	}
	tw := ustar.NewWriter(out, 0)
	if err := writeFile(tw, IndexName, xb); err != nil {
		return nil, outErr(err)
	}
	for _, ib := range x.Bundles {
		h := heads[ib.ManifestDigest]
		if err := writeFile(tw, ib.Dir()+manifestLeaf, h.mb); err != nil {
			return nil, outErr(err)
		}
		sigs := append([]bundle.Entry(nil), h.sigs...)
		sort.Slice(sigs, func(i, j int) bool { return sigs[i].Name < sigs[j].Name })
		for _, s := range sigs {
			if err := writeFile(tw, ib.Dir()+s.Name, s.Data); err != nil {
				return nil, outErr(err)
			}
		}
		for _, p := range h.proofs { // sorted by name, as the index lists them
			if err := writeFile(tw, ib.Dir()+p.Name, p.Data); err != nil {
				return nil, outErr(err)
			}
		}
	}
	for i, k := range x.Keys {
		if err := writeFile(tw, k.Path(), keyFiles[i]); err != nil {
			return nil, outErr(err)
		}
	}
	if policyData != nil {
		if err := writeFile(tw, PolicyName, policyData); err != nil {
			return nil, outErr(err)
		}
	}
	cp := newHashCopier()
	for _, b := range x.Blobs {
		if !b.Present {
			continue
		}
		l := where[b.Digest]
		if err := tw.WriteHeader(b.Path(), ustar.TypeReg, b.Size); err != nil {
			return nil, outErr(err)
		}
		sum, n, rerr, werr := cp.copy(tw, io.NewSectionReader(l.f, l.off, b.Size))
		if rerr != nil {
			return nil, exit.Wrap(exit.IO, pathless(rerr), "cannot read blob %s", b.Digest).At("bundle " + l.name)
		}
		if werr != nil {
			return nil, outErr(werr)
		}
		if n != b.Size {
			return nil, exit.New(exit.Malformed, "bundle is truncated inside blob %s", b.Digest).At("bundle " + l.name)
		}
		if got := "sha256:" + hex.EncodeToString(sum); got != b.Digest {
			return nil, exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s", got, b.Digest).
				At("bundle " + l.name + ", entry " + l.b.Path()).WithHint("the bundle was altered or damaged; fetch it again from its source")
		}
		res.Blobs++
		res.BlobBytes += b.Size
	}
	if err := tw.Close(); err != nil {
		return nil, outErr(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, outErr(err)
		}
	}
	return res, nil
}

func baseHas(x *Index, md string) bool {
	for _, b := range x.Bundles {
		if b.ManifestDigest == md {
			return true
		}
	}
	return false
}

func outErr(err error) error {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	return exit.Wrap(exit.IO, pathless(err), "cannot write the archive").WithHint("check free space and permissions of the output")
}

func at(err error, where string) error {
	var e *exit.Error
	if errors.As(err, &e) {
		if e.Where == "" {
			e.Where = where
		} else {
			e.Where = where + ", " + e.Where
		}
	}
	return err
}

// CanonicalSize is the length of the bundle the bundle writer produces from
// m (canonical bytes mb), signature entries and transparency proof entries
// (bundle.md §6.1) of the given sizes: what ct import rebuilds. ok is false when a blob needs a pax header (≥ 8 GiB),
// whose length this function does not model.
func CanonicalSize(m *bundle.Manifest, mb []byte, sigSizes, proofSizes []int64) (size int64, ok bool) {
	entry := func(n int64) int64 { return 512 + (n+511)/512*512 }
	sb, err1 := bundle.SummaryBytes(m, mb)
	ib, err2 := bundle.IndexBytes(m)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	size = entry(int64(len(mb))) + entry(int64(len(sb))) + entry(int64(len(bundle.LayoutBytes()))) + entry(int64(len(ib))) + 2*512
	for _, b := range m.Blobs {
		if b.Size >= 8<<30 {
			return 0, false
		}
		size += entry(b.Size)
	}
	if len(sigSizes) > 0 {
		size += 512
	}
	for _, n := range sigSizes {
		size += entry(n)
	}
	if len(proofSizes) > 0 {
		size += 512 // the transparency/ directory entry
	}
	for _, n := range proofSizes {
		size += entry(n)
	}
	return size + 1024, true
}
