package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
	"github.com/cerro-torre/ct/lib/exit"
)

// testImage returns a small, valid image: a manifest, a config and two layers.
func testImage() (*Manifest, map[string][]byte) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	l1 := []byte("layer one content")
	l2 := bytes.Repeat([]byte("layer two "), 100000) // ~1 MB: several copy buffers
	cd, d1, d2 := add(cfg), add(l1), add(l2)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d},`+
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}`,
		cd, len(cfg), d1, len(l1), d2, len(l2)))
	md := add(man)
	m := &Manifest{
		Format:  FormatVersion,
		Package: Package{Name: "demo", Version: "1.0"},
		Source:  Source{Reference: "oci:./x:1.0", Transport: "oci", Tag: "1.0", Digest: md},
		Image:   Image{Digest: md, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(man)), Config: cd, Platform: "linux/amd64"},
		Tool:    Tool{Name: "test", Version: "0"},
		Blobs: []Blob{
			{Digest: md, Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: RoleManifest},
			{Digest: cd, Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: RoleConfig},
			{Digest: d1, Size: int64(len(l1)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: RoleLayer},
			{Digest: d2, Size: int64(len(l2)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: RoleLayer},
		},
	}
	m.SortBlobs()
	return m, blobs
}

func write(t testing.TB, m *Manifest, blobs map[string][]byte, opts WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, ok := w.NextBlob()
		if !ok {
			break
		}
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	m, blobs := testImage()
	data := write(t, m, blobs, WriterOptions{})
	br, err := NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	if got := br.Manifest(); got.Package != m.Package || got.Image.Digest != m.Image.Digest || len(got.Blobs) != len(m.Blobs) {
		t.Fatalf("manifest differs: %+v", got)
	}
	n := 0
	for {
		b, r, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("blob %s: %v", b.Digest, err)
		}
		if !bytes.Equal(content, blobs[b.Digest]) {
			t.Fatalf("blob %s content differs", b.Digest)
		}
		n++
	}
	if n != len(m.Blobs) {
		t.Fatalf("read %d blobs, want %d", n, len(m.Blobs))
	}
	sigs, err := br.Signatures()
	if err != nil || len(sigs) != 0 {
		t.Fatalf("signatures: %v %v", sigs, err)
	}
}

func TestDeterministic(t *testing.T) {
	m, blobs := testImage()
	a := write(t, m, blobs, WriterOptions{})
	m2, _ := testImage()
	b := write(t, m2, blobs, WriterOptions{})
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same bundle differ")
	}
	c := write(t, m2, blobs, WriterOptions{ModTime: time.Unix(1700000000, 0)})
	if bytes.Equal(a, c) {
		t.Fatal("ModTime did not change the tar headers")
	}
	tr := tar.NewReader(bytes.NewReader(c))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.ModTime.Unix() != 1700000000 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Fatalf("entry %s has header %+v", h.Name, h)
		}
		if h.Format != tar.FormatUSTAR {
			t.Fatalf("entry %s is %v, want USTAR", h.Name, h.Format)
		}
	}
}

