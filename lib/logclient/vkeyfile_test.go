package logclient

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// --log-key and --witness take the files --print-vkey wrote as well as the
// keys; the VKEY=URL form of ct-log serve --witness is refused with a hint.
func TestFlagsKeyFiles(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	logFile, wFile := filepath.Join(dir, "log.vkey"), filepath.Join(dir, "w1.vkey")
	if err := os.WriteFile(logFile, []byte(fx.logVKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wFile, []byte(fx.wVKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := Flags{Log: []string{"http://127.0.0.1:1"}, LogKey: []string{logFile}, Witness: []string{wFile}, Quorum: -1}
	o, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Trust.LogKeys) != 1 || o.Trust.LogKeys[0] != fx.logVKey || len(o.Trust.Witnesses) != 1 || o.Trust.Witnesses[0] != fx.wVKey || o.Trust.Quorum != 1 {
		t.Fatalf("trust from files = %+v", o.Trust)
	}
	f.Witness = []string{fx.wVKey + "=http://127.0.0.1:8081"}
	if _, err := f.Options(); exit.CodeOf(err) != exit.Usage || !strings.Contains(exit.HintOf(err), fx.wVKey) {
		t.Fatalf("VKEY=URL: %v (hint %q), want exit 64 giving the key alone", err, exit.HintOf(err))
	}
	// The monitor reads the same files: it gets past its checks of the
	// keys and fails only on the log that is down (12, not 64).
	o2 := fx.opts("http://127.0.0.1:1/")
	o2.LogKey, o2.Witnesses, o2.Quorum, o2.StateDir, o2.Watch = logFile, []string{wFile}, 1, fx.stateDir, []WatchedKey{withKey(fx.alice)}
	if _, err := Monitor(context.Background(), o2); exit.CodeOf(err) != exit.Network {
		t.Fatalf("monitor with key files: %v (exit %d), want 12", err, exit.CodeOf(err))
	}
	o2.LogKey = filepath.Join(dir, "missing.vkey")
	if _, err := Monitor(context.Background(), o2); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("monitor with a missing key file: %v (exit %d), want 64", err, exit.CodeOf(err))
	}
}
