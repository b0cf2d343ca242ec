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
