package attesting

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
)

func vector(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pipe returns the read end of a real pipe that src is copied into, as
// a shell pipes a bundle into ct sbom, and the count of bytes put into
// the pipe (at most a pipe buffer more than were read from it); the copy
// ends when the test does.
func pipe(t *testing.T, src io.Reader) (*os.File, *atomic.Int64) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		buf := make([]byte, 32<<10)
		for {
			k, err := src.Read(buf)
			if _, werr := w.Write(buf[:k]); werr != nil || err != nil {
				break
			}
			n.Add(int64(k))
		}
		w.Close()
	}()
	t.Cleanup(func() { r.Close() })
	return r, &n
}

func wantCode(t *testing.T, err error, code exit.Code, msg string) {
	t.Helper()
	if err == nil || exit.CodeOf(err) != code || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v (code %d), want code %d saying %q", err, exit.CodeOf(err), code, msg)
	}
}

func nothingIn(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

// runMake is ct sbom reading standard input: Make must not be reached.
// madeOnePending checks a run of Make that saw the whole bundle data and
// wrote out with one pending attestation added.
func madeOnePending(t *testing.T, seen, data []byte, res *Result, out string) {
	t.Helper()
	if !bytes.Equal(seen, data) {
		t.Errorf("Make saw %d bytes, not the %d-byte bundle", len(seen), len(data))
	}
	if !res.Added.Pending {
		t.Error("no pending attestation added")
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m, _, err := bundle.Check(bytes.NewReader(written), "out.ctp"); err != nil || m.PendingCount() != 1 {
		t.Fatalf("output: %v", err)
	}
}

func runMake(t *testing.T, stdin *os.File, out string) error {
	t.Helper()
	_, err := Run(context.Background(), Request{Input: "-", Output: out, Stdin: stdin, Stdout: os.Stdout, Quiet: true,
		PredicateType: "https://example.com/scan/v1", Command: "ct sbom",
		Make: func(context.Context, *io.SectionReader) ([]byte, error) {
			t.Error("Make ran")
			return nil, errors.New("Make ran")
		}})
	return err
}

// TestRunMakeStdinNoRoom: ct sbom of a piped bundle whose manifest.toml
// declares more than TMPDIR has free is refused before its copy is
// written (io.Copy filled TMPDIR with the endless stream first).
func TestRunMakeStdinNoRoom(t *testing.T) {
	tmp, outDir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	huge, _, err := spooltest.HugeHead(vector(t, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	stdin, _ := pipe(t, huge)
	err = runMake(t, stdin, filepath.Join(outDir, "out.ctp"))
	wantCode(t, err, exit.IO, "TMPDIR "+tmp+" has")
	if h := err.(*exit.Error).Hint; !strings.Contains(h, "name the bundle file instead of piping it") {
		t.Errorf("hint %q", h)
	}
	nothingIn(t, tmp)
	nothingIn(t, outDir)
}

// TestRunMakeStdinStopsAtBadEntry: the copy is checked as it is written:
// a malformed entry followed by endless bytes ends it at that entry, and
// the copy is removed.
func TestRunMakeStdinStopsAtBadEntry(t *testing.T) {
	tmp, outDir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	bad := vector(t, "tar-padding-garbage.ctp")
	stdin, n := pipe(t, io.MultiReader(bytes.NewReader(bad), spooltest.Endless('x')))
	err := runMake(t, stdin, filepath.Join(outDir, "out.ctp"))
	wantCode(t, err, exit.Malformed, "padding")
	if n.Load() > int64(len(bad))+1<<20 {
		t.Errorf("%d bytes read of a %d-byte bundle and what follows it", n.Load(), len(bad))
	}
	nothingIn(t, tmp)
	nothingIn(t, outDir)
}

// TestRunMakeStdinBounded: a blob header declaring more than manifest.toml
// stops the copy at that header with a hash mismatch (the reader reads
// nothing past it, verify.md §2), nothing written.
func TestRunMakeStdinBounded(t *testing.T) {
	tmp, outDir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	long, err := spooltest.LongBlob(vector(t, "unsigned.ctp"), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	stdin, _ := pipe(t, long)
	err = runMake(t, stdin, filepath.Join(outDir, "out.ctp"))
	wantCode(t, err, exit.HashMismatch, "not read past this entry's header")
	nothingIn(t, tmp)
	nothingIn(t, outDir)
}

// TestRunSignedFileRefusedFirst: ct attest of a signed bundle file is
// refused (64, attestations.md §6) before its blobs are read or copied:
// here one of its layers is damaged, which a copy would have met first
// (and reported as a hash mismatch, 1).
func TestRunSignedFileRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	pred := filepath.Join(dir, "pred.json")
	if err := os.WriteFile(pred, []byte(`{"passed":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ctp")
	_, err := Run(context.Background(), Request{Input: filepath.Join("..", "..", "tests", "vectors", "verify", "flipped-layer-byte.ctp"),
		Output: out, Stdin: os.Stdin, Stdout: os.Stdout, Quiet: true,
		PredicateFile: pred, PredicateType: "https://example.com/scan/v1"})
	wantCode(t, err, exit.Usage, "is signed")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written: %v", err)
	}
}
