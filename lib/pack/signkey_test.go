package pack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestSigningKeyFailsClosed: without -k, a default key or --no-sign, no key
// is chosen silently: a usage error with a hint.
func TestSigningKeyFailsClosed(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{filepath.Join(t.TempDir(), "none"), t.TempDir()} {
		k, err := SigningKey(ctx, KeyChoice{StoreDir: dir})
		if k != nil || exit.CodeOf(err) != exit.Usage {
			t.Fatalf("store %s: got %v, %v; want a usage error", dir, k, err)
		}
		var ee *exit.Error
		if e, ok := err.(*exit.Error); ok {
			ee = e
		}
		if ee == nil || !strings.Contains(ee.Hint, "ct keygen --id release --default") || !strings.Contains(ee.Hint, "--no-sign") {
			t.Errorf("hint: %+v", ee)
		}
	}
	if k, err := SigningKey(ctx, KeyChoice{NoSign: true, StoreDir: t.TempDir()}); k != nil || err != nil {
		t.Errorf("--no-sign: %v, %v", k, err)
	}
	if _, err := SigningKey(ctx, KeyChoice{NoSign: true, SignKey: "x"}); exit.CodeOf(err) != exit.Usage {
		t.Errorf("-k with --no-sign: %v", err)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a key store was created")
	}
}
