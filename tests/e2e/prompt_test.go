package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestPromptPipeline runs `ct-pack -k one | ct-sign -k two` with two
// encrypted keys on a real pseudo-terminal, as a user types it (issue 8 §8):
// the two passphrase prompts come one after the other, each on its own line
// and naming its key, the second process waits for the terminal lock while
// the first one asks, echo is off while typing and on again afterwards, and
// Ctrl-C or Ctrl-D at a prompt ends both commands with exit 130.
func TestPromptPipeline(t *testing.T) {
	dir := t.TempDir()
	base := append(append([]string{}, env...), "HOME="+dir, "CT_HOME="+filepath.Join(dir, "home"),
		"CT_PASSPHRASE=", "LC_ALL=C", "TERM=dumb", "NO_COLOR=1")
	pass := map[string]string{"one": "first secret", "two": "second secret"}
	for id, p := range pass {
		if err := os.WriteFile(filepath.Join(dir, id+".pass"), []byte(p+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(envVar("CTBIN"), "ct-keygen"), "--id", id, "--passphrase-file", id+".pass")
		cmd.Dir, cmd.Env = dir, base
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ct-keygen --id %s: %v\n%s", id, err, out)
		}
	}
	// trap: keeps bash alive after Ctrl-C to report the statuses (a trap
	// with a command is reset to the default in the children).
	script := `trap : INT
ct-pack oci:$LAYOUT:multi -k one | ct-sign -k two -o out.ctp
echo "status=${PIPESTATUS[0]},${PIPESTATUS[1]}"`
	promptRe := regexp.MustCompile(`(ct-pack|ct-sign): passphrase for key (one|two): `)
	other := map[string]string{"one": "two", "two": "one"}
	prog := map[string]string{"one": "ct-pack", "two": "ct-sign"}

	t.Run("answered", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "out.ctp"))
		r := runInPTY(t, dir, base, script)
		first := r.waitForPrompt(t, promptRe, 1)
		r.waitForLockWaiter(t, promptRe) // the other process waits for the terminal
		r.checkEchoOff(t)
		r.typ(t, pass[first]+"\r")
		second := r.waitForPrompt(t, promptRe, 2)
		if second != other[first] {
			t.Fatalf("the second prompt asks for key %s again", second)
		}
		r.checkEchoOff(t)
		r.typ(t, pass[second]+"\r")
		out := r.wait(t)
		if !strings.Contains(out, "status=0,0") {
			t.Fatalf("the pipeline failed:\n%s", out)
		}
		for _, id := range []string{first, second} {
			p := prog[id] + ": passphrase for key " + id + ": "
			if strings.Count(out, p) != 1 {
				t.Fatalf("%q is not shown exactly once:\n%q", p, out)
			}
			// its own line: at the start of a cleared line (\r, erase line:
			// a progress bar may have been drawn there), and ended by the
			// newline the prompt writes (the typed one is not echoed)
			i := strings.Index(out, p)
			if !strings.HasSuffix(out[:i], "\r\x1b[K") || !strings.HasPrefix(out[i+len(p):], "\r\n") {
				t.Fatalf("%q is not on a line of its own:\n%q", p, out)
			}
			if strings.Contains(out, pass[id]) {
				t.Fatalf("the passphrase of %s was echoed:\n%q", id, out)
			}
		}
		if strings.Index(out, prog[first]) > strings.Index(out, prog[second]) {
			t.Fatalf("the prompts are out of order:\n%q", out)
		}
		r.checkEchoOn(t)
		tarOut, err := exec.Command("tar", "-tf", filepath.Join(dir, "out.ctp")).Output()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(regexp.MustCompile(`(?m)^signatures/[0-9a-f]{64}\.sig$`).FindAll(tarOut, -1)); n != 2 {
			t.Fatalf("out.ctp has %d signatures, want 2:\n%s", n, tarOut)
		}
	})

	t.Run("ctrl-c", func(t *testing.T) {
		r := runInPTY(t, dir, base, script)
		first := r.waitForPrompt(t, promptRe, 1)
		r.waitForLockWaiter(t, promptRe)
		r.typ(t, "\x03")
		out := r.wait(t)
		if !strings.Contains(out, "status=130,130") {
			t.Fatalf("Ctrl-C: want both commands to exit 130:\n%s", out)
		}
		// The terminal signals both processes at once. The waiting one
		// normally stops while still waiting; if the asking one released
		// the terminal before the waiting one saw its signal, the latter
		// shows its prompt and cancels it at once. Either way each says
		// what was cancelled, and both exit 130 with echo on.
		if !regexp.MustCompile(prog[first]+`: error: .*passphrase prompt for key `+first+` cancelled \(Ctrl-C\)`).MatchString(out) ||
			!strings.Contains(out, prog[other[first]]+": error: ") || strings.Count(out, "cancelled (Ctrl-C)") != 2 {
			t.Fatalf("Ctrl-C: the errors do not say what was cancelled:\n%s", out)
		}
		r.checkEchoOn(t)
	})

	t.Run("ctrl-d", func(t *testing.T) {
		// Ctrl-D reaches only the process that asks: the other one asks next.
		r := runInPTY(t, dir, base, script)
		first := r.waitForPrompt(t, promptRe, 1)
		r.waitForLockWaiter(t, promptRe)
		r.typ(t, "\x04")
		if second := r.waitForPrompt(t, promptRe, 2); second != other[first] {
			t.Fatalf("the second prompt asks for key %s again", second)
		}
		r.typ(t, "\x04")
		out := r.wait(t)
		if !strings.Contains(out, "status=130,130") {
			t.Fatalf("Ctrl-D: want both commands to exit 130:\n%s", out)
		}
		if strings.Count(out, "cancelled (Ctrl-D)") != 2 {
			t.Fatalf("Ctrl-D: the errors do not say what was cancelled:\n%s", out)
		}
		r.checkEchoOn(t)
	})
}

