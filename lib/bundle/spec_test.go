package bundle

// Tests for the rules issue 8 §4 made single and exact (bundle.md §2, §3,
// verify.md §2): limits at N and N+1, the index media types, graph depth,
// the platform and created claims, empty fields, and which failure decides.

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

func checkBytes(data []byte) error {
	_, _, err := Check(bytes.NewReader(data), "x.ctp")
	return err
}

func wantErr(t *testing.T, err error, code exit.Code, msg string) {
	t.Helper()
	if exit.CodeOf(err) != code || !strings.Contains(fmt.Sprint(err), msg) {
		t.Fatalf("got %v (code %d), want code %d with %q", err, exit.CodeOf(err), code, msg)
	}
}

// The worst summary.json a valid manifest can imply fits canonical JSON's
// 1 MiB, so summary.json needs no limit of its own (bundle.md §2).
func TestSummaryFitsCanonicalLimit(t *testing.T) {
	if MaxSummarySize != canon.MaxDocument {
		t.Fatalf("summary.json limit %d, canonical JSON limit %d", MaxSummarySize, canon.MaxDocument)
	}
	mt := strings.Repeat("a", 127) + "/" + strings.Repeat("b", 127)
	m := &Manifest{Format: 1, Package: Package{Name: strings.Repeat("n", 128), Version: strings.Repeat("v", 128)},
		Image: Image{Digest: "sha256:" + strings.Repeat("f", 64), MediaType: mt, Size: MaxBlobSize}}
	for i := 0; i < MaxBlobs; i++ {
		m.Blobs = append(m.Blobs, Blob{Digest: fmt.Sprintf("sha256:%064x", i), Size: MaxBlobSize, MediaType: mt, Role: RoleManifest})
	}
	b, err := SummaryBytes(m, bytes.Repeat([]byte("x"), MaxManifestSize))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worst summary.json: %d bytes", len(b))
	if len(b) > 963123 {
		t.Fatalf("worst summary.json is %d bytes; bundle.md §2 says at most 963,123", len(b))
	}
}

// A signature entry of exactly 16 KiB passes the bundle reader, one byte more
// is malformed (signatures.md §4.2, the one limit).
func TestSignatureEntryLimit(t *testing.T) {
	m, blobs := testImage()
	es := readEntries(t, write(t, m, blobs, WriterOptions{}))
	for _, c := range []struct {
		size int
		ok   bool
	}{{MaxSignatureSize, true}, {MaxSignatureSize + 1, false}} {
		e := append(clone(es), entry{Name: SignaturesDir, Dir: true}, entry{Name: SignaturesDir + strings.Repeat("a", 64) + ".sig", Data: bytes.Repeat([]byte("x"), c.size)})
		err := checkBytes(build(t, e))
		if c.ok && err != nil {
			t.Fatalf("%d bytes: %v", c.size, err)
		}
		if !c.ok {
			wantErr(t, err, exit.Malformed, "over the 16384-byte limit")
		}
	}
	if MaxSignatureSize != 16<<10 {
		t.Fatalf("MaxSignatureSize %d", MaxSignatureSize)
	}
}