// Every problem is classified with the code docs/spec/bundle.md gives it.
func TestReaderRejects(t *testing.T) {
	m, blobs := testImage()
	good := write(t, m, blobs, WriterOptions{})
	entries := readEntries(t, good)

	cases := []struct {
		name string
		data func() []byte
		code exit.Code
		msg  string
	}{
		{"empty", func() []byte { return nil }, exit.Malformed, "empty input"},
		{"garbage", func() []byte { return []byte(strings.Repeat("garbage!", 200)) }, exit.Malformed, "not a"},
		{"truncated header", func() []byte { return good[:100] }, exit.Malformed, ""},
		{"truncated in blob", func() []byte { return good[:len(good)-600000] }, exit.Malformed, "truncated"},
		{"flipped layer byte", func() []byte {
			d := bytes.Clone(good)
			i := bytes.Index(d, []byte("layer two layer two"))
			d[i] ^= 1
			return d
		}, exit.HashMismatch, "content has digest"},
		{"manifest not canonical", func() []byte {
			e := clone(entries)
			e[0].Data = append(bytes.Clone(e[0].Data), '\n')
			return build(t, e)
		}, exit.Malformed, "manifest.toml"},
		{"summary altered", func() []byte {
			e := clone(entries)
			e[1].Data = bytes.Replace(e[1].Data, []byte(`"demo"`), []byte(`"evil"`), 1)
			return build(t, e)
		}, exit.HashMismatch, "summary.json"},
		{"index.json altered", func() []byte {
			e := clone(entries)
			e[3].Data = bytes.Replace(e[3].Data, []byte(`"1.0"`), []byte(`"2.0"`), 1)
			return build(t, e)
		}, exit.HashMismatch, "index.json"},
		{"missing blob", func() []byte { e := clone(entries); return build(t, append(e[:7:7], e[8:]...)) }, exit.Malformed, "missing blob 2 of 4"},
		{"missing last blob", func() []byte { e := clone(entries); return build(t, e[:len(e)-1]) }, exit.Malformed, "archive ends before blob"},
		{"duplicate blob", func() []byte {
			e := clone(entries)
			return build(t, append(append(e[:8:8], e[7]), e[8:]...))
		}, exit.Malformed, "duplicate entry of blob 2 of 4"},
		{"extra entry", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: "extra.txt", Data: []byte("x")}))
		}, exit.Malformed, "unexpected entry after the blobs"},
		{"extra blob", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: BlobsSHA256Dir + strings.Repeat("f", 64), Data: []byte("x")}))
		}, exit.Malformed, "extra blob"},
		{"path traversal", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: "signatures/../../etc/passwd", Data: []byte("x")}))
		}, exit.Malformed, "unsafe path"},
		{"symlink", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: "signatures/x", Link: "/etc/passwd"}))
		}, exit.Malformed, "link entries"},
		{"wrong mode", func() []byte { e := clone(entries); e[2].Mode = 0o755; return build(t, e) }, exit.Malformed, "mode"},
		{"owner name", func() []byte { e := clone(entries); e[2].Uname = "alice"; return build(t, e) }, exit.Malformed, "owner"},
		{"trailing data", func() []byte { return append(bytes.Clone(good), []byte("smuggled")...) }, exit.Malformed, "after the end"},
		{"regular file named signatures/", func() []byte {
			e := clone(entries)
			raw := build(t, append(e, entry{Name: "signatures/xxxxxxxxx", Data: bytes.Repeat([]byte("smuggled"), 1000)}))
			return bundletest.Rename(raw, "signatures/xxxxxxxxx", "signatures/")
		}, exit.Malformed, "ends in '/'"},
		{"first entry not manifest", func() []byte { e := clone(entries); e[0], e[1] = e[1], e[0]; return build(t, e) }, exit.Malformed, "first entry"},
		// One bundle, one byte sequence (issue 8 §3): every byte the
		// writer does not produce is rejected.
		{"garbage in padding", func() []byte { return bundletest.EditPadding(good, ManifestName, 'X') }, exit.Malformed, "padding"},
		{"garbage in devmajor", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { h[329] = '7' })
		}, exit.Malformed, "devmajor"},
		{"garbage in unused header bytes", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[500:], "smuggled") })
		}, exit.Malformed, "unused bytes"},
		{"garbage in linkname", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[157:], "x") })
		}, exit.Malformed, "linkname"},
		{"NUL typeflag", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { h[156] = 0 })
		}, exit.Malformed, "entry type"},
		{"GNU magic", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[257:], "ustar  \x00") })
		}, exit.Malformed, "magic"},
		{"mode spelled with a space", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[100:], " 000644\x00") })
		}, exit.Malformed, "mode"},
		{"checksum spelled with seven digits", func() []byte {
			d := bytes.Clone(good) // manifest.toml's header is at 0
			sum := string(d[148:154])
			copy(d[148:156], "0"+sum+"\x00")
			return d
		}, exit.Malformed, "checksum"},
		{"mtime differs between entries", func() []byte {
			return bundletest.EditHeader(good, LayoutName, func(h []byte) { copy(h[136:], "00000000001") })
		}, exit.Malformed, "mtime"},
		{"GNU long-name record", func() []byte { return bundletest.InsertGNULongName(good, LayoutName, LayoutName) }, exit.Malformed, "entry type \"L\""},
		{"PAX comment record", func() []byte { return bundletest.InsertPAX(good, LayoutName, "comment=hi") }, exit.Malformed, "PAX record \"comment\""},
		{"PAX path record", func() []byte { return bundletest.InsertPAX(good, LayoutName, "path="+LayoutName) }, exit.Malformed, "PAX record \"path\""},
		{"PAX size record on a small entry", func() []byte {
			return bundletest.InsertPAX(good, LayoutName, fmt.Sprintf("size=%d", len(LayoutBytes())))
		}, exit.Malformed, "PAX extended header the format does not write"},
		{"no end-of-archive marker", func() []byte { return good[:len(good)-1024] }, exit.Malformed, "marker"},
		{"one zero block", func() []byte { return good[:len(good)-512] }, exit.Malformed, "marker"},
		{"zero record padding after the marker", func() []byte { return append(bytes.Clone(good), make([]byte, 10240-len(good)%10240)...) }, exit.Malformed, "after the end-of-archive marker"},
		{"a zero block before an entry", func() []byte {
			e := clone(entries)
			b := build(t, append(e, entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/a.sig", Data: []byte("sig")}))
			i := bytes.LastIndex(b, []byte(SignaturesDir+"\x00")) // the directory header
			return append(append(bytes.Clone(b[:i]), make([]byte, 512)...), b[i:]...)
		}, exit.Malformed, "single zero block"},
		{"unsorted signatures", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/b.sig", Data: []byte("b")}, entry{Name: "signatures/a.sig", Data: []byte("a")}))
		}, exit.Malformed, "out of order"},
		{"duplicate signature", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/a.sig", Data: []byte("a")}, entry{Name: "signatures/a.sig", Data: []byte("a")}))
		}, exit.Malformed, "duplicate entry"},
		{"signature without the directory entry", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: "signatures/a.sig", Data: []byte("a")}))
		}, exit.Malformed, "directory entry"},
		{"empty signatures directory", func() []byte {
			return build(t, append(clone(entries), entry{Name: SignaturesDir, Dir: true}))
		}, exit.Malformed, "no signature after it"},
		{"signature in a sub-directory", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/a/b.sig", Data: []byte("a")}))
		}, exit.Malformed, "sub-directory"},
		{"non-ASCII signature name", func() []byte {
			e := clone(entries)
			return build(t, append(e, entry{Name: SignaturesDir, Dir: true}, entry{Name: "signatures/caf\u00e9.sig", Data: []byte("a")}))
		}, exit.Malformed, "PAX record \"path\""},
		{"duplicate key in the image manifest", func() []byte {
			m, blobs := testImage()
			editManifestBlob(m, blobs, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`{"schemaVersion":2,`), []byte(`{"schemaVersion":2,"schemaVersion":2,`), 1)
			})
			return write(t, m, blobs, WriterOptions{})
		}, exit.Malformed, "duplicate object key \"schemaVersion\""},
		{"keys differing only in case in the image manifest", func() []byte {
			m, blobs := testImage()
			editManifestBlob(m, blobs, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`{"schemaVersion":2,`), []byte(`{"schemaVersion":2,"Layers":[],`), 1)
			})
			return write(t, m, blobs, WriterOptions{})
		}, exit.Malformed, "differ only in case"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Check(bytes.NewReader(c.data()), "x.ctp")
			if err == nil {
				t.Fatal("accepted")
			}
			if got := exit.CodeOf(err); got != c.code {
				t.Fatalf("code %d, want %d: %v", got, c.code, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not mention %q", err, c.msg)
			}
			if !strings.Contains(err.Error(), "x.ctp") || exit.HintOf(err) == "" {
				t.Fatalf("error %q lacks the bundle name or a hint", err)
			}
		})
	}
	if _, _, err := Check(bytes.NewReader(good), "x.ctp"); err != nil {
		t.Fatalf("good bundle rejected: %v", err)
	}
	// signature entries after the blobs are returned
	e := clone(entries)
	e = append(e, entry{Name: "signatures/", Dir: true}, entry{Name: "signatures/a.sig", Data: []byte("sig")})
	_, sigs, err := Check(bytes.NewReader(build(t, e)), "x.ctp")
	if err != nil || len(sigs) != 1 || sigs[0].Name != "signatures/a.sig" || string(sigs[0].Data) != "sig" {
		t.Fatalf("signatures: %v %v", sigs, err)
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(m *Manifest){
		"format 2":       func(m *Manifest) { m.Format = 2 },
		"bad name":       func(m *Manifest) { m.Package.Name = "Demo" },
		"bad version":    func(m *Manifest) { m.Package.Version = "-1" },
		"unsorted blobs": func(m *Manifest) { m.Blobs[0], m.Blobs[1] = m.Blobs[1], m.Blobs[0] },
		"dup blobs":      func(m *Manifest) { m.Blobs[1] = m.Blobs[0] },
		"bad role":       func(m *Manifest) { m.Blobs[0].Role = "other" },
		"root missing":   func(m *Manifest) { m.Image.Digest = "sha256:" + strings.Repeat("0", 64) },
		"bad digest":     func(m *Manifest) { m.Blobs[0].Digest = "sha512:00" },
		"negative size":  func(m *Manifest) { m.Blobs[0].Size = -1 },
		"bad transport":  func(m *Manifest) { m.Source.Transport = "ftp" },
		"bad created":    func(m *Manifest) { m.Package.Created = "yesterday" },
		"no config":      func(m *Manifest) { m.Image.Config = "" },
		"huge manifests": func(m *Manifest) {
			for i := range m.Blobs {
				if m.Blobs[i].Role == RoleManifest {
					m.Blobs[i].Size = MaxMetaBlobSize
				}
			}
			for i := 0; i < 17; i++ {
				d := Digest([]byte{byte(i)})
				m.Blobs = append(m.Blobs, Blob{Digest: d, Size: MaxMetaBlobSize, MediaType: "application/vnd.oci.image.manifest.v1+json", Role: RoleManifest})
			}
			m.SortBlobs()
		},
	} {
		m, _ := testImage()
		mutate(m)
		if err := m.Validate(); err == nil || exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

// A manifest whose blobs are not the image's graph is rejected after the blobs.
func TestClosure(t *testing.T) {
	m, blobs := testImage()
	extra := []byte("an extra blob")
	d := Digest(extra)
	blobs[d] = extra
	m.Blobs = append(m.Blobs, Blob{Digest: d, Size: int64(len(extra)), MediaType: "application/octet-stream", Role: RoleLayer})
	m.SortBlobs()
	_, _, err := Check(bytes.NewReader(write(t, m, blobs, WriterOptions{})), "x.ctp")
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "not part of the image") {
		t.Fatalf("got %v", err)
	}
}

func TestWriterChecksSource(t *testing.T) {
	m, blobs := testImage()
	w, err := NewWriter(io.Discard, m, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.NextBlob()
	bad := bytes.Clone(blobs[b.Digest])
	bad[0] ^= 1
	err = w.WriteBlob(b.Digest, bytes.NewReader(bad))
	if exit.CodeOf(err) != exit.HashMismatch {
		t.Fatalf("corrupt source: %v", err)
	}
	w, _ = NewWriter(io.Discard, m, WriterOptions{})
	b, _ = w.NextBlob()
	err = w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest][1:]))
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "content ends after") {
		t.Fatalf("short source: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close before all blobs succeeded")
	}
}

