package archive

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	d3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	fp = "9c6e08c0f2b4586d09916a4d6a0760f8d7d87d48e57907495f6ead5c5c93c8fa"
)

func sample() *Index {
	return &Index{Format: 1, Policy: "policy.json",
		Bundles: []IndexBundle{
			{Name: "multi", Version: "multi", ManifestDigest: d1, ImageDigest: d2, MTime: 0, Size: 16384, Signatures: []string{"signatures/" + fp + ".sig"}},
			{Name: "web", Version: "2", ManifestDigest: d2, ImageDigest: d2, MTime: 1700000000, Size: 16384},
		},
		Blobs: []IndexBlob{{Digest: d1, Size: 10, Present: true}, {Digest: d3, Size: 0, Present: true}},
		Keys:  []IndexKey{{ID: "alice", Suite: "CT-SIG-01", Fingerprint: fp}},
	}
}

func TestIndexRoundTrip(t *testing.T) {
	b, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseIndex(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	again, _ := x.Encode()
	if string(again) != string(b) {
		t.Fatalf("not stable:\n%s\n%s", b, again)
	}
	if !strings.HasPrefix(string(b), "format = 1\npolicy = \"policy.json\"\n") {
		t.Fatalf("unexpected layout:\n%s", b)
	}
	if _, ok := x.Blob(d3); !ok {
		t.Fatal("Blob lookup")
	}
	if _, ok := x.Blob(d2); ok {
		t.Fatal("Blob lookup of an absent digest")
	}
}

func TestIndexRejects(t *testing.T) {
	good, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	cases := map[string]string{
		"unknown field":    strings.Replace(s, "format = 1\n", "extra = 1\nformat = 1\n", 1),
		"not canonical":    strings.Replace(s, "format = 1", "format =  1", 1),
		"format 2":         strings.Replace(s, "format = 1", "format = 2", 1),
		"absent, no base":  strings.Replace(s, "present = true", "present = false", 1),
		"bad digest":       strings.Replace(s, d3, "sha256:XYZ", 1),
		"bad name":         strings.Replace(s, `name = "web"`, `name = "Web"`, 1),
		"bad signature":    strings.Replace(s, "signatures/"+fp, "signatures/../"+fp[3:], 1),
		"bad policy":       strings.Replace(s, `policy = "policy.json"`, `policy = "other.json"`, 1),
		"unknown suite":    strings.Replace(s, "CT-SIG-01", "CT-SIG-99", 1),
		"negative size":    strings.Replace(s, "size = 10\n", "size = -1\n", 1),
		"empty":            "",
		"garbage":          "not toml at all [",
		"no bundles":       "format = 1\n",
		"unsorted bundles": swap(s, d1, d2, "manifest_digest"),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if in == s {
				t.Fatal("case does not change the input")
			}
			_, err := ParseIndex([]byte(in))
			if err == nil {
				t.Fatalf("accepted:\n%s", in)
			}
			if exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("code %d, want 10: %v", exit.CodeOf(err), err)
			}
		})
	}
}

// swap exchanges the values of two occurrences of key.
func swap(s, a, b, key string) string {
	s = strings.Replace(s, key+` = "`+a+`"`, key+` = "TMP"`, 1)
	s = strings.Replace(s, key+` = "`+b+`"`, key+` = "`+a+`"`, 1)
	return strings.Replace(s, key+` = "TMP"`, key+` = "`+b+`"`, 1)
}

func TestIndexLimits(t *testing.T) {
	x := sample()
	x.Keys = nil
	for i := 0; i <= MaxBlobs; i++ {
		x.Blobs = append(x.Blobs, IndexBlob{Digest: "sha256:f" + strings.Repeat("0", 59) + hex4(i), Size: 1, Present: true})
	}
	if err := x.Validate(); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over MaxBlobs: %v", err)
	}
	big := make([]byte, MaxIndexSize+1)
	if _, err := ParseIndex(big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over MaxIndexSize: %v", err)
	}
}

func hex4(i int) string {
	const h = "0123456789abcdef"
	return string([]byte{h[i>>12&15], h[i>>8&15], h[i>>4&15], h[i&15]})
}

func TestParseDestination(t *testing.T) {
	for in, want := range map[string]exit.Code{"dir:x": 0, "oci:/a/b": 0, "docker-archive:f.tar": 0,
		"docker://reg/mirror": 0, "docker://reg": exit.Usage, "x": exit.Usage, "dir:": exit.Usage, "s3:b": exit.Usage} {
		_, err := ParseDestination(in)
		if exit.CodeOf(err) != want {
			t.Errorf("%s: code %d, want %d (%v)", in, exit.CodeOf(err), want, err)
		}
	}
	d, err := ParseDestination("docker://localhost:5000/mirror/")
	if r, ok := d.(*RegistryDest); err != nil || !ok || r.Repo != "localhost:5000/mirror" {
		t.Errorf("docker://: %#v %v", d, err)
	}
}
