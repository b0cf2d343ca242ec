package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/ustar"
)

// TestLongBlobHeaderPastEndFileAsStream: a blob entry whose header declares
// more bytes than manifest.toml (1 TiB) and more than the file holds is the
// size mismatch of verify.md §2 "Bound" (1), not the file ending inside its
// data (10): ct verify FILE (whose first pass seeks past layers and checks
// them against the file's end) and ct verify - reading the same bytes from
// a pipe give the same code and the same deciding failure, at every blob.
func TestLongBlobHeaderPastEndFileAsStream(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "verify", "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	br, err := bundle.NewReader(bytes.NewReader(data), "valid.ctp")
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{}
	for {
		_, rd, err := br.NextBlob()
		if err != nil {
			break
		}
		offs = append(offs, br.Offset()-512) // the blob's header
		if rd != nil {
			if _, err := bytes.NewBuffer(nil).ReadFrom(rd); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := br.Manifest()
	if len(offs) != len(m.Blobs) {
		t.Fatalf("%d blob offsets for %d blobs", len(offs), len(m.Blobs))
	}
	for i, b := range m.Blobs {
		hdr, err := ustar.Encode(b.Path(), ustar.TypeReg, bundle.MaxBlobSize, br.ModTime().Unix())
		if err != nil {
			t.Fatal(err)
		}
		head := append(bytes.Clone(data[:offs[i]]), hdr...)
		path := filepath.Join(t.TempDir(), "long.ctp")
		if err := os.WriteFile(path, head, 0o644); err != nil {
			t.Fatal(err)
		}
		file := VerifyPath(path, Options{}, PathOptions{})
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(head); w.Close() }()
		stream := VerifyPath("-", Options{}, PathOptions{Stdin: r})
		r.Close()
		if file.Code != 1 || stream.Code != 1 {
			t.Errorf("blob %d (%s): file %d (%v), stream %d (%v); want 1 for both", i+1, b.Role, file.Code, file.Err(), stream.Code, stream.Err())
			continue
		}
		fe, se := file.Err().Error(), stream.Err().Error()
		fe = string(bytes.ReplaceAll([]byte(fe), []byte(path), []byte("-")))
		if fe != se {
			t.Errorf("blob %d (%s): file says\n%s\nstream says\n%s", i+1, b.Role, fe, se)
		}
	}
}
