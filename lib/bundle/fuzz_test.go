package bundle

import (
	"bytes"
	"io"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzReader feeds arbitrary bytes to the reader. It must never panic, must
// classify every rejection with a reader exit code, and whatever it accepts
// must be exactly what Writer produces for the same manifest, blobs, mtime and
// signatures: byte for byte (one bundle, one byte sequence).
func FuzzReader(f *testing.F) {
	m, blobs := testImage()
	good := write(f, m, blobs, WriterOptions{})
	f.Add(good)
	f.Add(good[:1024])
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte("manifest.toml"))
	entries := readEntries(f, good)
	f.Add(build(f, append(clone(entries), entry{Name: "signatures/a.sig", Data: []byte("s")})))
	f.Add(build(f, entries[:5]))
	signed := build(f, append(clone(entries), entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/a.sig", Data: []byte("s")}, entry{Name: "signatures/b.sig", Data: []byte("t")}))
	f.Add(signed)
	// near misses of the exact encoding (issue 8 §3)
	f.Add(bundletest.EditPadding(good, ManifestName, 'X'))
	f.Add(bundletest.EditHeader(good, LayoutName, func(h []byte) { h[156] = 0 }))
	f.Add(bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[257:], "ustar  \x00") }))
	f.Add(bundletest.InsertGNULongName(good, LayoutName, LayoutName))
	f.Add(bundletest.InsertPAX(good, LayoutName, "comment=x"))
	f.Add(good[:len(good)-512])
	f.Add(append(bytes.Clone(good), make([]byte, 512)...))
	f.Add(build(f, append(clone(entries), entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/b.sig", Data: []byte("t")}, entry{Name: "signatures/a.sig", Data: []byte("s")})))
	f.Fuzz(func(t *testing.T, data []byte) {
		br, err := NewReader(bytes.NewReader(data), "fuzz.ctp")
		if err != nil {
			checkCode(t, err)
			return
		}
		got := map[string][]byte{}
		for {
			b, r, err := br.NextBlob()
			if err == io.EOF {
				break
			}
			if err != nil {
				checkCode(t, err)
				return
			}
			c, err := io.ReadAll(r)
			if err != nil {
				checkCode(t, err)
				return
			}
			got[b.Digest] = c
		}
		sigs, err := br.Signatures()
		if err != nil {
			checkCode(t, err)
			return
		}
		// Accepted: the manifest re-encodes to the same bytes, and the
		// writer makes a bundle of it that the reader accepts again.
		mb, err := br.Manifest().Encode()
		if err != nil || !bytes.Equal(mb, br.ManifestBytes()) {
			t.Fatalf("accepted manifest does not re-encode to itself: %v", err)
		}
		var again bytes.Buffer
		w, err := NewWriter(&again, br.Manifest(), WriterOptions{ModTime: br.ModTime()})
		if err != nil {
			t.Fatal(err)
		}
		for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
			if err := w.WriteBlob(b.Digest, bytes.NewReader(got[b.Digest])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteSignatures(sigs); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), data) {
			t.Fatalf("accepted %d bytes that the writer does not produce (it writes %d)", len(data), again.Len())
		}
	})
}

func checkCode(t *testing.T, err error) {
	switch c := exit.CodeOf(err); c {
	case exit.Malformed, exit.HashMismatch, exit.IO:
	default:
		t.Fatalf("error with code %d: %v", c, err)
	}
}
