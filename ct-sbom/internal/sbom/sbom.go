// Package sbom makes the SPDX 2.3 SBOM of a bundle's image with syft's
// catalogers, and makes syft's document reproducible: the same bundle gives
// the same bytes (docs/sbom.md).
//
// It lives inside the ct-sbom module on purpose: it is the only package of
// the suite that links syft, and tests/deps checks that no other binary does.
package sbom

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/stereoscopesource"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/klauspost/pgzip"
	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	// syft's rpm cataloger reads the rpmdb with a pure-Go SQLite driver
	// that it does not import itself: without it cataloguing fails at run
	// time.
	_ "modernc.org/sqlite"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool"
)

// PredicateType is the in-toto predicate type of the document.
const PredicateType = "https://spdx.dev/Document"

// DefaultMaxUnpacked bounds the uncompressed size of all layers together.
const DefaultMaxUnpacked = 32 << 30

// Request says what to catalogue.
type Request struct {
	Bundle io.Reader // the bundle's bytes
	Name   string    // for messages: the bundle's path or "-"
	// Epoch, when not zero, is the document's created time
	// (SOURCE_DATE_EPOCH); else the image's created time is used.
	Epoch time.Time
	// TempDir is where the private work folder is made ("" for the
	// system's); everything is removed before Generate returns.
	TempDir string
	// MaxUnpacked bounds the layers' uncompressed bytes (0: the default).
	MaxUnpacked int64
	Version     string // ct-sbom's version, for the creator "Tool: ct-sbom-VERSION"
}

// Result is the SBOM and what it describes.
type Result struct {
	Document []byte // SPDX 2.3 JSON, ending in a newline
	Manifest *bundle.Manifest
	Packages int
}

// Generate reads the bundle (checking every blob against manifest.toml),
// catalogues the image with syft and returns the reproducible SPDX
// document. A bundle on standard input is first written as an OCI layout
// into a private temporary folder; a bundle file is read in place (file.go).
func Generate(ctx context.Context, req Request) (res *Result, err error) {
	work, err := os.MkdirTemp(req.TempDir, "ct-sbom-")
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot make a temporary folder").
			WithHint("set TMPDIR to a writable folder with room for the image")
	}
	defer func() {
		if e := os.RemoveAll(work); e != nil && err == nil {
			err = exit.Wrap(exit.IO, e, "cannot remove the temporary folder %s", work)
		}
	}()
	left := new(atomic.Int64)
	left.Store(DefaultMaxUnpacked)
	if req.MaxUnpacked > 0 {
		left.Store(req.MaxUnpacked)
	}
	tmp := filepath.Join(work, "tmp")
	if f, size := regularFile(req.Bundle); f != nil {
		// In place, checking every digest alongside (file.go).
		m, off, err := scanOffsets(f, size, req.Name)
		if err != nil {
			return nil, err
		}
		if err := oneImage(m, req.Name); err != nil {
			return nil, err
		}
		img, err := newFileImage(f, m, off)
		if err != nil {
			return nil, err
		}
		checked := make(chan error, 1)
		go func() { checked <- checkAll(f, size, req.Name) }()
		doc, n, err := catalogue(ctx, &boundedImage{Image: img, left: left}, m, tmp, req)
		select {
		case cerr := <-checked:
			// A blob that does not match manifest.toml decides, whatever
			// syft made of it.
			if cerr != nil {
				return nil, cerr
			}
		case <-ctx.Done():
			return nil, readErr(ctx, ctx.Err(), m)
		}
		if err != nil {
			return nil, err
		}
		return &Result{Document: doc, Manifest: m, Packages: n}, nil
	}
	m, err := extract(req.Bundle, req.Name, filepath.Join(work, "layout"))
	if err != nil {
		return nil, err
	}
	if err := oneImage(m, req.Name); err != nil {
		return nil, err
	}
	p, err := layout.FromPath(filepath.Join(work, "layout"))
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "reading the extracted layout")
	}
	h, err := v1.NewHash(m.Image.Digest)
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "image digest %s", m.Image.Digest)
	}
	img, err := p.Image(h)
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "reading image %s from %s", m.Image.Digest, req.Name)
	}
	doc, n, err := catalogue(ctx, &boundedImage{Image: img, left: left}, m, tmp, req)
	if err != nil {
		return nil, err
	}
	return &Result{Document: doc, Manifest: m, Packages: n}, nil
}