// chain builds an image whose root is an index above n-1 more indexes above
// one manifest: the manifest is at depth n.
func chain(n int, indexType string) (*Manifest, map[string][]byte) {
	m, blobs := testImage()
	man := m.Image
	child := ociDescriptor{MediaType: man.MediaType, Digest: man.Digest, Size: man.Size}
	for i := 0; i < n; i++ {
		ix := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d}],"annotations":{"n":"%d"}}`,
			indexType, child.MediaType, child.Digest, child.Size, i))
		d := Digest(ix)
		blobs[d] = ix
		m.Blobs = append(m.Blobs, Blob{Digest: d, Size: int64(len(ix)), MediaType: indexType, Role: RoleIndex})
		child = ociDescriptor{MediaType: indexType, Digest: d, Size: int64(len(ix))}
	}
	m.Image = Image{Digest: child.Digest, MediaType: child.MediaType, Size: child.Size}
	m.SortBlobs()
	return m, blobs
}

// Depth: the root is 0; a manifest at depth 8 is accepted, at depth 9 not.
func TestGraphDepth(t *testing.T) {
	m, blobs := chain(MaxGraphDepth, mediaTypeIndex)
	if err := checkBytes(write(t, m, blobs, WriterOptions{})); err != nil {
		t.Fatalf("manifest at depth %d: %v", MaxGraphDepth, err)
	}
	m, blobs = chain(MaxGraphDepth+1, mediaTypeIndex)
	wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, "depth 9")
}

// The index media types are exactly the OCI index and the Docker list; a
// Docker list is an index (its children are walked), and anything else in
// an index's manifests is a manifest.
func TestIndexMediaTypes(t *testing.T) {
	for mt, want := range map[string]bool{
		"application/vnd.oci.image.index.v1+json":                       true,
		"application/vnd.docker.distribution.manifest.list.v2+json":     true,
		"application/vnd.oci.image.manifest.v1+json":                    false,
		"application/vnd.docker.distribution.manifest.v2+json":          false,
		"application/vnd.oci.image.index.v1+json; charset=utf-8":        false,
		"application/vnd.docker.distribution.manifest.list.v1+json":     false,
		"application/vnd.oci.artifact.manifest.v1+json":                 false,
		"application/vnd.docker.distribution.manifest.list.v2+json ":    false,
		"APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON":                       false,
		"application/vnd.docker.distribution.manifest.list.v2+json\x00": false,
	} {
		if IsIndexMediaType(mt) != want {
			t.Errorf("IsIndexMediaType(%q) = %v", mt, !want)
		}
	}
	m, blobs := chain(2, mediaTypeDockerList)
	if err := checkBytes(write(t, m, blobs, WriterOptions{})); err != nil {
		t.Fatalf("Docker manifest lists: %v", err)
	}
	// A nested index whose blob role is manifest: the position (an index
	// media type) implies role index.
	for i, b := range m.Blobs {
		if b.Role == RoleIndex && b.Digest != m.Image.Digest {
			m.Blobs[i].Role = RoleManifest
		}
	}
	wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, `references it as a index but manifest.toml says role "manifest"`)
}

func withConfig(cfg string) (*Manifest, map[string][]byte) {
	m, blobs := testImage()
	old := m.Image.Config
	delete(blobs, old)
	nd := Digest([]byte(cfg))
	blobs[nd] = []byte(cfg)
	man := blobs[m.Image.Digest]
	delete(blobs, m.Image.Digest)
	man = bytes.Replace(man, []byte(fmt.Sprintf(`"digest":"%s","size":%d`, old, len(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))),
		[]byte(fmt.Sprintf(`"digest":"%s","size":%d`, nd, len(cfg))), 1)
	md := Digest(man)
	blobs[md] = man
	for i, b := range m.Blobs {
		switch b.Digest {
		case old:
			m.Blobs[i] = Blob{Digest: nd, Size: int64(len(cfg)), MediaType: b.MediaType, Role: RoleConfig}
		case m.Image.Digest:
			m.Blobs[i] = Blob{Digest: md, Size: int64(len(man)), MediaType: b.MediaType, Role: RoleManifest}
		}
	}
	m.Image.Digest, m.Image.Size, m.Image.Config, m.Source.Digest = md, int64(len(man)), nd, md
	m.SortBlobs()
	return m, blobs
}

// image.platform and image.created are checked against the config; the
// time is the config's string exactly, fraction and offset included.
func TestClaims(t *testing.T) {
	const cfg = `{"architecture":"arm64","created":"2024-05-06T07:08:09.123456789+02:00","os":"linux","variant":"v8"}`
	good := func() (*Manifest, map[string][]byte) {
		m, blobs := withConfig(cfg)
		m.Image.Platform, m.Image.Created = "linux/arm64/v8", "2024-05-06T07:08:09.123456789+02:00"
		return m, blobs
	}
	m, blobs := good()
	if p, c, err := ImageClaims([]byte(cfg)); err != nil || p != m.Image.Platform || c != m.Image.Created {
		t.Fatalf("ImageClaims: %q %q %v", p, c, err)
	}
	data := write(t, m, blobs, WriterOptions{})
	if err := checkBytes(data); err != nil {
		t.Fatalf("fraction and offset as the config says: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Manifest)
		msg  string
	}{
		{"platform differs", func(m *Manifest) { m.Image.Platform = "linux/amd64" }, `image.platform is "linux/amd64" but the image config says "linux/arm64/v8"`},
		{"platform missing", func(m *Manifest) { m.Image.Platform = "" }, `image.platform is nothing but the image config says "linux/arm64/v8"`},
		{"created normalised to UTC", func(m *Manifest) { m.Image.Created = "2024-05-06T05:08:09Z" }, `image.created is "2024-05-06T05:08:09Z" but the image config says "2024-05-06T07:08:09.123456789+02:00"`},
		{"created missing", func(m *Manifest) { m.Image.Created = "" }, `image.created is nothing`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, blobs := good()
			c.edit(m)
			wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, c.msg)
		})
	}
	// A config without os, architecture or created: the claims are absent.
	m, blobs = withConfig(`{"rootfs":{"type":"layers","diff_ids":[]}}`)
	m.Image.Platform = ""
	if err := checkBytes(write(t, m, blobs, WriterOptions{})); err != nil {
		t.Fatalf("no claims: %v", err)
	}
	m.Image.Created = "2024-01-01T00:00:00Z"
	wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, `image.created is "2024-01-01T00:00:00Z" but the image config says nothing`)
}

// image.platforms is the root index's platform entries, attestations left out.
func TestIndexPlatformsClaim(t *testing.T) {
	m, blobs := testImage()
	man := m.Image
	ix := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"unknown","architecture":"unknown"}}]}`,
		mediaTypeIndex, man.MediaType, man.Digest, man.Size, man.MediaType, man.Digest, man.Size))
	d := Digest(ix)
	blobs[d] = ix
	m.Blobs = append(m.Blobs, Blob{Digest: d, Size: int64(len(ix)), MediaType: mediaTypeIndex, Role: RoleIndex})
	m.SortBlobs()
	m.Image = Image{Digest: d, MediaType: mediaTypeIndex, Size: int64(len(ix)), Platforms: []string{"linux/arm/v7"}}
	if err := checkBytes(write(t, m, blobs, WriterOptions{})); err != nil {
		t.Fatalf("platforms as the index says: %v", err)
	}
	m.Image.Platforms = []string{"linux/arm64"}
	wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, `image.platforms is ["linux/arm64"] but the image index lists ["linux/arm/v7"]`)
	m.Image.Platforms = []string{"linux/arm/v7", "unknown/unknown"}
	wantErr(t, checkBytes(write(t, m, blobs, WriterOptions{})), exit.Malformed, `image.platforms is ["linux/arm/v7" "unknown/unknown"]`)
}

