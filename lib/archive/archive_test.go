package archive

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/verify"
)

// makeBundle writes a minimal valid, unsigned bundle with one layer to dir
// and returns its path.
func makeBundle(t testing.TB, dir, name, layer string) string {
	t.Helper()
	return makeBundleV(t, dir, name, "1", layer)
}

// makeBundleV is makeBundle with a version; the file is dir/NAME_VERSION.ctp
// with '/' written '+'.
func makeBundleV(t testing.TB, dir, name, version, layer string) string {
	t.Helper()
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	lay := []byte(layer)
	const mtManifest = "application/vnd.oci.image.manifest.v1+json"
	const mtConfig = "application/vnd.oci.image.config.v1+json"
	const mtLayer = "application/vnd.oci.image.layer.v1.tar"
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mtManifest,
		"config": map[string]any{"mediaType": mtConfig, "digest": Digest(cfg), "size": len(cfg)},
		"layers": []any{map[string]any{"mediaType": mtLayer, "digest": Digest(lay), "size": len(lay)}}})
	blobs := map[string][]byte{Digest(cfg): cfg, Digest(lay): lay, Digest(man): man}
	m := &bundle.Manifest{Format: 1,
		Package: bundle.Package{Name: name, Version: version},
		Source:  bundle.Source{Reference: "oci:x:" + name, Transport: "oci", Digest: Digest(man)},
		Image:   bundle.Image{Digest: Digest(man), MediaType: mtManifest, Size: int64(len(man)), Config: Digest(cfg), Platform: "linux/amd64"},
		Tool:    bundle.Tool{Name: "test", Version: "1"},
		Blobs: []bundle.Blob{
			{Digest: Digest(cfg), Size: int64(len(cfg)), MediaType: mtConfig, Role: bundle.RoleConfig},
			{Digest: Digest(lay), Size: int64(len(lay)), MediaType: mtLayer, Role: bundle.RoleLayer},
			{Digest: Digest(man), Size: int64(len(man)), MediaType: mtManifest, Role: bundle.RoleManifest},
		}}
	m.SortBlobs()
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Blobs {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".ctp")
	if version != "1" || strings.Contains(name, "/") {
		p = filepath.Join(dir, strings.ReplaceAll(name, "/", "+")+"_"+version+".ctp")
	}
	if len(filepath.Base(p)) > 200 {
		p = filepath.Join(dir, Digest([]byte(name + ":" + version))[7:23]+".ctp")
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type entry struct {
	h    *tar.Header
	data []byte
}

func entries(t *testing.T, b []byte) []entry {
	tr := tar.NewReader(bytes.NewReader(b))
	var out []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		out = append(out, entry{h, d})
	}
}

func rewrite(t *testing.T, es []entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	return buf.Bytes()
}

func TestExportStageImport(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "shared layer")
	b := makeBundle(t, dir, "b", "shared layer") // same layer and config: shared blobs
	var out bytes.Buffer
	res, err := Export([]string{a, b, a}, ExportOptions{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bundles != 2 || res.Blobs != 3 { // the same image under two names: every blob shared
		t.Fatalf("bundles %d blobs %d, want 2 and 3", res.Bundles, res.Blobs)
	}
	var again bytes.Buffer
	if _, err := Export([]string{b, a}, ExportOptions{}, &again); err != nil || !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Fatalf("not deterministic (%v)", err)
	}
	var z1, z2 bytes.Buffer
	Export([]string{a, b}, ExportOptions{Zstd: true}, &z1)
	Export([]string{a, b}, ExportOptions{Zstd: true}, &z2)
	if !bytes.Equal(z1.Bytes(), z2.Bytes()) || !bytes.HasPrefix(z1.Bytes(), zstdMagic) {
		t.Fatal("zstd output not deterministic")
	}
	for name, data := range map[string][]byte{"plain": out.Bytes(), "zstd": z1.Bytes()} {
		st, err := Stage(bytes.NewReader(data), name, t.TempDir())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(st.Items) != 2 {
			t.Fatalf("%s: %d items", name, len(st.Items))
		}
	}
	// Import: unsigned bundles fail verification (2) and nothing is installed.
	arch := filepath.Join(dir, "x.tar")
	os.WriteFile(arch, out.Bytes(), 0o644)
	dest := filepath.Join(dir, "dest")
	_, err = Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: dest}, Verify: true, Trust: verify.Options{}, Log: io.Discard})
	if exit.CodeOf(err) != exit.SignatureInvalid {
		t.Fatalf("code %d, want 2: %v", exit.CodeOf(err), err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("destination written although verification failed")
	}
	// Without verification the bundles come back byte for byte.
	rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: dest}, Verify: false, Log: io.Discard})
	if err != nil || rep.Installed != 2 {
		t.Fatalf("installed %d: %v", rep.Installed, err)
	}
	for _, n := range []string{"a", "b"} {
		want, _ := os.ReadFile(filepath.Join(dir, n+".ctp"))
		got, _ := os.ReadFile(filepath.Join(dest, n+"_1.ctp"))
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: not byte-identical", n)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*ct-import*"))
	if len(left) > 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

