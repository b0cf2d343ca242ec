package verify

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestStdinFilePositionedReads: standard input redirected from a file is
// verified with positioned reads only, with and without its content (ct
// verify, ct explain): the descriptor's file offset, which another process
// given the same descriptor shares, is never moved, so that process cannot
// disturb the reading. Every vector, whatever its outcome; VerifyFile too.
func TestStdinFilePositionedReads(t *testing.T) {
	dir := "../../tests/vectors/verify"
	for name, opts := range vectorOpts(t, dir) {
		path := filepath.Join(dir, name+".ctp")
		for _, skip := range []bool{false, true} {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			rep := VerifyPath("-", opts, PathOptions{Stdin: f, SkipContent: skip})
			if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
				t.Errorf("%s (skip content %v): the file offset is %d (%v) after verifying, want 0: the shared offset was read through", name, skip, off, err)
			}
			if rep.Bundle != "-" {
				t.Errorf("%s: bundle %q, want -", name, rep.Bundle)
			}
			VerifyFile(f, name, opts)
			if off, _ := f.Seek(0, io.SeekCurrent); off != 0 {
				t.Errorf("%s: VerifyFile moved the file offset to %d", name, off)
			}
			f.Close()
		}
	}
}
