package bundle

import (
	"bytes"
	"io"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzReader feeds arbitrary bytes to the reader. It must never panic, must
// classify every rejection with a reader exit code, and whatever it accepts
// must be exactly what Writer produces for the same manifest and blobs.
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
		if _, err := br.Signatures(); err != nil {
			checkCode(t, err)
			return
		}
		// Accepted: the manifest re-encodes to the same bytes, and the
		// writer makes a bundle of it that the reader accepts again.
		mb, err := br.Manifest().Encode()
		if err != nil || !bytes.Equal(mb, br.ManifestBytes()) {
			t.Fatalf("accepted manifest does not re-encode to itself: %v", err)
		}
		again := write(t, br.Manifest(), got, WriterOptions{})
		if _, _, err := Check(bytes.NewReader(again), "again.ctp"); err != nil {
			t.Fatalf("re-written bundle rejected: %v", err)
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