func TestValidImageTime(t *testing.T) {
	for s, want := range map[string]bool{
		"2024-01-01T00:00:00Z":            true,
		"2024-01-01T00:00:00.5Z":          true,
		"2024-01-01T00:00:00.123456789Z":  true,
		"2024-01-01T00:00:00.1234567891Z": false, // 10 digits
		"2024-01-01T00:00:00+02:00":       true,
		"2024-01-01T00:00:00.25-05:30":    true,
		"2024-01-01T00:00:00.Z":           false,
		"2024-01-01t00:00:00Z":            false,
		"2024-01-01T00:00:00z":            false,
		"2024-01-01 00:00:00Z":            false,
		"2024-01-01T00:00:00":             false,
		"2024-01-01T00:00:00+0200":        false,
		"2024-02-30T00:00:00Z":            false,
		"2024-01-01T24:00:00Z":            false,
		"":                                false,
		"2024-01-01T00:00:00Z\n":          false,
	} {
		if ValidImageTime(s) != want {
			t.Errorf("ValidImageTime(%q) = %v", s, !want)
		}
	}
}

// Required strings are non-empty; optional fields are absent, never "".
func TestEmptyFields(t *testing.T) {
	m, blobs := testImage()
	mb := readEntries(t, write(t, m, blobs, WriterOptions{}))[0].Data
	for _, c := range []struct{ from, to, msg string }{
		{`version = "0"`, `version = ""`, "tool: name and version are required"},
		{`name = "test"`, `name = ""`, "tool: name and version are required"},
		{`reference = "oci:./x:1.0"`, `reference = ""`, "source.reference: missing"},
		{`reference = "oci:./x:1.0"` + "\n", `reference = "oci:./x:1.0"` + "\n" + `registry = ""` + "\n", `(registry = ""): a field written out empty`},
		{`platform = "linux/amd64"` + "\n", `platform = "linux/amd64"` + "\n" + `platforms = []` + "\n", `(platforms = []): a field written out empty`},
		{`[package]` + "\n", `[package]` + "\n" + `created = ""` + "\n", `(created = ""): a field written out empty`},
	} {
		if !bytes.Contains(mb, []byte(c.from)) {
			t.Fatalf("fixture lacks %q:\n%s", c.from, mb)
		}
		_, err := ParseManifest(bytes.Replace(mb, []byte(c.from), []byte(c.to), 1))
		wantErr(t, err, exit.Malformed, c.msg)
	}
}

