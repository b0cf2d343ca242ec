// Package ustar writes and strictly reads the one tar encoding that ct's
// bundles and archives use (docs/spec/bundle.md §1, archive.md §1).
//
// Encode defines, byte for byte, the header of an entry given its name, type,
// size and mtime; Writer emits entries with it, zero padding and the
// end-of-archive marker (two zero blocks) and nothing else. Reader accepts
// exactly that: every header must equal its re-encoding (Header.Exact), the
// padding after an entry's data must be zero, the marker is required, and
// nothing may follow it (Reader.End).
//
// The encoding is what Go's archive/tar writes for such a header (the tests
// check this), so bundles written by earlier ct versions read unchanged.
// Reader never uses archive/tar: that reader is tolerant by design (garbage in
// padding and unused fields, GNU and PAX variants, a missing marker).
package ustar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// BlockSize is the tar block size.
const BlockSize = 512

// Entry types the format uses.
const (
	TypeReg = '0'
	TypeDir = '5'
	typePAX = 'x'
)

// maxOctal11 is the largest value an 11-digit octal field holds (8 GiB - 1).
const maxOctal11 = 1<<33 - 1

// MaxMTime is the largest entry mtime: it must fit the 11-digit octal field,
// so no PAX mtime record is ever needed.
const MaxMTime = maxOctal11

// header field offsets and lengths of a ustar block.
type field struct {
	name     string
	off, len int
}

var fields = []field{
	{"name", 0, 100}, {"mode", 100, 8}, {"uid", 108, 8}, {"gid", 116, 8},
	{"size", 124, 12}, {"mtime", 136, 12}, {"checksum", 148, 8}, {"typeflag", 156, 1},
	{"linkname", 157, 100}, {"magic", 257, 6}, {"version", 263, 2}, {"uname", 265, 32},
	{"gname", 297, 32}, {"devmajor", 329, 8}, {"devminor", 337, 8}, {"prefix", 345, 155},
	{"unused bytes 500-511", 500, 12},
}

func fieldAt(off int) field {
	for _, f := range fields {
		if off >= f.off && off < f.off+f.len {
			return f
		}
	}
	return field{"?", off, 1}
}

// Error is a violation of the encoding, at byte Offset of the tar stream.
type Error struct {
	Offset int64
	Entry  string // the entry's name when known
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (at byte %d)", e.Msg, e.Offset) }

func errf(off int64, entry, format string, args ...any) *Error {
	return &Error{Offset: off, Entry: entry, Msg: fmt.Sprintf(format, args...)}
}

// splitName returns the ustar prefix and name fields for name, splitting a
// name longer than 100 bytes at a '/' as archive/tar does: at the last '/'
// within the first 156 bytes (ignoring a final '/'), so that the prefix is at
// most 155 bytes and the rest 1 to 100 bytes.
func splitName(name string) (prefix, suffix string, ok bool) {
	if len(name) <= 100 {
		return "", name, true
	}
	n := len(name)
	if n > 156 {
		n = 156
	} else if name[n-1] == '/' {
		n--
	}
	i := strings.LastIndex(name[:n], "/")
	if i <= 0 || len(name)-i-1 > 100 || len(name)-i-1 == 0 || i > 155 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// ValidName reports whether name can be stored: printable ASCII (0x21-0x7e),
// at most 100 bytes or splittable into prefix and name.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x21 || name[i] > 0x7e {
			return false
		}
	}
	_, _, ok := splitName(name)
	return ok
}

func putString(b []byte, s string) { copy(b, s) } // the block is zeroed: NUL-terminated when shorter

func putOctal(b []byte, x int64) {
	s := strconv.FormatInt(x, 8)
	if n := len(b) - 1 - len(s); n > 0 {
		s = strings.Repeat("0", n) + s
	}
	copy(b, s) // the last byte stays NUL
}

func checksum(b []byte) int64 {
	var sum int64
	for i, c := range b[:BlockSize] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum
}

