package pack

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cerro-torre/ct/lib/source"
)

func TestDeriveNaming(t *testing.T) {
	dg := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	root := func(ref string, tags ...string) *source.Root {
		r, err := source.Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		return &source.Root{Ref: r, Descriptor: v1.Descriptor{Digest: dg}, RepoTags: tags}
	}
	for _, c := range []struct {
		root          *source.Root
		name, version string // given
		wantN, wantV  string
		note          string // "" means no note; else a substring
	}{
		{root("localhost:5000/acme/web:1.2"), "", "", "web", "1.2", ""},
		{root("docker-archive:/x/saved.tar", "docker.io/library/nginx:1.26"), "", "", "nginx", "1.26",
			`package name "nginx" and version "1.26" come from the archive's tag`},
		{root("docker-archive:/x/saved.tar", "acme/web:2", "acme/web:latest"), "", "", "web", "2",
			"first tag acme/web:2 (of 2: acme/web:2, acme/web:latest)"},
		{root("docker-archive:/x/saved.tar", "acme/web:2"), "", "7", "web", "7", "; set --name to choose"},
		{root("docker-archive:/x/saved.tar", "acme/web:2"), "n", "7", "n", "7", ""},
		{root("docker-archive:/x/saved.tar"), "", "", "saved", "sha256-abababababab", "the file name /x/saved.tar, version \"sha256-abababababab\" from the image digest"},
		{&source.Root{Ref: &source.Ref{Given: "oci:/srv/lay:apps/web:1.0", Transport: source.TransportOCI, Path: "/srv/lay", Name: "apps/web:1.0", Tag: "1.0"}}, "", "", "web", "1.0", "the image name apps/web:1.0 in the layout, version \"1.0\" from the tag 1.0"},
		{root("oci:/srv/lay:app"), "", "", "lay", "app", `package name "lay" comes from the directory name /srv/lay, version "app" from the tag app`},
		{&source.Root{Ref: &source.Ref{Given: "oci:/srv/lay:1.26", Transport: source.TransportOCI, Path: "/srv/lay", Tag: "1.26"},
			Descriptor: v1.Descriptor{Annotations: map[string]string{"io.containerd.image.name": "docker.io/library/nginx:1.26"}}},
			"", "", "nginx", "1.26", `come from the image's io.containerd.image.name annotation docker.io/library/nginx:1.26`},
		// an annotation that disagrees with the tag asked for is not used
		{&source.Root{Ref: &source.Ref{Given: "oci:/srv/lay:2", Transport: source.TransportOCI, Path: "/srv/lay", Tag: "2"},
			Descriptor: v1.Descriptor{Annotations: map[string]string{"io.containerd.image.name": "docker.io/library/nginx:1.26"}}},
			"", "", "lay", "2", "directory name"},
	} {
		n := DeriveNaming(c.root, c.name, c.version)
		if n.Name != c.wantN || n.Version != c.wantV {
			t.Errorf("%s: got %q %q, want %q %q", c.root.Ref.Given, n.Name, n.Version, c.wantN, c.wantV)
		}
		if (c.note == "") != (n.Note == "") || !strings.Contains(n.Note, c.note) {
			t.Errorf("%s: note %q, want it to contain %q", c.root.Ref.Given, n.Note, c.note)
		}
	}
}
