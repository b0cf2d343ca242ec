package registry

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzParseArtifact: artifact manifests come from registries, i.e. from
// strangers. Any bytes in: a parsed artifact or a malformed error, never a
// panic; whatever parses is rebuilt to the same bytes.
func FuzzParseArtifact(f *testing.F) {
	good, _, err := BuildArtifact(testSubject, []byte("format = 1\n"), testSigs(), nil, time.Unix(1700000000, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	// With proof layers (registry.md §2): the generator's vectors.
	vecs, _ := filepath.Glob("../../tests/vectors/registry/*.json")
	for _, v := range vecs {
		if b, err := os.ReadFile(v); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ParseArtifact(raw, "fuzz")
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Malformed {
				t.Fatalf("code %d: %v", c, err)
			}
			return
		}
		if a.Subject.Digest == "" || a.Manifest.Digest == "" {
			t.Fatalf("parsed an artifact without subject or manifest: %+v", a)
		}
	})
}
