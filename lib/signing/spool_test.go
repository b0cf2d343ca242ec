package signing

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

func emptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestSignPendingStreamNoRoom: a piped bundle with pending attestations
// whose manifest.toml declares more than TMPDIR has free is refused
// after its head, before its copy is made (lib/spool). The copy was
// written as the stream was checked, so a stream of endless blob bytes
// filled the disk first.
func TestSignPendingStreamNoRoom(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	data, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	huge, head, err := spooltest.HugeHead(data)
	if err != nil {
		t.Fatal(err)
	}
	src := &spooltest.Counted{R: huge}
	var out bytes.Buffer
	_, err = SignBundleWith(src, "-", nil, &out, alice(t), nil, Options{SignPending: true})
	wantErr(t, err, exit.IO, "free")
	wantErr(t, err, exit.IO, "TMPDIR "+dir)
	if src.N.Load() != head {
		t.Errorf("read %d bytes, not the %d-byte head", src.N.Load(), head)
	}
	if out.Len() != 0 {
		t.Errorf("%d bytes written", out.Len())
	}
	emptyDir(t, dir)
}

// TestSignPendingStreamBounded: a blob header declaring more than
// manifest.toml stops the copy at that header with a hash mismatch, not
// 64 MiB later (the reader reads nothing past it, verify.md §2).
func TestSignPendingStreamBounded(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	data, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	long, err := spooltest.LongBlob(data, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	src := &spooltest.Counted{R: long}
	var out bytes.Buffer
	_, err = SignBundleWith(src, "-", nil, &out, alice(t), nil, Options{SignPending: true})
	wantErr(t, err, exit.HashMismatch, "not read past this entry's header")
	if src.N.Load() > 32<<20 {
		t.Errorf("read %d bytes of a %d-byte bundle", src.N.Load(), len(data))
	}
	emptyDir(t, dir)
}

// TestRunThenNoRoom: ct sign --log keeps the signed bundle in a temporary
// file until the log answers; one whose manifest.toml declares more than
// TMPDIR has free is refused when its head is written, before a blob is
// read or the log is asked (the file took the stream first).
func TestRunThenNoRoom(t *testing.T) {
	dir, outDir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", dir)
	data, err := os.ReadFile(filepath.Join(vectors, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	huge, head, err := spooltest.HugeHead(data)
	if err != nil {
		t.Fatal(err)
	}
	src := &spooltest.Counted{R: huge}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(w, src)
		w.Close()
	}()
	defer r.Close()
	_, err = Run(context.Background(), Request{Input: "-", Output: filepath.Join(outDir, "out.ctp"), Stdin: r, Stdout: os.Stdout,
		Key: alice(t), Quiet: true,
		Then: func(io.Reader, string, io.Writer, func(error) error) error {
			t.Error("Then ran")
			return nil
		}})
	wantErr(t, err, exit.IO, "TMPDIR "+dir+" has")
	if src.N.Load() > head+1<<20 {
		t.Errorf("%d bytes read of the stream, its head is %d", src.N.Load(), head)
	}
	emptyDir(t, dir)
	emptyDir(t, outDir)
}
