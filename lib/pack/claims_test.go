package pack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
)

// writeLayout writes an OCI image layout by hand, so the config's bytes are
// exactly cfg (a library would re-encode its time).
func writeLayout(t *testing.T, cfg string) string {
	dir := filepath.Join(t.TempDir(), "layout")
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		d := bundle.Digest(b)
		if err := os.WriteFile(filepath.Join(blobs, strings.TrimPrefix(d, "sha256:")), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	layer := []byte("not really a tar, but a blob")
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`,
		put([]byte(cfg)), len(cfg), put(layer), len(layer)))
	md := put(man)
	index := fmt.Sprintf(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`, md, len(man))
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ct pack keeps image.created exactly as the config writes it (fraction and
// offset, not converted to UTC), records the platform from the config, and
// the bundle reader accepts exactly that: pack → verify round trip with the
// config's bytes unchanged (bundle.md §3).
func TestCreatedKeptExactly(t *testing.T) {
	const created = "2024-05-06T07:08:09.123456789+02:00"
	cfg := `{"architecture":"arm64","created":"` + created + `","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"variant":"v8"}`
	src := "oci:" + writeLayout(t, cfg) + ":v1"
	out := filepath.Join(t.TempDir(), "x.ctp")
	res, err := Run(context.Background(), Request{Source: src, Output: out, Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Image.Created != created || res.Manifest.Image.Platform != "linux/arm64/v8" {
		t.Fatalf("image table: created %q, platform %q", res.Manifest.Image.Created, res.Manifest.Image.Platform)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := bundle.Check(f, "x.ctp")
	if err != nil {
		t.Fatalf("the reader refuses what the writer wrote: %v", err)
	}
	if m.Image.Created != created || m.Image.Config != bundle.Digest([]byte(cfg)) {
		t.Fatalf("read back: created %q, config %s", m.Image.Created, m.Image.Config)
	}
	data, _ := os.ReadFile(out)
	if !bytes.Contains(data, []byte(cfg)) || !bytes.Contains(data, []byte(`created = "`+created+`"`)) {
		t.Fatal("the config's bytes or its time were not kept")
	}
}

// A config whose created is not the RFC 3339 form bundle.md accepts cannot
// be packed (exit 10), rather than be rewritten.
func TestCreatedOtherFormRefused(t *testing.T) {
	cfg := `{"architecture":"amd64","created":"2024-05-06T07:08:09.1234567891Z","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`
	src := "oci:" + writeLayout(t, cfg) + ":v1"
	_, err := Run(context.Background(), Request{Source: src, Output: filepath.Join(t.TempDir(), "x.ctp"), Quiet: true,
		Options: Options{Tool: bundle.Tool{Name: "test", Version: "1"}}})
	if err == nil || !strings.Contains(err.Error(), "image.created") {
		t.Fatalf("got %v", err)
	}
}
