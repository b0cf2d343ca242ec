package registry

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Uploader uploads layer and config blobs to one repository ahead of
// PushParts, which then finds them there (an existence check) and pushes
// the manifests: ct import, reading an archive in place, hashes each blob
// once, while it uploads it, and pushes a bundle's manifests only once
// every blob of every bundle matched (archive.md §5, "In place").
type Uploader struct {
	ctx    context.Context
	ref    *source.Ref
	repo   name.Repository
	pusher *remote.Pusher
}

// Uploader sets up uploads to the repository of refStr through the
// session's client (PushParts with Parts.Session then reuses it).
func (s *Session) Uploader(refStr string) (*Uploader, error) {
	ref, repo, err := destination(refStr, s.sources)
	if err != nil {
		return nil, err
	}
	pusher, err := s.get()
	if err != nil {
		return nil, source.ClassifyError(ref, err)
	}
	return &Uploader{ctx: s.ctx, ref: ref, repo: repo, pusher: pusher}, nil
}

// Upload uploads the blob b, read from open (called again when a retry
// starts over). The content is not hashed here: the caller's reader does,
// and fails at its end when the digest differs, so that the upload is
// never committed; the registry checks the digest on commit too. An error
// of the caller's reader comes back unchanged (errors.Is), a registry's
// classified (exit 12).
func (u *Uploader) Upload(b bundle.Blob, open func() (io.ReadCloser, error)) error {
	l := &openLayer{blobLayer: blobLayer{b}, open: open}
	err := u.pusher.Upload(u.ctx, u.repo, l)
	var terr *transport.Error
	if err != nil && !l.wasOpened() && u.ctx.Err() == nil && !errors.As(err, &terr) {
		// ggcr uploads a digest once per repository and Pusher: an upload
		// of it started meanwhile (another bundle sharing the blob, through
		// the same Session) is waited for and its outcome taken. When that
		// one failed, this copy was never read: upload it, so that its own
		// content is judged (a damaged other copy is no registry failure).
		// An answer of the registry (transport.Error) is not tried again.
		l = &openLayer{blobLayer: blobLayer{b}, open: open}
		err = u.pusher.Upload(u.ctx, u.repo, l)
	}
	if err == nil {
		return nil
	}
	if rerr := l.err(); rerr != nil {
		return rerr // the reader's failure ended the upload, whatever the transport made of it
	}
	return source.ClassifyError(u.ref, err)
}

// openLayer is a blob uploaded from the caller's reader.
type openLayer struct {
	blobLayer
	open    func() (io.ReadCloser, error)
	mu      sync.Mutex
	readErr error // the last error of the caller's reader, other than io.EOF
	opened  bool  // open was called
}

func (l *openLayer) wasOpened() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opened
}

func (l *openLayer) setErr(err error) {
	l.mu.Lock()
	l.readErr = err
	l.mu.Unlock()
}

func (l *openLayer) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.readErr
}

func (l *openLayer) Compressed() (io.ReadCloser, error) {
	l.mu.Lock()
	l.opened = true
	l.mu.Unlock()
	rc, err := l.open()
	if err != nil {
		l.setErr(err)
		return nil, err
	}
	return readCloser{&errTap{r: rc, l: l}, rc}, nil
}

// errTap notes the reader's error for Upload.
type errTap struct {
	r io.Reader
	l *openLayer
}

func (t *errTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.l.setErr(err)
	}
	return n, err
}