func TestStageRejects(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	var out bytes.Buffer
	if _, err := Export([]string{a}, ExportOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	es := entries(t, out.Bytes())
	last := len(es) - 1
	clone := func() []entry {
		c := make([]entry, len(es))
		for i, e := range es {
			h := *e.h
			c[i] = entry{&h, append([]byte(nil), e.data...)}
		}
		return c
	}
	cases := map[string]struct {
		mut  func([]entry) []entry
		code exit.Code
	}{
		"extra entry": {func(c []entry) []entry {
			return append(c, entry{header("evil", 1), []byte("x")})
		}, exit.Malformed},
		"duplicate blob": {func(c []entry) []entry { return append(c, c[last]) }, exit.Malformed},
		"symlink": {func(c []entry) []entry {
			c[last].h.Typeflag, c[last].h.Linkname, c[last].h.Size, c[last].data = tar.TypeSymlink, "/etc/passwd", 0, nil
			return c
		}, exit.Malformed},
		"unsafe name": {func(c []entry) []entry { c[1].h.Name = "../x"; return c }, exit.Malformed},
		"directory": {func(c []entry) []entry {
			return append(c[:1], append([]entry{{&tar.Header{Typeflag: tar.TypeDir, Name: "bundles/", Mode: 0o755}, nil}}, c[1:]...)...)
		}, exit.Malformed},
		"blob larger than index": {func(c []entry) []entry {
			c[last].data = append(c[last].data, 'x')
			c[last].h.Size++
			return c
		}, exit.HashMismatch},
		"flipped blob byte": {func(c []entry) []entry { c[last].data[0] ^= 1; return c }, exit.HashMismatch},
		"missing blob":      {func(c []entry) []entry { return c[:last] }, exit.Malformed},
		"out of order":      {func(c []entry) []entry { c[last], c[last-1] = c[last-1], c[last]; return c }, exit.Malformed},
		"owner":             {func(c []entry) []entry { c[1].h.Uid = 1000; return c }, exit.Malformed},
		"mode":              {func(c []entry) []entry { c[1].h.Mode = 0o755; return c }, exit.Malformed},
		"manifest changed": {func(c []entry) []entry {
			c[1].data = bytes.Replace(c[1].data, []byte(`version = "1"`), []byte(`version = "2"`), 1)
			return c
		}, exit.HashMismatch},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			data := rewrite(t, tc.mut(clone()))
			sd := t.TempDir()
			_, err := Stage(bytes.NewReader(data), "x.tar", sd)
			if exit.CodeOf(err) != tc.code {
				t.Fatalf("code %d, want %d: %v", exit.CodeOf(err), tc.code, err)
			}
			if strings.Contains(name, "symlink") || strings.Contains(name, "unsafe") {
				if _, err := os.Lstat(filepath.Join(sd, "..", "x")); err == nil {
					t.Fatal("wrote outside the staging folder")
				}
			}
		})
	}
	// trailing garbage after the archive
	data := append(append([]byte(nil), out.Bytes()...), []byte("smuggled")...)
	if _, err := Stage(bytes.NewReader(data), "x.tar", t.TempDir()); exit.CodeOf(err) != exit.Malformed {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestDeltaExport(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", "layer a")
	b := makeBundle(t, dir, "b", "layer b")
	base := filepath.Join(dir, "base.tar")
	f, _ := os.Create(base)
	if _, err := Export([]string{a}, ExportOptions{}, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out bytes.Buffer
	res, err := Export([]string{a, b}, ExportOptions{Since: base}, &out)
	if err != nil {
		t.Fatal(err)
	}
	// b shares a's config; its layer and manifest are new.
	if res.Bundles != 1 || res.Skipped != 1 || res.Blobs != 2 || res.OmittedBlobs != 1 {
		t.Fatalf("%+v", res)
	}
	st, err := Stage(bytes.NewReader(out.Bytes()), "delta", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if st.Index.Base == "" {
		t.Fatal("no base")
	}
	// onto an empty destination: refused with the bundle named
	delta := filepath.Join(dir, "delta.tar")
	os.WriteFile(delta, out.Bytes(), 0o644)
	_, err = Import(ImportOptions{Inputs: []string{delta}, Dest: &DirDest{Path: filepath.Join(dir, "e")}, Log: io.Discard})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "b:1 (1 of 3 blobs)") {
		t.Fatalf("%v", err)
	}
	// onto the base: complete
	d := filepath.Join(dir, "d")
	if _, err := Import(ImportOptions{Inputs: []string{base}, Dest: &DirDest{Path: d}, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ImportOptions{Inputs: []string{delta}, Dest: &DirDest{Path: d}, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(b)
	got, _ := os.ReadFile(filepath.Join(d, "b_1.ctp"))
	if !bytes.Equal(got, want) {
		t.Fatal("delta import not byte-identical")
	}
}

func TestCanonicalSize(t *testing.T) {
	dir := t.TempDir()
	a := makeBundle(t, dir, "a", strings.Repeat("layer ", 300))
	f, _ := os.Open(a)
	defer f.Close()
	it, err := OpenBundle(f, a)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if n, ok := CanonicalSize(it.Manifest, it.ManifestBytes, nil, nil); !ok || n != fi.Size() {
		t.Fatalf("CanonicalSize %d, file %d", n, fi.Size())
	}
	// zero padding after the end-of-archive marker is not the writer's
	// encoding: export refuses it, as verify and import do (bundle.md §1)
	padded := filepath.Join(dir, "padded.ctp")
	b, _ := os.ReadFile(a)
	os.WriteFile(padded, append(b, make([]byte, 8192)...), 0o644)
	var out bytes.Buffer
	_, err = Export([]string{padded}, ExportOptions{}, &out)
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "after the end-of-archive marker") {
		t.Fatalf("padded bundle: %v", err)
	}
}
