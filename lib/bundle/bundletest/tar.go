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

// headerAt returns the offset of the header block of the entry named name
// (as stored in the name field, no prefix), or panics.
func headerAt(data []byte, name string) int {
	for off := 0; off+512 <= len(data); off += 512 {
		h := data[off : off+512]
		if string(bytes.TrimRight(h[:100], "\x00")) == name && bytes.Equal(h[257:262], []byte("ustar")) {
			return off
		}
	}
	panic("bundletest: no ustar header named " + name)
}

// FixChecksum recomputes the checksum field of the header block h the way
// archive/tar writes it (six octal digits, NUL, space).
func FixChecksum(h []byte) {
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h[:512] {
		sum += int(c)
	}
	copy(h[148:156], []byte(fmt.Sprintf("%06o\x00 ", sum)))
}

// EditHeader lets edit change the header block of the entry named name,
// then fixes the checksum (unless keepSum), so that a tolerant tar reader
// still reads the entry: the way to put garbage in unused fields, another
// magic or typeflag, a differently spelled number.
func EditHeader(data []byte, name string, edit func(h []byte)) []byte {
	out := bytes.Clone(data)
	off := headerAt(out, name)
	edit(out[off : off+512])
	FixChecksum(out[off : off+512])
	return out
}

// EditPadding sets the first padding byte after the data of the entry named
// name (whose size must not be a multiple of 512) to b.
func EditPadding(data []byte, name string, b byte) []byte {
	out := bytes.Clone(data)
	off := headerAt(out, name)
	var size int64
	fmt.Sscanf(string(bytes.Trim(out[off+124:off+136], " \x00")), "%o", &size)
	if size%512 == 0 {
		panic("bundletest: entry " + name + " has no padding")
	}
	out[off+512+int(size)] = b
	return out
}

// rawBlocks returns a header block (name, typeflag, magic and version as
// given, mode 0644, owner 0:0, mtime 0) followed by data padded to blocks.
func rawBlocks(name string, typ byte, magic string, data []byte) []byte {
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", len(data)))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], magic)
	FixChecksum(h)
	pad := make([]byte, (len(data)+511)/512*512)
	copy(pad, data)
	return append(h, pad...)
}

// InsertPAX puts a PAX extended header with records (in the order given,
// "key=value" each) before the header of the entry named name. archive/tar
// applies them to the entry.
func InsertPAX(data []byte, name string, records ...string) []byte {
	var recs []byte
	for _, r := range records {
		n := len(r) + 2
		n += len(fmt.Sprint(n))
		rec := fmt.Sprintf("%d %s\n", n, r)
		if len(rec) != n {
			rec = fmt.Sprintf("%d %s\n", len(rec), r)
		}
		recs = append(recs, rec...)
	}
	return insertBefore(data, name, rawBlocks("PaxHeaders.0/"+name, 'x', "ustar\x0000", recs))
}

// InsertGNULongName puts a GNU long-name record naming long before the
// header of the entry named name: archive/tar then reads the entry as long.
func InsertGNULongName(data []byte, name, long string) []byte {
	return insertBefore(data, name, rawBlocks("././@LongLink", 'L', "ustar  \x00", append([]byte(long), 0)))
}

func insertBefore(data []byte, name string, blocks []byte) []byte {
	off := headerAt(data, name)
	out := append(bytes.Clone(data[:off]), blocks...)
	return append(out, data[off:]...)
}