// oneImage refuses a multi-platform bundle.
func oneImage(m *bundle.Manifest, name string) error {
	if bundle.IsIndexMediaType(m.Image.MediaType) {
		return exit.New(exit.Usage, "%s holds a multi-platform index (%s); ct-sbom catalogues one image", name, m.Image.Digest).
			WithHint("pack one platform (ct pack IMG --platform OS/ARCH) and make its SBOM")
	}
	return nil
}

// extract writes the bundle's OCI layout (oci-layout, index.json and every
// blob, each checked while it is written) under dir.
func extract(r io.Reader, name, dir string) (*bundle.Manifest, error) {
	br, err := bundle.NewReader(r, name)
	if err != nil {
		return nil, err
	}
	m := br.Manifest()
	// No blob is written before TMPDIR is known to have room for them all,
	// as manifest.toml declares them (docs/cli.md, "Streams"); the reader
	// stops each at its declared size.
	var need int64
	for _, b := range m.Blobs {
		need += b.Size // at most bundle.MaxBlobs of bundle.MaxBlobSize: no overflow
	}
	if err := spool.Room(filepath.Dir(filepath.Dir(dir)), need, name, spool.NameTheFile); err != nil { // dir is TMPDIR/ct-sbom-*/layout
		return nil, err
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot make %s", blobs)
	}
	index, err := bundle.IndexBytes(m)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"oci-layout", bundle.LayoutBytes()}, {"index.json", index}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot write %s", f.name).WithHint("free some space in TMPDIR")
		}
	}
	buf := make([]byte, 1<<20)
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, br.Decide(err)
		}
		path := filepath.Join(blobs, strings.TrimPrefix(b.Digest, "sha256:"))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot write blob %s", b.Digest).WithHint("free some space in TMPDIR")
		}
		_, cerr := io.CopyBuffer(f, rd, buf)
		if e := f.Close(); cerr == nil && e != nil {
			return nil, exit.Wrap(exit.IO, e, "cannot write blob %s", b.Digest).WithHint("free some space in TMPDIR")
		}
		if cerr != nil {
			var pe *os.PathError
			if errors.As(cerr, &pe) {
				return nil, exit.Wrap(exit.IO, cerr, "cannot write blob %s", b.Digest).WithHint("free some space in TMPDIR")
			}
			return nil, br.Decide(cerr)
		}
	}
	if _, err := br.Signatures(); err != nil {
		return nil, err
	}
	return m, nil
}

