package sbom

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRegularFileSection: the bundle lib/attesting gives ct sbom (a
// section of the named file, of standard input redirected from a file,
// or of a pipe's private copy) is read in place; a file not at offset 0
// (standard input already partly read) and a plain reader are streams.
func TestRegularFileSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ra, n := regularFile(io.NewSectionReader(f, 0, 10)); ra == nil || n != 10 {
		t.Errorf("a section: %v, %d; want it in place, 10 bytes", ra, n)
	}
	if ra, n := regularFile(f); ra == nil || n != 10 {
		t.Errorf("a file at offset 0: %v, %d; want it in place, 10 bytes", ra, n)
	}
	f.Seek(3, io.SeekStart)
	if ra, _ := regularFile(f); ra != nil {
		t.Error("a file at offset 3 read in place")
	}
	if ra, _ := regularFile(bytes.NewReader(nil)); ra != nil {
		t.Error("a bytes.Reader read in place")
	}
}

// TestSectionInPlace: a section of a bundle file makes the document a
// stream of the same bytes makes.
func TestSectionInPlace(t *testing.T) {
	b := ecosystemsBundle(t)
	want, _ := generate(t, b, time.Time{})
	path := filepath.Join(t.TempDir(), "x.ctp")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tmp := t.TempDir()
	got, err := Generate(context.Background(), Request{Bundle: io.NewSectionReader(f, 0, int64(len(b))), Name: "x.ctp", TempDir: tmp, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Document, want.Document) {
		t.Errorf("from a section and from a stream differ:\n%s", firstDiff(want.Document, got.Document))
	}
}
