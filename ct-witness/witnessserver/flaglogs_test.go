package witnessserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/tlog"
)

// --log takes a log's vkey, or the file ct-log serve --print-vkey wrote;
// with --logs, a log in both is listed once, or refused with two keys.
func TestFlagLogs(t *testing.T) {
	lk, ok := newKey(t, "log"), newKey(t, "other")
	vk, err := tlog.LogVerifierKey(lk.Public(), origin)
	must(t, err)
	wrong, err := tlog.LogVerifierKey(ok.Public(), origin)
	must(t, err)
	file := filepath.Join(t.TempDir(), "log.vkey")
	must(t, os.WriteFile(file, []byte(vk+"\n"), 0o644))
	logs, err := FlagLogs([]string{file})
	if err != nil || len(logs) != 1 || logs[0].Origin != origin || logs[0].Key != vk || logs[0].verifier == nil {
		t.Fatalf("FlagLogs(file) = %+v, %v", logs, err)
	}
	fromFile, err := ParseLogs([]byte("[[log]]\norigin = \""+origin+"\"\nkey = \""+vk+"\"\n"), "l.toml")
	must(t, err)
	merged, err := MergeLogs(fromFile, logs, "l.toml")
	if err != nil || len(merged) != 1 {
		t.Fatalf("same log twice: %+v, %v", merged, err)
	}
	other, err := FlagLogs([]string{wrong})
	must(t, err)
	_, err = MergeLogs(fromFile, other, "l.toml")
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "l.toml:1 gives key") {
		t.Fatalf("two keys for one log: %v", err)
	}
	if _, err := FlagLogs([]string{"nope"}); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("FlagLogs(nope) = %v", err)
	}
}
