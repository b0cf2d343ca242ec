package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestArtifactVectors checks ParseArtifact against tests/vectors/registry
// (made by tests/vectors/gen-verify, registryproofs.go).
func TestArtifactVectors(t *testing.T) {
	dir := "../../tests/vectors/registry"
	files, _ := filepath.Glob(filepath.Join(dir, "*.expect"))
	if len(files) < 5 {
		t.Fatalf("found %d vectors in %s; regenerate them with: cd tests && go run ./vectors/gen-verify", len(files), dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		exp, _ := os.ReadFile(f)
		raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseArtifact(raw, name)
		switch want := strings.SplitN(strings.TrimPrefix(string(exp), "expect: "), "\n", 2)[0]; want {
		case "valid":
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case "malformed":
			if exit.CodeOf(err) != exit.Malformed {
				t.Errorf("%s: %v, want malformed", name, err)
			}
		default:
			t.Fatalf("%s: unknown expectation %q", name, want)
		}
	}
}
