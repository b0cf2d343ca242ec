package spool

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

// TestDeferred: a bundle written in small pieces is held back until its
// head is complete, then goes to the file whole.
func TestDeferred(t *testing.T) {
	dir := tmpdir(t)
	data := vector(t, "valid.ctp")
	d := NewDeferred("-", "ct-test-*.ctp", "write to a file with -o FILE")
	for i := 0; i < len(data); i += 700 {
		if _, err := d.Write(data[i:min(i+700, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	f, err := d.File()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file has %d bytes (%v), the bundle %d", len(got), err, len(data))
	}
	d.Remove()
	leftOver(t, dir)
}

// TestDeferredNoRoom: the head of a bundle that does not fit in TMPDIR is
// refused when it is complete, and no file is made.
func TestDeferredNoRoom(t *testing.T) {
	dir := tmpdir(t)
	src, head, err := spooltest.HugeHead(vector(t, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDeferred("-", "ct-test-*.ctp", "write to a file with -o FILE")
	_, err = io.Copy(d, io.LimitReader(src, head))
	code(t, err, exit.IO, "TMPDIR "+dir+" has")
	if h := err.(*exit.Error).Hint; !strings.HasSuffix(h, "or write to a file with -o FILE") {
		t.Errorf("hint %q", h)
	}
	d.Remove()
	leftOver(t, dir)
}

// TestDeferredNotABundle: bytes that are no bundle head are kept and
// written, up to the bound on what is held in memory.
func TestDeferredNotABundle(t *testing.T) {
	dir := tmpdir(t)
	d := NewDeferred("-", "ct-test-*.ctp", "write to a file with -o FILE")
	d.Write([]byte("half a bundle"))
	f, err := d.File()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	if string(got) != "half a bundle" {
		t.Fatalf("got %q", got)
	}
	d.Remove()

	d = NewDeferred("-", "ct-test-*.ctp", "write to a file with -o FILE")
	big := strings.Repeat("x", maxHead+1)
	if _, err := d.Write([]byte(big)); err != nil || d.f == nil {
		t.Fatalf("%d bytes that are no head: %v, file made: %v", len(big), err, d.f != nil)
	}
	d.Remove()
	leftOver(t, dir)
}
