// Package bundletest builds raw tar streams, hostile ones included, for the
// tests of bundle readers: entries out of order, links, traversal, wrong
// modes or owners. It never validates anything, on purpose.
package bundletest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"
)

// Entry is one raw tar entry.
type Entry struct {
	Name, Link, Uname string
	Data              []byte
	Dir               bool
	Mode              int64 // 0: 0644 for files, 0755 for directories
}

// Entries splits a tar stream into its entries.
func Entries(data []byte) ([]Entry, error) {
	var out []Entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Name: h.Name, Data: b, Dir: h.Typeflag == tar.TypeDir})
	}
}

// Build writes entries as a tar stream with bundle-style headers (mtime 0,
// owner 0:0) unless an entry says otherwise.
func Build(entries []Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Size: int64(len(e.Data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Uname: e.Uname}
		switch {
		case e.Dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case e.Link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.Link, 0
		}
		if e.Mode != 0 {
			h.Mode = e.Mode
		}
		if err := tw.WriteHeader(h); err != nil {
			panic("bundletest: " + err.Error() + ": use Rename for names tar.Writer refuses")
		}
		if h.Size > 0 {
			tw.Write(e.Data)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// Clone copies a slice of entries so a test can change one case's copy.
func Clone(e []Entry) []Entry { return append([]Entry(nil), e...) }

// Rename rewrites the name field of the ustar header named from to to (at
// most 100 bytes) and fixes the header checksum: a way to make entries that
// archive/tar's writer refuses to write, such as a regular file whose name
// ends in '/'.
func Rename(data []byte, from, to string) []byte {
	out := bytes.Clone(data)
	for off := 0; off+512 <= len(out); off += 512 {
		h := out[off : off+512]
		name := string(bytes.TrimRight(h[:100], "\x00"))
		if name != from || !bytes.Equal(h[257:262], []byte("ustar")) {
			continue
		}
		copy(h[:100], make([]byte, 100))
		copy(h[:100], to)
		copy(h[148:156], "        ")
		sum := 0
		for _, c := range h {
			sum += int(c)
		}
		copy(h[148:156], []byte(fmt.Sprintf("%06o\x00 ", sum)))
		return out
	}
	panic("bundletest: no ustar header named " + from)
}
