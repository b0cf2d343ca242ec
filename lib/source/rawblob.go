package source

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registryBlobs fetches blobs by digest from one repository as stored, with
// one GET each and nothing in between: no go-containerregistry layer, so no
// second digest check. The transport is the same as every registry request's
// (lib/regnet's bounds behind the plain-HTTP guard), and lib/regnet checks
// the digest of every blob body as it streams; its body reports the digest
// it verified (VerifiedDigest) so that a caller need not hash the bytes again.
type registryBlobs struct {
	repo name.Repository
	opts Options
	once sync.Once
	rt   http.RoundTripper
	err  error
}

func (r *registryBlobs) transport(ctx context.Context) (http.RoundTripper, error) {
	r.once.Do(func() {
		kc := r.opts.Keychain
		if kc == nil {
			kc = authn.DefaultKeychain
		}
		auth, err := authn.Resolve(ctx, kc, r.repo)
		if err != nil {
			r.err = err
			return
		}
		var rt http.RoundTripper = registryTransport(r.opts)
		if r.opts.UserAgent != "" {
			rt = transport.NewUserAgent(rt, r.opts.UserAgent)
		}
		r.rt, r.err = transport.NewWithContext(ctx, r.repo.Registry, auth, rt, []string{r.repo.Scope(transport.PullScope)})
	})
	return r.rt, r.err
}

// open GETs the blob named digest. Errors are the registry's (transport.Error)
// or the network's, for ClassifyError.
func (r *registryBlobs) open(ctx context.Context, digest string) (io.ReadCloser, error) {
	rt, err := r.transport(ctx)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: r.repo.Registry.Scheme(), Host: r.repo.RegistryStr(), Path: fmt.Sprintf("/v2/%s/blobs/%s", r.repo.RepositoryStr(), digest)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp.Body, nil
}
