package archive

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// ct export -o /dev/stdout >> FILE (or -o /dev/fd/N): the output is written
// through the descriptor, in place, like -o -, so FILE's old content is not
// "replaced" and is neither refused nor compared. Before, a non-archive
// FILE was refused as if it were to be replaced ("writing the archive
// would replace it", although it appends), and an archive FILE was
// compared with itself through the same name after the export (always
// "the same archive"), so another archive was appended to it with exit 0.
func TestCheckOutputDescriptorIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	b := makeBundle(t, dir, "a", "layer a")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), b)
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{notes, arch, b} {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fd := strconv.Itoa(int(f.Fd()))
		link := filepath.Join(dir, "stdout-"+strconv.Itoa(i)) // as /dev/stdout -> /proc/self/fd/1
		if err := os.Symlink("/proc/self/fd/"+fd, link); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"/dev/fd/" + fd, "/proc/self/fd/" + fd, link} {
			if exists, err := CheckOutput(name, false); err != nil || exists {
				t.Errorf("%s (%s): exists %v, err %v; want written in place, not checked", name, filepath.Base(p), exists, err)
			}
		}
		f.Close()
		// The file itself, named, is still checked.
		if _, err := CheckOutput(p, false); p != arch && err == nil {
			t.Errorf("%s named: not refused", p)
		}
	}
}