func finish(b []byte) {
	copy(b[257:265], "ustar\x0000")
	putOctal(b[148:155], checksum(b))
	b[155] = ' '
}

// paxRecord formats one PAX record, "LEN key=value\n", LEN counting itself.
func paxRecord(k, v string) string {
	size := len(k) + len(v) + 3
	size += len(strconv.Itoa(size))
	rec := strconv.Itoa(size) + " " + k + "=" + v + "\n"
	if len(rec) != size {
		rec = strconv.Itoa(len(rec)) + " " + k + "=" + v + "\n"
	}
	return rec
}

// Encode returns the header of an entry exactly as the format writes it:
// one ustar block (mode 0644 for a file, 0755 for a directory, owner 0:0 with
// empty names, mtime, magic "ustar\0" version "00", checksum as six octal
// digits, NUL, space); for a size of 8 GiB or more, first a PAX extended
// header (named DIR/PaxHeaders.0/BASE, with the one record "size") and a main
// header whose size field is zero.
func Encode(name string, typ byte, size, mtime int64) ([]byte, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("entry name %q cannot be stored: printable ASCII, at most 100 bytes or a '/' to split at", name)
	}
	if typ != TypeReg && typ != TypeDir {
		return nil, fmt.Errorf("entry %s: type %q is not written", name, string(typ))
	}
	if size < 0 || mtime < 0 || mtime > MaxMTime {
		return nil, fmt.Errorf("entry %s: size %d or mtime %d out of range", name, size, mtime)
	}
	if size > maxOctal11 && len(name) > 100 {
		return nil, fmt.Errorf("entry %s: a name over 100 bytes with a size of 8 GiB or more is not written", name)
	}
	var out []byte
	hsize := size
	if size > maxOctal11 {
		rec := paxRecord("size", strconv.FormatInt(size, 10))
		dir, file := "", name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			dir, file = name[:i+1], name[i+1:]
		}
		pname := dir + "PaxHeaders.0/" + file
		if len(pname) > 100 {
			pname = pname[:100]
		}
		pname = strings.TrimRight(pname, "/")
		px := make([]byte, BlockSize)
		putString(px[0:100], pname)
		putOctal(px[100:108], 0)
		putOctal(px[108:116], 0)
		putOctal(px[116:124], 0)
		putOctal(px[124:136], int64(len(rec)))
		putOctal(px[136:148], 0)
		px[156] = typePAX
		finish(px)
		data := make([]byte, (len(rec)+BlockSize-1)/BlockSize*BlockSize)
		copy(data, rec)
		out = append(append(out, px...), data...)
		hsize = 0
	}
	b := make([]byte, BlockSize)
	prefix, suffix, _ := splitName(name)
	putString(b[0:100], suffix)
	mode := int64(0o644)
	if typ == TypeDir {
		mode = 0o755
	}
	putOctal(b[100:108], mode)
	putOctal(b[108:116], 0)
	putOctal(b[116:124], 0)
	putOctal(b[124:136], hsize)
	putOctal(b[136:148], mtime)
	b[156] = typ
	putOctal(b[329:337], 0)
	putOctal(b[337:345], 0)
	putString(b[345:500], prefix)
	finish(b)
	return append(out, b...), nil
}

// Header is one entry's header as read. Only Name, Typeflag, Size and
// ModTime determine the exact bytes; the other fields are parsed so that a
// reader can say what is wrong in terms a user knows.
type Header struct {
	Name     string
	Typeflag byte
	Size     int64
	ModTime  int64
	Mode     int64
	Uid, Gid int64
	Uname    string
	Gname    string
	Linkname string
	PAX      map[string]string // records of a preceding PAX header
	Offset   int64             // of the header's first block in the stream
	raw      []byte            // every block of the header, PAX blocks included
}