// envVar returns NAME's value in the scripts' environment.
func envVar(name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// ptyRun is a bash script running on its own pseudo-terminal as the
// controlling terminal of a new session; the test types into the master.
type ptyRun struct {
	cmd           *exec.Cmd
	master, slave *os.File
	before        uint32 // local modes before the run
	mu            sync.Mutex
	cond          *sync.Cond
	out           bytes.Buffer
	eof           bool
}

func runInPTY(t *testing.T, dir string, envv []string, script string) *ptyRun {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	r := &ptyRun{master: master, slave: slave}
	r.cond = sync.NewCond(&r.mu)
	r.before = r.lflag(t)
	if r.before&unix.ECHO == 0 {
		t.Fatal("a fresh pty has echo off")
	}
	r.cmd = exec.Command("bash", "-c", script)
	r.cmd.Dir, r.cmd.Env = dir, envv
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = slave, slave, slave
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			if err != nil {
				r.eof = true
			}
			r.cond.Broadcast()
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// waitForPrompt waits until the n-th passphrase prompt is shown and returns
// the key it asks for. go test's -timeout ends a run that never gets there.
func (r *ptyRun) waitForPrompt(t *testing.T, re *regexp.Regexp, n int) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if m := re.FindAllStringSubmatch(r.out.String(), -1); len(m) >= n {
			return m[n-1][2]
		}
		if r.eof || r.cmd.ProcessState != nil {
			t.Fatalf("prompt %d never came:\n%s", n, r.out.String())
		}
		r.cond.Wait()
	}
}

// waitForLockWaiter waits until a process is blocked on the flock of this
// terminal's device node (a "->" line in /proc/locks), so a keystroke sent
// next meets one process at the prompt and the other one waiting.
func (r *ptyRun) waitForLockWaiter(t *testing.T, prompt *regexp.Regexp) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(r.slave.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	node := fmt.Sprintf(" %02x:%02x:%d ", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	for {
		b, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Skipf("cannot see the waiting process: %v", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "-> FLOCK") && strings.Contains(l, node) {
				return
			}
		}
		if out := r.shown(); len(prompt.FindAllString(out, -1)) > 1 {
			t.Fatalf("two prompts are open at once (the other process did not wait):\n%q", out)
		}
		time.Sleep(10 * time.Millisecond) // polling, not a threshold
	}
}

func (r *ptyRun) shown() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

func (r *ptyRun) typ(t *testing.T, s string) {
	t.Helper()
	if _, err := r.master.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the script to end and returns everything it showed.
func (r *ptyRun) wait(t *testing.T) string {
	t.Helper()
	err := r.cmd.Wait()
	// the output is complete once the script's last line has arrived
	r.mu.Lock()
	defer r.mu.Unlock()
	for !strings.Contains(r.out.String(), "status=") && !r.eof {
		r.cond.Wait()
	}
	for !strings.HasSuffix(r.out.String(), "\n") && !r.eof {
		r.cond.Wait()
	}
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, r.out.String())
	}
	return r.out.String()
}

func (r *ptyRun) lflag(t *testing.T) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(r.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag
}

func (r *ptyRun) checkEchoOff(t *testing.T) {
	t.Helper()
	if r.lflag(t)&unix.ECHO != 0 {
		t.Fatalf("echo is on at the prompt:\n%s", r.out.String())
	}
}

func (r *ptyRun) checkEchoOn(t *testing.T) {
	t.Helper()
	if got := r.lflag(t); got != r.before {
		t.Fatalf("the terminal was left changed: local modes %#x, before %#x (echo %v)", got, r.before, got&unix.ECHO != 0)
	}
}
