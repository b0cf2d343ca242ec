package signing

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestRunPendingStdinFileInPlace: ct sign - < FILE of a bundle with a
// pending attestation reads the file twice in place, like the named file:
// no copy in TMPDIR (a folder that does not exist here, which a pipe's
// copy needs), the same bundle as ct sign FILE writes, and the shared
// offset of standard input not moved (both passes use positioned reads).
func TestRunPendingStdinFileInPlace(t *testing.T) {
	dir := t.TempDir()
	k := alice(t)
	path := filepath.Join(vectors, "pending-unsigned.ctp")
	named := filepath.Join(dir, "named.ctp")
	if _, err := Run(context.Background(), Request{Input: path, Output: named, Key: k, Quiet: true, SignPending: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", filepath.Join(dir, "absent"))
	stdin, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out := filepath.Join(dir, "out.ctp")
	res, err := Run(context.Background(), Request{Input: "-", Output: out, Stdin: stdin, Key: k, Quiet: true, SignPending: true})
	if err != nil {
		t.Fatalf("ct sign - < FILE with no TMPDIR: %v", err)
	}
	if res.Attested != 1 {
		t.Errorf("%d pending attestations signed, want 1", res.Attested)
	}
	a, _ := os.ReadFile(named)
	b, _ := os.ReadFile(out)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("ct sign - < FILE wrote %d bytes unlike ct sign FILE's %d", len(b), len(a))
	}
	if off, err := stdin.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		t.Errorf("standard input's offset is %d (%v) after signing, want 0", off, err)
	}
}

// TestRunRefusesOutputIsInput: standard output that is the input file
// itself (ct sign - < x.ctp >> x.ctp, ct sign x.ctp >> x.ctp) is refused
// with 64 before a byte is written: the bundle was read while the output
// was appended to it, and a partial bundle was left at its end.
func TestRunRefusesOutputIsInput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, named := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "x.ctp")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stdin, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Input: "-", Stdin: stdin, Stdout: stdout, Key: alice(t), Quiet: true}
		if named {
			req.Input, req.Stdin = path, nil
		}
		_, err = Run(context.Background(), req)
		stdin.Close()
		stdout.Close()
		wantErr(t, err, exit.Usage, "standard output is the input bundle itself")
		if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
			t.Errorf("named input %v: the bundle changed: %d bytes, was %d", named, len(got), len(data))
		}
	}
}
