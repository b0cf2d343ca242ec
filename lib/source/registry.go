package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/regnet"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// isLoopbackHost reports whether host (no port) is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// registryHost returns the host part of a registry name ("host:port").
func registryHost(reg string) string {
	if h, _, err := net.SplitHostPort(reg); err == nil {
		return h
	}
	return reg
}

// plainHTTPGuard refuses plain-HTTP requests to hosts that are not loopback,
// before anything is sent. ggcr's name package would use http for RFC 1918
// addresses too; ct only does so when asked with --insecure-registry.
type plainHTTPGuard struct {
	next     http.RoundTripper
	insecure bool
}

// NewPlainHTTPGuard wraps next so that http:// requests to non-loopback hosts
// fail unless insecure is set. Open installs it on every registry transport.
func NewPlainHTTPGuard(next http.RoundTripper, insecure bool) http.RoundTripper {
	if next == nil {
		next = remote.DefaultTransport
	}
	return &plainHTTPGuard{next: next, insecure: insecure}
}

func (g *plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !g.insecure && req.URL != nil && strings.EqualFold(req.URL.Scheme, "http") && !isLoopbackHost(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, exit.New(exit.Network, "refusing plain HTTP to %s: only loopback registries may be used without TLS", req.URL.Host).
			At("registry " + req.URL.Host).
			WithHint("if this registry really only speaks HTTP, pass --insecure-registry")
	}
	return g.next.RoundTrip(req)
}

// registryTransport builds the round tripper for opts: the caller's (or a
// default) transport under lib/regnet's bounds (redirects, timeouts,
// response sizes, digest checks), without TLS verification if
// InsecureRegistry, behind the plain-HTTP guard.
func registryTransport(opts Options) http.RoundTripper {
	return NewPlainHTTPGuard(regnet.New(opts.Transport, opts.InsecureRegistry), opts.InsecureRegistry)
}

// NameOptions are the go-containerregistry name options for ref: plain HTTP
// (name.Insecure) only for a loopback registry or with InsecureRegistry.
func NameOptions(ref *Ref, opts Options) []name.Option {
	if opts.InsecureRegistry || isLoopbackHost(registryHost(ref.Registry)) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// RemoteOptions are the go-containerregistry remote options for opts: the
// keychain (docker/podman config files by default), the transport behind
// the plain-HTTP guard, the context and the user agent. Every command that
// talks to a registry uses them, so all behave alike.
func RemoteOptions(opts Options) []remote.Option {
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ropts := []remote.Option{
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(registryTransport(opts)),
		remote.WithContext(ctx),
	}
	if opts.UserAgent != "" {
		ropts = append(ropts, remote.WithUserAgent(opts.UserAgent))
	}
	return ropts
}

func openRegistry(ref *Ref, opts Options) (*Root, error) {
	s := ref.Registry + "/" + ref.Repository
	if ref.Digest != "" {
		s += "@" + ref.Digest
	} else {
		s += ":" + ref.Tag
	}
	nr, err := name.ParseReference(s, NameOptions(ref, opts)...)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "not a valid registry reference").At(ref.where()).WithHint("%s", supportedForms)
	}
	ropts := RemoteOptions(opts)
	desc, err := remote.Get(nr, ropts...)
	if err != nil {
		return nil, ClassifyError(ref, err)
	}
	if desc.Size > maxManifestSize {
		return nil, exit.New(exit.Malformed, "manifest of %d bytes, more than the %d allowed", desc.Size, maxManifestSize).At(ref.where())
	}
	root := &Root{Ref: ref, Descriptor: desc.Descriptor, Close: func() error { return nil }}
	root.OpenBlob = (&registryBlobs{repo: nr.Context(), opts: opts}).open
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, ClassifyError(ref, err)
		}
		root.Index = &classifiedIndex{idx: idx, ref: ref}
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return nil, ClassifyError(ref, err)
		}
		root.Image = &classifiedImage{Image: img, ref: ref}
	default:
		return nil, unsupportedMediaType(desc.Descriptor, ref.where())
	}
	return root, nil
}

// ClassifyError turns any error met while reading from ref's source into an
// *exit.Error: errors that already are one are returned unchanged; registry
// and network errors become exit.Network with a precise message and hint.
// The packer calls it on errors from lazily read blobs.
func ClassifyError(ref *Ref, err error) error {
	if err == nil {
		return nil
	}
	var ee *exit.Error
	if errors.As(err, &ee) {
		return err
	}
	where := ref.where()
	if terr, ok := regnet.Tampering(err, where); ok {
		return terr
	}
	if ref == nil || ref.Transport != TransportDocker {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return exit.Wrap(exit.Malformed, err, "source data truncated").At(where)
		}
		return exit.Wrap(exit.IO, err, "cannot read the source").At(where)
	}
	reg := ref.Registry
	notFound := func() error {
		return exit.Wrap(exit.Network, err, "image not found in registry").At(where).
			WithHint("check the name and tag, e.g. skopeo list-tags docker://%s/%s", reg, ref.Repository)
	}
	authRefused := func() error {
		return exit.Wrap(exit.Network, err, "authentication refused").At(where).
			WithHint("log in with `docker login %s` or `podman login %s`; credentials are read from ~/.docker/config.json and ${XDG_RUNTIME_DIR}/containers/auth.json", reg, reg)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		err = registryText{te, where}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				return notFound()
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return authRefused()
			case transport.TooManyRequestsErrorCode:
				return exit.Wrap(exit.Network, err, "registry rate limit reached").At(where).
					WithHint("wait and retry, or log in (docker login %s) for a higher limit", reg)
			case transport.BlobUnknownErrorCode:
				return exit.Wrap(exit.Network, err, "blob missing from registry").At(where).
					WithHint("the image in the registry is incomplete; push it again or use another tag")
			}
		}
		switch te.StatusCode {
		case http.StatusNotFound:
			return notFound()
		case http.StatusUnauthorized, http.StatusForbidden:
			return authRefused()
		case http.StatusTooManyRequests:
			return exit.Wrap(exit.Network, err, "registry rate limit reached").At(where).
				WithHint("wait and retry, or log in (docker login %s) for a higher limit", reg)
		}
		return exit.Wrap(exit.Network, err, "registry error").At(where).
			WithHint("retry later; if it persists, check the registry's status")
	}
	if isTLSError(err) {
		return exit.Wrap(exit.Network, err, "TLS failure talking to the registry").At(where).
			WithHint("install the registry's CA certificate, or, if it has none (self-signed or plain HTTP), pass --insecure-registry")
	}
	if errors.Is(err, context.Canceled) {
		return exit.Wrap(exit.Network, err, "registry request cancelled").At(where)
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) || errors.As(err, &opErr) {
		return exit.Wrap(exit.Network, netReason(err), "registry unreachable").At(where).
			WithHint("check the registry name %s, your network and proxy settings, then retry", reg)
	}
	return exit.Wrap(exit.Network, err, "registry request failed").At(where).
		WithHint("retry; if it persists, check the registry name and your network")
}

