// Package harness provides the end-to-end test fixtures for Cerro Torre:
// a real CNCF distribution registry, deterministic test images built with
// go-containerregistry, and a sandboxed wrapper around the real skopeo.
//
// Nothing here is a mock. The package targets Linux/Unix (process groups).
package harness

import (
	"golang.org/x/crypto/bcrypt"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RegistryBinEnv names the environment variable that overrides the registry
// binary (it is run as "$CT_TEST_REGISTRY_BIN serve CONFIG").
const RegistryBinEnv = "CT_TEST_REGISTRY_BIN"

// registryStartTimeout bounds how long StartRegistry waits for GET /v2/.
const registryStartTimeout = 20 * time.Second

// Registry is a running CNCF distribution registry on 127.0.0.1 with
// filesystem storage in a directory owned by the caller.
type Registry struct {
	// Addr is "127.0.0.1:PORT"; plain HTTP, no auth.
	Addr string
	// Dir is the directory given to StartRegistry (config.yml and storage/).
	Dir string

	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error // result of cmd.Wait, valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// RegistryBinary returns the registry binary StartRegistry would use:
// $CT_TEST_REGISTRY_BIN, else "docker-registry" on PATH (Debian's package),
// else "registry" on PATH (upstream's name).
func RegistryBinary() (string, error) {
	if b := os.Getenv(RegistryBinEnv); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("harness: %s=%q: %w", RegistryBinEnv, b, err)
		}
		return p, nil
	}
	for _, name := range []string{"docker-registry", "registry"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("harness: no registry binary: set " + RegistryBinEnv +
		" or install docker-registry (Debian) / registry (CNCF distribution) on PATH")
}

// StartRegistry writes dir/config.yml (filesystem storage under
// dir/storage, delete enabled, log level error, no auth), starts the
// registry on a free 127.0.0.1 port and waits until GET /v2/ answers 200.
// The port is chosen by listening on 127.0.0.1:0 and closing; if another
// process wins the race for it, StartRegistry retries with a new port.
func StartRegistry(dir string) (*Registry, error) {
	return startRegistry(dir, nil)
}

// StartAuthRegistry is StartRegistry with htpasswd authentication: only
// user with password pass may read or write.
func StartAuthRegistry(dir, user, pass string) (*Registry, error) {
	return startRegistry(dir, &basicAuth{user, pass})
}

type basicAuth struct{ user, pass string }

func (a *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(a.user, a.pass)
	return (&http.Transport{Proxy: nil, DisableKeepAlives: true}).RoundTrip(req)
}

func startRegistry(dir string, auth *basicAuth) (*Registry, error) {
	bin, err := RegistryBinary()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		r, err := startRegistryOnce(bin, dir, port, auth)
		if err == nil {
			return r, nil
		}
		lastErr = err
		if !errors.Is(err, errAddrInUse) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("harness: registry failed to bind after retries: %w", lastErr)
}

var errAddrInUse = errors.New("address already in use")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("harness: pick free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, err
	}
	return port, nil
}

func registryConfig(storage, addr, htpasswd string) string {
	authCfg := ""
	if htpasswd != "" {
		authCfg = fmt.Sprintf("auth:\n  htpasswd:\n    realm: ct-test\n    path: %q\n", htpasswd)
	}
	// The quoting keeps YAML happy with any temp path.
	return authCfg + fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
health:
  storagedriver:
    enabled: false
`, storage, addr)
}

func startRegistryOnce(bin, dir string, port int, auth *basicAuth) (*Registry, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(dir, "config.yml")
	htpasswd := ""
	if auth != nil {
		hash, err := bcrypt.GenerateFromPassword([]byte(auth.pass), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		htpasswd = filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(auth.user+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(cfg, []byte(registryConfig(filepath.Join(dir, "storage"), addr, htpasswd)), 0o644); err != nil {
		return nil, err
	}
	// A probe tag in our storage lets us tell our registry from whatever
	// else might answer on the port if another process won the bind race:
	// GET /v2/<probeRepo>/tags/list lists the directories under
	// _manifests/tags as tags. It is removed once the registry is ready.
	nonce := fmt.Sprintf("ready-%d-%d", os.Getpid(), port)
	probeDir := filepath.Join(dir, "storage", "docker", "registry", "v2", "repositories", probeRepo)
	if err := os.MkdirAll(filepath.Join(probeDir, "_manifests", "tags", nonce), 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", bin, err)
	}
	r := &Registry{Addr: addr, Dir: dir, cmd: cmd, stderr: stderr, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()

	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	if auth != nil {
		client.Transport = auth
	}
	deadline := time.Now().Add(registryStartTimeout)
	for {
		select {
		case <-r.done:
			out := r.stderr.String()
			err := fmt.Errorf("harness: registry %s exited before ready (%v); output:\n%s", bin, r.err, out)
			if strings.Contains(out, "address already in use") {
				return nil, fmt.Errorf("%w: %w", errAddrInUse, err)
			}
			return nil, err
		default:
		}
		resp, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ours, perr := probeIsOurs(client, addr, probeRepo, nonce)
				if perr != nil {
					err = perr
				} else if ours {
					_ = os.RemoveAll(probeDir)
					return r, nil
				}
				// Someone else answers on this port (we lost the bind
				// race): keep polling; our process will exit with
				// "address already in use" and we retry above.
			}
		}
		if time.Now().After(deadline) {
			_ = r.Stop()
			return nil, fmt.Errorf("harness: registry at %s not ready after %s (last: %v, status %v); output:\n%s",
				addr, registryStartTimeout, err, statusOf(resp), r.stderr.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

const probeRepo = "ct-harness-probe"

func probeIsOurs(client *http.Client, addr, repo, nonce string) (bool, error) {
	resp, err := client.Get("http://" + addr + "/v2/" + repo + "/tags/list")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, nil
	}
	var tl struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tl); err != nil {
		return false, nil
	}
	return slices.Contains(tl.Tags, nonce), nil
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "none"
	}
	return resp.Status
}

// Stop kills the registry's process group and waits for it to exit.
// It is safe to call more than once.
func (r *Registry) Stop() error {
	r.stopOnce.Do(func() {
		select {
		case <-r.done:
			return // already exited
		default:
		}
		pgid := r.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			select {
			case <-r.done:
			case <-time.After(5 * time.Second):
				r.stopErr = fmt.Errorf("harness: registry pid %d did not exit after SIGKILL", pgid)
			}
		}
	})
	return r.stopErr
}

// Output returns what the registry has written to stdout/stderr so far.
func (r *Registry) Output() string { return r.stderr.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
