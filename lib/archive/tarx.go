package archive

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// writeFile writes one small entry. Headers are ustar.Encode's with mtime 0:
// the one encoding of archive.md §1 (the same as a bundle's, bundle.md §1).
func writeFile(tw *ustar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(name, ustar.TypeReg, int64(len(data))); err != nil {
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

// checkHeader applies the entry rules of §1 to every archive entry: first
// those with a message a user knows, then that the header is byte for byte
// the one the exporter writes.
func checkHeader(h *ustar.Header) error {
	bad := func(format string, args ...any) error {
		return malformed(h.Name, format+" (header at byte %d)", append(args, h.Offset)...)
	}
	switch h.Typeflag {
	case ustar.TypeReg:
	case '1', '2':
		return bad("link entries are not allowed (link to %q)", h.Linkname)
	default:
		return bad("entry type %q is not allowed: only regular files ('0')", string(h.Typeflag))
	}
	if unsafePath(h.Name) {
		return bad("unsafe path (absolute, '..' or not clean)")
	}
	if h.Mode != 0o644 {
		return bad("mode %o, the format requires 644", h.Mode)
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
		return bad("owner %d:%d (%q:%q), the format requires 0:0 with no names", h.Uid, h.Gid, h.Uname, h.Gname)
	}
	for k := range h.PAX {
		if k != "size" {
			return bad("PAX record %q is not allowed", k)
		}
	}
	if h.ModTime != 0 {
		return bad("mtime %d, the format requires 0", h.ModTime)
	}
	if err := h.Exact(0); err != nil {
		return malformed(h.Name, "header is not the one the exporter writes: %v", err)
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
	fc   *frameCheck // the compressed stream's structure, when zstd
	Zstd bool
}

func (o *opened) Close() {
	if o.zr != nil {
		o.zr.Close()
	}
}

// open detects compression by magic.
func open(r io.Reader) (*opened, error) { return openSize(r, 1<<20) }

// openSize is open with a read buffer of n bytes: a reader that stops
// after the first entries (sniff, ReadHeads) reads and copies no more of
// the file than that.
func openSize(r io.Reader, n int) (*opened, error) {
	br := bufio.NewReaderSize(r, n)
	magic, _ := br.Peek(4)
	if bytes.Equal(magic, zstdMagic) {
		fc := &frameCheck{r: br}
		zr, err := zstd.NewReader(fc, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "not a zstd stream")
		}
		return &opened{r: zr, zr: zr, fc: fc, Zstd: true}, nil
	}
	return &opened{r: br}, nil
}

// tarReader reads the archive's tar stream strictly (package ustar); an
// error in the zstd framing below it takes precedence, since the decoder
// may report it only as a failed read.
type tarReader struct {
	o  *opened
	ur *ustar.Reader
}

func newTarReader(o *opened) *tarReader { return &tarReader{o: o, ur: ustar.NewReader(o.r, 0)} }

func (t *tarReader) err(err error) error {
	if err != nil && err != io.EOF && t.o.fc != nil && t.o.fc.err != nil {
		return t.o.fc.err
	}
	return err
}

func (t *tarReader) Next() (*ustar.Header, error) {
	h, err := t.ur.Next()
	return h, t.err(err)
}

func (t *tarReader) Read(p []byte) (int, error) {
	n, err := t.ur.Read(p)
	return n, t.err(err)
}

// End checks that the stream ends right after the end-of-archive marker
// (§1), and, for zstd, that the one frame ends there too.
func (t *tarReader) End() error {
	if err := t.err(t.ur.End()); err != nil {
		return tarErr(err, "end of archive")
	}
	if fc := t.o.fc; fc != nil {
		if fc.err != nil {
			return fc.err
		}
		if fc.state != fcDone {
			return malformed("", "the zstd frame does not end with the archive")
		}
	}
	return nil
}

// checkTail is kept for callers that read the tar stream themselves.
func checkTail(t *tarReader) error { return t.End() }

func tarErr(err error, where string) error {
	if _, ok := err.(*exit.Error); ok {
		return err
	}
	var te *ustar.TruncatedError
	if errors.As(err, &te) || err == io.ErrUnexpectedEOF || err == io.EOF {
		return malformed(where, "archive is truncated")
	}
	var ue *ustar.Error
	if errors.As(err, &ue) {
		if ue.Entry != "" {
			where = ue.Entry
		} else if where == "end of archive" {
			where = ""
		}
		return malformed(where, "%v", ue)
	}
	if strings.Contains(err.Error(), "zstd") {
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
	return readIndexEntry(newTarReader(o))
}

func readIndexEntry(tr *tarReader) (*Index, []byte, error) {
	h, err := tr.Next()
	if err != nil {
		if e, ok := err.(*exit.Error); ok { // the zstd framing
			return nil, nil, e
		}
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
