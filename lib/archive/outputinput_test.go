package archive

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// ct export x.ctp -o - >> x.ctp: standard output is an input file, refused
// (64); another regular file, a hard link's other name of an input too.
func TestOutputIsInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.ctp")
	if err := os.WriteFile(in, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "y.ctp")
	if err := os.Link(in, link); err != nil {
		t.Fatal(err)
	}
	app, err := os.OpenFile(in, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	other, err := os.Create(filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, inputs := range [][]string{{in}, {"a.ctp", link}} {
		err := OutputIsInput(app, "standard output", inputs)
		var ee *exit.Error
		if !errors.As(err, &ee) || ee.Code != exit.Usage {
			t.Errorf("inputs %v: %v, want usage (64)", inputs, err)
		}
	}
	if err := OutputIsInput(other, "standard output", []string{in, link}); err != nil {
		t.Errorf("another file: %v", err)
	}
	// ct export x.ctp -o - > x.ctp: the shell emptied the bundle first;
	// the hint says so.
	trunc, err := os.OpenFile(in, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer trunc.Close()
	err = OutputIsInput(trunc, "standard output", []string{in})
	if exit.CodeOf(err) != exit.Usage || !strings.Contains(exit.HintOf(err), "empties FILE before ct runs") {
		t.Errorf("an emptied input: %v (hint %q)", err, exit.HintOf(err))
	}
}
