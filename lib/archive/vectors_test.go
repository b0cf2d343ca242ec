package archive

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/verify"
)

// TestProofVectors checks the archive reader against tests/vectors/archive
// (made by tests/vectors/gen-verify, archiveproofs.go): each NAME.tar must
// reach the code its NAME.expect names with ct verify's archive path.
func TestProofVectors(t *testing.T) {
	dir := "../../tests/vectors/archive"
	files, _ := filepath.Glob(filepath.Join(dir, "*.expect"))
	if len(files) < 10 {
		t.Fatalf("found %d vectors in %s; regenerate them with: cd tests && go run ./vectors/gen-verify", len(files), dir)
	}
	k, err := keys.ReadPublicFile(filepath.Join(dir, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "trusted.pub"}}}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		exp, _ := os.ReadFile(f)
		fields := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			fields[k] = v
		}
		want, _ := strconv.Atoi(fields["code"])
		reps := VerifyPath(filepath.Join(dir, name+".tar"), opts, verify.PathOptions{}, t.TempDir())
		got := 0
		for _, r := range reps {
			if r.Code != 0 {
				got = r.Code
				t.Logf("%s: %v", name, r.Checks)
			}
		}
		if got != want {
			t.Errorf("%s (%s): code %d, want %d", name, fields["case"], got, want)
		}
	}
}
