package archive

import (
	"fmt"
	"io"

	"github.com/cerro-torre/ct/lib/exit"
)

// frameCheck passes a zstd stream through to the decoder while following its
// frame structure (RFC 8878 §3.1), so that the archive is exactly one frame
// as the exporter writes it (archive.md §1): no skippable frames (which the
// decoder skips silently, a place for unsigned bytes), no second frame, no
// dictionary ID, a content checksum, nothing after the frame. It reads block
// headers only; block contents are counted, not inspected.
type frameCheck struct {
	r     io.Reader
	off   int64 // compressed bytes seen
	state int
	need  int // bytes still wanted in the current header state
	hdr   []byte
	left  int64 // bytes of the current block's content to pass
	last  bool  // the current block is the frame's last
	sum   bool  // the frame has a content checksum
	err   *exit.Error
}

const (
	fcMagic = iota
	fcFHD
	fcFrameHeader
	fcBlockHeader
	fcBlockBody
	fcChecksum
	fcDone
)

func (f *frameCheck) fail(format string, args ...any) *exit.Error {
	f.err = malformed("", "zstd stream at byte %d: %s", f.off, fmt.Sprintf(format, args...))
	return f.err
}

func (f *frameCheck) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.r.Read(p)
	if e := f.feed(p[:n]); e != nil {
		return 0, e
	}
	if err == io.EOF && f.state != fcDone {
		// the decoder reports the truncation; say where it is
		f.fail("ends inside the frame")
	}
	return n, err
}

// feed advances the state machine over b.
func (f *frameCheck) feed(b []byte) error {
	for len(b) > 0 {
		if f.state == fcBlockBody {
			k := int64(len(b))
			if k > f.left {
				k = f.left
			}
			f.left -= k
			f.off += k
			b = b[k:]
			if f.left == 0 {
				f.endBlock()
			}
			continue
		}
		if f.state == fcDone {
			return f.fail("data after the frame (a second or skippable frame, or trailing bytes): an archive is one zstd frame")
		}
		if f.need == 0 {
			f.start()
		}
		c := b[0]
		b = b[1:]
		f.off++
		f.hdr = append(f.hdr, c)
		f.need--
		if f.need > 0 {
			continue
		}
		if err := f.complete(); err != nil {
			return err
		}
	}
	return nil
}

// start sets how many header bytes the current state needs.
func (f *frameCheck) start() {
	f.hdr = f.hdr[:0]
	switch f.state {
	case fcMagic, fcChecksum:
		f.need = 4
	case fcFHD:
		f.need = 1
	case fcBlockHeader:
		f.need = 3
	}
}

func (f *frameCheck) complete() error {
	switch f.state {
	case fcMagic:
		if string(f.hdr) != string(zstdMagic) {
			if f.hdr[0]&0xf0 == 0x50 && string(f.hdr[1:]) == "\x2a\x4d\x18" {
				return f.fail("a skippable frame: the exporter writes none")
			}
			return f.fail("not a zstd frame")
		}
		f.state = fcFHD
	case fcFHD:
		fhd := f.hdr[0]
		if fhd&0x08 != 0 {
			return f.fail("reserved bit set in the frame header")
		}
		if fhd&0x03 != 0 {
			return f.fail("a dictionary ID: the exporter uses no dictionary")
		}
		if fhd&0x04 == 0 {
			return f.fail("no content checksum: the exporter always writes one")
		}
		f.sum = true
		single := fhd&0x20 != 0
		n := 0
		if !single {
			n++ // window descriptor
		}
		switch fhd >> 6 {
		case 0:
			if single {
				n++
			}
		case 1:
			n += 2
		case 2:
			n += 4
		case 3:
			n += 8
		}
		f.state = fcFrameHeader
		f.hdr = f.hdr[:0]
		f.need = n
		if n == 0 {
			f.state, f.need = fcBlockHeader, 0
		}
		return nil
	case fcFrameHeader:
		f.state = fcBlockHeader
	case fcBlockHeader:
		h := uint32(f.hdr[0]) | uint32(f.hdr[1])<<8 | uint32(f.hdr[2])<<16
		f.last = h&1 != 0
		size := int64(h >> 3)
		switch (h >> 1) & 3 {
		case 0, 2: // raw, compressed
			f.left = size
		case 1: // RLE: one byte
			f.left = 1
		default:
			return f.fail("a block of reserved type")
		}
		f.state = fcBlockBody
		if f.left == 0 {
			f.endBlock()
		}
	case fcChecksum:
		f.state = fcDone
	}
	f.need = 0
	return nil
}

func (f *frameCheck) endBlock() {
	f.need = 0
	switch {
	case !f.last:
		f.state = fcBlockHeader
	case f.sum:
		f.state = fcChecksum
	default:
		f.state = fcDone
	}
}
