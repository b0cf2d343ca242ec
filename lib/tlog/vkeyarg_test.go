package tlog

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestVKeyArg(t *testing.T) {
	const w1 = "w1.test+9c207027+BMYaqShNibfa92o3dFTmUnY0/f9n0g4zaOpuL5k1D5dC"
	dir := t.TempDir()
	file := filepath.Join(dir, "w1.vkey")
	if err := os.WriteFile(file, []byte(w1+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{w1, file} {
		if got, err := VKeyArg(in, "witness"); err != nil || got != w1 {
			t.Errorf("VKeyArg(%q) = %q, %v; want %q", in, got, err, w1)
		}
	}
	for _, c := range []struct {
		in, msg string
	}{
		{w1 + "=http://127.0.0.1:8081", "VKEY=URL"},
		{w1 + "=https://w1.example", "VKEY=URL"},
		{dir, "neither a witness verifier key"}, // a directory is not a key file
		{filepath.Join(dir, "missing.vkey"), "neither a witness verifier key"},
		{"log.test/ct+6ed2cf5a+AU+eSR2zTBOm6w9U4dqLQtx/Kdgynz2SsEO6uYj4MRm7", "a log's Ed25519 note verifier key"},
	} {
		_, err := VKeyArg(c.in, "witness")
		e, ok := err.(*exit.Error)
		if !ok || e.Code != exit.Usage || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("VKeyArg(%q) = %v, want exit 64 %q", c.in, err, c.msg)
		}
	}
	if _, err := VKeyArg(file, "log"); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "witness's cosignature/v1") {
		t.Errorf("VKeyArg(witness key file, log) = %v", err)
	}
	if _, err := VKeyArg(w1, "log"); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "witness's cosignature/v1") {
		t.Errorf("VKeyArg(witness key, log) = %v", err)
	}
}

// A FIFO or a device named as a key file is refused without reading it
// (a FIFO without a writer would block; /dev/zero never ends), and says
// what it is: before, it was "neither a key nor a file".
func TestVKeyArgSpecialFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "w1.vkey")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "zero.vkey")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for in, kind := range map[string]string{fifo: "(a named pipe)", link: "(a device)"} {
		_, err := VKeyArg(in, "witness")
		e, ok := err.(*exit.Error)
		if !ok || e.Code != exit.IO || !strings.Contains(e.Msg, "not a regular file "+kind) || !strings.Contains(err.Error(), in) {
			t.Errorf("VKeyArg(%q) = %v, want exit 11 naming it not a regular file, as --key does", in, err)
		}
	}
}
