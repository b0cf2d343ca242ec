package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// header returns the deterministic header of a regular file entry (§1).
func header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatUnknown}
}

// writeFile writes one small entry.
func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(header(name, int64(len(data)))); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// unsafePath reports names an extractor must never write (absolute, '..',
// '.', empty components, backslashes).
func unsafePath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, "//") {
		return true
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return true
		}
	}
	return false
}

// checkHeader applies the entry rules of §1 to every archive entry.
func checkHeader(h *tar.Header) error {
	if unsafePath(h.Name) {
		return malformed(h.Name, "unsafe path (absolute, '..' or not clean)")
	}
	switch h.Typeflag {
	case tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink:
		return malformed(h.Name, "link entries are not allowed (link to %q)", h.Linkname)
	default:
		return malformed(h.Name, "entry type %q is not allowed: only regular files", string(h.Typeflag))
	}
	if h.Mode != 0o644 {
		return malformed(h.Name, "mode %o, the format requires 644", h.Mode)
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
		return malformed(h.Name, "owner %d:%d (%q:%q), the format requires 0:0 with no names", h.Uid, h.Gid, h.Uname, h.Gname)
	}
	for k := range h.PAXRecords {
		if k != "size" && k != "path" {
			return malformed(h.Name, "PAX record %q is not allowed", k)
		}
	}
	return nil
}

func malformed(entry, format string, args ...any) *exit.Error {
	e := exit.New(exit.Malformed, format, args...).WithHint("this is not an intact ct archive; fetch it again, or export it again with ct export")
	if entry != "" {
		e.Where = "entry " + termsafe.Escape(entry) // a name from the archive
	}
	return e
}

// opened is an archive stream, decompressed when it starts with the zstd magic.
type opened struct {
	r    io.Reader
	zr   *zstd.Decoder
	Zstd bool
}

func (o *opened) Close() {
	if o.zr != nil {
		o.zr.Close()
	}
}

// open detects compression by magic.
func open(r io.Reader) (*opened, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(4)
	if bytes.Equal(magic, zstdMagic) {
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "not a zstd stream")
		}
		return &opened{r: zr, zr: zr, Zstd: true}, nil
	}
	return &opened{r: br}, nil
}

// checkTail accepts only zero padding (≤ 1 MiB) after the end of the tar.
func checkTail(r io.Reader) error {
	var buf [4096]byte
	var total int64
	for {
		n, err := r.Read(buf[:])
		for _, c := range buf[:n] {
			if c != 0 {
				return malformed("", "data after the end of the archive")
			}
		}
		total += int64(n)
		if total > 1<<20 {
			return malformed("", "more than 1 MiB of padding after the end of the archive")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return tarErr(err, "end of archive")
		}
	}
}

func tarErr(err error, where string) error {
	if _, ok := err.(*exit.Error); ok {
		return err
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return malformed(where, "archive is truncated")
	}
	if strings.Contains(err.Error(), "zstd") || err == tar.ErrHeader {
		return exit.Wrap(exit.Malformed, err, "damaged archive").At("entry " + where).
			WithHint("this is not an intact ct archive; fetch it again")
	}
	return exit.Wrap(exit.Malformed, err, "cannot read archive").At("entry " + where).
		WithHint("this is not an intact ct archive; fetch it again")
}

// ReadIndex reads only the index of the archive in r (the first entry), and
// returns it with its bytes. ct export --since uses it on the base archive.
func ReadIndex(r io.Reader) (*Index, []byte, error) {
	o, err := open(r)
	if err != nil {
		return nil, nil, err
	}
	defer o.Close()
	tr := tar.NewReader(o.r)
	return readIndexEntry(tr)
}

func readIndexEntry(tr *tar.Reader) (*Index, []byte, error) {
	h, err := tr.Next()
	if err != nil {
		return nil, nil, malformed("", "not a ct archive: not a tar stream, or empty")
	}
	if err := checkHeader(h); err != nil {
		return nil, nil, err
	}
	if h.Name != IndexName {
		return nil, nil, malformed(h.Name, "not a ct archive: the first entry must be %s", IndexName)
	}
	if h.Size > MaxIndexSize {
		return nil, nil, malformed(IndexName, "%d bytes, over the %d-byte limit", h.Size, MaxIndexSize)
	}
	b := make([]byte, h.Size)
	if _, err := io.ReadFull(tr, b); err != nil {
		return nil, nil, tarErr(err, IndexName)
	}
	x, err := ParseIndex(b)
	if err != nil {
		return nil, nil, err
	}
	return x, b, nil
}
