package main

// The vectors of issue 8 §3, "one bundle, one byte sequence": each is a
// bundle the writer would never produce, that a tolerant tar reader or JSON
// parser reads as valid (same entries, same content), signed by the trusted
// key. A conforming verifier rejects every one as malformed (bundle.md §1,
// §3 "The image graph", §6).

import (
	"bytes"
	"fmt"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/keys"
)

type strictVec struct {
	name, expect, what string
	data               []byte
}

func strictVectors(m *bundle.Manifest, blobs map[string][]byte, alice, mallory *keys.PrivateKey) []strictVec {
	valid := write(m, blobs, alice)
	hdr := func(name string, edit func(h []byte)) []byte { return bundletest.EditHeader(valid, name, edit) }
	cosigned := entries(write(m, blobs, alice, mallory))
	n := len(cosigned) // ..., signatures/, sig A, sig B
	swapped := bundletest.Clone(cosigned)
	swapped[n-2], swapped[n-1] = swapped[n-1], swapped[n-2]
	signed := entries(valid)
	sigAt := len(signed) - 1
	zeroBlockBefore := func() []byte {
		i := bytes.LastIndex(valid, []byte("signatures/\x00")) // the directory's header
		return append(append(bytes.Clone(valid[:i]), make([]byte, 512)...), valid[i:]...)
	}
	checksum7 := bytes.Clone(valid) // manifest.toml's header is at byte 0
	copy(checksum7[148:156], "0"+string(valid[148:154])+"\x00")
	m2, blobs2 := editManifestBlob(m, blobs, `{"schemaVersion":2,`, `{"schemaVersion":2,"schemaVersion":2,`)
	m3, blobs3 := editManifestBlob(m, blobs, `{"schemaVersion":2,`, `{"schemaVersion":2,"Layers":[],`)

	const mal = "malformed"
	return []strictVec{
		{"tar-padding-garbage", mal, "a non-zero byte in the padding after manifest.toml's data", bundletest.EditPadding(valid, bundle.ManifestName, 'X')},
		{"tar-header-unused-bytes", mal, "text in the unused bytes 500-511 of oci-layout's header (checksum fixed)", hdr(bundle.LayoutName, func(h []byte) { copy(h[500:], "smuggled") })},
		{"tar-header-devmajor", mal, "devmajor of oci-layout's header is 7000000 (checksum fixed)", hdr(bundle.LayoutName, func(h []byte) { h[329] = '7' })},
		{"tar-header-linkname", mal, "a linkname on the regular file oci-layout (checksum fixed)", hdr(bundle.LayoutName, func(h []byte) { copy(h[157:], "x") })},
		{"tar-nul-typeflag", mal, "oci-layout's typeflag is NUL (an old-style regular file) instead of '0'", hdr(bundle.LayoutName, func(h []byte) { h[156] = 0 })},
		{"tar-gnu-magic", mal, "oci-layout's header has the GNU magic \"ustar  \\0\"", hdr(bundle.LayoutName, func(h []byte) { copy(h[257:], "ustar  \x00") })},
		{"tar-mode-spelling", mal, "oci-layout's mode written \" 000644\\0\" instead of \"0000644\\0\"", hdr(bundle.LayoutName, func(h []byte) { copy(h[100:], " 000644\x00") })},
		{"tar-checksum-spelling", mal, "manifest.toml's checksum written as 7 digits and NUL instead of 6 digits, NUL, space", checksum7},
		{"tar-mtime-differs", mal, "oci-layout's mtime is 1, manifest.toml's 0", hdr(bundle.LayoutName, func(h []byte) { copy(h[136:], "00000000001") })},
		{"tar-gnu-long-name", mal, "a GNU long-name record (typeflag L) before oci-layout", bundletest.InsertGNULongName(valid, bundle.LayoutName, bundle.LayoutName)},
		{"tar-pax-comment", mal, "a PAX header with a comment record before oci-layout", bundletest.InsertPAX(valid, bundle.LayoutName, "comment=unsigned data")},
		{"tar-pax-path", mal, "a PAX header with a path record (the entry's own name) before oci-layout", bundletest.InsertPAX(valid, bundle.LayoutName, "path="+bundle.LayoutName)},
		{"tar-pax-size-small", mal, "a PAX size record on a 30-byte entry (the writer uses PAX only from 8 GiB)", bundletest.InsertPAX(valid, bundle.LayoutName, fmt.Sprintf("size=%d", len(bundle.LayoutBytes())))},
		{"tar-no-end-marker", mal, "the two zero blocks of the end-of-archive marker removed", valid[:len(valid)-1024]},
		{"tar-one-zero-block", mal, "only one zero block at the end", valid[:len(valid)-512]},
		{"tar-zero-block-before-entry", mal, "a zero block between the last blob and signatures/", zeroBlockBefore()},
		{"tar-record-padding", mal, "zero bytes after the end-of-archive marker up to a 10240-byte record, as tar(1) pads", append(bytes.Clone(valid), make([]byte, 10240-len(valid)%10240)...)},
		{"signatures-unsorted", mal, "two signature entries (trusted and untrusted key) in reverse bytewise order", bundletest.Build(swapped)},
		{"signatures-duplicate", mal, "the trusted signature entry twice", bundletest.Build(append(bundletest.Clone(signed), signed[sigAt]))},
		{"signatures-no-directory", mal, "the signatures/ directory entry removed", bundletest.Build(append(bundletest.Clone(signed[:sigAt-1]), signed[sigAt]))},
		{"signatures-empty-directory", mal, "an unsigned bundle with a signatures/ directory entry", bundletest.Build(append(entries(write(m, blobs)), bundletest.Entry{Name: "signatures/", Dir: true}))},
		{"image-duplicate-json-key", mal, "the image manifest blob has the key schemaVersion twice (manifest.toml and signature consistent)", write(m2, blobs2, alice)},
		{"image-json-keys-differ-in-case", mal, "the image manifest blob has \"layers\" and \"Layers\" (manifest.toml and signature consistent)", write(m3, blobs3, alice)},
	}
}

// editManifestBlob returns a copy of m and blobs whose image manifest blob
// has old replaced by new, manifest.toml updated to match.
func editManifestBlob(m *bundle.Manifest, blobs map[string][]byte, old, new string) (*bundle.Manifest, map[string][]byte) {
	c := *m
	c.Blobs = append([]bundle.Blob(nil), m.Blobs...)
	nb := map[string][]byte{}
	for d, b := range blobs {
		nb[d] = b
	}
	was := m.Image.Digest
	b := bytes.Replace(blobs[was], []byte(old), []byte(new), 1)
	if bytes.Equal(b, blobs[was]) {
		panic("editManifestBlob: no " + old)
	}
	d := bundle.Digest(b)
	delete(nb, was)
	nb[d] = b
	for i := range c.Blobs {
		if c.Blobs[i].Digest == was {
			c.Blobs[i].Digest, c.Blobs[i].Size = d, int64(len(b))
		}
	}
	c.Image.Digest, c.Image.Size, c.Source.Digest = d, int64(len(b)), d
	c.SortBlobs()
	return &c, nb
}
