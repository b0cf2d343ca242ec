package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/pack"
)

var (
	fixtureOnce sync.Once
	fixture     []byte // the ecosystems bundle
	fixtureDir  string
	fixtureErr  error
)

// ecosystemsBundle packs the multi-ecosystem test image (a Debian package
// database, a Go binary, a Python and an npm package) with ct pack's
// library, once per test binary.
func ecosystemsBundle(t *testing.T) []byte {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "ct-sbom-fixture-")
		if fixtureErr != nil {
			return
		}
		var bin []byte
		if bin, fixtureErr = bundletest.BuildGoBinary(fixtureDir); fixtureErr != nil {
			return
		}
		lay := filepath.Join(fixtureDir, "layout")
		if _, fixtureErr = bundletest.WriteEcosystemsLayout(lay, "app", bin); fixtureErr != nil {
			return
		}
		out := filepath.Join(fixtureDir, "eco.ctp")
		if _, fixtureErr = pack.Run(context.Background(), pack.Request{Source: "oci:" + lay + ":app", Output: out,
			Quiet: true, Options: pack.Options{Name: "eco", Version: "1.0",
				Tool: bundle.Tool{Name: "ct-pack", Version: "test"}}}); fixtureErr != nil {
			return
		}
		fixture, fixtureErr = os.ReadFile(out)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func generate(t *testing.T, b []byte, epoch time.Time) (*Result, string) {
	t.Helper()
	tmp := t.TempDir()
	res, err := Generate(context.Background(), Request{Bundle: bytes.NewReader(b), Name: "eco.ctp", Epoch: epoch,
		TempDir: tmp, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("the temporary folder is not empty after Generate: %v", left)
	}
	return res, tmp
}

type spdxDoc struct {
	SPDXVersion       string `json:"spdxVersion"`
	SPDXID            string `json:"SPDXID"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID       string `json:"SPDXID"`
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			Type    string `json:"referenceType"`
			Locator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		SPDXID string `json:"SPDXID"`
	} `json:"files"`
	Relationships []struct {
		A string `json:"spdxElementId"`
		B string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

var reID = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

func TestEcosystemsSBOM(t *testing.T) {
	b := ecosystemsBundle(t)
	r1, tmp := generate(t, b, time.Time{})
	var d spdxDoc
	if err := json.Unmarshal(r1.Document, &d); err != nil {
		t.Fatal(err)
	}
	if d.SPDXVersion != "SPDX-2.3" || d.SPDXID != "SPDXRef-DOCUMENT" {
		t.Errorf("spdxVersion %q, SPDXID %q", d.SPDXVersion, d.SPDXID)
	}
	if d.Name != "eco-1.0" {
		t.Errorf("name %q, want eco-1.0", d.Name)
	}
	if want := attest.SBOMNamespace(r1.Manifest); d.DocumentNamespace != want {
		t.Errorf("documentNamespace %q, want %q", d.DocumentNamespace, want)
	}
	if d.CreationInfo.Created != bundletest.EcosystemsCreated {
		t.Errorf("created %q, want the image's %s", d.CreationInfo.Created, bundletest.EcosystemsCreated)
	}
	for _, want := range bundletest.EcosystemPackages {
		found := false
		for _, p := range d.Packages {
			if p.Name != want.Name {
				continue
			}
			for _, r := range p.ExternalRefs {
				if r.Type == "purl" && strings.HasPrefix(r.Locator, "pkg:"+want.PURLType+"/") {
					found = true
					if p.VersionInfo != want.Version {
						t.Errorf("package %s: version %q, want %q", want.Name, p.VersionInfo, want.Version)
					}
				}
			}
		}
		if !found {
			t.Errorf("the SBOM does not list the %s package %s %s", want.PURLType, want.Name, want.Version)
		}
	}
	ids := []string{d.SPDXID}
	for _, p := range d.Packages {
		ids = append(ids, p.SPDXID)
	}
	for _, f := range d.Files {
		ids = append(ids, f.SPDXID)
	}
	for _, r := range d.Relationships {
		ids = append(ids, r.A, r.B)
	}
	for _, id := range ids {
		if !reID.MatchString(id) {
			t.Errorf("SPDX id %q does not match %s", id, reID)
		}
	}
	for _, leak := range []string{tmp, fixtureDir, os.TempDir() + "/", "stereoscope-"} {
		if bytes.Contains(r1.Document, []byte(leak)) {
			t.Errorf("the SBOM contains the host path %q", leak)
		}
	}
	if m := regexp.MustCompile(`ct-sbom-[0-9]{4,}`).Find(r1.Document); m != nil {
		t.Errorf("the SBOM contains the temporary folder's name %q", m)
	}
	// Reproducible: a second run gives the same bytes.
	r2, _ := generate(t, b, time.Time{})
	if !bytes.Equal(r1.Document, r2.Document) {
		t.Errorf("two runs differ:\n%s", firstDiff(r1.Document, r2.Document))
	}
	// SOURCE_DATE_EPOCH sets created, and is reproducible too.
	epoch := time.Unix(1700000000, 0)
	r3, _ := generate(t, b, epoch)
	r4, _ := generate(t, b, epoch)
	if !bytes.Equal(r3.Document, r4.Document) {
		t.Errorf("two runs with SOURCE_DATE_EPOCH differ:\n%s", firstDiff(r3.Document, r4.Document))
	}
	if !bytes.Contains(r3.Document, []byte(`"created": "2023-11-14T22:13:20Z"`)) {
		t.Errorf("SOURCE_DATE_EPOCH=1700000000 is not the created time")
	}
	if os.Getenv("CT_SBOM_KEEP") != "" {
		os.WriteFile(os.Getenv("CT_SBOM_KEEP"), r1.Document, 0o644)
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			o := ""
			if i < len(bl) {
				o = bl[i]
			}
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], o)
		}
	}
	return "the second is longer"
}

func TestCorruptBundle(t *testing.T) {
	b := bytes.Clone(ecosystemsBundle(t))
	// Flip a byte in the middle of the layer blob (the largest part).
	b[len(b)/2] ^= 0xff
	tmp := t.TempDir()
	_, err := Generate(context.Background(), Request{Bundle: bytes.NewReader(b), Name: "bad.ctp", TempDir: tmp, Version: "test"})
	if c := exit.CodeOf(err); c != exit.HashMismatch {
		t.Errorf("corrupt bundle: exit %d (%v), want %d", c, err, exit.HashMismatch)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the temporary folder is not empty after a failure: %v", left)
	}
}

func TestMaxUnpacked(t *testing.T) {
	tmp := t.TempDir()
	_, err := Generate(context.Background(), Request{Bundle: bytes.NewReader(ecosystemsBundle(t)), Name: "eco.ctp",
		TempDir: tmp, Version: "test", MaxUnpacked: 1000})
	if err == nil || !strings.Contains(err.Error(), "max-unpacked") {
		t.Errorf("a 1000-byte limit: err %v, want the limit named", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the temporary folder is not empty after a failure: %v", left)
	}
}

// A cancelled run (Ctrl-C) must fail with 130, not return what syft's
// catalogers had found by then, and leave nothing behind.
func TestCancelled(t *testing.T) {
	b := ecosystemsBundle(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tmp := t.TempDir()
	res, err := Generate(ctx, Request{Bundle: bytes.NewReader(b), Name: "eco.ctp", TempDir: tmp, Version: "test"})
	if c := exit.CodeOf(err); c != exit.Cancelled || res != nil {
		t.Errorf("cancelled: exit %d (%v), result %v; want %d and none", c, err, res != nil, exit.Cancelled)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the temporary folder is not empty after cancelling: %v", left)
	}
}

// A bundle file is catalogued in place while its digests are checked
// alongside: the same document as from a stream, and a corrupt layer still
// fails with 1 (not with whatever syft made of the bad bytes).
func TestFileInPlace(t *testing.T) {
	b := ecosystemsBundle(t)
	want, _ := generate(t, b, time.Time{})
	dir := t.TempDir()
	run := func(data []byte, max int64) (*Result, error) {
		path := filepath.Join(dir, "x.ctp")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tmp := t.TempDir()
		res, err := Generate(context.Background(), Request{Bundle: f, Name: "x.ctp", TempDir: tmp, Version: "test", MaxUnpacked: max})
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("the temporary folder is not empty: %v", left)
		}
		return res, err
	}
	got, err := run(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Document, want.Document) {
		t.Errorf("from a file and from a stream differ:\n%s", firstDiff(want.Document, got.Document))
	}
	bad := bytes.Clone(b)
	bad[len(bad)/2] ^= 0xff
	if _, err := run(bad, 0); exit.CodeOf(err) != exit.HashMismatch {
		t.Errorf("corrupt bundle file: exit %d (%v), want %d", exit.CodeOf(err), err, exit.HashMismatch)
	}
	if _, err := run(b, 1000); err == nil || !strings.Contains(err.Error(), "max-unpacked") {
		t.Errorf("a 1000-byte limit on a file: err %v, want the limit named", err)
	}
}
