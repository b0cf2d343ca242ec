package main

// The vectors of the read bound of verify.md §2 ("Bound"): a blob entry
// whose header declares more bytes than manifest.toml gives the blob is a
// hash mismatch that decides at once; a reader reads nothing past that
// header, so what follows it (an end, garbage) does not turn the verdict
// into 10.

import (
	"bytes"
	"fmt"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/keys"
)

func boundVectors(dir string, m *bundle.Manifest, blobs map[string][]byte, alice *keys.PrivateKey) int {
	valid := write(m, blobs, alice)
	br, err := bundle.NewReader(bytes.NewReader(valid), "valid.ctp")
	must(err)
	mtime := br.ModTime().Unix()
	// The offset of each blob's header, in manifest order.
	off := br.Offset()
	at := map[string]int64{}
	for _, b := range br.Manifest().Blobs {
		at[b.Digest] = off
		off += ustar.BlockSize + (b.Size+ustar.BlockSize-1)/ustar.BlockSize*ustar.BlockSize
	}
	// lie returns valid with blob b's header declaring size, and the
	// bytes after that header (all of them, or none).
	lie := func(b bundle.Blob, size int64, keepRest bool) []byte {
		o := at[b.Digest]
		if !bytes.HasPrefix(valid[o:], []byte(b.Path()+"\x00")) {
			panic(fmt.Sprintf("no header of %s at byte %d", b.Path(), o))
		}
		hdr, err := ustar.Encode(b.Path(), ustar.TypeReg, size, mtime)
		must(err)
		out := append(bytes.Clone(valid[:o]), hdr...)
		if keepRest {
			out = append(out, valid[o+ustar.BlockSize:]...)
		}
		return out
	}
	first := br.Manifest().Blobs[0]
	var layer bundle.Blob
	for _, b := range br.Manifest().Blobs {
		if b.Role == bundle.RoleLayer {
			layer = b
		}
	}
	vs := []struct {
		name, what string
		data       []byte
	}{
		{"blob-entry-longer-ends", fmt.Sprintf("the first blob's header declares 1 TiB (a PAX size record), manifest.toml %d bytes, and the bundle ends after that header: "+
			"1 at once, nothing past the header read (verify.md §2, Bound; not 10 for the truncation)", first.Size),
			lie(first, bundle.MaxBlobSize, false)},
		{"blob-entry-longer-misaligned", fmt.Sprintf("a layer's header declares %d bytes, one block more than manifest.toml's %d, and the bundle's bytes follow unchanged: "+
			"read as declared, the next header would be mid-entry; 1 at once, nothing past the header read (verify.md §2, Bound)", layer.Size+ustar.BlockSize, layer.Size),
			lie(layer, layer.Size+ustar.BlockSize, true)},
	}
	for _, v := range vs {
		writeVector(dir, v.name, ".ctp", v.data, "hash-mismatch", v.what, "trusted.pub", "")
	}
	return len(vs)
}
