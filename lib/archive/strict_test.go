package archive

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/exit"
)

// header is the archive/tar header of a regular file entry as the exporter
// writes it, for tests that build archives with archive/tar.
func header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: time.Unix(0, 0)}
}

func exportOne(t testing.TB, compress bool) []byte {
	t.Helper()
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", strings.Repeat("layer a ", 100))
	var out bytes.Buffer
	if _, err := Export([]string{a}, ExportOptions{Zstd: compress}, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// One archive, one byte sequence (issue 8 §3, archive.md §1): every tar
// spelling the exporter does not write is rejected, as in a bundle.
func TestStageRejectsOtherEncodings(t *testing.T) {
	good := exportOne(t, false)
	if _, err := Stage(bytes.NewReader(good), "x.tar", t.TempDir()); err != nil {
		t.Fatalf("good archive: %v", err)
	}
	edit := func(fn func(h []byte)) []byte { return bundletest.EditHeader(good, IndexName, fn) }
	cases := map[string]struct {
		data []byte
		msg  string
	}{
		"padding garbage":         {bundletest.EditPadding(good, IndexName, 'X'), "padding"},
		"devmajor garbage":        {edit(func(h []byte) { h[329] = '7' }), "devmajor"},
		"unused header bytes":     {edit(func(h []byte) { copy(h[500:], "smuggled") }), "unused bytes"},
		"NUL typeflag":            {edit(func(h []byte) { h[156] = 0 }), "entry type"},
		"GNU magic":               {edit(func(h []byte) { copy(h[257:], "ustar  \x00") }), "magic"},
		"mtime":                   {edit(func(h []byte) { copy(h[136:], "00000000001") }), "mtime"},
		"mode spelling":           {edit(func(h []byte) { copy(h[100:], " 000644\x00") }), "mode"},
		"GNU long name":           {bundletest.InsertGNULongName(good, IndexName, IndexName), "entry type \"L\""},
		"PAX comment":             {bundletest.InsertPAX(good, IndexName, "comment=x"), "PAX record \"comment\""},
		"PAX path":                {bundletest.InsertPAX(good, IndexName, "path="+IndexName), "PAX record \"path\""},
		"no end marker":           {good[:len(good)-1024], "truncated"},
		"one zero block":          {good[:len(good)-512], "truncated"},
		"zero record padding":     {append(bytes.Clone(good), make([]byte, 10240-len(good)%10240)...), "after the end-of-archive marker"},
		"data after the marker":   {append(bytes.Clone(good), "smuggled"...), "after the end-of-archive marker"},
		"zero block before entry": {append(append(bytes.Clone(good[:len(good)-1024-512*3]), make([]byte, 512)...), good[len(good)-1024-512*3:]...), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Stage(bytes.NewReader(c.data), "x.tar", t.TempDir())
			if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want malformed mentioning %q", err, c.msg)
			}
		})
	}
}

func TestStageZstdFraming(t *testing.T) {
	good := exportOne(t, true)
	if _, err := Stage(bytes.NewReader(good), "x.tar.zst", t.TempDir()); err != nil {
		t.Fatalf("good archive: %v", err)
	}
	skippable := append([]byte{0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0}, "smuggled"...)
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderCRC(true))
	second := enc.EncodeAll([]byte("more"), nil)
	fhd := 4 // the frame header descriptor follows the magic
	cases := map[string]struct {
		data []byte
		msg  string
	}{
		"skippable frame after":  {append(bytes.Clone(good), skippable...), "skippable frame"},
		"second frame":           {append(bytes.Clone(good), second...), "data after the frame"},
		"trailing bytes":         {append(bytes.Clone(good), "x"...), "data after the frame"},
		"dictionary ID flag":     {func() []byte { b := bytes.Clone(good); b[fhd] |= 1; return b }(), "dictionary"},
		"no content checksum":    {func() []byte { b := bytes.Clone(good); b[fhd] &^= 4; return b }(), "checksum"},
		"truncated frame":        {good[:len(good)-3], ""},
		"skippable frame before": {append(bytes.Clone(skippable), good...), "not a ct archive"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Stage(bytes.NewReader(c.data), "x.tar.zst", t.TempDir())
			if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want malformed mentioning %q", err, c.msg)
			}
		})
	}
}

// A bundle mtime the tar header cannot hold (bundle.md §1) is a malformed
// index, not a failure of the rebuild later.
func TestIndexMTimeRange(t *testing.T) {
	good, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(good), "mtime = 1700000000", "mtime = 8589934592", 1)
	if in == string(good) {
		t.Fatal("case does not change the input")
	}
	if _, err := ParseIndex([]byte(in)); exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "mtime") {
		t.Fatalf("got %v", err)
	}
	ok := strings.Replace(string(good), "mtime = 1700000000", "mtime = 8589934591", 1)
	if _, err := ParseIndex([]byte(ok)); err != nil {
		t.Fatalf("largest mtime rejected: %v", err)
	}
}
