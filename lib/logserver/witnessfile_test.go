package logserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// --witness FILE=URL: the key may be the file ct-witness serve
// --print-vkey wrote; a log's key file is refused as a witness's.
func TestParseWitnessKeyFile(t *testing.T) {
	_, wv := witnessKey(t)
	_, lv := testSigner(t)
	dir := t.TempDir()
	wf, lf := filepath.Join(dir, "w1.vkey"), filepath.Join(dir, "log.vkey")
	if err := os.WriteFile(wf, []byte(wv+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lf, []byte(lv+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := ParseWitness(wf + "=http://127.0.0.1:8081")
	if err != nil || w.VKey != wv || w.URL.String() != "http://127.0.0.1:8081" {
		t.Fatalf("ParseWitness(file=URL) = %+v, %v", w, err)
	}
	if _, err := ParseWitness(lf + "=http://127.0.0.1:8081"); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("a log's key file as a witness: %v", err)
	}
}
