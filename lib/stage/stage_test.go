package stage

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Ctrl-C that comes while the rewrite works from its own copy of the
// input (so no read of in notices it) still leaves no output file.
func TestRunInterruptedAfterReading(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ctp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, IO{Input: in, Output: out, Quiet: true, Verb: "testing"},
		func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			cancel() // the signal arrives after the last read
			_, err = w.Write(data)
			return err
		})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run after a Ctrl-C: error %v, want interrupted", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output file after a Ctrl-C: stat error %v, want it absent", err)
	}
}

func TestRunWrites(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.ctp")
	name, err := Run(context.Background(), IO{Input: in, Output: out, Quiet: true, Verb: "testing"},
		func(r io.Reader, _ string, w io.Writer, _ func(error) error) error {
			_, err := io.Copy(w, r)
			return err
		})
	if err != nil || name != out {
		t.Fatalf("Run: %q, %v", name, err)
	}
	if got, _ := os.ReadFile(out); string(got) != "bundle" {
		t.Fatalf("output %q, want %q", got, "bundle")
	}
}
