package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// maxArchiveEntries bounds the number of tar entries indexed.
const maxArchiveEntries = 100000

// maxLinkHops bounds symlink/hardlink resolution inside an archive.
const maxLinkHops = 8

type entryKind int

const (
	kindFile entryKind = iota
	kindSymlink
	kindHardlink
	kindOther // devices, fifos, …: refused when used
)

// archiveEntry locates one tar member's content inside the archive file.
type archiveEntry struct {
	kind   entryKind
	offset int64
	size   int64
	target string // links: cleaned target name within the archive
}

// archiveIndex maps cleaned member names to where their content lies, so that
// blobs are served with io.SectionReader without extracting anything.
type archiveIndex struct {
	r       io.ReaderAt
	size    int64
	entries map[string]archiveEntry
	dirs    map[string]bool
}

// cleanName normalises a tar member name ("./a//b" → "a/b") and rejects
// absolute names and names with "..".
func cleanName(n string) (string, bool) {
	if n == "" || strings.HasPrefix(n, "/") || strings.ContainsRune(n, 0) || strings.Contains(n, "\\") {
		return "", false
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "", false
		}
	}
	c := path.Clean(n)
	if c == "." || c == "" || strings.HasPrefix(c, "../") || c == ".." {
		return "", false
	}
	return c, true
}

// readArchiveIndex scans the tar headers of r (size bytes) once. File
// contents are skipped by seeking. Errors are exit.Malformed naming the entry
// and where (the archive's description).
func readArchiveIndex(r io.ReaderAt, size int64, where string) (*archiveIndex, error) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	ix := &archiveIndex{r: r, size: size, entries: map[string]archiveEntry{}, dirs: map[string]bool{}}
	bad := func(entry string, err error, format string, args ...any) error {
		w := where
		if entry != "" {
			w += ", entry " + quoteShort(entry)
		}
		return exit.Wrap(exit.Malformed, err, format, args...).At(w).
			WithHint("the archive is corrupt or not a tar; re-create it (skopeo copy … oci-archive:FILE:TAG, docker save -o FILE IMAGE)")
	}
	n := 0
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				return nil, bad("", err, "not a tar archive")
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, bad(last, err, "archive truncated after this entry")
			}
			return nil, bad(last, err, "corrupt tar header after this entry")
		}
		if n++; n > maxArchiveEntries {
			return nil, bad("", nil, "more than %d entries", maxArchiveEntries)
		}
		last = hdr.Name
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, ok := cleanName(hdr.Name)
		if !ok {
			if hdr.Typeflag == tar.TypeDir && path.Clean(hdr.Name) == "." {
				continue // "./" is harmless
			}
			return nil, bad(hdr.Name, nil, "unsafe entry name (absolute or with \"..\")")
		}
		if hdr.Typeflag == tar.TypeDir {
			ix.dirs[name] = true
			continue
		}
		if _, dup := ix.entries[name]; dup {
			return nil, bad(hdr.Name, nil, "duplicate entry")
		}
		if ix.dirs[name] {
			return nil, bad(hdr.Name, nil, "entry is both a directory and a file")
		}
		e := archiveEntry{kind: kindOther}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			for k := range hdr.PAXRecords {
				if strings.HasPrefix(k, "GNU.sparse.") {
					return nil, bad(hdr.Name, nil, "sparse files are not supported")
				}
			}
			pos, err := sr.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, bad(hdr.Name, err, "cannot locate entry")
			}
			if hdr.Size < 0 || hdr.Size > size-pos {
				return nil, bad(hdr.Name, io.ErrUnexpectedEOF, "entry of %d bytes runs past the end of the archive", hdr.Size)
			}
			e = archiveEntry{kind: kindFile, offset: pos, size: hdr.Size}
		case tar.TypeSymlink:
			if strings.HasPrefix(hdr.Linkname, "/") {
				e = archiveEntry{kind: kindOther} // refused only if used
				break
			}
			t, ok := cleanName(path.Join(path.Dir(name), hdr.Linkname))
			if !ok {
				e = archiveEntry{kind: kindOther}
				break
			}
			e = archiveEntry{kind: kindSymlink, target: t}
		case tar.TypeLink:
			t, ok := cleanName(hdr.Linkname)
			if !ok {
				e = archiveEntry{kind: kindOther}
				break
			}
			e = archiveEntry{kind: kindHardlink, target: t}
		case tar.TypeGNUSparse:
			return nil, bad(hdr.Name, nil, "sparse files are not supported")
		}
		ix.entries[name] = e
	}
	if n == 0 {
		return nil, bad("", nil, "empty archive: not a tar, or a tar without entries")
	}
	return ix, nil
}

// errNoEntry is returned (wrapped) by lookup for a missing member.
var errNoEntry = errors.New("no such entry in the archive")

// lookup resolves name (following links, bounded) to a regular file entry.
func (ix *archiveIndex) lookup(name string) (archiveEntry, error) {
	n, ok := cleanName(name)
	if !ok {
		return archiveEntry{}, fmt.Errorf("unsafe name %q", name)
	}
	for hop := 0; ; hop++ {
		e, ok := ix.entries[n]
		if !ok {
			return archiveEntry{}, errNoEntry
		}
		switch e.kind {
		case kindFile:
			return e, nil
		case kindSymlink, kindHardlink:
			if hop >= maxLinkHops {
				return archiveEntry{}, fmt.Errorf("more than %d links to follow", maxLinkHops)
			}
			n = e.target
		default:
			return archiveEntry{}, errors.New("not a regular file")
		}
	}
}

// has reports whether name resolves to a regular file.
func (ix *archiveIndex) has(name string) bool {
	_, err := ix.lookup(name)
	return err == nil
}

// section returns a reader over a resolved entry's content.
func (ix *archiveIndex) section(e archiveEntry) *io.SectionReader {
	return io.NewSectionReader(ix.r, e.offset, e.size)
}
