package verify

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// TestVectorsByPath: VerifyPath (what ct verify runs) reaches every
// vector's outcome, on the file and from a stream: the check for inputs
// that are not bundles never takes a bundle, however broken, for one.
func TestVectorsByPath(t *testing.T) {
	dir := "../../tests/vectors/verify"
	files, _ := filepath.Glob(filepath.Join(dir, "*.expect"))
	if len(files) < 15 {
		t.Fatalf("found %d vectors", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		exp, _ := os.ReadFile(f)
		fields := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			fields[k] = v
		}
		k, err := keys.ReadPublicFile(filepath.Join(dir, fields["trusted"]))
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Trusted: []TrustedKey{{Key: k, Source: "--key"}}}
		if pf := fields["policy"]; pf != "" {
			p, err := policy.Load(filepath.Join(dir, pf))
			if err != nil {
				t.Fatal(err)
			}
			opts.Policy, opts.PolicyName = p, pf
		}
		want, _ := strconv.Atoi(fields["code"])
		path := filepath.Join(dir, name+".ctp")
		if rep := VerifyPath(path, opts, PathOptions{}); rep.Code != want {
			t.Errorf("%s: file: code %d, want %d: %v", name, rep.Code, want, rep.Err())
		}
		data, _ := os.ReadFile(path)
		if rep := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(data)}); rep.Code != want {
			t.Errorf("%s: stream: code %d, want %d: %v", name, rep.Code, want, rep.Err())
		}
	}
}

func tarOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte("{}"))
	}
	tw.Close()
	return b.Bytes()
}

// TestNotABundle: each kind of file another command reads is named, with
// that command, code 10, as a report (for --json), from a file and a stream.
func TestNotABundle(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarOf(t, "manifest.json"))
	zw.Close()
	for _, c := range []struct {
		name string
		data []byte
		want string
		hint string
	}{
		{"docker", tarOf(t, "abc.json", "def/layer.tar", "manifest.json", "repositories"), "this is a docker-archive (docker save), not a bundle", "ct pack docker-archive:"},
		{"docker25", tarOf(t, "blobs/sha256/aa", "index.json", "manifest.json", "oci-layout"), "docker-archive (docker save)", "ct pack docker-archive:"},
		{"oci", tarOf(t, "blobs/sha256/aa", "index.json", "oci-layout"), "this is an OCI image layout archive (oci-archive), not a bundle", "ct pack oci-archive:"},
		{"archive", tarOf(t, "ct-archive.toml", "bundles/x/manifest.toml"), "this is a ct export archive, not a bundle", "ct import "},
		{"zstd", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, make([]byte, 600)...), "zstd-compressed", "ct import "},
		{"gzip", gz.Bytes(), "gzip-compressed", "gunzip"},
		{"tar", tarOf(t, "notes.txt"), `its first entry is "notes.txt", a bundle's is manifest.toml`, "ct verify reads bundles"},
	} {
		path := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, rep := range []*Report{VerifyPath(path, Options{}, PathOptions{}), VerifyPath("-", Options{}, PathOptions{Stdin: bytes.NewReader(c.data)})} {
			err := rep.Err()
			if rep.Code != 10 || err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(exit.HintOf(err), c.hint) {
				t.Errorf("%s (%s): code %d, %v, hint %q", c.name, rep.Bundle, rep.Code, err, exit.HintOf(err))
			}
			if rep.Schema != SchemaID || rep.Signatures == nil || rep.Checks == nil || rep.SignaturesChecked || rep.ContentChecked {
				t.Errorf("%s: report %+v", c.name, rep)
			}
		}
	}
}

// TestUnreadable: a missing file is a report with code 11, not an error
// without one (verify.md §3: --json reports it).
func TestUnreadable(t *testing.T) {
	rep := VerifyPath(filepath.Join(t.TempDir(), "none.ctp"), Options{}, PathOptions{})
	if rep.Code != 11 || rep.Verdict != "io" || len(rep.Checks) != 1 || rep.Checks[0].Name != "bundle" || rep.Checks[0].Code != 11 {
		t.Fatalf("report %+v", rep)
	}
}

// TestWorst: the order of verify.md §2 across bundles, ties to the first.
func TestWorst(t *testing.T) {
	mk := func(c exit.Code) *Report {
		r := &Report{}
		if c != 0 {
			r.fail("x", exit.New(c, "failed"))
		}
		return r.finish()
	}
	for _, c := range []struct {
		codes []exit.Code
		want  int
	}{
		{[]exit.Code{0, 0}, -1},
		{[]exit.Code{0, 3, 1, 2}, 2},
		{[]exit.Code{5, 4, 3}, 2},
		{[]exit.Code{1, 11, 10}, 1},
		{[]exit.Code{10, 11}, 0},
		{[]exit.Code{3, 3}, 0},
	} {
		var reps []*Report
		for _, code := range c.codes {
			reps = append(reps, mk(code))
		}
		if got := Worst(reps); got != c.want {
			t.Errorf("Worst(%v) = %d, want %d", c.codes, got, c.want)
		}
	}
}
