package deps

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestModulesRequireWorkspaceVersions: every module of the workspace asks
// for the versions the workspace builds with (what `go work sync` writes),
// so a module built alone (GOWORK=off) compiles what make build compiles.
// syft, in ct-sbom, raises shared dependencies (docker/cli, logrus, …):
// after changing a go.mod, run `go work sync` and `go mod tidy` in each
// module.
func TestModulesRequireWorkspaceVersions(t *testing.T) {
	selected := map[string]string{}
	out := run(t, "../..", "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "all")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			selected[f[0]] = f[1]
		}
	}
	if selected["github.com/anchore/syft"] == "" {
		t.Fatalf("the workspace's build list has no syft: the check is not looking at the workspace\n%s", out)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal([]byte(run(t, "../..", "go", "work", "edit", "-json")), &work); err != nil {
		t.Fatal(err)
	}
	if len(work.Use) < 10 {
		t.Fatalf("go.work uses only %d modules", len(work.Use))
	}
	checked := 0
	for _, u := range work.Use {
		var mod struct {
			Require []struct{ Path, Version string }
		}
		gomod := filepath.Join(u.DiskPath, "go.mod") // relative to the workspace root
		if err := json.Unmarshal([]byte(run(t, "../..", "go", "mod", "edit", "-json", gomod)), &mod); err != nil {
			t.Fatalf("%s: %v", gomod, err)
		}
		reqs := map[string]string{}
		for _, r := range mod.Require {
			reqs[r.Path] = r.Version
		}
		for _, m := range mismatches(reqs, selected) {
			t.Errorf("%s/go.mod: %s (run go work sync, then go mod tidy in %s)", u.DiskPath, m, u.DiskPath)
		}
		checked += len(reqs)
	}
	if checked < 50 {
		t.Fatalf("only %d requirements checked", checked)
	}
	// The comparison can fail: an old docker/cli is reported.
	if m := mismatches(map[string]string{"github.com/docker/cli": "v0.0.1+incompatible"}, selected); len(m) != 1 {
		t.Fatalf("an outdated requirement was not reported: %v", m)
	}
}

// mismatches lists the requirements whose version is not the selected one
// (the workspace's own modules, required as v0.0.0 and replaced, aside).
func mismatches(reqs, selected map[string]string) []string {
	var bad []string
	for p, v := range reqs {
		if strings.HasPrefix(p, "github.com/cerro-torre/ct/") {
			continue
		}
		if s := selected[p]; s != v {
			bad = append(bad, p+" "+v+", the workspace builds with "+s)
		}
	}
	return bad
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if e, ok := err.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
