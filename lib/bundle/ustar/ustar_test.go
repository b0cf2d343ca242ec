package ustar

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// goTar is what archive/tar writes for the header: the encoding bundles
// written by earlier ct versions have.
func goTar(t *testing.T, name string, typ byte, size, mtime int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mode := int64(0o644)
	if typ == TypeDir {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: typ, Name: name, Size: size, Mode: mode, ModTime: time.Unix(mtime, 0)}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEncodeIsArchiveTar(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	names := []string{"manifest.toml", "blobs/", "blobs/sha256/", "blobs/sha256/" + hex, "signatures/", "signatures/" + hex + ".sig",
		"bundles/" + hex + "/signatures/" + hex + ".sig", "keys/" + hex + ".pub", "ct-archive.toml", strings.Repeat("n", 100),
		strings.Repeat("p", 155) + "/" + strings.Repeat("n", 100)}
	for _, name := range names {
		typ := byte(TypeReg)
		if strings.HasSuffix(name, "/") {
			typ = TypeDir
		}
		for _, size := range []int64{0, 1, 511, 512, 513, maxOctal11, maxOctal11 + 1, 1 << 40} {
			if typ == TypeDir && size != 0 || size > maxOctal11 && len(name) > 100 {
				continue
			}
			for _, mtime := range []int64{0, 1, 1700000000, MaxMTime} {
				got, err := Encode(name, typ, size, mtime)
				if err != nil {
					t.Fatal(err)
				}
				if want := goTar(t, name, typ, size, mtime); !bytes.Equal(got, want) {
					t.Fatalf("%s size %d mtime %d: Encode differs from archive/tar:\n%q\n%q", name, size, mtime, got, want)
				}
			}
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, c := range []struct {
		name        string
		size, mtime int64
	}{{"a b", 0, 0}, {"caf\xc3\xa9", 0, 0}, {strings.Repeat("n", 101), 0, 0}, {"x", -1, 0}, {"x", 0, -1}, {"x", 0, MaxMTime + 1},
		{strings.Repeat("p", 20) + "/" + strings.Repeat("n", 90), maxOctal11 + 1, 0}} {
		if _, err := Encode(c.name, TypeReg, c.size, c.mtime); err == nil {
			t.Errorf("Encode(%q, %d, %d) accepted", c.name, c.size, c.mtime)
		}
	}
}

type entry struct {
	name string
	data string
}

func write(t *testing.T, es ...entry) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	for _, e := range es {
		typ := byte(TypeReg)
		if strings.HasSuffix(e.name, "/") {
			typ = TypeDir
		}
		if err := w.WriteHeader(e.name, typ, int64(len(e.data))); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// read reads every entry strictly; the error is nil for an exact stream.
func read(data []byte, seek bool) ([]entry, error) {
	var src io.Reader = bytes.NewReader(data)
	if !seek {
		src = io.MultiReader(src) // hides Seek
	}
	r := NewReader(src, 0)
	var out []entry
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out, r.End()
		}
		if err != nil {
			return out, err
		}
		if err := h.Exact(0); err != nil {
			return out, err
		}
		if seek && len(out)%2 == 1 {
			out = append(out, entry{h.Name, ""}) // skipped unread
			continue
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return out, err
		}
		out = append(out, entry{h.Name, string(b)})
	}
}

func TestWriterIsArchiveTar(t *testing.T) {
	es := []entry{{"a", "hello"}, {"d/", ""}, {"d/b", strings.Repeat("x", 512)}, {"e", ""}, {"f", strings.Repeat("y", 1000)}}
	got := write(t, es...)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(e.data)), Mode: 0o644, ModTime: time.Unix(0, 0)}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		tw.WriteHeader(h)
		io.WriteString(tw, e.data)
	}
	tw.Close()
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("Writer output differs from archive/tar's")
	}
	for _, seek := range []bool{false, true} {
		back, err := read(got, seek)
		if err != nil || len(back) != len(es) {
			t.Fatalf("seek=%v: %v, %d entries", seek, err, len(back))
		}
		for i := range es {
			if back[i].name != es[i].name || !seek && back[i].data != es[i].data {
				t.Fatalf("entry %d: %q", i, back[i])
			}
		}
	}
}

