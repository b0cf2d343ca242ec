package registry

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

var testSubject = Descriptor{MediaType: OCIManifestMediaType, Digest: "sha256:" + strings.Repeat("ab", 32), Size: 1234}

func testSigs() []bundle.Entry {
	return []bundle.Entry{
		{Name: "signatures/" + strings.Repeat("b", 64) + ".sig", Data: []byte("sig b")},
		{Name: "signatures/" + strings.Repeat("a", 64) + ".sig", Data: []byte("sig a")},
	}
}

func TestBuildArtifactDeterministic(t *testing.T) {
	mt := []byte("format = 1\n")
	a1, _, err := BuildArtifact(testSubject, mt, testSigs(), nil, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	rev := testSigs()
	rev[0], rev[1] = rev[1], rev[0]
	a2, _, err := BuildArtifact(testSubject, mt, rev, nil, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a1, a2) {
		t.Fatalf("signature order changed the bytes:\n%s\n%s", a1, a2)
	}
	want := `{"annotations":{"dev.cerro-torre.bundle.mtime":"1700000000"},"artifactType":"application/vnd.cerro-torre.bundle.v1",` +
		`"config":{"digest":"` + EmptyDigest + `","mediaType":"application/vnd.oci.empty.v1+json","size":2},"layers":[` +
		`{"annotations":{"org.opencontainers.image.title":"manifest.toml"},"digest":"` + bundle.Digest(mt) + `","mediaType":"application/vnd.cerro-torre.manifest.v1+toml","size":11},` +
		`{"annotations":{"org.opencontainers.image.title":"` + strings.Repeat("a", 64) + `.sig"},"digest":"` + bundle.Digest([]byte("sig a")) + `","mediaType":"application/vnd.cerro-torre.signature.v1+toml","size":5},` +
		`{"annotations":{"org.opencontainers.image.title":"` + strings.Repeat("b", 64) + `.sig"},"digest":"` + bundle.Digest([]byte("sig b")) + `","mediaType":"application/vnd.cerro-torre.signature.v1+toml","size":5}],` +
		`"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2,` +
		`"subject":{"digest":"` + testSubject.Digest + `","mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234}}`
	if string(a1) != want {
		t.Fatalf("artifact bytes:\n got %s\nwant %s", a1, want)
	}
	if bundle.Digest(EmptyConfig) != EmptyDigest {
		t.Fatal("EmptyDigest is not the digest of {}")
	}
	a, err := ParseArtifact(a1, "test")
	if err != nil {
		t.Fatal(err)
	}
	if a.Subject.Digest != testSubject.Digest || a.Subject.Size != testSubject.Size || a.ModTime.Unix() != 1700000000 || len(a.Signatures) != 2 ||
		a.Signatures[0].Name != "signatures/"+strings.Repeat("a", 64)+".sig" || a.Manifest.Digest != bundle.Digest(mt) {
		t.Fatalf("parsed %+v", a)
	}
}

func TestParseArtifactStrict(t *testing.T) {
	good, _, err := BuildArtifact(testSubject, []byte("format = 1\n"), testSigs(), nil, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	sigA := strings.Repeat("a", 64) + ".sig"
	big := `{"annotations":{"org.opencontainers.image.title":"` + sigA + `"},"digest":"` + bundle.Digest([]byte("sig a")) + `","mediaType":"application/vnd.cerro-torre.signature.v1+toml","size":5}`
	cases := map[string]string{
		"unknown field":       strings.Replace(s, `"schemaVersion":2`, `"schemaVersion":2,"x":1`, 1),
		"unknown layer type":  strings.Replace(s, "signature.v1+toml", "signature.v2+toml", 1),
		"wrong artifact type": strings.Replace(s, "bundle.v1\"", "bundle.v2\"", 1),
		"not canonical":       " " + s,
		"unsorted signatures": strings.Replace(s, strings.Repeat("a", 64), strings.Repeat("z", 64), 1),
		"oversize signature":  strings.Replace(s, `"size":5}`, `"size":1048577}`, 1),
		"oversize manifest":   strings.Replace(s, `"size":11}`, `"size":1048577}`, 1),
		"path in title":       strings.Replace(s, sigA, "../"+sigA, 1),
		"no subject":          strings.Replace(s, `,"subject":{"digest":"`+testSubject.Digest+`","mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234}`, "", 1),
		"extra annotation":    strings.Replace(s, `{"dev.cerro-torre.bundle.mtime":"0"}`, `{"created":"now","dev.cerro-torre.bundle.mtime":"0"}`, 1),
		"bad mtime":           strings.Replace(s, `"dev.cerro-torre.bundle.mtime":"0"`, `"dev.cerro-torre.bundle.mtime":"-1"`, 1),
		"manifest not first":  strings.Replace(s, "manifest.toml", "other.toml", 1),
		"too many layers":     strings.Replace(s, big, strings.TrimSuffix(strings.Repeat(big+",", 300), ","), 1),
		"config not empty":    strings.Replace(s, `"size":2}`, `"size":3}`, 1),
		"not json":            "not json",
	}
	for name, raw := range cases {
		if raw == s {
			t.Fatalf("%s: case did not change the artifact", name)
		}
		_, err := ParseArtifact([]byte(raw), "test")
		if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: got %v, want a malformed error", name, err)
		}
	}
}

func TestBuildArtifactRejectsBadNames(t *testing.T) {
	_, _, err := BuildArtifact(testSubject, []byte("x"), []bundle.Entry{{Name: "signatures/a/b.sig", Data: []byte("x")}}, nil, time.Unix(0, 0))
	if err == nil {
		t.Fatal("a signature name with a slash was accepted")
	}
}

func TestPostOrder(t *testing.T) {
	meta := map[string][]byte{
		"root":  []byte(`{"manifests":[{"digest":"child"},{"digest":"m1"}]}`),
		"child": []byte(`{"manifests":[{"digest":"m1"},{"digest":"m2"}]}`),
		"m1":    []byte(`{"config":{"digest":"c"}}`),
		"m2":    []byte(`{"config":{"digest":"c"}}`),
	}
	var out []string
	if err := postOrder("root", meta, map[string]bool{}, &out, 0); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out, ","); got != "m1,m2,child,root" {
		t.Fatalf("order %s", got)
	}
}
