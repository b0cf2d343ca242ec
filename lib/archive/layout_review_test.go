package archive

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An oci: import merges into the layout at PATH keeping its index entries
// unless a NAME:VERSION replaces them (archive.md §6). Listing attestations
// and copied artifacts once must not drop the old layout's own untagged
// entries that share a digest (here two, with different annotations), nor
// the members of an entry ct does not write itself (artifactType, urls,
// data).
func TestBuildLayoutKeepsOldUntaggedEntries(t *testing.T) {
	old := t.TempDir()
	if err := os.MkdirAll(filepath.Join(old, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("ab", 32)
	ix := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d + `","size":10,"annotations":{"org.opencontainers.image.ref.name":"a:1"}},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d + `","size":10,"annotations":{"com.example.note":"one"}},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d + `","size":10,"annotations":{"com.example.note":"two"},"artifactType":"application/vnd.example+json","urls":["https://example.com/x"],"data":"e30="}]}`
	for name, data := range map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": ix} {
		if err := os.WriteFile(filepath.Join(old, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "new")
	if err := buildLayout(dir, nil, old); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got ociIndex
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, m := range got.Manifests {
		notes = append(notes, m.Annotations["org.opencontainers.image.ref.name"]+m.Annotations["com.example.note"])
	}
	if strings.Join(notes, ",") != "a:1,one,two" {
		t.Fatalf("entries %v, want the old layout's three", notes)
	}
	// and each as it was, with the members another tool wrote
	if !strings.Contains(string(b), `"artifactType":"application/vnd.example+json","urls":["https://example.com/x"],"data":"e30="}`) {
		t.Fatalf("index.json %s lost members of an entry", b)
	}
}