// Exact checks that the header is byte for byte the one Encode gives for
// its name, type and size with the given mtime.
func (h *Header) Exact(mtime int64) error {
	if h.Typeflag != TypeReg && h.Typeflag != TypeDir {
		return errf(h.Offset, h.Name, "header field typeflag is %q, the format writes '0' (file) or '5' (directory)", h.Typeflag)
	}
	want, err := Encode(h.Name, h.Typeflag, h.Size, mtime)
	if err != nil {
		return errf(h.Offset, h.Name, "%v", err)
	}
	if bytes.Equal(want, h.raw) {
		return nil
	}
	if len(want) != len(h.raw) {
		if len(h.raw) > len(want) {
			return errf(h.Offset, h.Name, "a PAX extended header the format does not write (records %s)", paxKeys(h.PAX))
		}
		return errf(h.Offset, h.Name, "a %d-byte entry needs a PAX size header", h.Size)
	}
	// Report the first differing field of the last (main) block, else of
	// the PAX blocks; the checksum only when nothing else differs.
	main := len(want) - BlockSize
	for _, f := range fields {
		if f.name == "checksum" {
			continue
		}
		w, g := want[main+f.off:main+f.off+f.len], h.raw[main+f.off:main+f.off+f.len]
		if !bytes.Equal(w, g) {
			return errf(h.Offset+int64(main+f.off), h.Name, "header field %s is %q, the format writes %q", f.name, g, w)
		}
	}
	for i := range want {
		if want[i] != h.raw[i] {
			if i >= main {
				return errf(h.Offset+int64(i), h.Name, "header checksum field is %q, the format writes %q",
					h.raw[main+148:main+156], want[main+148:main+156])
			}
			if i%BlockSize == 0 || i < BlockSize {
				return errf(h.Offset+int64(i), h.Name, "PAX header field %s differs from what the format writes", fieldAt(i%BlockSize).name)
			}
			return errf(h.Offset+int64(i), h.Name, "PAX header data differs from what the format writes")
		}
	}
	return nil
}

func paxKeys(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, strconv.Quote(k))
	}
	if len(ks) == 0 {
		return "none"
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// Reader reads a tar stream in the one encoding, block by block. It reads
// entry data straight from the source (seeking past unread data when the
// source is an io.Seeker), and checks padding, marker and end as it goes.
type Reader struct {
	r      io.Reader
	s      io.Seeker // nil unless r seeks
	off    int64     // bytes consumed
	cur    *Header
	left   int64 // unread data bytes of cur
	pad    int64 // padding bytes after cur's data
	ended  bool  // the end-of-archive marker was read
	err    error // sticky
	blk    [BlockSize]byte
	padBuf [BlockSize]byte
}

// NewReader reads from r, whose current position is offset start (used in
// messages and by Offset). If r is an io.Seeker, unread entry data is
// skipped by seeking.
func NewReader(r io.Reader, start int64) *Reader {
	tr := &Reader{r: r, off: start}
	if s, ok := r.(io.Seeker); ok {
		tr.s = s
	}
	return tr
}

// Offset is the stream offset of the next byte the reader will consume.
func (r *Reader) Offset() int64 { return r.off }

// ErrTruncated is wrapped by errors for a stream that ends inside an entry,
// its header or the end-of-archive marker.
var ErrTruncated = errors.New("truncated")

// TruncatedError is returned when the stream ends early.
type TruncatedError struct {
	Offset int64
	What   string
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("archive ends inside %s (at byte %d)", e.What, e.Offset)
}
func (e *TruncatedError) Unwrap() error { return ErrTruncated }

// readFull reads len(p) bytes. An io.EOF or io.ErrUnexpectedEOF of the
// source becomes a *TruncatedError; other errors pass through unchanged.
func (r *Reader) readFull(p []byte, what string) error {
	n, err := io.ReadFull(r.r, p)
	r.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{Offset: r.off, What: what}
	}
	return err
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Next skips what is left of the current entry (checking its padding) and
// reads the next header. At the end-of-archive marker it returns io.EOF. A
// stream that ends where a header or marker should be is a *TruncatedError
// (the marker is required); a single zero block followed by anything but a
// second one is an *Error.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.ended {
		return nil, io.EOF
	}
	h, err := r.next()
	if err != nil && err != io.EOF {
		r.err = err
	}
	return h, err
}