func TestReaderStopsEarly(t *testing.T) {
	m, blobs := testImage()
	data := write(t, m, blobs, WriterOptions{})
	br, err := NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	for { // read one byte of each blob; NextBlob must drain and verify the rest
		_, r, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r.Read(make([]byte, 1))
	}
	if _, err := br.Signatures(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	_, _, err := Check(errReader{}, "x.ctp")
	var e *exit.Error
	if !errors.As(err, &e) {
		t.Fatalf("unclassified error %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// editManifestBlob replaces the image manifest blob of m with edit's
// version of it, keeping manifest.toml consistent: a bundle the writer
// writes, whose only fault is in the blob.
func editManifestBlob(m *Manifest, blobs map[string][]byte, edit func([]byte) []byte) {
	old := m.Image.Digest
	b := edit(blobs[old])
	d := Digest(b)
	delete(blobs, old)
	blobs[d] = b
	for i := range m.Blobs {
		if m.Blobs[i].Digest == old {
			m.Blobs[i].Digest, m.Blobs[i].Size = d, int64(len(b))
		}
	}
	m.Image.Digest, m.Image.Size, m.Source.Digest = d, int64(len(b)), d
	m.SortBlobs()
}

type entry = bundletest.Entry

func clone(e []entry) []entry { return bundletest.Clone(e) }

func readEntries(t testing.TB, data []byte) []entry {
	e, err := bundletest.Entries(data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func build(t testing.TB, entries []entry) []byte { return bundletest.Build(entries) }

// The mtime must fit the header's 11-digit octal field, so no PAX mtime
// record is ever written (bundle.md §1); the largest value round-trips.
func TestWriterMTimeRange(t *testing.T) {
	m, blobs := testImage()
	for _, bad := range []int64{-1, ustar.MaxMTime + 1} {
		if _, err := NewWriter(io.Discard, m, WriterOptions{ModTime: time.Unix(bad, 0)}); exit.CodeOf(err) != exit.Usage {
			t.Errorf("mtime %d: %v", bad, err)
		}
	}
	data := write(t, m, blobs, WriterOptions{ModTime: time.Unix(ustar.MaxMTime, 0)})
	br, err := NewReader(bytes.NewReader(data), "x.ctp")
	if err != nil || br.ModTime().Unix() != ustar.MaxMTime {
		t.Fatalf("largest mtime: %v", err)
	}
}

// A bundle signed by two keys has one byte sequence whatever order the
// signatures are given in, and the reader returns them sorted.
func TestSignaturesOneOrder(t *testing.T) {
	m, blobs := testImage()
	mk := func(sigs ...Entry) []byte {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, m, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
			if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteSignatures(sigs); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return buf.Bytes()
	}
	a, b := Entry{Name: "signatures/a.sig", Data: []byte("a")}, Entry{Name: "signatures/b.sig", Data: []byte("b")}
	ab, ba := mk(a, b), mk(b, a)
	if !bytes.Equal(ab, ba) {
		t.Fatal("signature order changed the bytes")
	}
	_, sigs, err := Check(bytes.NewReader(ab), "x.ctp")
	if err != nil || len(sigs) != 2 || sigs[0].Name != a.Name {
		t.Fatalf("%v %v", sigs, err)
	}
}
