package exit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A file's path is said once: the Where of the error, not again in the
// *fs.PathError it wraps (issue 9: no context said twice).
func TestErrorSaysThePathOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.ctp")
	_, err := os.Open(missing)
	if err == nil {
		t.Fatal("opened a missing file")
	}
	for _, c := range []struct {
		e    *Error
		want string
	}{
		{Wrap(IO, err, "cannot open bundle").At(missing), missing + ": cannot open bundle: no such file or directory"},
		{Wrap(IO, err, "cannot read the policy").At("policy " + missing), "policy " + missing + ": cannot read the policy: no such file or directory"},
		// another place: the cause keeps its path
		{Wrap(IO, err, "cannot open bundle").At("archive a.tar"), "archive a.tar: cannot open bundle: open " + missing + ": no such file or directory"},
		{Wrap(IO, err, "cannot open bundle"), "cannot open bundle: open " + missing + ": no such file or directory"},
		{Wrap(IO, errors.New("boom"), "x").At(missing), missing + ": x: boom"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if !errors.Is(c.e, fs.ErrNotExist) && c.e.Err == err {
			t.Errorf("%q no longer unwraps to fs.ErrNotExist", c.e.Error())
		}
	}
}

// kong's ctx.Run joins a command's error with errors.Join: its hint must
// still reach the user.
func TestHintThroughJoin(t *testing.T) {
	err := errors.Join(New(Network, "down").WithHint("start it"))
	if HintOf(err) != "start it" || CodeOf(err) != Network {
		t.Fatalf("hint %q, code %d", HintOf(err), CodeOf(err))
	}
}