func fix(h []byte) {
	putOctal(h[148:155], checksum(h))
	h[155] = ' '
}

func TestReaderRejects(t *testing.T) {
	good := write(t, entry{"a", "hello"}, entry{"b", "world"})
	hdrB := 1024 // "a": header + one data block
	cases := map[string]struct {
		edit func(b []byte) []byte
		want string
	}{
		"padding garbage":   {func(b []byte) []byte { b[512+10] = 'X'; return b }, "padding"},
		"devmajor garbage":  {func(b []byte) []byte { b[hdrB+329] = '1'; fix(b[hdrB : hdrB+512]); return b }, "devmajor"},
		"unused bytes":      {func(b []byte) []byte { b[hdrB+505] = 'Z'; fix(b[hdrB : hdrB+512]); return b }, "unused"},
		"NUL typeflag":      {func(b []byte) []byte { b[hdrB+156] = 0; fix(b[hdrB : hdrB+512]); return b }, "typeflag"},
		"GNU magic":         {func(b []byte) []byte { copy(b[hdrB+257:], "ustar  \x00"); fix(b[hdrB : hdrB+512]); return b }, "magic"},
		"space-padded mode": {func(b []byte) []byte { copy(b[hdrB+100:], " 000644\x00"); fix(b[hdrB : hdrB+512]); return b }, "mode"},
		"checksum spelling": {func(b []byte) []byte {
			s := string(b[hdrB+148 : hdrB+154])
			copy(b[hdrB+148:], "0"+s[:6])
			b[hdrB+155] = 0
			return b
		}, "checksum"},
		"bad checksum":           {func(b []byte) []byte { b[hdrB+1] = 'c'; return b }, "checksum mismatch"},
		"no marker":              {func(b []byte) []byte { return b[:len(b)-1024] }, "marker"},
		"one zero block":         {func(b []byte) []byte { return b[:len(b)-512] }, "marker"},
		"zero block then entry":  {func(b []byte) []byte { return append(append(b[:hdrB:hdrB], make([]byte, 512)...), b[hdrB:]...) }, "single zero block"},
		"zero record padding":    {func(b []byte) []byte { return append(b, make([]byte, 8192)...) }, "after the end-of-archive marker"},
		"data after marker":      {func(b []byte) []byte { return append(b, 'x') }, "after the end-of-archive marker"},
		"truncated data":         {func(b []byte) []byte { return b[:hdrB+512+3] }, "ends inside"},
		"mtime differs from one": {func(b []byte) []byte { putOctal(b[hdrB+136:hdrB+148], 5); fix(b[hdrB : hdrB+512]); return b }, "mtime"},
	}
	for name, c := range cases {
		for _, seek := range []bool{false, true} {
			_, err := read(c.edit(bytes.Clone(good)), seek)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (seek=%v): %v, want an error containing %q", name, seek, err, c.want)
			}
			var ue *Error
			var te *TruncatedError
			if err != nil && !errors.As(err, &ue) && !errors.As(err, &te) {
				t.Errorf("%s: error of type %T", name, err)
			}
		}
	}
}

func TestReaderPAX(t *testing.T) {
	// a PAX header the format writes (size ≥ 8 GiB) is exact; any other record is not
	hb, err := Encode("blobs/sha256/x", TypeReg, 1<<33, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(hb), 0)
	h, err := r.Next()
	if err != nil || h.Size != 1<<33 || h.Name != "blobs/sha256/x" {
		t.Fatalf("%v %+v", err, h)
	}
	if err := h.Exact(0); err != nil {
		t.Fatal(err)
	}
	// a "path" record on a small entry
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644, ModTime: time.Unix(0, 0), PAXRecords: map[string]string{"comment": "hi"}})
	tw.Close()
	r = NewReader(bytes.NewReader(buf.Bytes()), 0)
	h, err = r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Exact(0); err == nil || !strings.Contains(err.Error(), "PAX") {
		t.Fatalf("comment record: %v", err)
	}
}
