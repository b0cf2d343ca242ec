package harness

import (
	"bytes"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// blobLayer is static.NewLayer (pre-compressed bytes, never recompressed by
// ggcr) with a correct DiffID: static's DiffID is the digest of the
// compressed bytes, which would put wrong rootfs.diff_ids in the config.
type blobLayer struct {
	v1.Layer // static layer over the compressed bytes
	raw      []byte
	diffID   v1.Hash
}

func newBlobLayer(compressed, uncompressed []byte, mt types.MediaType) (v1.Layer, error) {
	h, _, err := v1.SHA256(bytes.NewReader(uncompressed))
	if err != nil {
		return nil, err
	}
	return &blobLayer{Layer: static.NewLayer(compressed, mt), raw: uncompressed, diffID: h}, nil
}

func (l *blobLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func (l *blobLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.raw)), nil
}
