package source

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/cerro-torre/ct/lib/exit"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Size bounds for what is read into memory.
const (
	maxManifestSize = 4 << 20 // manifests, index.json, manifest.json, oci-layout
	maxConfigSize   = 8 << 20 // image configs
)

// store is a tree of files: an OCI layout directory or a tar archive's index.
type store interface {
	// open opens a file by slash-separated name relative to the root and
	// returns its size. Errors are *exit.Error; a missing file is
	// exit.Malformed (the source is incomplete), wrapping fs.ErrNotExist.
	open(name string) (io.ReadCloser, int64, error)
	// where describes name for error messages.
	where(name string) string
}

// missing is a missing file or archive entry: the message says so once
// (its where names the file), and it is fs.ErrNotExist to errors.Is.
type missing struct{ err error }

func (m missing) Error() string        { return "not found" }
func (m missing) Unwrap() error        { return m.err }
func (m missing) Is(target error) bool { return target == fs.ErrNotExist }

// dirStore serves files of a directory.
type dirStore struct{ root, desc string }

func (d *dirStore) where(name string) string { return d.desc + ", file " + name }

func (d *dirStore) open(name string) (io.ReadCloser, int64, error) {
	f, err := os.Open(filepath.Join(d.root, filepath.FromSlash(name)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, exit.Wrap(exit.Malformed, missing{err}, "missing file").At(d.where(name)).
				WithHint("the OCI layout is incomplete; copy the image again, e.g. skopeo copy docker://IMAGE oci:DIR:TAG")
		}
		return nil, 0, exit.Wrap(exit.IO, err, "cannot open").At(d.where(name)).WithHint("check the file's permissions")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, exit.Wrap(exit.IO, err, "cannot stat").At(d.where(name)).WithHint("check the file's permissions")
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, exit.New(exit.Malformed, "not a regular file").At(d.where(name)).
			WithHint("the OCI layout is damaged; copy the image again")
	}
	return f, st.Size(), nil
}

// archiveStore serves the members of a tar archive through its index.
type archiveStore struct {
	ix   *archiveIndex
	desc string
}

func (a *archiveStore) where(name string) string { return a.desc + ", entry " + name }

func (a *archiveStore) open(name string) (io.ReadCloser, int64, error) {
	e, err := a.ix.lookup(name)
	if err != nil {
		if errors.Is(err, errNoEntry) {
			return nil, 0, exit.Wrap(exit.Malformed, missing{err}, "missing entry").At(a.where(name)).
				WithHint("the archive is incomplete; re-create it")
		}
		return nil, 0, exit.Wrap(exit.Malformed, err, "unusable entry").At(a.where(name)).
			WithHint("the archive is damaged; re-create it")
	}
	return io.NopCloser(a.ix.section(e)), e.size, nil
}

// readFile reads a whole (small) file of s, refusing more than limit bytes.
func readFile(s store, name string, limit int64) ([]byte, error) {
	rc, n, err := s.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if n > limit {
		return nil, exit.New(exit.Malformed, "%d bytes, more than the %d allowed", n, limit).At(s.where(name))
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read").At(s.where(name))
	}
	return b, nil
}

var reHex = map[string]*regexp.Regexp{
	"sha256": regexp.MustCompile(`^[a-f0-9]{64}$`),
	"sha512": regexp.MustCompile(`^[a-f0-9]{128}$`),
}

// blobName returns the layout path of blob h, refusing odd algorithms and
// hex so that a digest can never name a path outside blobs/.
func blobName(h v1.Hash) (string, error) {
	re, ok := reHex[h.Algorithm]
	if !ok || !re.MatchString(h.Hex) {
		return "", fmt.Errorf("unsupported digest %q", h.String())
	}
	return "blobs/" + h.Algorithm + "/" + h.Hex, nil
}

func newHash(alg string) hash.Hash {
	if alg == "sha512" {
		return sha512.New()
	}
	return sha256.New()
}

// blobs opens content-addressed blobs.
type blobs interface {
	// openBlob opens the blob with digest h and checks it holds size bytes;
	// the reader checks the digest at EOF.
	openBlob(h v1.Hash, size int64) (io.ReadCloser, error)
	where(h v1.Hash) string
}

// layoutBlobs serves blobs/ALG/HEX of a store.
type layoutBlobs struct{ s store }

func (l layoutBlobs) where(h v1.Hash) string {
	n, err := blobName(h)
	if err != nil {
		return l.s.where("blob " + h.String())
	}
	return l.s.where(n)
}

func (l layoutBlobs) openBlob(h v1.Hash, size int64) (io.ReadCloser, error) {
	n, err := blobName(h)
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "bad blob digest").At(l.s.where("blob " + h.String()))
	}
	rc, got, err := l.s.open(n)
	if err != nil {
		return nil, err
	}
	return checkedBlob(rc, got, h, size, l.s.where(n))
}

// checkedBlob checks the stored size against the descriptor's and returns a
// reader verifying the digest as it streams.
func checkedBlob(rc io.ReadCloser, got int64, h v1.Hash, size int64, where string) (io.ReadCloser, error) {
	if size >= 0 && got != size {
		rc.Close()
		return nil, exit.New(exit.Malformed, "blob holds %d bytes, its descriptor says %d", got, size).At(where).
			WithHint("the source is corrupt; copy or export the image again")
	}
	return &verifyReader{rc: rc, h: newHash(h.Algorithm), want: h, left: got, where: where}, nil
}

// verifyReader streams a blob and turns EOF into an exit.Malformed error if
// the digest or length is wrong.
type verifyReader struct {
	rc    io.ReadCloser
	h     hash.Hash
	want  v1.Hash
	left  int64
	where string
	err   error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if int64(len(p)) > v.left+1 {
		p = p[:v.left+1]
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.left -= int64(n)
	if v.left < 0 {
		v.err = exit.New(exit.Malformed, "blob is longer than its descriptor says").At(v.where)
		return n, v.err
	}
	if err == io.EOF {
		if v.left != 0 {
			v.err = exit.Wrap(exit.Malformed, io.ErrUnexpectedEOF, "blob is %d bytes short", v.left).At(v.where)
			return n, v.err
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			v.err = exit.New(exit.Malformed, "blob content has digest %s:%s, expected %s", v.want.Algorithm, got, v.want).At(v.where).
				WithHint("the source is corrupt; copy or export the image again")
			return n, v.err
		}
		v.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		v.err = exit.Wrap(exit.IO, err, "cannot read blob").At(v.where)
		return n, v.err
	}
	return n, nil
}

func (v *verifyReader) Close() error { return v.rc.Close() }

// readBlob reads a small blob whole, bounded by limit, checking size and digest.
func readBlob(b blobs, h v1.Hash, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, exit.New(exit.Malformed, "%d bytes, more than the %d allowed", size, limit).At(b.where(h))
	}
	rc, err := b.openBlob(h, size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return out, nil
}