// catalogue runs syft on img and returns the reproducible document.
func catalogue(ctx context.Context, img v1.Image, m *bundle.Manifest, tmp string, req Request) ([]byte, int, error) {
	cache := filepath.Join(tmp, "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, 0, exit.Wrap(exit.IO, err, "cannot make %s", cache)
	}
	// syft and stereoscope make their temporary folders with
	// os.MkdirTemp(""): keep them inside the private work folder, which is
	// removed on return. ct-sbom is a process of its own, so the change of
	// TMPDIR is seen by nothing else.
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", tmp)
	defer func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
	}()
	gen := file.NewTempDirGenerator("stereoscope")
	defer gen.Cleanup()
	ref := m.Package.Name + ":" + m.Package.Version
	simg := image.New(img, gen, cache, image.WithManifestDigest(m.Image.Digest))
	if err := simg.Read(ctx); err != nil {
		return nil, 0, readErr(ctx, err, m)
	}
	defer simg.Cleanup()
	src := stereoscopesource.New(simg, stereoscopesource.ImageConfig{
		Reference: ref,
		Alias:     source.Alias{Name: m.Package.Name, Version: m.Package.Version},
	})
	cfg := syft.DefaultCreateSBOMConfig().WithTool("ct-sbom", req.Version)
	s, err := syft.CreateSBOM(ctx, src, cfg)
	if err != nil {
		return nil, 0, readErr(ctx, err, m)
	}
	if ctx.Err() != nil {
		// syft's catalogers stop on cancellation and CreateSBOM returns
		// what they had found by then, without an error: never write that.
		return nil, 0, readErr(ctx, ctx.Err(), m)
	}
	latest := spdxhelpers.ToFormatModel(*s)
	if latest == nil {
		return nil, 0, exit.New(exit.Internal, "syft could not convert the SBOM of %s to SPDX", m.Image.Digest)
	}
	var doc v2_3.Document
	if err := convert.Document(latest, &doc); err != nil {
		return nil, 0, exit.Wrap(exit.Internal, err, "converting the SBOM of %s to SPDX 2.3", m.Image.Digest)
	}
	created, err := createdTime(req.Epoch, m)
	if err != nil {
		return nil, 0, err
	}
	Reproducible(&doc, m, created, "ct-sbom-"+req.Version)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(&doc); err != nil {
		return nil, 0, exit.Wrap(exit.Internal, err, "encoding the SPDX document")
	}
	return out.Bytes(), len(doc.Packages), nil
}

func readErr(ctx context.Context, err error, m *bundle.Manifest) error {
	if ctx.Err() != nil {
		return exit.Wrap(exit.Cancelled, ctx.Err(), "cancelled while cataloguing %s", m.Image.Digest)
	}
	if c := exit.CodeOf(err); c != exit.Internal {
		var e *exit.Error
		if errors.As(err, &e) {
			return err
		}
	}
	return exit.Wrap(exit.Malformed, err, "cataloguing image %s", m.Image.Digest).
		WithHint("the image's layers could not be read as tar archives; check the bundle with ct verify")
}

// createdTime is SOURCE_DATE_EPOCH, else the image config's created time,
// else the bundle's created time, else the Unix epoch: never the clock.
func createdTime(epoch time.Time, m *bundle.Manifest) (time.Time, error) {
	if !epoch.IsZero() {
		return epoch.UTC(), nil
	}
	for _, s := range []string{m.Image.Created, m.Package.Created} {
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, exit.Wrap(exit.Malformed, err, "manifest.toml: created time %q", s)
		}
		return t.UTC(), nil
	}
	return time.Unix(0, 0).UTC(), nil
}

// Reproducible replaces what syft makes differently on every run (the
// namespace's random UUID, the time, the document name taken from the input
// path) and sorts every list whose order syft does not fix.
func Reproducible(doc *v2_3.Document, m *bundle.Manifest, created time.Time, tool string) {
	doc.DocumentName = m.Package.Name + "-" + m.Package.Version
	// The namespace ct sign recognises as ct-sbom's (attestations.md §9.5):
	// one per image, the same on every run.
	doc.DocumentNamespace = attest.SBOMNamespace(m)
	if doc.CreationInfo == nil {
		doc.CreationInfo = &v2_3.CreationInfo{}
	}
	doc.CreationInfo.Created = created.Format(time.RFC3339)
	doc.CreationInfo.Creators = []common.Creator{
		{CreatorType: "Organization", Creator: "Cerro Torre"},
		{CreatorType: "Tool", Creator: tool},
		{CreatorType: "Tool", Creator: "syft-" + syftVersion()},
	}
	sort.SliceStable(doc.Packages, func(i, j int) bool {
		return doc.Packages[i].PackageSPDXIdentifier < doc.Packages[j].PackageSPDXIdentifier
	})
	for _, p := range doc.Packages {
		sort.SliceStable(p.PackageExternalReferences, func(i, j int) bool {
			a, b := p.PackageExternalReferences[i], p.PackageExternalReferences[j]
			return a.Category+"\x00"+a.RefType+"\x00"+a.Locator < b.Category+"\x00"+b.RefType+"\x00"+b.Locator
		})
		sort.SliceStable(p.PackageChecksums, func(i, j int) bool {
			return p.PackageChecksums[i].Algorithm < p.PackageChecksums[j].Algorithm
		})
		sort.Strings(p.PackageAttributionTexts)
	}
	sort.SliceStable(doc.Files, func(i, j int) bool {
		return doc.Files[i].FileSPDXIdentifier < doc.Files[j].FileSPDXIdentifier
	})
	for _, f := range doc.Files {
		sort.SliceStable(f.Checksums, func(i, j int) bool { return f.Checksums[i].Algorithm < f.Checksums[j].Algorithm })
	}
	key := func(r *v2_3.Relationship) string {
		return string(r.RefA.DocumentRefID) + ":" + string(r.RefA.ElementRefID) + "\x00" + r.Relationship + "\x00" +
			string(r.RefB.DocumentRefID) + ":" + string(r.RefB.ElementRefID) + "\x00" + r.RelationshipComment
	}
	sort.SliceStable(doc.Relationships, func(i, j int) bool { return key(doc.Relationships[i]) < key(doc.Relationships[j]) })
	sort.SliceStable(doc.OtherLicenses, func(i, j int) bool {
		return doc.OtherLicenses[i].LicenseIdentifier < doc.OtherLicenses[j].LicenseIdentifier
	})
}

