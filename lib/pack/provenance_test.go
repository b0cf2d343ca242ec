package pack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/provenance"
)

// --provenance-out: written only with the bundle, and what it says passes the
// verifier's consistency check against the manifest.toml read back from the
// bundle.
func TestRunProvenanceOut(t *testing.T) {
	src := "oci:" + testLayout(t)
	out := t.TempDir()
	bundlePath, provPath := filepath.Join(out, "x.ctp"), filepath.Join(out, "x.slsa.json")
	req := Request{Source: src, Output: bundlePath, ProvenanceOut: provPath, Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "ct-pack", Version: "1.2.3"}}}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, req); exit.CodeOf(err) != exit.IO {
		t.Fatalf("interrupted pack: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("interrupted pack left %v", ents)
	}

	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provenance != provPath {
		t.Errorf("Result.Provenance = %q", res.Provenance)
	}
	pred, err := os.ReadFile(provPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := bundle.Check(f, "x.ctp")
	if err != nil {
		t.Fatal(err)
	}
	if err := provenance.Check(pred, m); err != nil {
		t.Fatalf("Check of ct pack's own provenance: %v\n%s", err, pred)
	}
	want, _ := provenance.Build(m, provenance.Options{Time: mustEpoch(t)})
	if string(pred) != string(want) {
		t.Errorf("file:\n%s\nBuild:\n%s", pred, want)
	}
	// another bundle's manifest does not match it
	m.Source.Digest = bundle.Digest([]byte("another image"))
	if err := provenance.Check(pred, m); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("Check against another source digest: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 2 {
		t.Errorf("pack left %v", ents)
	}
}

func mustEpoch(t *testing.T) time.Time {
	e, err := SourceDateEpoch()
	if err != nil || e.IsZero() {
		t.Fatalf("SOURCE_DATE_EPOCH: %v", err)
	}
	return e
}

func TestRunProvenanceOutRefused(t *testing.T) {
	src := "oci:" + testLayout(t)
	out := t.TempDir()
	for _, c := range []struct{ output, prov string }{
		{filepath.Join(out, "x.ctp"), "-"},
		{filepath.Join(out, "x.ctp"), filepath.Join(out, ".", "x.ctp")},
	} {
		_, err := Run(context.Background(), Request{Source: src, Output: c.output, ProvenanceOut: c.prov, Quiet: true,
			Options: Options{Tool: bundle.Tool{Name: "ct-pack", Version: "1"}}})
		if exit.CodeOf(err) != exit.Usage {
			t.Errorf("-o %s --provenance-out %s: %v", c.output, c.prov, err)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("refused packs left %v", ents)
	}
}
