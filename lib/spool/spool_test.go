package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

var vectors = filepath.Join("..", "..", "tests", "vectors", "verify")

func vector(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectors, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tmpdir points TMPDIR at a fresh folder and returns it, so that a test
// sees every file a copy leaves.
func tmpdir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Setenv("TMPDIR", d)
	return d
}

func leftOver(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

func code(t *testing.T, err error, want exit.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %d (%s)", want, msg)
	}
	if c := exit.CodeOf(err); c != want || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got code %d: %v\nwant code %d saying %q", c, err, want, msg)
	}
}

func manifestOf(t *testing.T, data []byte) (*bundle.Manifest, int64, int64) {
	t.Helper()
	br, err := bundle.NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	return br.Manifest(), br.Offset(), br.ModTime().Unix()
}

// TestSize: what manifest.toml declares is the exact length of an unsigned
// bundle, and a signed bundle fits in the maximum.
func TestSize(t *testing.T) {
	for _, name := range []string{"unsigned.ctp", "pending-unsigned.ctp", "valid.ctp", "valid-cosigned.ctp", "log-valid.ctp"} {
		data := vector(t, name)
		m, head, _ := manifestOf(t, data)
		need, max := Size(m, head)
		_, sigs, err := bundle.Check(bytes.NewReader(data), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(sigs) == 0 && need != int64(len(data)) {
			t.Errorf("%s: Size says %d bytes, the bundle has %d", name, need, len(data))
		}
		if len(sigs) > 0 && (need >= int64(len(data)) || int64(len(data)) > max) {
			t.Errorf("%s: %d bytes, not in (%d, %d]", name, len(data), need, max)
		}
	}
}

// TestCopy: a pipe's bundle is copied whole, checked, and rewound.
func TestCopy(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "valid.ctp")
	f, err := Copy(&spooltest.Counted{R: bytes.NewReader(data)}, "-", "ct-test-*.ctp")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("copy has %d bytes, the bundle %d", len(got), len(data))
	}
	if filepath.Dir(f.Name()) != dir {
		t.Errorf("copy at %s, not in TMPDIR %s", f.Name(), dir)
	}
	f.Remove()
	leftOver(t, dir)
}

// TestCopyNoRoom: a bundle larger than TMPDIR's free space is refused
// after manifest.toml, before a blob byte is read or a file created.
func TestCopyNoRoom(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "unsigned.ctp")
	m, head, _ := manifestOf(t, data)
	need, _ := Size(m, head)
	freeSpace = func(d string) (int64, error) {
		if d != dir {
			t.Errorf("free space asked of %s, not TMPDIR %s", d, dir)
		}
		return need - 1, nil
	}
	defer func() { freeSpace = available }()
	src := &spooltest.Counted{R: io.MultiReader(bytes.NewReader(data), spooltest.Endless('x'))}
	f, err := Copy(src, "-", "ct-test-*.ctp")
	if f != nil {
		f.Remove()
	}
	code(t, err, exit.IO, "the bundle needs 13824 bytes")
	for _, s := range []string{"TMPDIR " + dir + " has 13823 bytes", "set TMPDIR to a folder with room", "name the bundle file"} {
		if !strings.Contains(err.Error(), s) && !strings.Contains(err.(*exit.Error).Hint, s) {
			t.Errorf("error does not say %q: %v (hint %q)", s, err, err.(*exit.Error).Hint)
		}
	}
	if src.N.Load() != head {
		t.Errorf("read %d bytes, want only the %d-byte head", src.N.Load(), head)
	}
	leftOver(t, dir)

	// With room it passes: the check compares with what is needed.
	freeSpace = func(string) (int64, error) { return need, nil }
	f, err = Copy(bytes.NewReader(data), "-", "ct-test-*.ctp")
	if err != nil {
		t.Fatal(err)
	}
	f.Remove()
}

// TestAvailable: the real free space of a real folder is known and
// positive (the check is not silently skipped on Linux).
func TestAvailable(t *testing.T) {
	n, err := available(t.TempDir())
	if err != nil || n <= 0 {
		t.Fatalf("available: %d, %v", n, err)
	}
}

