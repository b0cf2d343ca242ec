package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/readahead"
)

// onlyReader hides every method but Read (no seeking, no chunks): the
// stream path as it was before read-ahead.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// outcome reads a whole bundle the way the verifier does: each blob copied
// out with io.Copy (WriteTo when the reader offers it), a hash mismatch
// noted and read past, then the signatures. It records everything a caller
// can see, so that two ways of reading can be compared.
func outcome(src io.Reader, readAll bool) string {
	var out strings.Builder
	res := func(err error) string {
		if err == nil {
			return "ok"
		}
		return fmt.Sprintf("code %d: %v [hint: %s]", exit.CodeOf(err), err, exit.HintOf(err))
	}
	br, err := NewReader(src, "x.ctp")
	if err != nil {
		return "NewReader: " + res(err)
	}
	for i := 0; ; i++ {
		b, r, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintf(&out, "NextBlob %d: %s\n", i, res(err))
			if exit.CodeOf(err) == exit.HashMismatch {
				continue
			}
			return out.String()
		}
		var got bytes.Buffer
		if readAll && i%2 == 0 {
			var all []byte
			all, err = io.ReadAll(r) // Read, in small pieces
			got.Write(all)
		} else {
			_, err = io.Copy(&got, r)
		}
		fmt.Fprintf(&out, "blob %d %s: %d bytes %s, %s\n", i, b.Digest, got.Len(), Digest(got.Bytes()), res(err))
		if err != nil && exit.CodeOf(err) != exit.HashMismatch {
			return out.String()
		}
	}
	sigs, err := br.Signatures()
	fmt.Fprintf(&out, "signatures %d: %s; mismatches %d, graph skipped %q, graph %s, layers %v\n",
		len(sigs), res(err), br.Mismatches(), br.GraphSkipped(), res(br.GraphErr()), br.LayerOrder())
	return out.String()
}

// variants are bundles broken in every way the reader knows: cut short,
// bytes flipped in headers, data and padding, bytes appended, a blob
// shortened, plus the good bundle.
func variants(t *testing.T) map[string][]byte {
	m, blobs := testImage()
	good := write(t, m, blobs, WriterOptions{})
	v := map[string][]byte{"good": good, "empty": nil}
	for cut := 1; cut < len(good); cut += 49999 {
		v[fmt.Sprintf("cut at %d", cut)] = good[:cut]
	}
	for _, e := range readEntries(t, good) { // around each header
		at := bytes.Index(good, []byte(e.Name))
		for _, cut := range []int{at, at + 511, at + 512, at + 513} {
			if cut > 0 && cut < len(good) {
				v[fmt.Sprintf("cut at %d", cut)] = good[:cut]
			}
		}
	}
	v["end marker cut"] = good[:len(good)-1]
	for at := 0; at < len(good); at += 29989 {
		d := bytes.Clone(good)
		d[at] ^= 0x40
		v[fmt.Sprintf("byte %d flipped", at)] = d
	}
	for _, at := range []int{0, 100, 124, 148, 156, 257, 512, 1024, 1535} { // headers and padding
		d := bytes.Clone(good)
		d[at] ^= 0x01
		v[fmt.Sprintf("header byte %d flipped", at)] = d
	}
	v["one byte after the end"] = append(bytes.Clone(good), 'x')
	v["a zero block after the end"] = append(bytes.Clone(good), make([]byte, 512)...)
	d := bytes.Clone(good)
	i := bytes.Index(d, []byte("layer two layer two"))
	d[i+500000] ^= 1
	v["layer byte flipped"] = d
	e := readEntries(t, good)
	for k := range e {
		if strings.HasPrefix(e[k].Name, BlobsSHA256Dir) && len(e[k].Data) > 1 {
			c := clone(e)
			c[k].Data = c[k].Data[:len(c[k].Data)-1]
			v["blob "+e[k].Name+" one byte short"] = build(t, c)
		}
	}
	return v
}

// Reading through lib/readahead (blobs hashed in its buffers, via
// ustar.Reader.ReadChunk and chunkedBlob.WriteTo) gives exactly what the
// plain one-pass reader gives: the same bytes, verdicts, error messages,
// exit codes and hints, whatever the source's read sizes and the ring.
func TestReadAheadSameOutcome(t *testing.T) {
	for name, data := range variants(t) {
		want := outcome(onlyReader{bytes.NewReader(data)}, false)
		for _, ring := range [][2]int{{2, 1000}, {3, 4096}, {readahead.DefaultBuffers, readahead.DefaultSize}} {
			for _, readAll := range []bool{false, true} {
				ra := readahead.NewSize(iotest.HalfReader(bytes.NewReader(data)), ring[0], ring[1])
				got := outcome(ra, readAll)
				ra.Close()
				if got != want {
					t.Errorf("%s, ring %v, Read for some blobs %v:\ngot:\n%s\nwant:\n%s", name, ring, readAll, got, want)
				}
			}
		}
		if name == "good" && !strings.Contains(want, "signatures 0: ok") {
			t.Fatalf("the good bundle is refused: %s", want)
		}
	}
}

// failingAfter returns the first n bytes of data, then err.
type failingAfter struct {
	data []byte
	n    int
	err  error
}

func (f *failingAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	m := copy(p[:min(len(p), f.n)], f.data)
	f.data, f.n = f.data[m:], f.n-m
	return m, nil
}

// A read error of the source, anywhere in the stream, is the same I/O
// error (code 11, the source's error in it) through the read-ahead reader.
func TestReadAheadSourceError(t *testing.T) {
	m, blobs := testImage()
	good := write(t, m, blobs, WriterOptions{})
	boom := errors.New("disk on fire")
	for at := 0; at < len(good); at += 7919 {
		want := outcome(onlyReader{&failingAfter{good, at, boom}}, false)
		ra := readahead.NewSize(&failingAfter{good, at, boom}, 2, 4096)
		got := outcome(ra, false)
		ra.Close()
		if got != want {
			t.Errorf("error after %d bytes:\ngot:\n%s\nwant:\n%s", at, got, want)
		}
		if !strings.Contains(got, fmt.Sprintf("code %d", exit.IO)) || !strings.Contains(got, "disk on fire") {
			t.Errorf("error after %d bytes is not an I/O error naming the source's: %s", at, got)
		}
	}
}

// chopped returns its data in reads of the sizes sizes cycles through.
type chopped struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chopped) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 64 + int(c.sizes[c.i%len(c.sizes)])*37
	c.i++
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// FuzzReadAhead: on any input, read in any pieces through any small ring,
// the read-ahead path reaches exactly the plain reader's outcome.
func FuzzReadAhead(f *testing.F) {
	m, blobs := testImage()
	good := write(f, m, blobs, WriterOptions{})
	f.Add(good, []byte{0, 3, 200}, uint16(1000))
	f.Add(good[:len(good)/2], []byte{255}, uint16(512))
	f.Add(append(bytes.Clone(good), 'x'), []byte{1}, uint16(4096))
	f.Add([]byte{}, []byte{7}, uint16(1))
	f.Fuzz(func(t *testing.T, data, sizes []byte, bufSize uint16) {
		if len(sizes) == 0 {
			sizes = []byte{0}
		}
		want := outcome(onlyReader{bytes.NewReader(data)}, false)
		ra := readahead.NewSize(&chopped{data: data, sizes: sizes}, 2+int(sizes[0]%3), 256+int(bufSize%8192))
		defer ra.Close()
		if got := outcome(ra, sizes[0]%2 == 1); got != want {
			t.Fatalf("read ahead:\n%s\nplain:\n%s", got, want)
		}
	})
}