// verify.md §2: 10 and 11 before 1, among equals the first in stream order;
// bundle.Check (ct push, ct export) decides as ct verify does.
func TestCheckDecidesLikeVerify(t *testing.T) {
	m, blobs := testImage()
	good := write(t, m, blobs, WriterOptions{})
	es := readEntries(t, good)
	layer := -1
	for i, e := range es {
		if bytes.HasPrefix(e.Data, []byte("layer two")) {
			layer = i
		}
	}
	flipLayer := func(e []entry) []entry {
		e[layer].Data = bytes.Clone(e[layer].Data)
		e[layer].Data[5] ^= 1
		return e
	}
	// A changed layer byte, then data after the end of the archive: 10.
	wantErr(t, checkBytes(append(build(t, flipLayer(clone(es))), []byte("smuggled")...)), exit.Malformed, "after the end-of-archive marker")
	// A changed layer byte, then an extra entry: 10.
	wantErr(t, checkBytes(build(t, append(flipLayer(clone(es)), entry{Name: "README", Data: []byte("x")}))), exit.Malformed, "README")
	// Two changed layers: the first in stream order.
	e := flipLayer(clone(es))
	other := -1
	for i, x := range e {
		if bytes.Equal(x.Data, blobs[m.Blobs[0].Digest]) || (i > 5 && i != layer && other < 0 && !x.Dir && strings.HasPrefix(x.Name, BlobsSHA256Dir)) {
			other = i
		}
	}
	e[other].Data = append(bytes.Clone(e[other].Data[:len(e[other].Data)-1]), e[other].Data[len(e[other].Data)-1]^1)
	first := min(other, layer)
	wantErr(t, checkBytes(build(t, e)), exit.HashMismatch, e[first].Name)
	// A changed layer and a graph that lists an unused blob: the graph (10)
	// decides, since the manifests it reads are intact.
	m2, blobs2 := testImage()
	extra := []byte("unused")
	blobs2[Digest(extra)] = extra
	m2.Blobs = append(m2.Blobs, Blob{Digest: Digest(extra), Size: int64(len(extra)), MediaType: "application/octet-stream", Role: RoleLayer})
	m2.SortBlobs()
	es2 := readEntries(t, write(t, m2, blobs2, WriterOptions{}))
	for i := range es2 {
		if bytes.HasPrefix(es2[i].Data, []byte("layer two")) {
			es2[i].Data = bytes.Clone(es2[i].Data)
			es2[i].Data[5] ^= 1
		}
	}
	wantErr(t, checkBytes(build(t, es2)), exit.Malformed, "not part of the image")
	// The image manifest changed so that it breaks the graph too: its bytes
	// are not the listed ones, the graph is not checked, 1 decides.
	es3 := clone(es)
	for i := range es3 {
		if strings.HasPrefix(es3[i].Name, BlobsSHA256Dir) && "sha256:"+strings.TrimPrefix(es3[i].Name, BlobsSHA256Dir) == m.Image.Digest {
			es3[i].Data = bytes.Replace(es3[i].Data, []byte(`"digest":"sha256:`), []byte(`"digest":"sha256:0`), 1)[:len(es3[i].Data)]
		}
	}
	wantErr(t, checkBytes(build(t, es3)), exit.HashMismatch, "content has digest")
}

// The claims read members by their exact names: "OS" is not "os".
func TestClaimsExactKeys(t *testing.T) {
	p, c, err := ImageClaims([]byte(`{"OS":"linux","Architecture":"amd64","Created":"2024-01-01T00:00:00Z"}`))
	if err != nil || p != "" || c != "" {
		t.Fatalf("%q %q %v", p, c, err)
	}
	if _, _, err := ImageClaims([]byte(`{"os":"linux","architecture":7}`)); exit.CodeOf(err) != exit.Malformed {
		t.Fatalf("non-string architecture: %v", err)
	}
	pl, err := IndexPlatforms([]byte(`{"manifests":[{"Platform":{"os":"linux","architecture":"amd64"}},{"platform":{"os":"linux","architecture":"arm64","Variant":"v8"}},{"platform":null}]}`))
	if err != nil || strings.Join(pl, ",") != "linux/arm64" {
		t.Fatalf("%v %v", pl, err)
	}
}

