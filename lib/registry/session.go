package registry

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/source"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Session is one registry client (one ggcr Pusher: its transport, its
// authentication and its ping, once per repository) shared by every step
// of one command: ct import's blob uploads (Uploader) and its pushes of
// the manifests (PushParts, Parts.Session). Without it each step would
// ping the registry and authenticate again.
type Session struct {
	ctx     context.Context
	sources source.Options
	once    sync.Once
	pusher  *remote.Pusher
	err     error
}

// NewSession returns a Session for ctx and sources; nothing is sent until
// its first use.
func NewSession(ctx context.Context, sources source.Options) *Session {
	return &Session{ctx: ctx, sources: sources}
}

// get returns the session's pusher, made on first use.
func (s *Session) get() (*remote.Pusher, error) {
	s.once.Do(func() { s.pusher, s.err = remote.NewPusher(remoteOptions(s.ctx, s.sources)...) })
	return s.pusher, s.err
}

// Warm opens, in the background, the session's connection to the
// repository of refStr: the registry's ping and the authentication (a
// token for the repository's push scope, when the registry asks for one),
// so that the first upload does not wait for them. Nothing is uploaded or
// looked up; a failure is left for the first real request to report.
func (s *Session) Warm(refStr string) { go s.warm(refStr) }

func (s *Session) warm(refStr string) {
	u, err := s.Uploader(refStr)
	if err != nil {
		return
	}
	// The Pusher sets up its repository's writer (ping, token) before it
	// looks at the layer; warmLayer then ends the call at its media type,
	// before any request about it.
	_ = u.pusher.Upload(u.ctx, u.repo, warmLayer{})
}

// warmLayer is no layer: every method fails, so a Pusher given it
// sends nothing for it.
type warmLayer struct{ blobLayer }

var errWarm = errors.New("not a layer: a connection warm-up")

func (warmLayer) MediaType() (types.MediaType, error) { return "", errWarm }
func (warmLayer) Digest() (v1.Hash, error)            { return v1.Hash{}, errWarm }
func (warmLayer) Size() (int64, error)                { return 0, errWarm }
func (warmLayer) Compressed() (io.ReadCloser, error)  { return nil, errWarm }

// AheadBlob is a blob PushParts uploads with the blob API that a caller
// may upload ahead of it (ct import, with the layers): Data nil for a
// blob of the bundle, read from where the caller keeps it; Data set for
// a blob of the bundle artifact, made from manifest.toml and the
// signature and proof entries.
type AheadBlob struct {
	Blob bundle.Blob
	Data []byte
}

// BlobAPIBlobs lists, in order and without repeats, what PushParts
// uploads with the blob API for a bundle: its layers, configs, envelopes
// and referrer blobs (registry.md §1), then its bundle artifact's empty
// config, manifest.toml, signatures and proofs (§2). Marked in
// Parts.Uploaded, PushParts neither uploads nor looks them up.
func BlobAPIBlobs(m *bundle.Manifest, manifestBytes []byte, sigs, proofs []bundle.Entry) []AheadBlob {
	var out []AheadBlob
	seen := map[string]bool{}
	for _, b := range m.Blobs {
		if !viaManifestAPI(b.Role) && !seen[b.Digest] {
			seen[b.Digest] = true
			out = append(out, AheadBlob{Blob: b})
		}
	}
	for _, a := range artifactBlobs(manifestBytes, sigs, proofs) {
		if !seen[a.Blob.Digest] {
			seen[a.Blob.Digest] = true
			out = append(out, a)
		}
	}
	return out
}

// artifactBlobs are the blobs of a bundle artifact (§2), in its order.
func artifactBlobs(manifestBytes []byte, sigs, proofs []bundle.Entry) []AheadBlob {
	one := func(data []byte, mt string) AheadBlob {
		return AheadBlob{Blob: bundle.Blob{Digest: bundle.Digest(data), Size: int64(len(data)), MediaType: mt}, Data: data}
	}
	out := []AheadBlob{one(EmptyConfig, EmptyMediaType), one(manifestBytes, ManifestMediaType)}
	for _, e := range sigs {
		out = append(out, one(e.Data, SignatureMediaType))
	}
	for _, e := range proofs {
		out = append(out, one(e.Data, ProofMediaType))
	}
	return out
}
