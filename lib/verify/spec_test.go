package verify

// Tests for issue 8 §4 in the verifier: which failure decides (verify.md
// §2), a report that never contradicts itself, and key files that are not
// valid input (exit 10).

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// consistent fails t if rep contradicts itself: a check reported as passed
// and as failed or skipped, "blobs" passed while a blob failed, "image
// graph" passed while a blob it reads failed, or a valid verdict with a
// failed check.
func consistent(t *testing.T, what string, rep *Report) {
	t.Helper()
	ok, bad := map[string]bool{}, map[string]bool{}
	blobFailed := false
	for _, c := range rep.Checks {
		if c.OK && (c.Skipped || c.Code != 0) {
			t.Errorf("%s: check %s is ok and skipped or has a code: %+v", what, c.Name, c)
		}
		if c.OK {
			ok[c.Name] = true
		} else {
			bad[c.Name] = true
			if !c.Skipped && c.Code == 0 {
				t.Errorf("%s: failed check %s has no code", what, c.Name)
			}
		}
		if !c.OK && strings.HasPrefix(c.Name, "blob ") {
			blobFailed = true
		}
	}
	for n := range ok {
		if bad[n] {
			t.Errorf("%s: check %q is reported both passed and not passed", what, n)
		}
	}
	if ok["blobs"] && blobFailed {
		t.Errorf("%s: blobs check passed, but a blob failed: %+v", what, rep.Checks)
	}
	if rep.Valid && len(bad) > 0 {
		t.Errorf("%s: valid with failed checks %v", what, bad)
	}
	if rep.Valid != (rep.Err() == nil) || rep.Code != int(exit.CodeOf(rep.Err())) {
		t.Errorf("%s: valid %v, code %d, error %v", what, rep.Valid, rep.Code, rep.Err())
	}
}

func both(t *testing.T, data []byte, opts Options) (stream, file *Report) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b.ctp")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stream = Verify(bytes.NewReader(data), "b.ctp", opts)
	file = VerifyFile(f, "b.ctp", opts)
	consistent(t, "stream", stream)
	consistent(t, "file", file)
	return stream, file
}

func check(rep *Report, name string) *Check {
	for i := range rep.Checks {
		if rep.Checks[i].Name == name {
			return &rep.Checks[i]
		}
	}
	return nil
}

// Every conformance vector gives a consistent report in both modes.
func TestVectorReportsConsistent(t *testing.T) {
	f := newFixture(t)
	files, _ := filepath.Glob("../../tests/vectors/verify/*.ctp")
	if len(files) < 15 {
		t.Fatalf("%d vectors", len(files))
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(p), func(t *testing.T) { both(t, data, f.trust(f.alice)) })
	}
}

// The image manifest's bytes changed (same size) so that they also break the
// image graph: a hash mismatch (1) decides, the graph check is skipped (not
// passed, not failed), "blobs" is not reported as passed, and the signature
// is still checked. The JSON says so.
func TestHashMismatchInManifestBlob(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	i := index(es, "blobs/sha256/"+strings.TrimPrefix(f.m.Image.Digest, "sha256:"))
	old := es[i].Data
	es[i].Data = bytes.Replace(old, []byte(`"digest":"sha256:`), []byte(`"digest":"sha256:0`), 1)[:len(old)]
	for _, rep := range func() []*Report { a, b := both(t, build(es), f.trust(f.alice)); return []*Report{a, b} }() {
		if rep.Code != int(exit.HashMismatch) {
			t.Fatalf("code %d (%v), want 1", rep.Code, rep.Err())
		}
		g := check(rep, "image graph")
		if g == nil || g.OK || !g.Skipped || !strings.Contains(g.Detail, "not checked") {
			t.Fatalf("image graph check: %+v", g)
		}
		if c := check(rep, "blobs"); c != nil {
			t.Fatalf("blobs check reported: %+v", c)
		}
		if c := check(rep, "trust"); c == nil || !c.OK {
			t.Fatalf("signatures not checked: %+v", rep.Checks)
		}
		js, _ := json.Marshal(rep)
		if !bytes.Contains(js, []byte(`{"name":"image graph","ok":false,"detail":"not checked: blob `)) || !bytes.Contains(js, []byte(`"skipped":true`)) {
			t.Fatalf("JSON: %s", js)
		}
	}
}