func (r *Reader) next() (*Header, error) {
	if err := r.skip(); err != nil {
		return nil, err
	}
	start := r.off
	if err := r.readFull(r.blk[:], "a header (the end-of-archive marker, two zero blocks, is missing)"); err != nil {
		return nil, err
	}
	if isZero(r.blk[:]) {
		if err := r.readFull(r.blk[:], "the end-of-archive marker (two zero blocks)"); err != nil {
			return nil, err
		}
		if !isZero(r.blk[:]) {
			return nil, errf(start, "", "a single zero block before more data: the end-of-archive marker is two zero blocks, at the end")
		}
		r.ended = true
		return nil, io.EOF
	}
	raw := bytes.Clone(r.blk[:])
	if err := checkSum(raw, start); err != nil {
		return nil, err
	}
	var pax map[string]string
	if raw[156] == typePAX {
		n, err := octal(raw, "size", start, "")
		if err != nil {
			return nil, err
		}
		if n <= 0 || n > BlockSize {
			return nil, errf(start, "", "PAX extended header of %d bytes, the format's is one record of at most %d", n, BlockSize)
		}
		data := make([]byte, (n+BlockSize-1)/BlockSize*BlockSize)
		if err := r.readFull(data, "a PAX extended header"); err != nil {
			return nil, err
		}
		if pax, err = parsePAX(data[:n]); err != nil {
			return nil, errf(start, "", "PAX extended header: %v", err)
		}
		raw = append(raw, data...)
		mainOff := r.off
		if err := r.readFull(r.blk[:], "the header after a PAX extended header"); err != nil {
			return nil, err
		}
		if isZero(r.blk[:]) || r.blk[156] == typePAX {
			return nil, errf(mainOff, "", "a PAX extended header not followed by an entry header")
		}
		if err := checkSum(r.blk[:], mainOff); err != nil {
			return nil, err
		}
		raw = append(raw, r.blk[:]...)
	}
	b := raw[len(raw)-BlockSize:]
	mainOff := start + int64(len(raw)-BlockSize)
	h := &Header{Typeflag: b[156], PAX: pax, Offset: start, raw: raw}
	h.Name = cstring(b[0:100])
	if bytes.Equal(b[257:263], []byte("ustar\x00")) {
		if p := cstring(b[345:500]); p != "" {
			h.Name = p + "/" + h.Name
		}
	}
	if p, ok := pax["path"]; ok {
		h.Name = p
	}
	h.Linkname = cstring(b[157:257])
	h.Uname, h.Gname = cstring(b[265:297]), cstring(b[297:329])
	var err error
	for _, f := range []struct {
		name string
		v    *int64
	}{{"mode", &h.Mode}, {"uid", &h.Uid}, {"gid", &h.Gid}, {"size", &h.Size}, {"mtime", &h.ModTime}} {
		if *f.v, err = octal(b, f.name, mainOff, h.Name); err != nil {
			return nil, err
		}
	}
	if s, ok := pax["size"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, errf(start, h.Name, "PAX size record %q is not a size", s)
		}
		h.Size = n
	}
	r.cur, r.left = h, h.Size
	r.pad = (BlockSize - h.Size%BlockSize) % BlockSize
	return h, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func checkSum(b []byte, off int64) error {
	want, err := octal(b, "checksum", off, "")
	if err != nil {
		return errf(off, "", "not a tar header: damaged, or not a tar stream")
	}
	if want != checksum(b) {
		return errf(off, "", "header checksum mismatch: damaged, or not a tar stream")
	}
	return nil
}

// octal parses a numeric field leniently (spaces, NULs), so that a wrong
// value can be named; Exact then insists on the one spelling.
func octal(b []byte, name string, off int64, entry string) (int64, error) {
	f := fields[0]
	for _, x := range fields {
		if x.name == name {
			f = x
		}
	}
	s := strings.Trim(string(b[f.off:f.off+f.len]), " \x00")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 8, 64)
	if err != nil {
		return 0, errf(off+int64(f.off), entry, "header field %s is %q, not an octal number", name, b[f.off:f.off+f.len])
	}
	return n, nil
}

