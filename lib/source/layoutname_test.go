package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// ct import --to oci: tags each image NAME:VERSION (NAME may hold '/');
// skopeo reads oci:DIR:REF with REF after the first ':'. ct reads both
// its own output and layouts in directories whose names hold ':'.
func TestLayoutNames(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "lay")
	img := testImage(t, "amd64", "")
	p := writeLayout(t, dir, img, nil)
	for _, n := range []string{"apps/web:1.0", "web:2.0", "x/y"} {
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: n})); err != nil {
			t.Fatal(err)
		}
	}
	colon := filepath.Join(tmp, "c:x", "lay")
	if err := os.MkdirAll(filepath.Dir(colon), 0o755); err != nil {
		t.Fatal(err)
	}
	writeLayout(t, colon, img, nil)
	tarDir(t, dir, filepath.Join(tmp, "lay.tar"))
	want := mustDigest(t, img).String()

	for _, c := range []struct{ src, path, name, tag string }{
		{"oci:" + dir + ":apps/web:1.0", dir, "apps/web:1.0", "1.0"},
		{"oci:" + dir + ":web:2.0", dir, "web:2.0", "2.0"},
		{"oci:" + dir + ":x/y", dir, "x/y", ""},
		{"oci:" + dir + ":v1", dir, "", "v1"},
		{"oci:" + colon + ":v1", colon, "", "v1"},
		{"oci:" + dir + ":apps/web:1.0@" + want, dir, "apps/web:1.0", "1.0"},
		{"oci-archive:" + filepath.Join(tmp, "lay.tar") + ":apps/web:1.0", filepath.Join(tmp, "lay.tar"), "apps/web:1.0", "1.0"},
	} {
		root := mustOpen(t, c.src)
		if r := root.Ref; r.Path != c.path || r.Name != c.name || r.Tag != c.tag {
			t.Errorf("%s: path %q name %q tag %q, want %q %q %q", c.src, r.Path, r.Name, r.Tag, c.path, c.name, c.tag)
		}
		if root.Descriptor.Digest.String() != want {
			t.Errorf("%s: %s, want %s", c.src, root.Descriptor.Digest, want)
		}
		// The resolved reference names the same image again.
		if again := mustOpen(t, root.Ref.String()); again.Descriptor.Digest.String() != want {
			t.Errorf("%s: String() %s opens %s", c.src, root.Ref.String(), again.Descriptor.Digest)
		}
	}
	openErr(t, "oci:"+dir+":apps/web:9", 11, "no image tagged apps/web:9")
	openErr(t, "oci:"+filepath.Join(tmp, "none")+":apps/web:1.0", 11, "no such directory")
}

func TestLayoutNameParse(t *testing.T) {
	for _, c := range []struct{ in, path, name, tag string }{
		// Without the disk, the longest path wins (as before names).
		{"oci:/srv/l:apps/web:1.0", "/srv/l:apps/web", "", "1.0"},
		{"oci:/srv/l:x/y", "/srv/l:x/y", "", ""},
		{"oci:l:a--b.c+d:e", "l:a--b.c+d", "", "e"},
		{"oci:l:a--b.c+d", "l", "a--b.c+d", ""},
	} {
		r, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if r.Path != c.path || r.Name != c.name || r.Tag != c.tag {
			t.Errorf("%s: path %q name %q tag %q, want %q %q %q", c.in, r.Path, r.Name, r.Tag, c.path, c.name, c.tag)
		}
		if r.String() != c.in {
			t.Errorf("%s: String() = %s", c.in, r.String())
		}
	}
	for _, bad := range []string{"oci:l:bad tag", "oci:l:-x", "oci:l:a:"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

// Names from a layout shown in an error are escaped: a hostile layout cannot
// drive the terminal the error is printed on.
func TestLayoutNamesEscaped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lay")
	img := testImage(t, "amd64", "")
	p := writeLayout(t, dir, img, nil)
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: "ok\x1b[2K\x1b[32mtrusted"})); err != nil {
		t.Fatal(err)
	}
	err := openErr(t, "oci:"+dir+":nope", 11, "no image tagged nope")
	msg := err.Error() + exit.HintOf(err)
	if strings.Contains(msg, "\x1b") || !strings.Contains(msg, `ok\x1b[2K\x1b[32mtrusted`) {
		t.Errorf("hint not escaped: %q", msg)
	}
}