// A layer byte changed and the graph broken by an unused listed blob: the
// manifests are intact, so the graph check runs and 10 decides over 1; the
// hash mismatch is still listed, and the signatures are still checked.
func TestGraphDecidesOverLayerMismatch(t *testing.T) {
	f := newFixture(t)
	m, blobs := image()
	extra := []byte("not part of the image")
	blobs[bundle.Digest(extra)] = extra
	m.Blobs = append(m.Blobs, bundle.Blob{Digest: bundle.Digest(extra), Size: int64(len(extra)), MediaType: "application/octet-stream", Role: bundle.RoleLayer})
	m.SortBlobs()
	es := entries(t, writeBundle(t, m, blobs, f.alice))
	for i := range es {
		if bytes.HasPrefix(es[i].Data, []byte("second layer")) {
			es[i].Data = bytes.Clone(es[i].Data)
			es[i].Data[3] ^= 1
		}
	}
	for _, rep := range func() []*Report { a, b := both(t, build(es), f.trust(f.alice)); return []*Report{a, b} }() {
		if rep.Code != int(exit.Malformed) || !strings.Contains(rep.Err().Error(), "not part of the image") {
			t.Fatalf("code %d (%v), want 10", rep.Code, rep.Err())
		}
		if g := check(rep, "image graph"); g == nil || g.OK || g.Code != int(exit.Malformed) {
			t.Fatalf("image graph: %+v", g)
		}
		if len(rep.Others()) != 1 || exit.CodeOf(rep.Others()[0]) != exit.HashMismatch {
			t.Fatalf("others: %v", rep.Others())
		}
		if c := check(rep, "trust"); c == nil || !c.OK {
			t.Fatalf("signatures not checked: %+v", rep.Checks)
		}
	}
}

// A blob entry of the wrong size is a hash mismatch that does not end the
// pass: the other blobs are hashed and the signatures checked.
func TestWrongSizeBlobGoesOn(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	for i := range es {
		if bytes.HasPrefix(es[i].Data, []byte("first layer")) {
			es[i].Data = es[i].Data[:len(es[i].Data)-1]
		}
	}
	for _, rep := range func() []*Report { a, b := both(t, build(es), f.trust(f.alice)); return []*Report{a, b} }() {
		if rep.Code != int(exit.HashMismatch) || !strings.Contains(rep.Err().Error(), "manifest.toml says") {
			t.Fatalf("code %d (%v)", rep.Code, rep.Err())
		}
		if c := check(rep, "trust"); c == nil || !c.OK {
			t.Fatalf("signatures not checked: %+v", rep.Checks)
		}
		if g := check(rep, "image graph"); g == nil || !g.OK {
			t.Fatalf("graph of intact manifests: %+v", g)
		}
	}
}

// A --key file that is not a valid public key file is malformed input
// (10), as keys.md §2 and verify.md §2 say; a missing one is I/O (11).
func TestKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	good, err := os.ReadFile("../../tests/vectors/verify/trusted.pub")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		code exit.Code
	}{
		"garbage.pub":   {[]byte("not a key\n"), exit.Malformed},
		"bad-id.pub":    {bytes.Replace(good, []byte(`id = "alice"`), []byte(`id = "-alice"`), 1), exit.Malformed},
		"big.pub":       {bytes.Repeat([]byte("#"), 16<<10+1), exit.Malformed},
		"truncated.pub": {good[:len(good)/2], exit.Malformed},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Setup{KeyFiles: []string{p}, NoStore: true}.Load()
		if exit.CodeOf(err) != c.code {
			t.Errorf("%s: %v (code %d), want %d", name, err, exit.CodeOf(err), c.code)
		}
	}
	_, err = Setup{KeyFiles: []string{filepath.Join(dir, "absent.pub")}, NoStore: true}.Load()
	if exit.CodeOf(err) != exit.IO {
		t.Errorf("absent key file: %v", err)
	}
	p := filepath.Join(dir, "good.pub")
	os.WriteFile(p, good, 0o644)
	if _, err := (Setup{KeyFiles: []string{p}, NoStore: true}).Load(); err != nil {
		t.Fatalf("good key: %v", err)
	}
	_ = f
}

// Among equal codes the first in stream order decides, in both modes: with
// every blob changed, the deciding error is the first blob's, although
// VerifyFile hashes the image manifest in its first pass and the layers
// after it.
func TestFirstInStreamOrderDecides(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	first := ""
	for i := range es {
		if strings.HasPrefix(es[i].Name, "blobs/sha256/") && !es[i].Dir {
			if first == "" {
				first = es[i].Name
			}
			es[i].Data = bytes.Clone(es[i].Data)
			es[i].Data[len(es[i].Data)-1] ^= 0x20
		}
	}
	a, b := both(t, build(es), f.trust(f.alice))
	for _, rep := range []*Report{a, b} {
		if rep.Code != int(exit.HashMismatch) || !strings.Contains(rep.Err().Error(), first) || len(rep.Others()) != 3 {
			t.Fatalf("deciding %v, others %v; want the first blob %s", rep.Err(), rep.Others(), first)
		}
	}
}