// boundedImage stops reading layers once their uncompressed bytes exceed
// a budget shared by all of them: a small bundle cannot fill the disk.
type boundedImage struct {
	v1.Image
	left *atomic.Int64
}

func (b *boundedImage) Layers() ([]v1.Layer, error) {
	ls, err := b.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = &boundedLayer{Layer: l, left: b.left}
	}
	return out, nil
}

type boundedLayer struct {
	v1.Layer
	left *atomic.Int64
}

func (l *boundedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := gunzip(l.Layer)
	if err == nil && rc == nil {
		rc, err = l.Layer.Uncompressed()
	}
	if err != nil {
		return nil, err
	}
	d, _ := l.Layer.Digest()
	return &boundedReader{rc: rc, left: l.left, layer: d.String()}, nil
}

// gunzip inflates a gzip layer with klauspost/pgzip, which reads and
// checks the stream on a goroutine of its own and inflates with klauspost's
// decoder: faster than the standard library's reader that
// go-containerregistry uses (and syft's CLI with it), and inflating the
// layers is most of what ct-sbom waits for before syft's catalogers can
// start (bench/README.md, "sbom"). Whether a layer
// is gzip is read from its bytes (as go-containerregistry does: media
// types lie); for any other layer it returns nil, nil and the caller uses
// go-containerregistry's reader (zstd, uncompressed).
func gunzip(l v1.Layer) (io.ReadCloser, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(rc, 1<<16)
	if magic, err := br.Peek(3); err != nil || !bytes.Equal(magic, []byte{0x1f, 0x8b, 0x08}) {
		rc.Close()
		return nil, nil
	}
	zr, err := pgzip.NewReader(br)
	if err != nil {
		rc.Close()
		d, _ := l.Digest()
		return nil, exit.Wrap(exit.Malformed, err, "layer %s: not a gzip stream", d)
	}
	return &gzipReader{Reader: zr, under: rc}, nil
}

type gzipReader struct {
	*pgzip.Reader
	under io.Closer
}

func (g *gzipReader) Close() error {
	err := g.Reader.Close()
	if e := g.under.Close(); err == nil {
		err = e
	}
	return err
}

type boundedReader struct {
	rc    io.ReadCloser
	left  *atomic.Int64
	layer string
}

func (r *boundedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if r.left.Add(-int64(n)) < 0 {
		return n, exit.New(exit.Malformed, "layer %s: the layers unpack to more than the limit (--max-unpacked)", r.layer).
			WithHint("raise --max-unpacked if the image really is that large")
	}
	return n, err
}

func (r *boundedReader) Close() error { return r.rc.Close() }

// syftVersion is the version of the syft module linked in.
func syftVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/anchore/syft" {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "unknown"
}