// TestCopyStopsAtBadEntry: a malformed entry ends the copy there, with the
// reader's verdict, and the copy is removed.
func TestCopyStopsAtBadEntry(t *testing.T) {
	for _, c := range []struct {
		vector string
		code   exit.Code
		msg    string
	}{
		{"tar-padding-garbage.ctp", exit.Malformed, "padding"},
		{"flipped-layer-byte.ctp", exit.HashMismatch, "content has digest"},
		{"truncated.ctp", exit.Malformed, "truncated"},
		{"extra-entry.ctp", exit.Malformed, "unexpected entry"},
	} {
		t.Run(c.vector, func(t *testing.T) {
			dir := tmpdir(t)
			f, err := Copy(&spooltest.Counted{R: bytes.NewReader(vector(t, c.vector))}, "-", "ct-test-*.ctp")
			if f != nil {
				f.Remove()
			}
			code(t, err, c.code, c.msg)
			leftOver(t, dir)
		})
	}
}

// TestCopyMalformedEndlessStream: a bad entry followed by endless bytes
// stops at the bad entry: the rest of the stream is not read, so not
// written either.
func TestCopyMalformedEndlessStream(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "unsigned.ctp")
	m, head, _ := manifestOf(t, data)
	bad := bundletest.EditHeader(data, m.Blobs[0].Path(), func(h []byte) { copy(h[100:108], "0000600\x00") })
	src := &spooltest.Counted{R: io.MultiReader(bytes.NewReader(bad), spooltest.Endless('x'))}
	f, err := Copy(src, "-", "ct-test-*.ctp")
	if f != nil {
		f.Remove()
	}
	code(t, err, exit.Malformed, "mode 600")
	if src.N.Load() > head+ustar.BlockSize {
		t.Errorf("read %d bytes: past the bad header at %d", src.N.Load(), head)
	}
	leftOver(t, dir)
}

// TestCopyTrailingBytes: a stream that goes on after the end-of-archive
// marker is refused at its first extra byte (the bundle reader's End), not
// copied on.
func TestCopyTrailingBytes(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "valid.ctp")
	src := &spooltest.Counted{R: io.MultiReader(bytes.NewReader(data), spooltest.Endless('x'))}
	f, err := Copy(src, "-", "ct-test-*.ctp")
	if f != nil {
		f.Remove()
	}
	code(t, err, exit.Malformed, "data after the end-of-archive marker")
	if src.N.Load() > int64(len(data))+32<<10 {
		t.Errorf("read %d bytes of a %d-byte bundle and endless data after it", src.N.Load(), len(data))
	}
	leftOver(t, dir)
}

// TestCopyBlobHeaderLies: a blob whose header declares more bytes than
// manifest.toml lists is a hash mismatch, and a reader that goes on
// used to skip the declared bytes after the mismatch (to find a
// structural error that would outrank it); it now stops at that header
// (verify.md §2), so the copy ends there with the mismatch, well before
// where a bundle with this manifest.toml must end.
func TestCopyBlobHeaderLies(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "unsigned.ctp")
	m, head, _ := manifestOf(t, data)
	_, max := Size(m, head)
	long, err := spooltest.LongBlob(data, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	src := &spooltest.Counted{R: long}
	f, err := Copy(src, "-", "ct-test-*.ctp")
	if f != nil {
		f.Remove()
	}
	code(t, err, exit.HashMismatch, "not read past this entry's header")
	if src.N.Load() > max+64<<10 {
		t.Errorf("read %d bytes, past the %d a bundle with this manifest.toml can hold", src.N.Load(), max)
	}
	leftOver(t, dir)
}

// TestWriteLimit: File refuses a write past the bound and writes nothing
// of it.
func TestWriteLimit(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "unsigned.ctp")
	m, head, _ := manifestOf(t, data)
	f, err := Create(m, head, "-", "ct-test-*.ctp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	if _, err := f.Write(make([]byte, f.max)); err != nil {
		t.Fatal(err)
	}
	_, err = f.Write([]byte{1})
	var ee *exit.Error
	if !errors.As(err, &ee) || ee.Code != exit.Malformed {
		t.Fatalf("write past the bound: %v", err)
	}
	// Nor by the embedded os.File's other ways to write.
	if _, err := io.Copy(f, bytes.NewReader([]byte{1})); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("io.Copy past the bound: %v", err)
	}
	if _, err := f.WriteString("x"); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("WriteString past the bound: %v", err)
	}
	if _, err := f.WriteAt([]byte{1}, f.max); err == nil {
		t.Error("WriteAt past the bound")
	}
	if st, _ := f.Stat(); st.Size() != f.max {
		t.Errorf("file has %d bytes, bound %d", st.Size(), f.max)
	}
	leftOverAfter(t, f, dir)
}

