package pack

import (
	"os"
	"path/filepath"
	"testing"
)

// FAT and exFAT write zeros up to every write past the end of a file, so
// ct pack streams in order there; ext4, xfs, btrfs and tmpfs keep holes.
func TestNoHoles(t *testing.T) {
	for _, c := range []struct {
		typ  int64
		want bool
	}{{0x4d44, true}, {0x2011bab0, true}, {0xef53, false}, {0x58465342, false}, {0x9123683e, false}, {0x01021994, false}} {
		if got := noHoles(c.typ); got != c.want {
			t.Errorf("file system type %#x: noHoles %v, want %v", c.typ, got, c.want)
		}
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	holesCheap(f) // must not fail on the test's own file system
}
