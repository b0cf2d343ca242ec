package e2e

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// stdinRun is the outcome of one command run by runStdin.
type stdinRun struct {
	code   int
	stdout string
	stderr string // what the terminal showed: \r\n line ends, meter redraws
}

// runStdin runs the ct binary prog with args in dir, standard input in
// (an *os.File is passed as the descriptor itself, as a shell's < FILE
// passes it; any other reader through a pipe) and stderr on a fresh
// pseudo-terminal, so that a progress meter, drawn only for a stream read
// in one pass, shows which path the command took.
func runStdin(t *testing.T, dir string, envv []string, in io.Reader, prog string, args ...string) stdinRun {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(filepath.Join(envVar("CTBIN"), prog), args...)
	var stdout bytes.Buffer
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, envv, in, &stdout, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the child has its own: the master reads EIO once it exits
	term := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master)
		term <- b
	}()
	err = cmd.Wait()
	r := stdinRun{stdout: stdout.String(), stderr: string(<-term)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", prog, err)
	}
	return r
}

var failureLines = regexp.MustCompile(`ct-verify: (error|hint|also): [^\r\n]*`)

// TestStdinRegularFile: `ct verify - < FILE` in a real process, standard
// input a regular file: read like the named file (no progress meter, the
// same --json report, the bundle named "-"), with the exit code and the
// failure lines a pipe of the same bytes gives; a file already partly read
// is read in one pass from where it stands; ct explain - < FILE seeks past
// the blobs as on a named file.
func TestStdinRegularFile(t *testing.T) {
	dir := t.TempDir()
	envv := append(append([]string{}, env...), "HOME="+dir, "CT_HOME="+filepath.Join(dir, "store"), "NO_COLOR=1", "LC_ALL=C")
	ct := func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(envVar("CTBIN"), "ct"), args...)
		cmd.Dir, cmd.Env = dir, envv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ct %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ct("keygen", "--id", "alice", "--no-passphrase")
	ct("key", "export", "alice", "--public", "-o", "alice.pub")
	ct("pack", envVar("REGISTRY")+"/test/multi:multi", "-k", "alice", "-o", "web.ctp")
	data, err := os.ReadFile(filepath.Join(dir, "web.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	// bad.ctp: one byte of the largest blob flipped (hash mismatch, 1).
	bad := append([]byte(nil), data...)
	cr := &countReader{r: bytes.NewReader(data)}
	tr := tar.NewReader(cr)
	var off, size int64
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.HasPrefix(h.Name, "blobs/") && h.Size > size {
			off, size = cr.n, h.Size
		}
	}
	if size < 100 {
		t.Fatalf("no blob to flip a byte of (largest %d bytes)", size)
	}
	bad[off+size/2] ^= 0x01
	// shifted: ten other bytes, then the bundle.
	shifted := append([]byte("0123456789"), data...)
	for name, b := range map[string][]byte{"bad.ctp": bad, "shifted": shifted} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	open := func(name string, at int64) *os.File {
		t.Helper()
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if _, err := f.Seek(at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return f
	}
	trust := []string{"--no-store", "--key", "alice.pub"}
	verify := func(in io.Reader, args ...string) stdinRun {
		t.Helper()
		return runStdin(t, dir, envv, in, "ct-verify", append(args, trust...)...)
	}
	metered := func(r stdinRun) bool { return strings.Contains(r.stderr, "ct-verify: reading -") }

	for _, c := range []struct {
		file string
		code int
	}{{"web.ctp", 0}, {"bad.ctp", 1}} {
		fromFile := verify(open(c.file, 0), "-")
		fromPipe := verify(bytes.NewReader(map[string][]byte{"web.ctp": data, "bad.ctp": bad}[c.file]), "-")
		if fromFile.code != c.code || metered(fromFile) {
			t.Errorf("%s < FILE: exit %d (want %d), meter %v:\n%s%s", c.file, fromFile.code, c.code, metered(fromFile), fromFile.stdout, fromFile.stderr)
		}
		if fromPipe.code != c.code || !metered(fromPipe) {
			t.Errorf("%s through a pipe: exit %d (want %d), meter %v:\n%s", c.file, fromPipe.code, c.code, metered(fromPipe), fromPipe.stderr)
		}
		if a, b := failureLines.FindAllString(fromFile.stderr, -1), failureLines.FindAllString(fromPipe.stderr, -1); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s: failures differ:\n< FILE: %q\npipe:   %q", c.file, a, b)
		}
		if c.code == 0 && (!strings.HasPrefix(fromFile.stdout, "OK multi multi ") || fromFile.stdout != fromPipe.stdout) {
			t.Errorf("%s: stdout %q, pipe %q", c.file, fromFile.stdout, fromPipe.stdout)
		}
		if c.code == 1 && !strings.Contains(fromFile.stderr, "manifest.toml says") {
			t.Errorf("%s: no hash mismatch named:\n%s", c.file, fromFile.stderr)
		}
		// --json: the named file's report, the bundle named "-".
		js := verify(open(c.file, 0), "-", "--json")
		named := verify(nil, c.file, "--json")
		if js.code != c.code || !strings.Contains(js.stdout, `"bundle":"-"`) || js.stdout != strings.ReplaceAll(named.stdout, c.file, "-") {
			t.Errorf("%s --json: exit %d\n< FILE: %s\nnamed:  %s", c.file, js.code, js.stdout, named.stdout)
		}
	}

	// Standard input already partly read: one pass from there (the meter).
	if r := verify(open("shifted", 10), "-"); r.code != 0 || !metered(r) {
		t.Errorf("offset 10: exit %d, meter %v:\n%s", r.code, metered(r), r.stderr)
	}
	// The same file from its start is read as a file, and is no bundle.
	if r := verify(open("shifted", 0), "-"); r.code != 10 || metered(r) {
		t.Errorf("offset 0: exit %d, meter %v:\n%s", r.code, metered(r), r.stderr)
	}

	// ct explain - < FILE seeks past the blobs; --verify hashes them; a
	// pipe is read, and hashed, whole.
	explain := func(in io.Reader, args ...string) stdinRun {
		t.Helper()
		return runStdin(t, dir, envv, in, "ct-explain", append(append([]string{"-", "--json"}, args...), trust...)...)
	}
	for _, c := range []struct {
		what string
		r    stdinRun
		want string
	}{
		{"< FILE", explain(open("web.ctp", 0)), `"contentChecked":false`},
		{"< FILE --verify", explain(open("web.ctp", 0), "--verify"), `"contentChecked":true`},
		{"pipe", explain(bytes.NewReader(data)), `"contentChecked":true`},
		{"< bad FILE --verify", explain(open("bad.ctp", 0), "--verify"), `"code":1,`},
	} {
		if c.r.code != 0 || !strings.Contains(c.r.stdout, c.want) || !strings.Contains(c.r.stdout, `"bundle":"-"`) {
			t.Errorf("ct explain %s: exit %d, want %s in:\n%s%s", c.what, c.r.code, c.want, c.r.stdout, c.r.stderr)
		}
	}
}

// countReader counts the bytes read through it: after tar.Reader.Next,
// the offset of the entry's data.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
