package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// TestImportDestNoRoom: ct import into a local destination (dir:, oci:, a
// docker-archive: file) stages the blobs beside it. When the index
// declares more than that file system has free, the import is refused
// (11) before a blob is written, naming the destination's folder, and
// nothing is left beside the destination.
func TestImportDestNoRoom(t *testing.T) {
	k := newKey(t, "alice")
	path := filepath.Join(t.TempDir(), "huge.tar")
	if err := os.WriteFile(path, hugeArchive(t, k), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", t.TempDir())
	for _, kind := range []string{"dir", "oci", "docker-archive"} {
		parent := t.TempDir()
		dest, err := ParseDestination(kind + ":" + filepath.Join(parent, "dest"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Import(ImportOptions{Inputs: []string{path}, Dest: dest, Verify: true, Trust: trusting(k), Log: &bytes.Buffer{}})
		if exit.CodeOf(err) != exit.IO || !strings.HasPrefix(err.Error(), "archive "+path+": the archive needs ") ||
			!strings.Contains(err.Error(), "as its index declares) to stage its blobs, but the destination's folder "+parent+" has") ||
			!strings.Contains(exit.HintOf(err), "import into a destination with room") {
			t.Fatalf("%s: got %v (code %d, hint %q)", kind, err, exit.CodeOf(err), exit.HintOf(err))
		}
		if err := filepath.WalkDir(parent, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Base(p) != ".dest.ct-import.lock" {
				t.Errorf("%s: left behind: %s", kind, p)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}
