package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestStageSignedPending: an archive whose bundle is signed but still
// lists a pending attestation (the pending-signed vector, which ct export
// refuses, put in an archive by hand) is malformed when its heads are read
// (attestations.md §9.3: every reader), before any blob is staged, so ct
// import refuses it with --no-verify too.
func TestStageSignedPending(t *testing.T) {
	vec := filepath.Join("..", "..", "tests", "vectors", "verify")
	var out bytes.Buffer
	if _, err := Export([]string{filepath.Join(vec, "pending-unsigned.ctp")}, ExportOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile(filepath.Join(vec, "pending-signed.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	var sig entry
	for _, e := range entries(t, signed) {
		if strings.HasPrefix(e.h.Name, "signatures/") && e.h.Typeflag == tar.TypeReg {
			sig = e
		}
	}
	if sig.h == nil {
		t.Fatal("the vector has no signature")
	}
	es := entries(t, out.Bytes())
	var with []entry
	for _, e := range es {
		if e.h.Name == IndexName {
			d := bytes.Replace(e.data, []byte("name = \"web\"\n"), []byte("name = \"web\"\nsignatures = [\""+sig.h.Name+"\"]\n"), 1)
			h := *e.h
			h.Size = int64(len(d))
			e = entry{&h, d}
		}
		with = append(with, e)
		if strings.HasSuffix(e.h.Name, "/manifest.toml") {
			h := *e.h
			h.Name = strings.TrimSuffix(e.h.Name, "manifest.toml") + sig.h.Name
			h.Size = int64(len(sig.data))
			with = append(with, entry{&h, sig.data})
		}
	}
	data := rewrite(t, with)
	_, err = Stage(bytes.NewReader(data), "x.ctpa", t.TempDir())
	if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), "pending") {
		t.Fatalf("got %v (code %d), want malformed naming the pending attestation", err, exit.CodeOf(err))
	}
}
