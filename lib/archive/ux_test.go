package archive

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cerro-torre/ct/lib/exit"
)

func indexOf(ps ...string) *v1.IndexManifest {
	im := &v1.IndexManifest{SchemaVersion: 2}
	for i, p := range ps {
		pl, _ := ParsePlatform(p)
		h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(string(rune('a'+i)), 64)}
		im.Manifests = append(im.Manifests, v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: h, Platform: pl})
	}
	return im
}

func TestChoosePlatform(t *testing.T) {
	host := HostPlatform()
	hostS := host.OS + "/" + host.Architecture
	other := "plan9/mips"
	cases := []struct {
		name    string
		index   []string
		want    string // --platform, "" for the default
		pick    int    // index of the chosen descriptor, -1 for an error
		errPart string
	}{
		{"explicit", []string{"linux/amd64", "linux/arm64/v8"}, "linux/arm64", 1, ""},
		{"explicit variant", []string{"linux/arm/v6", "linux/arm/v7"}, "linux/arm/v7", 1, ""},
		{"variant mismatch", []string{"linux/arm/v6"}, "linux/arm/v7", -1, "no image for --platform linux/arm/v7; the bundle has linux/arm/v6"},
		{"no match names all", []string{"linux/amd64", "linux/arm64/v8"}, "linux/s390x", -1, "the bundle has linux/amd64, linux/arm64/v8"},
		{"host by default", []string{other, hostS}, "", 1, ""},
		{"only one otherwise", []string{other}, "", 0, ""},
		{"attestations never count", []string{"unknown/unknown", other}, "", 1, ""},
		{"two others: ask", []string{other, "plan9/386"}, "", -1, "choose one with --platform"},
		{"attestations only", []string{"unknown/unknown"}, "", -1, "no platform image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := indexOf(c.index...)
			var want *v1.Platform
			if c.want != "" {
				want, _ = ParsePlatform(c.want)
			}
			d, err := choosePlatform(im, want, "x:1")
			if c.pick < 0 {
				if err == nil || exit.CodeOf(err) != exit.Usage {
					t.Fatalf("want a usage error, got %v", err)
				}
				msg := err.Error() + " " + err.(*exit.Error).Hint
				if !strings.Contains(msg, c.errPart) || strings.Count(msg, "x:1") != 1 {
					t.Fatalf("error %q: want %q and the bundle named once", msg, c.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest != im.Manifests[c.pick].Digest {
				t.Fatalf("chose %s, want %s", platformString(d.Platform), c.index[c.pick])
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for _, s := range []string{"linux", "linux/", "/amd64", "linux/arm/", "a/b/c/d", ""} {
		if _, err := ParsePlatform(s); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%q: want a usage error, got %v", s, err)
		}
	}
	p, err := ParsePlatform("linux/arm64/v8")
	if err != nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	b := makeBundle(t, dir, "a", "layer a")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), b)
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("notes\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		path    string
		force   bool
		exists  bool
		errPart string
	}{
		{filepath.Join(dir, "new.tar"), false, false, ""},
		{arch, false, true, ""},
		{empty, false, false, ""}, // replaced, not compared: ct export -o EMPTY was refused after the export
		{b, false, false, "is a bundle (.ctp), not an archive"},
		{txt, false, false, "is a file that is not a ct archive"},
		{b, true, true, ""},
		{dir, true, false, "the output is a folder"},
	} {
		exists, err := CheckOutput(c.path, c.force)
		if c.errPart != "" {
			if err == nil || exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("%s: want usage error %q, got %v", c.path, c.errPart, err)
			}
			continue
		}
		if err != nil || exists != c.exists {
			t.Errorf("%s: exists %v err %v, want %v", c.path, exists, err, c.exists)
		}
	}
	if same, err := SameContent(arch, exportTo(t, filepath.Join(dir, "again.tar"), b)); !same || err != nil {
		t.Fatalf("the same archive twice differs: %v", err)
	}
	c := makeBundle(t, dir, "c", "layer c")
	if same, _ := SameContent(arch, exportTo(t, filepath.Join(dir, "c.tar"), c)); same {
		t.Fatal("two different archives compare equal")
	}
}

// A delta imported alone into a destination that keeps no bundle blobs
// says why and what to do; with its base among the inputs it imports, into
// every destination kind, and --dry-run writes nothing at all.
func TestDeltaWithBaseAndDryRun(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "shared layer"), k)
	b := signFile(t, makeBundle(t, dir, "b", "shared layer"), k) // same layer and config as a
	base := exportTo(t, filepath.Join(dir, "base.tar"), a)
	var out bytes.Buffer
	if _, err := Export([]string{a, b}, ExportOptions{Since: base}, &out); err != nil {
		t.Fatal(err)
	}
	delta := filepath.Join(dir, "delta.tar")
	os.WriteFile(delta, out.Bytes(), 0o644)

	da := &DockerArchiveDest{Path: filepath.Join(dir, "img.tar")}
	_, err := Import(ImportOptions{Inputs: []string{delta}, Dest: da, Verify: true, Trust: trusting(k), Log: io.Discard})
	ee, ok := err.(*exit.Error)
	if !ok || ee.Code != exit.IO || !strings.Contains(ee.Msg, "a delta cannot be imported alone into docker-archive:") ||
		!strings.Contains(ee.Msg, "b:1 (3 of 3 blobs)") || !strings.Contains(ee.Hint, "ct import BASE.tar DELTA.tar --to docker-archive:") {
		t.Fatalf("delta alone: %#v", err)
	}
	if _, err := os.Stat(da.Path); !os.IsNotExist(err) {
		t.Fatal("a refused import left the destination")
	}
	// dry run, no destination: the same check, on the inputs
	_, err = Import(ImportOptions{Inputs: []string{delta}, DryRun: true, Verify: true, Trust: trusting(k), Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "the inputs lack 3 blobs") {
		t.Fatalf("dry run of a delta alone: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	before := len(ents)
	rep, err := Import(ImportOptions{Inputs: []string{base, delta}, Dest: &OCIDest{Path: filepath.Join(dir, "dry")}, DryRun: true,
		Verify: true, Trust: trusting(k), Log: io.Discard})
	if err != nil || !rep.DryRun || rep.Installed != 0 || len(rep.Bundles) != 2 {
		t.Fatalf("dry run with its base: %+v %v", rep, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != before {
		t.Fatalf("a dry run wrote beside the destination: %d entries, was %d", len(ents), before)
	}
	for _, d := range []Destination{da, &DirDest{Path: filepath.Join(dir, "d")}, &OCIDest{Path: filepath.Join(dir, "l")}} {
		rep, err := Import(ImportOptions{Inputs: []string{base, delta}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
		if err != nil || rep.Installed != 2 {
			t.Fatalf("%s: base and delta together: %v", d, err)
		}
	}
	tags, err := DockerArchiveTags(da.Path)
	if err != nil || strings.Join(tags, ",") != "a:1,b:1" {
		t.Fatalf("docker-archive tags %v %v", tags, err)
	}
	// merging: another import keeps a:1 and b:1
	c := signFile(t, makeBundle(t, dir, "c", "layer c"), k)
	if _, err := Import(ImportOptions{Inputs: []string{c}, Dest: da, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := DockerArchiveTags(da.Path); strings.Join(tags, ",") != "a:1,b:1,c:1" {
		t.Fatalf("after merging: %v", tags)
	}
	// the report's JSON: schema string, no null lists
	js, _ := json.Marshal(rep)
	if !bytes.HasPrefix(js, []byte(`{"schema":"ct.import/1",`)) || bytes.Contains(js, []byte("null")) {
		t.Fatalf("report JSON: %s", js)
	}
}

func TestConfigureDestination(t *testing.T) {
	for _, c := range []struct {
		to   string
		o    DestinationOptions
		fail string
	}{
		{"oci:/x", DestinationOptions{Platform: "linux/amd64"}, "keeps each bundle's whole signed index"},
		{"dir:/x", DestinationOptions{Force: true}, "--force applies to a docker-archive: destination only"},
		{"docker-archive:/x.tar", DestinationOptions{Platform: "linux"}, "is not OS/ARCH"},
		{"docker-archive:/x.tar", DestinationOptions{Platform: "linux/arm64", Force: true}, ""},
	} {
		d, err := ParseDestination(c.to)
		if err != nil {
			t.Fatal(err)
		}
		err = ConfigureDestination(d, c.o)
		if c.fail == "" {
			if err != nil {
				t.Errorf("%s: %v", c.to, err)
			}
			continue
		}
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), c.fail) {
			t.Errorf("%s %+v: want %q, got %v", c.to, c.o, c.fail, err)
		}
	}
}

// The report of an import that fails before any bundle is judged still
// carries the failure's code, never "0".
func TestImportReportEarlyFailure(t *testing.T) {
	dir := t.TempDir()
	rep, err := Import(ImportOptions{Inputs: []string{filepath.Join(dir, "nowhere.tar")}, Dest: &DirDest{Path: filepath.Join(dir, "d")},
		Verify: true, Log: io.Discard})
	if exit.CodeOf(err) != exit.IO || rep == nil || rep.Code != int(exit.IO) || rep.Verdict == "ok" || rep.Verdict == "" {
		t.Fatalf("err %v, report %+v", err, rep)
	}
}

// --platform that names another platform than a single-image bundle's is
// refused, not ignored.
func TestDockerArchivePlatformSingleImage(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k) // linux/amd64
	for _, c := range []struct {
		platform string
		ok       bool
	}{{"linux/arm64", false}, {"linux/amd64", true}} {
		p, _ := ParsePlatform(c.platform)
		d := &DockerArchiveDest{Path: filepath.Join(dir, strings.ReplaceAll(c.platform, "/", "-")+".tar"), Platform: p}
		_, err := Import(ImportOptions{Inputs: []string{a}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
		if c.ok != (err == nil) {
			t.Fatalf("%s: %v", c.platform, err)
		}
		if !c.ok && (exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "the bundle holds one image, linux/amd64")) {
			t.Fatalf("%s: %v", c.platform, err)
		}
	}
}