// Decide lets a caller that stops at its first error (ct push, ct export,
// ct import) reach the code ct verify reaches: a later structural problem
// outranks a hash mismatch.
func TestDecide(t *testing.T) {
	m, blobs := testImage()
	es := readEntries(t, write(t, m, blobs, WriterOptions{}))
	for i := range es {
		if bytes.HasPrefix(es[i].Data, []byte("layer one")) {
			es[i].Data = bytes.Clone(es[i].Data)
			es[i].Data[0] ^= 1
		}
	}
	for _, c := range []struct {
		tail []byte
		code exit.Code
	}{{nil, exit.HashMismatch}, {[]byte("smuggled"), exit.Malformed}} {
		br, err := NewReader(bytes.NewReader(append(build(t, clone(es)), c.tail...)), "x.ctp")
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, rd, err := br.NextBlob()
			if err == nil {
				_, err = io.Copy(io.Discard, rd)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if got := exit.CodeOf(br.Decide(err)); got != c.code {
					t.Fatalf("tail %q: Decide gave %d, want %d", c.tail, got, c.code)
				}
				break
			}
		}
	}
}

// summary.json is bounded by canonical JSON's 1 MiB: at N the reader goes on
// to compare it (and finds it is not canonical JSON), at N+1 it stops at the
// limit.
func TestSummaryLimit(t *testing.T) {
	m, blobs := testImage()
	es := readEntries(t, write(t, m, blobs, WriterOptions{}))
	for _, c := range []struct {
		size int
		msg  string
	}{{MaxSummarySize, "not canonical JSON"}, {MaxSummarySize + 1, "1048577 bytes, over the 1048576-byte limit"}} {
		e := clone(es)
		e[1].Data = bytes.Repeat([]byte(" "), c.size)
		wantErr(t, checkBytes(build(t, e)), exit.Malformed, c.msg)
	}
}

// The root image's config is kept for the claims: at most 4 MiB.
func TestRootConfigLimit(t *testing.T) {
	m, _ := testImage()
	for i := range m.Blobs {
		if m.Blobs[i].Digest == m.Image.Config {
			m.Blobs[i].Size = MaxMetaBlobSize
			if err := m.Validate(); err != nil {
				t.Fatalf("config of 4 MiB: %v", err)
			}
			m.Blobs[i].Size = MaxMetaBlobSize + 1
			wantErr(t, m.Validate(), exit.Malformed, "image config of 4194305 bytes is over the 4194304-byte limit")
			// A config that is not an image config is not read: no limit.
			m.Blobs[i].MediaType = "application/vnd.example.config+json"
			m.Image.Platform = ""
			if err := m.Validate(); err != nil {
				t.Fatalf("other config: %v", err)
			}
		}
	}
}

// image.platforms is compared element by element: one index entry whose
// architecture holds a comma is not two platforms.
func TestPlatformsCompareExactly(t *testing.T) {
	m := &Manifest{Image: Image{MediaType: mediaTypeIndex, Digest: "sha256:x", Platforms: []string{"linux/a", "linux/b"}}}
	meta := map[string][]byte{"sha256:x": []byte(`{"manifests":[{"platform":{"os":"linux","architecture":"a,linux/b"}}]}`)}
	wantErr(t, checkClaims(m, meta), exit.Malformed, `image.platforms is ["linux/a" "linux/b"] but the image index lists ["linux/a,linux/b"]`)
}

// Issue 8 review: the config a claim is read from reads one way, for the
// packer and the reader alike.
func TestImageClaimsStrict(t *testing.T) {
	for _, c := range []string{
		`{"os":"linux","architecture":"amd64","os":"windows"}`,
		`{"os":"linux","architecture":"amd64","OS":"windows"}`,
	} {
		if _, _, err := ImageClaims([]byte(c)); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("ImageClaims(%s) = %v, want malformed", c, err)
		}
	}
	if p, _, err := ImageClaims([]byte(`{"os":"linux","architecture":"amd64"}`)); err != nil || p != "linux/amd64" {
		t.Errorf("plain config: %q, %v", p, err)
	}
}