// parsePAX parses "LEN key=value\n" records, rejecting a repeated key.
func parsePAX(s []byte) (map[string]string, error) {
	m := map[string]string{}
	for len(s) > 0 {
		sp := bytes.IndexByte(s, ' ')
		if sp <= 0 {
			return nil, errors.New("not a PAX record")
		}
		n, err := strconv.Atoi(string(s[:sp]))
		if err != nil || n <= sp+1 || n > len(s) || s[n-1] != '\n' {
			return nil, errors.New("not a PAX record")
		}
		k, v, ok := strings.Cut(string(s[sp+1:n-1]), "=")
		if !ok || k == "" {
			return nil, errors.New("not a PAX record")
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("record %q repeated", k)
		}
		m[k] = v
		s = s[n:]
	}
	return m, nil
}

// Read reads the current entry's data. It returns io.EOF at the end of the
// data, and a *TruncatedError if the stream ends first.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.off += int64(n)
	r.left -= int64(n)
	if err == io.EOF {
		if r.left > 0 {
			r.err = &TruncatedError{Offset: r.off, What: "the data of " + r.cur.Name}
			return n, r.err
		}
		err = nil
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// ChunkReader is a source that hands out its next bytes in its own buffer
// (lib/readahead): the slice is valid until the next call, and holds at
// most max bytes. At the end it returns io.EOF, on failure the source's
// error; it returns bytes or an error, not both.
type ChunkReader interface {
	ReadChunk(max int) ([]byte, error)
}

// CanChunk says whether ReadChunk reads without a copy: the source given to
// NewReader is a ChunkReader.
func (r *Reader) CanChunk() bool {
	_, ok := r.r.(ChunkReader)
	return ok
}

// ReadChunk is Read without the copy, for a source that is a ChunkReader
// (CanChunk): it returns up to max bytes of the current entry's data in the
// source's buffer, valid until the next call of any method. It returns
// io.EOF at the end of the data and a *TruncatedError if the stream ends
// first, as Read does.
func (r *Reader) ReadChunk(max int) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	cr, ok := r.r.(ChunkReader)
	if !ok {
		return nil, errors.New("ustar: ReadChunk on a source that is not a ChunkReader")
	}
	if r.left == 0 {
		return nil, io.EOF
	}
	if int64(max) > r.left {
		max = int(r.left)
	}
	b, err := cr.ReadChunk(max)
	if len(b) > max {
		b, err = nil, errors.New("ustar: the source returned more than was asked for")
	}
	r.off += int64(len(b))
	r.left -= int64(len(b))
	if err == io.EOF {
		if r.left > 0 {
			r.err = &TruncatedError{Offset: r.off, What: "the data of " + r.cur.Name}
			return b, r.err
		}
		err = nil
	}
	if err != nil {
		r.err = err
	}
	return b, err
}

// skip discards the rest of the current entry's data (seeking when it can)
// and checks that its padding is zero.
func (r *Reader) skip() error {
	if r.cur == nil {
		return nil
	}
	if r.left > 0 {
		if r.s != nil {
			pos, err := r.s.Seek(r.left, io.SeekCurrent)
			if err != nil {
				return err
			}
			// A seek past the end of the source succeeds: the data
			// ends where the source does, and a stream reading it would
			// say so there (not at a padding or header beyond it).
			if end, err := r.s.Seek(0, io.SeekEnd); err == nil && end < pos {
				r.off += r.left - (pos - end)
				r.left = 0
				r.err = &TruncatedError{Offset: r.off, What: "the data of " + r.cur.Name}
				return r.err
			} else if _, err := r.s.Seek(pos, io.SeekStart); err != nil {
				return err
			}
			r.off += r.left
			r.left = 0
		} else {
			n, err := io.CopyN(io.Discard, r.r, r.left)
			r.off += n
			r.left -= n
			if err == io.EOF {
				return &TruncatedError{Offset: r.off, What: "the data of " + r.cur.Name}
			}
			if err != nil {
				return err
			}
		}
	}
	if r.pad > 0 {
		at := r.off
		if err := r.readFull(r.padBuf[:r.pad], "the padding of "+r.cur.Name); err != nil {
			return err
		}
		if !isZero(r.padBuf[:r.pad]) {
			return errf(at, r.cur.Name, "non-zero bytes in the padding after the entry's data")
		}
	}
	r.cur = nil
	return nil
}