func isTLSError(err error) bool {
	var (
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		cv  *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		rhp *tls.RecordHeaderError
	)
	if errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &cv) ||
		errors.As(err, &rh) || errors.As(err, &rhp) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "server gave HTTP response to HTTPS client") || strings.Contains(s, "tls: ")
}

// classifiedIndex classifies the errors of a registry index's lazy reads.
type classifiedIndex struct {
	idx v1.ImageIndex
	ref *Ref
}

func (x *classifiedIndex) MediaType() (types.MediaType, error) { return x.idx.MediaType() }
func (x *classifiedIndex) Digest() (v1.Hash, error)            { return x.idx.Digest() }
func (x *classifiedIndex) Size() (int64, error)                { return x.idx.Size() }

func (x *classifiedIndex) IndexManifest() (*v1.IndexManifest, error) {
	m, err := x.idx.IndexManifest()
	return m, ClassifyError(x.ref, err)
}

func (x *classifiedIndex) RawManifest() ([]byte, error) {
	b, err := x.idx.RawManifest()
	return b, ClassifyError(x.ref, err)
}

func (x *classifiedIndex) Image(h v1.Hash) (v1.Image, error) {
	img, err := x.idx.Image(h)
	if err != nil {
		return nil, ClassifyError(x.ref, err)
	}
	return &classifiedImage{Image: img, ref: x.ref}, nil
}

func (x *classifiedIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	ix, err := x.idx.ImageIndex(h)
	if err != nil {
		return nil, ClassifyError(x.ref, err)
	}
	return &classifiedIndex{idx: ix, ref: x.ref}, nil
}

// classifiedImage classifies the errors of a registry image's lazy reads and
// bounds its config.
type classifiedImage struct {
	v1.Image
	ref *Ref
}

func (i *classifiedImage) checkConfigSize() error {
	m, err := i.Image.Manifest()
	if err != nil {
		return ClassifyError(i.ref, err)
	}
	if m.Config.Size > maxConfigSize {
		return exit.New(exit.Malformed, "config of %d bytes, more than the %d allowed", m.Config.Size, maxConfigSize).At(i.ref.where())
	}
	return nil
}

func (i *classifiedImage) RawConfigFile() ([]byte, error) {
	if err := i.checkConfigSize(); err != nil {
		return nil, err
	}
	b, err := i.Image.RawConfigFile()
	return b, ClassifyError(i.ref, err)
}

func (i *classifiedImage) ConfigFile() (*v1.ConfigFile, error) {
	if err := i.checkConfigSize(); err != nil {
		return nil, err
	}
	c, err := i.Image.ConfigFile()
	return c, ClassifyError(i.ref, err)
}

func (i *classifiedImage) Manifest() (*v1.Manifest, error) {
	m, err := i.Image.Manifest()
	return m, ClassifyError(i.ref, err)
}

func (i *classifiedImage) RawManifest() ([]byte, error) {
	b, err := i.Image.RawManifest()
	return b, ClassifyError(i.ref, err)
}

func (i *classifiedImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, ClassifyError(i.ref, err)
	}
	out := make([]v1.Layer, len(ls))
	for n, l := range ls {
		out[n] = &classifiedLayer{Layer: l, ref: i.ref}
	}
	return out, nil
}

func (i *classifiedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, ClassifyError(i.ref, err)
	}
	return &classifiedLayer{Layer: l, ref: i.ref}, nil
}

func (i *classifiedImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDiffID(h)
	if err != nil {
		return nil, ClassifyError(i.ref, err)
	}
	return &classifiedLayer{Layer: l, ref: i.ref}, nil
}

// classifiedLayer classifies errors from opening and reading a registry blob.
type classifiedLayer struct {
	v1.Layer
	ref *Ref
}

func (l *classifiedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, ClassifyError(l.ref, err)
	}
	return &classifiedReader{rc: rc, ref: l.ref}, nil
}

func (l *classifiedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, ClassifyError(l.ref, err)
	}
	return &classifiedReader{rc: rc, ref: l.ref}, nil
}

type classifiedReader struct {
	rc  io.ReadCloser
	ref *Ref
}

func (r *classifiedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = ClassifyError(r.ref, err)
	}
	return n, err
}

func (r *classifiedReader) Close() error { return r.rc.Close() }
