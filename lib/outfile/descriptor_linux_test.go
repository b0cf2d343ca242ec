package outfile

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// descriptorLink opens dir/name and returns it with dir/stdout, a symlink
// to its descriptor in /proc/self/fd (as /dev/stdout -> /proc/self/fd/1).
func descriptorLink(t *testing.T, dir, name string) (target *os.File, link string) {
	t.Helper()
	target, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	link = filepath.Join(dir, "stdout")
	if err := os.Symlink("/proc/self/fd/"+strconv.Itoa(int(target.Fd())), link); err != nil {
		t.Fatal(err)
	}
	return target, link
}

// -o naming one of the process's own descriptors (/dev/stdout, /dev/fd/N,
// /proc/self/fd/N, or a symlink to one) whose file is regular, as in
// ct sign x.ctp -o /dev/stdout > y.ctp: the bytes go to that descriptor,
// and the name is left alone. Before, the descriptor's regular file made
// it look like a file to replace: run as root, a temporary file was made
// in /dev and renamed over the /dev/stdout symlink, and y.ctp stayed empty.
func TestDescriptorNameIsWrittenThroughTheDescriptor(t *testing.T) {
	dir := t.TempDir()
	target, link := descriptorLink(t, dir, "y.ctp")
	for _, name := range []string{link, "/dev/fd/" + strconv.Itoa(int(target.Fd()))} {
		f, err := Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Regular() {
			t.Errorf("%s: a descriptor's name is to be written in place, not replaced", name)
		}
		if _, err := f.Write([]byte("bundle\n")); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Fatalf("%d entries in the folder, want y.ctp and the symlink", len(es))
	}
	b, _ := os.ReadFile(target.Name())
	if string(b) != "bundle\nbundle\n" {
		t.Fatalf("the descriptor's file holds %q", b)
	}
	if _, err := target.Write([]byte("x")); err != nil {
		t.Fatalf("the caller's descriptor was closed: %v", err)
	}
}

// Place into a name of one of the process's own descriptors (ct import
// --to docker-archive:/dev/stdout > img.tar) copies the staged file
// through the descriptor and leaves the name alone. Before, the
// descriptor's regular file made it a rename target: the symlink (as root,
// /dev/stdout itself) was replaced and img.tar stayed empty.
func TestPlaceIntoDescriptor(t *testing.T) {
	dir := t.TempDir()
	target, link := descriptorLink(t, dir, "img.tar")
	for i, name := range []string{link, "/dev/fd/" + strconv.Itoa(int(target.Fd()))} {
		staged := filepath.Join(dir, "staged"+strconv.Itoa(i))
		if err := os.WriteFile(staged, []byte("archive\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Place(staged, name); err != nil {
			t.Fatalf("Place into %s: %v", name, err)
		}
		if _, err := os.Stat(staged); !os.IsNotExist(err) {
			t.Errorf("%s: the staged file is left: %v", name, err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v", err)
	}
	if b, _ := os.ReadFile(target.Name()); string(b) != "archive\narchive\n" {
		t.Fatalf("the descriptor's file holds %q", b)
	}
	if _, err := target.Write([]byte("x")); err != nil {
		t.Fatalf("the caller's descriptor was closed: %v", err)
	}
}

// A report meant for standard output (--json "on stdout with -o FILE")
// goes to standard error when -o names standard output through a
// descriptor (/dev/stdout, /dev/fd/1, a duplicate of it): ct export
// -o /dev/stdout --json | ssh … appended the report to the archive.
func TestToStdout(t *testing.T) {
	dup, err := syscall.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dup)
	other, err := os.Create(filepath.Join(t.TempDir(), "y.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, c := range []struct {
		path string
		want bool
	}{
		{"", true}, {"-", true}, {"/dev/stdout", true}, {"/dev/fd/1", true}, {"/proc/self/fd/1", true},
		{"/dev/fd/" + strconv.Itoa(dup), true},
		{"/dev/fd/" + strconv.Itoa(int(other.Fd())), false},
		{other.Name(), false}, {"/dev/stderr-is-not-a-name", false},
	} {
		if got := ToStdout(c.path); got != c.want {
			t.Errorf("ToStdout(%q) = %v, want %v", c.path, got, c.want)
		}
		if want := map[bool]*os.File{true: os.Stderr, false: os.Stdout}[c.want]; ReportStream(c.path) != want {
			t.Errorf("ReportStream(%q) is not %s", c.path, want.Name())
		}
	}
}
