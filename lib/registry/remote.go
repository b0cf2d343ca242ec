// Package registry stores bundles in OCI registries and gets them back
// (docs/spec/registry.md): Push uploads the bundled image so that any client
// can pull it by digest and attaches the bundle's manifest.toml and
// signatures to it as an OCI artifact (referrers API, or the referrers tag
// schema where the registry lacks it); Fetch finds that artifact and rebuilds
// the bundle byte for byte from it and the image, then verifies it.
//
// Registry access is lib/source's: the same keychain, the same plain-HTTP
// guard (plain HTTP only to loopback unless --insecure-registry) and the same
// error classification (exit.Network with a hint).
package registry

import (
	"context"
	"errors"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// parseRef parses a registry reference (what ct pack accepts as a registry
// SOURCE); other transports are usage errors.
func parseRef(s string) (*source.Ref, error) {
	const hint = "give REGISTRY/REPOSITORY[:TAG|@DIGEST], e.g. localhost:5000/app:1.0"
	ref, err := source.Parse(s)
	if err != nil {
		// source.Parse speaks of ct pack's SOURCE; here only a registry
		// reference is meant, and the hint says so.
		var e *exit.Error
		if errors.As(err, &e) && e.Code == exit.Usage {
			msg := e.Msg
			if s == "" {
				msg = "empty registry reference"
			}
			return nil, &exit.Error{Code: exit.Usage, Where: "reference " + s, Msg: msg, Err: e.Err, Hint: hint}
		}
		return nil, err
	}
	if ref.Transport != source.TransportDocker {
		return nil, exit.New(exit.Usage, "%s is not a registry reference", ref.String()).
			At("reference " + s).WithHint(hint)
	}
	return ref, nil
}

func repository(ref *source.Ref, opts source.Options) (name.Repository, error) {
	repo, err := name.NewRepository(ref.Registry+"/"+ref.Repository, source.NameOptions(ref, opts)...)
	if err != nil {
		return repo, exit.Wrap(exit.Usage, err, "not a valid repository").At("reference " + ref.Given)
	}
	return repo, nil
}

// destination parses a push destination and checks the environment: the
// start ct push and ct import --to docker:// share.
func destination(refStr string, sources source.Options) (*source.Ref, name.Repository, error) {
	ref, err := parseRef(refStr)
	if err != nil {
		return nil, name.Repository{}, err
	}
	if err := checkEnv(); err != nil {
		return nil, name.Repository{}, err
	}
	repo, err := repository(ref, sources)
	if err != nil {
		return nil, name.Repository{}, err
	}
	return ref, repo, nil
}

// checkEnv reports an invalid CT_REGISTRY_* setting before anything is
// sent (the transport would report it on every request).
func checkEnv() error {
	_, err := regnet.FromEnv()
	return err
}

// remoteOptions are lib/source's registry options with ctx.
func remoteOptions(ctx context.Context, opts source.Options) []remote.Option {
	opts.Context = ctx
	return source.RemoteOptions(opts)
}

// rawManifest is a manifest pushed with its exact bytes and media type, so
// that its digest is preserved.
type rawManifest struct {
	raw []byte
	mt  string
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.MediaType(r.mt), nil }

// TermSafe returns err for printing on a terminal: the same exit code, its
// message and hint with every character that could drive the terminal
// escaped (termsafe.Escape; hint lines stay lines). Registry errors carry
// text the registry chose (error bodies, media types, key labels).
func TermSafe(err error) error {
	if err == nil {
		return nil
	}
	hint := exit.HintOf(err)
	if hint != "" {
		lines := strings.Split(hint, "\n")
		for i, l := range lines {
			lines[i] = termsafe.Escape(l)
		}
		hint = strings.Join(lines, "\n")
	}
	return &exit.Error{Code: exit.CodeOf(err), Msg: termsafe.Escape(err.Error()), Hint: hint}
}
