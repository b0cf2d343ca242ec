package registry

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/spool/spooltest"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// pipeOf returns the read end of a real pipe src is written into.
func pipeOf(t *testing.T, src io.Reader) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(w, src)
		w.Close()
	}()
	t.Cleanup(func() { r.Close() })
	return r
}

// TestPushStdin: ct push - copies the piped bundle to TMPDIR, pushes it,
// and removes the copy.
func TestPushStdin(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	res, err := Push(context.Background(), PushRequest{Bundle: "-", Stdin: pipeOf(t, bytes.NewReader(data)), Ref: host + "/r/app:1", Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageDigest == "" {
		t.Error("no image digest reported")
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestPushStdinNoRoom: ct push - of a bundle whose manifest.toml declares
// more than TMPDIR has free is refused before it is copied (io.Copy
// filled TMPDIR with the stream first) and before the registry is
// contacted (port 1 of localhost: nothing listens there).
func TestPushStdinNoRoom(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	huge, _, err := spooltest.HugeHead(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Push(context.Background(), PushRequest{Bundle: "-", Stdin: pipeOf(t, huge), Ref: "127.0.0.1:1/r/app:1", Quiet: true})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "TMPDIR "+tmp+" has") {
		t.Fatalf("got %v (code %d), want an I/O error about TMPDIR's room", err, exit.CodeOf(err))
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestPushStdinInterrupted: Ctrl-C or SIGTERM (the context of cli.Context,
// here cancelled before the copy starts) stops ct push - copying standard
// input at its next read, removes the copy and says so; it does not read
// the stream to its end first (a stream that never ends, or a slow one,
// kept ct push running past Ctrl-C, its copy in TMPDIR growing).
func TestPushStdinInterrupted(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.Write(data); err != nil { // fits in the pipe's buffer
		t.Fatal(err)
	}
	w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Push(ctx, PushRequest{Bundle: "-", Stdin: r, Ref: "127.0.0.1:1/r/app:1", Quiet: true})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("got %v (code %d), want an interrupted error (11)", err, exit.CodeOf(err))
	}
	if rest, _ := io.ReadAll(r); len(rest) != len(data) {
		t.Errorf("read %d bytes of standard input after the interrupt", len(data)-len(rest))
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestPushStdinFile: ct push - < FILE (standard input a regular file at
// offset 0) pushes the file in place, as ct push FILE does: no copy, so
// a TMPDIR without room (here one that does not exist) is no obstacle.
func TestPushStdinFile(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	f, err := os.Open(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	res, err := Push(context.Background(), PushRequest{Bundle: "-", Stdin: f, Ref: host + "/r/app:1", Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ImageDigest == "" {
		t.Error("no image digest reported")
	}
}
