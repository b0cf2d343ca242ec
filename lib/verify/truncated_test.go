package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestTruncatedFileAgrees: a bundle file cut short anywhere (inside a
// layer the first pass seeks past, its padding, a header, the
// signatures) gets from ct verify - < FILE the exit code, the failures
// (message, where, hint) and the checks that the same bytes get through a
// pipe. The first pass seeks past the layers: a seek past the end of the
// file must be reported where the file ends, inside the blob, as the
// stream reports it, not as a padding or entry after it. (Every cut of
// the vector agreed when this was written; these are a sample.)
func TestTruncatedFileAgrees(t *testing.T) {
	dir := "../../tests/vectors/verify"
	opts := vectorOpts(t, dir)["valid"]
	data, err := os.ReadFile(filepath.Join(dir, "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.ctp")
	for n := 0; n < len(data); n++ {
		if n%100 != 0 && n%512 > 1 && n%512 != 511 { // every 100 bytes, and around each block's edges
			continue
		}
		if err := os.WriteFile(path, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		file, _ := stdinReport(t, path, 0, opts, false)
		stream := VerifyPath("-", opts, PathOptions{Stdin: bytes.NewReader(data[:n])})
		if file.Code != stream.Code {
			t.Errorf("cut at %d: file code %d, stream code %d", n, file.Code, stream.Code)
		}
		if a, b := failures(file), failures(stream); a != b {
			t.Errorf("cut at %d: failures differ:\n file   %s\n stream %s", n, a, b)
		}
		if a, b := sameOutcome(t, file), sameOutcome(t, stream); a != b {
			t.Errorf("cut at %d: reports differ:\n file   %s\n stream %s", n, a, b)
		}
	}
}
