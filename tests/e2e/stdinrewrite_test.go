package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStdinRewriteInPlace: ct sign, ct attest and ct sbom given standard
// input redirected from a regular file (a shell's < FILE) read it in place
// like the named file: with TMPDIR a folder that does not exist (where the
// copy of a pipe is made) ct sign of a bundle with a pending attestation
// (read twice) writes what ct sign FILE writes, and ct sbom fails only
// where the named file fails too (its own work folder), not on a copy of
// the bundle; with a TMPDIR, ct sbom - < FILE writes what ct sbom FILE
// writes. Standard output that is the input file itself (>> FILE) is
// refused with 64 and the file is left as it was; before, ct sign appended
// a partial bundle to it.
func TestStdinRewriteInPlace(t *testing.T) {
	dir := t.TempDir()
	envv := append(append([]string{}, env...), "HOME="+dir, "CT_HOME="+filepath.Join(dir, "store"), "NO_COLOR=1", "LC_ALL=C")
	noTmp := append(append([]string{}, envv...), "TMPDIR="+filepath.Join(dir, "absent"))
	type result struct {
		code   int
		stderr string
	}
	run := func(e []string, stdin, stdout *os.File, prog string, args ...string) result {
		t.Helper()
		cmd := exec.Command(filepath.Join(envVar("CTBIN"), prog), args...)
		var stderr bytes.Buffer
		cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, e, stdin, stdout, &stderr
		err := cmd.Run()
		r := result{stderr: stderr.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		return r
	}
	open := func(name string) *os.File {
		t.Helper()
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	create := func(name string, flag int) *os.File {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	must := func(r result, what string) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, r.code, r.stderr)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "vectors", "verify", "unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "u.ctp"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{"passed":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	must(run(envv, nil, nil, "ct-keygen", "--id", "alice", "--no-passphrase"), "ct keygen")
	// ct attest - < FILE, no TMPDIR: a pending attestation.
	must(run(noTmp, open("u.ctp"), create("pend.ctp", os.O_TRUNC), "ct-attest", "--predicate", "p.json",
		"--type", "https://example.com/scan/v1", "-"), "ct attest - < u.ctp")
	// ct sign - < FILE, no TMPDIR: both passes in place, the named file's bytes.
	must(run(envv, nil, nil, "ct-sign", "--sign-pending", "-k", "alice", "pend.ctp", "-o", "named.ctp"), "ct sign pend.ctp")
	must(run(noTmp, open("pend.ctp"), create("stdin.ctp", os.O_TRUNC), "ct-sign", "--sign-pending", "-k", "alice", "-"),
		"ct sign - < pend.ctp with no TMPDIR")
	a, _ := os.ReadFile(filepath.Join(dir, "named.ctp"))
	b, _ := os.ReadFile(filepath.Join(dir, "stdin.ctp"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("ct sign - < FILE wrote %d bytes unlike ct sign FILE's %d", len(b), len(a))
	}
	// ct sbom - < FILE, no TMPDIR: no copy of the bundle is made, so it
	// fails where the named file does (the work folder), saying the same.
	named := run(noTmp, nil, create("sbom-named.ctp", os.O_TRUNC), "ct-sbom", "u.ctp")
	stdin := run(noTmp, open("u.ctp"), create("sbom-stdin.ctp", os.O_TRUNC), "ct-sbom", "-")
	if named.code != 11 || !strings.Contains(named.stderr, "cannot make a temporary folder") {
		t.Fatalf("ct sbom u.ctp with no TMPDIR: exit %d\n%s", named.code, named.stderr)
	}
	if stdin.code != named.code || strings.Contains(stdin.stderr, "temporary file for the bundle") ||
		!strings.Contains(stdin.stderr, "cannot make a temporary folder") {
		t.Errorf("ct sbom - < u.ctp with no TMPDIR: exit %d\n%s\nwant what the named file gives:\n%s", stdin.code, stdin.stderr, named.stderr)
	}
	// ct sbom - < FILE of a real image: the named file's bundle.
	must(run(envv, nil, nil, "ct-pack", envVar("REGISTRY")+"/test/multi:multi", "-k", "alice", "-o", "web.ctp"), "ct pack")
	must(run(envv, nil, nil, "ct-sbom", "-q", "--drop-signatures", "web.ctp", "-o", "web-named.ctp"), "ct sbom web.ctp")
	must(run(envv, open("web.ctp"), create("web-stdin.ctp", os.O_TRUNC), "ct-sbom", "-q", "--drop-signatures", "-"), "ct sbom - < web.ctp")
	a, _ = os.ReadFile(filepath.Join(dir, "web-named.ctp"))
	b, _ = os.ReadFile(filepath.Join(dir, "web-stdin.ctp"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("ct sbom - < FILE wrote %d bytes unlike ct sbom FILE's %d", len(b), len(a))
	}
	// Standard output that is the input file: refused, the file unchanged.
	for _, c := range []struct {
		name string
		args []string
		in   bool
	}{
		{"ct sign - < x.ctp >> x.ctp", []string{"-k", "alice", "-"}, true},
		{"ct sign x.ctp >> x.ctp", []string{"-k", "alice", "x.ctp"}, false},
	} {
		if err := os.WriteFile(filepath.Join(dir, "x.ctp"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var in *os.File
		if c.in {
			in = open("x.ctp")
		}
		r := run(envv, in, create("x.ctp", os.O_APPEND), "ct-sign", c.args...)
		if r.code != 64 || !strings.Contains(r.stderr, "standard output is the input bundle itself") {
			t.Errorf("%s: exit %d, want 64 saying so\n%s", c.name, r.code, r.stderr)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "x.ctp")); !bytes.Equal(got, data) {
			t.Errorf("%s: the bundle changed: %d bytes, was %d", c.name, len(got), len(data))
		}
	}
}
