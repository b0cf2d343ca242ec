package sbom

import (
	"bytes"
	"encoding/json"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool"
)

// A bundle given as a regular file is catalogued in place: a first pass
// that seeks past the layers (as ct explain does, checking manifest.toml,
// the index, the manifests and the config) finds each blob's offset, syft
// reads the layers straight from the file, and a second pass checks every
// blob's digest at the same time, on another core. The SBOM is returned
// only when both are done and the check passed: no copy of the image, and
// the hashing no longer comes before the cataloguing.

// regularFile returns r as a file of known size to read in place with
// positioned reads, or nil: a section of a file (ct sbom adding the SBOM to
// a bundle: lib/attesting gives it one), or a regular file at offset 0 (a
// named bundle, or standard input redirected from one: spool.StdinFile).
func regularFile(r io.Reader) (io.ReaderAt, int64) {
	if s, ok := r.(*io.SectionReader); ok {
		return s, s.Size()
	}
	f := spool.StdinFile(r)
	if f == nil {
		return nil, 0
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0
	}
	return f, st.Size()
}

// scanOffsets reads the bundle's structure and notes where each blob's
// content starts.
func scanOffsets(f io.ReaderAt, size int64, name string) (*bundle.Manifest, map[string]int64, error) {
	br, err := bundle.NewReader(io.NewSectionReader(f, 0, size), name)
	if err != nil {
		return nil, nil, err
	}
	br.SkipContent()
	off := map[string]int64{}
	for {
		b, _, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, br.Decide(err)
		}
		off[b.Digest] = br.Offset()
	}
	if _, err := br.Signatures(); err != nil {
		return nil, nil, err
	}
	return br.Manifest(), off, nil
}

// checkAll reads the whole bundle, checking every blob (bundle.Check).
func checkAll(f io.ReaderAt, size int64, name string) error {
	_, _, err := bundle.Check(io.NewSectionReader(f, 0, size), name)
	return err
}

// fileImage is the bundle's image read from the bundle file.
type fileImage struct {
	f        io.ReaderAt
	m        *bundle.Manifest
	off      map[string]int64
	manifest []byte
	config   []byte
	mt       types.MediaType
}

func newFileImage(f io.ReaderAt, m *bundle.Manifest, off map[string]int64) (v1.Image, error) {
	img := &fileImage{f: f, m: m, off: off, mt: types.MediaType(m.Image.MediaType)}
	var err error
	if img.manifest, err = img.blob(m.Image.Digest); err != nil {
		return nil, err
	}
	var mf struct {
		Config struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(img.manifest, &mf); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "image manifest %s", m.Image.Digest)
	}
	if img.config, err = img.blob(mf.Config.Digest); err != nil {
		return nil, err
	}
	return partial.CompressedToImage(img)
}

// blob reads a small blob (a manifest or config) whole.
func (i *fileImage) blob(digest string) ([]byte, error) {
	b, ok := i.m.Blob(digest)
	o, found := i.off[digest]
	if !ok || !found || b.Size > bundle.MaxMetaTotal {
		return nil, exit.New(exit.Malformed, "blob %s is not in the bundle", digest)
	}
	buf := make([]byte, b.Size)
	if _, err := i.f.ReadAt(buf, o); err != nil {
		return nil, exit.Wrap(exit.IO, err, "reading blob %s", digest)
	}
	return buf, nil
}

func (i *fileImage) RawManifest() ([]byte, error)        { return bytes.Clone(i.manifest), nil }
func (i *fileImage) RawConfigFile() ([]byte, error)      { return bytes.Clone(i.config), nil }
func (i *fileImage) MediaType() (types.MediaType, error) { return i.mt, nil }

func (i *fileImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	b, ok := i.m.Blob(h.String())
	o, found := i.off[h.String()]
	if !ok || !found {
		return nil, exit.New(exit.Malformed, "layer %s is not in the bundle", h)
	}
	return &fileLayer{f: i.f, b: b, off: o, h: h}, nil
}

type fileLayer struct {
	f   io.ReaderAt
	b   bundle.Blob
	off int64
	h   v1.Hash
}

func (l *fileLayer) Digest() (v1.Hash, error) { return l.h, nil }
func (l *fileLayer) Size() (int64, error)     { return l.b.Size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.b.MediaType), nil
}
func (l *fileLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(io.NewSectionReader(l.f, l.off, l.b.Size)), nil
}