func leftOverAfter(t *testing.T, f *File, dir string) {
	t.Helper()
	f.Remove()
	leftOver(t, dir)
}

// TestCopyHugeManifest: a manifest.toml declaring an exabyte is refused
// by the real free space of TMPDIR, before a blob byte is read.
func TestCopyHugeManifest(t *testing.T) {
	dir := tmpdir(t)
	src, head, err := spooltest.HugeHead(vector(t, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	c := &spooltest.Counted{R: src}
	f, err := Copy(c, "-", "ct-test-*.ctp")
	if f != nil {
		f.Remove()
	}
	code(t, err, exit.IO, "free")
	if !strings.Contains(err.Error(), "(1.1 PB, as its manifest.toml declares)") {
		t.Errorf("error does not say the size: %v", err)
	}
	if c.N.Load() != head {
		t.Errorf("read %d bytes, not the %d-byte head", c.N.Load(), head)
	}
	leftOver(t, dir)
}

// panicAfter panics when more than n bytes have been read from it.
type panicAfter struct {
	r io.Reader
	n int64
}

func (p *panicAfter) Read(b []byte) (int, error) {
	if p.n <= 0 {
		panic("source fails")
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	n, err := p.r.Read(b)
	p.n -= int64(n)
	return n, err
}

// TestCopyPanicLeavesNothing: a panic while the copy is written (here
// the source's; any in the reader beneath Copy) removes the copy as it
// unwinds, as an error does: nothing is left in TMPDIR.
func TestCopyPanicLeavesNothing(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "valid.ctp")
	_, head, _ := manifestOf(t, data)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		f, _ := Copy(&panicAfter{r: bytes.NewReader(data), n: head + 1024}, "-", "ct-test-*.ctp")
		if f != nil {
			f.Remove()
		}
	}()
	leftOver(t, dir)
}

// TestCopyLargestTail: a bundle with the most and largest signature and
// proof entries the reader accepts (bundle.MaxSignatures of
// bundle.MaxSignatureSize, bundle.MaxProofs of bundle.MaxProofSize) is
// copied whole: the bound leaves room for every byte of it.
func TestCopyLargestTail(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "unsigned.ctp")
	var sigs, proofs []bundle.Entry
	for i := range bundle.MaxSignatures {
		fp := fmt.Sprintf("%064x", i)
		sigs = append(sigs, bundle.Entry{Name: bundle.SignaturesDir + fp + ".sig", Data: bytes.Repeat([]byte{'s'}, bundle.MaxSignatureSize)})
		if i < bundle.MaxProofs {
			proofs = append(proofs, bundle.Entry{Name: bundle.ProofsDir + fp + "." + fmt.Sprintf("%016x", i) + ".proof", Data: bytes.Repeat([]byte{'p'}, bundle.MaxProofSize)})
		}
	}
	var big bytes.Buffer
	if _, err := bundle.RewriteProofs(bytes.NewReader(data), "x.ctp", &big,
		func(*bundle.Manifest, []byte, []bundle.Entry) ([]bundle.Entry, error) { return sigs, nil },
		func(*bundle.Manifest, []bundle.Entry, []bundle.Entry) ([]bundle.Entry, error) { return proofs, nil },
		func(err error) error { return err }); err != nil {
		t.Fatal(err)
	}
	m, head, _ := manifestOf(t, data)
	if _, max := Size(m, head); int64(big.Len()) != max {
		t.Errorf("the largest bundle is %d bytes, the bound %d", big.Len(), max)
	}
	f, err := Copy(&spooltest.Counted{R: bytes.NewReader(big.Bytes())}, "-", "ct-test-*.ctp")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Remove()
	if err != nil || !bytes.Equal(got, big.Bytes()) {
		t.Errorf("copy of %d bytes differs from the %d-byte bundle (%v)", len(got), big.Len(), err)
	}
	leftOver(t, dir)
}