// End checks, after Next returned io.EOF, that nothing follows the
// end-of-archive marker: the stream must end right after it.
func (r *Reader) End() error {
	if r.err != nil {
		return r.err
	}
	if !r.ended {
		return errors.New("ustar: End before the end-of-archive marker")
	}
	var one [1]byte
	n, err := io.ReadFull(r.r, one[:])
	if n > 0 {
		return errf(r.off, "", "data after the end-of-archive marker (the archive must end there)")
	}
	if err == io.EOF {
		return nil
	}
	return err
}

// Writer writes entries in the one encoding.
type Writer struct {
	w     io.Writer
	off   int64 // bytes written (or skipped) so far
	left  int64 // data bytes the current entry still needs
	pad   int64
	name  string
	mtime int64
	err   error
}

// NewWriter writes to w; every entry gets mtime (seconds, 0 ≤ mtime ≤ MaxMTime).
func NewWriter(w io.Writer, mtime int64) *Writer { return &Writer{w: w, mtime: mtime} }

func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if w.left > 0 {
		return fmt.Errorf("entry %s: %d bytes of data missing", w.name, w.left)
	}
	if w.pad > 0 {
		var n int
		n, w.err = w.w.Write(make([]byte, w.pad))
		w.off += int64(n)
		w.pad = 0
	}
	return w.err
}

// Offset is the number of bytes written (or skipped) so far: where the next
// byte goes in the archive.
func (w *Writer) Offset() int64 { return w.off }

// Skip passes over the current entry's data without writing it: the
// underlying writer must be an io.Seeker, and someone else writes those
// bytes at their offset (Offset before Skip). The padding after the data
// is written as usual by the next WriteHeader or Close.
func (w *Writer) Skip() error {
	if w.err != nil {
		return w.err
	}
	s, ok := w.w.(io.Seeker)
	if !ok {
		return errors.New("ustar: Skip needs a writer that can seek")
	}
	if _, w.err = s.Seek(w.left, io.SeekCurrent); w.err != nil {
		return w.err
	}
	w.off += w.left
	w.left = 0
	return nil
}

// WriteHeader finishes the previous entry and writes the header of the next.
func (w *Writer) WriteHeader(name string, typ byte, size int64) error {
	if err := w.flush(); err != nil {
		return err
	}
	b, err := Encode(name, typ, size, w.mtime)
	if err != nil {
		return err
	}
	var n int
	n, w.err = w.w.Write(b)
	w.off += int64(n)
	if w.err != nil {
		return w.err
	}
	w.name, w.left, w.pad = name, size, (BlockSize-size%BlockSize)%BlockSize
	return nil
}

// ErrWriteTooLong is returned when more data is written than the header said.
var ErrWriteTooLong = errors.New("ustar: write too long")

func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	over := false
	if int64(len(p)) > w.left {
		p, over = p[:w.left], true
	}
	n, err := w.w.Write(p)
	w.left -= int64(n)
	w.off += int64(n)
	if err != nil {
		w.err = err
		return n, err
	}
	if over {
		return n, ErrWriteTooLong
	}
	return n, nil
}

// Close finishes the last entry and writes the end-of-archive marker. It
// does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.flush(); err != nil {
		return err
	}
	var n int
	n, w.err = w.w.Write(make([]byte, 2*BlockSize))
	w.off += int64(n)
	if w.err == nil {
		w.err = errors.New("ustar: writer closed")
		return nil
	}
	return w.err
}
