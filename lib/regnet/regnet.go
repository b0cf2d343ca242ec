// Package regnet is the one HTTP transport every ct command uses to talk to
// a registry (ct pack's registry source, ct push, ct fetch, ct import's
// docker:// destination). A registry is a stranger: the transport bounds
// what it may make ct do (docs/spec/registry.md §4).
//
//   - Redirects: at most MaxRedirects per request (go-containerregistry's
//     http.Client lifts Go's own cap of 10, so a same-host redirect loop
//     would otherwise run forever).
//   - Time: a connect timeout, a TLS handshake timeout, a timeout for the
//     response headers, an idle timeout (no byte of a response body for
//     that long) and an overall timeout for one request, body included.
//   - Size: every registry API response (/v2/…) that is not blob content
//     (manifests, referrers lists, tag lists, error bodies) is read to at
//     most MaxManifestSize bytes; a bigger one fails before ct reads past
//     the limit. Blobs (and foreign layers) are bounded by their
//     descriptor's size by the caller, token answers by
//     go-containerregistry.
//   - Content: a body fetched by digest (GET …/blobs/sha256:… or
//     …/manifests/sha256:…) is hashed as it streams; at its end a body whose
//     digest differs is reported as tampering (exit.HashMismatch).
//
// The limits come from the environment (CT_REGISTRY_*), so that every
// command is configured the same way; see Limits.
package regnet

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

// MaxManifestSize is the largest non-blob response ct reads: ct's own limit
// for an OCI manifest or index (bundle.MaxMetaBlobSize, lib/source).
const MaxManifestSize = 4 << 20

// Limits are the transport's bounds. Zero durations mean no limit.
type Limits struct {
	MaxRedirects   int           // CT_REGISTRY_MAX_REDIRECTS, default 10
	Connect        time.Duration // CT_REGISTRY_CONNECT_TIMEOUT, default 30s
	TLSHandshake   time.Duration // CT_REGISTRY_TLS_TIMEOUT, default 30s
	ResponseHeader time.Duration // CT_REGISTRY_HEADER_TIMEOUT, default 60s
	Idle           time.Duration // CT_REGISTRY_IDLE_TIMEOUT, default 60s: no body byte for this long
	Request        time.Duration // CT_REGISTRY_TIMEOUT, default 1h: one request, body included
	MaxManifest    int64         // not configurable: MaxManifestSize
}

// Defaults are the limits without any CT_REGISTRY_* variable.
func Defaults() Limits {
	return Limits{MaxRedirects: 10, Connect: 30 * time.Second, TLSHandshake: 30 * time.Second,
		ResponseHeader: 60 * time.Second, Idle: 60 * time.Second, Request: time.Hour, MaxManifest: MaxManifestSize}
}

// Environment variables, in the order Limits lists them.
const (
	EnvMaxRedirects   = "CT_REGISTRY_MAX_REDIRECTS"
	EnvConnect        = "CT_REGISTRY_CONNECT_TIMEOUT"
	EnvTLSHandshake   = "CT_REGISTRY_TLS_TIMEOUT"
	EnvResponseHeader = "CT_REGISTRY_HEADER_TIMEOUT"
	EnvIdle           = "CT_REGISTRY_IDLE_TIMEOUT"
	EnvRequest        = "CT_REGISTRY_TIMEOUT"
)

// EnvHelp documents the variables for --help and the man pages of the
// commands that talk to registries.
const EnvHelp = `Environment (registry bounds; a duration is like 90s or 5m, 0 for no limit):
  CT_REGISTRY_MAX_REDIRECTS     redirects followed per request, 0 to 100 (default 10)
  CT_REGISTRY_CONNECT_TIMEOUT   TCP connect (default 30s)
  CT_REGISTRY_TLS_TIMEOUT       TLS handshake (default 30s)
  CT_REGISTRY_HEADER_TIMEOUT    waiting for response headers (default 60s)
  CT_REGISTRY_IDLE_TIMEOUT      no body byte for this long (default 60s)
  CT_REGISTRY_TIMEOUT           one whole request, body included (default 1h)`

// FromEnv returns Defaults overridden by the CT_REGISTRY_* variables set in
// the environment. A duration is a Go duration ("90s", "5m", "0" for no
// limit); the redirect count is an integer from 0 to 100. An invalid value
// is a usage error (exit 64).
func FromEnv() (Limits, error) {
	l := Defaults()
	bad := func(env, v, want string) error {
		return exit.New(exit.Usage, "%s=%q is not %s", env, v, want).At("environment").
			WithHint("fix or unset %s (docs/spec/registry.md §4)", env)
	}
	if v := os.Getenv(EnvMaxRedirects); strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 100 {
			return l, bad(EnvMaxRedirects, v, "an integer from 0 to 100")
		}
		l.MaxRedirects = n
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{EnvConnect, &l.Connect}, {EnvTLSHandshake, &l.TLSHandshake}, {EnvResponseHeader, &l.ResponseHeader},
		{EnvIdle, &l.Idle}, {EnvRequest, &l.Request}} {
		v := os.Getenv(d.env)
		if strings.TrimSpace(v) == "" {
			continue // unset or empty: the default
		}
		t, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || t < 0 {
			return l, bad(d.env, v, "a duration such as 30s or 5m (0 for no limit)")
		}
		*d.to = t
	}
	return l, nil
}

// New returns the bounded transport over base (nil: a fresh transport like
// go-containerregistry's default, honouring the proxy variables), with the
// limits of the environment (FromEnv). insecure skips TLS verification
// (--insecure-registry). An invalid CT_REGISTRY_* value makes every request
// fail with its usage error.
func New(base http.RoundTripper, insecure bool) http.RoundTripper {
	l, err := FromEnv()
	if err != nil {
		return errTransport{err}
	}
	if base != nil {
		return NewWithLimits(base, insecure, l)
	}
	// One connection pool per setting, as with go-containerregistry's
	// shared default transport.
	shared.Lock()
	defer shared.Unlock()
	k := sharedKey{insecure, l}
	if t, ok := shared.m[k]; ok {
		return t
	}
	t := NewWithLimits(nil, insecure, l)
	shared.m[k] = t
	return t
}

type sharedKey struct {
	insecure bool
	l        Limits
}

var shared = struct {
	sync.Mutex
	m map[sharedKey]http.RoundTripper
}{m: map[sharedKey]http.RoundTripper{}}

// NewWithLimits is New with explicit limits.
func NewWithLimits(base http.RoundTripper, insecure bool, l Limits) http.RoundTripper {
	if l.MaxManifest <= 0 {
		l.MaxManifest = MaxManifestSize
	}
	var ht *http.Transport
	switch t := base.(type) {
	case nil:
		ht = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: 1 * time.Second,
			MaxIdleConnsPerHost:   50,
		}
	case *http.Transport:
		ht = t.Clone()
	}
	if ht != nil {
		dialer := &net.Dialer{Timeout: l.Connect, KeepAlive: 30 * time.Second}
		if ht.DialContext == nil || base == nil {
			ht.DialContext = dialer.DialContext
		} else if l.Connect > 0 {
			next := ht.DialContext
			ht.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				ctx, cancel := context.WithTimeout(ctx, l.Connect)
				defer cancel()
				return next(ctx, network, addr)
			}
		}
		ht.DialContext = bigWrites(ht.DialContext)
		ht.TLSHandshakeTimeout = l.TLSHandshake
		ht.ResponseHeaderTimeout = l.ResponseHeader
		if insecure {
			if ht.TLSClientConfig == nil {
				ht.TLSClientConfig = &tls.Config{}
			}
			ht.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // --insecure-registry asks for it
		}
		base = ht
	}
	return &bounded{next: base, l: l}
}

type errTransport struct{ err error }

func (e errTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, e.err
}

type bounded struct {
	next http.RoundTripper
	l    Limits
}

// reByDigest matches the paths whose content is named by its digest.
var reByDigest = regexp.MustCompile(`^/v2/(.+)/(blobs|manifests)/(sha256:[0-9a-f]{64})$`)

func (b *bounded) RoundTrip(req *http.Request) (*http.Response, error) {
	// The redirect chain: net/http sets req.Response on a redirected
	// request to the response that caused it.
	first, hops := req, 0
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
		hops++
	}
	host := first.URL.Host
	if hops > b.l.MaxRedirects {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, exit.New(exit.Network, "redirected %s more than %d times (a redirect loop?)", first.URL.Path, b.l.MaxRedirects).
			At("registry "+host).
			WithHint("the registry is misconfigured or hostile; if it really needs more redirects, set %s", EnvMaxRedirects)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	var stopOverall func() bool = func() bool { return true }
	if b.l.Request > 0 {
		t := time.AfterFunc(b.l.Request, func() {
			cancel(exit.New(exit.Network, "%s did not complete within %s", first.URL.Path, b.l.Request).
				At("registry "+host).
				WithHint("the registry is too slow or stalls on purpose; raise %s if the network is just slow", EnvRequest))
		})
		stopOverall = t.Stop
	}
	resp, err := b.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stopOverall()
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		} else if isHeaderTimeout(err) {
			err = exit.Wrap(exit.Network, err, "no response headers for %s within %s", first.URL.Path, b.l.ResponseHeader).
				At("registry "+host).
				WithHint("the registry is too slow or stalls on purpose; raise %s if the network is just slow", EnvResponseHeader)
		}
		cancel(nil)
		return nil, err
	}
	body := &body{rc: resp.Body, ctx: ctx, cancel: cancel, stopOverall: stopOverall, host: host, path: first.URL.Path, idle: b.l.Idle}
	m := reByDigest.FindStringSubmatch(first.URL.Path)
	isBlob := m != nil && m[2] == "blobs"
	if req.Method == http.MethodGet && resp.StatusCode == http.StatusOK && m != nil {
		body.want, body.h = m[3], sha256.New()
		body.where = "registry " + host + "/" + m[1] + "@" + m[3]
	}
	if strings.HasPrefix(first.URL.Path, "/v2/") && !(isBlob && resp.StatusCode/100 == 2) {
		// Registry API responses that are not blob content: bounded by
		// ct's manifest limit. (Other URLs are token servers, whose
		// answers go-containerregistry bounds itself, and foreign layer
		// URLs, bounded by their descriptor's size.)
		if resp.ContentLength > b.l.MaxManifest {
			resp.Body.Close()
			stopOverall()
			cancel(nil)
			return nil, tooBig(host, first.URL.Path, resp.ContentLength, b.l.MaxManifest)
		}
		body.limit = b.l.MaxManifest
	}
	resp.Body = body
	return resp, nil
}

func tooBig(host, path string, n, limit int64) error {
	what := fmt.Sprintf("a response of %d bytes", n)
	if n < 0 {
		what = "a longer response"
	}
	return exit.New(exit.Malformed, "%s to %s, over ct's %d-byte limit for a manifest or any response that is not a blob", what, path, limit).
		At("registry " + host).WithHint("the registry serves something that is not an image manifest; check the reference, and do not trust this registry")
}

func isHeaderTimeout(err error) bool {
	return err != nil && strings.Contains(err.Error(), "timeout awaiting response headers")
}

// body is a response body under the transport's bounds.
type body struct {
	rc          io.ReadCloser
	ctx         context.Context
	cancel      context.CancelCauseFunc
	stopOverall func() bool
	host, path  string
	idle        time.Duration // no data for this long while reading: stalled
	timer       *time.Timer   // runs only during a Read
	limit       int64         // 0: none
	n           int64
	want, where string // digest to check at EOF
	h           hash.Hash
	mu          sync.Mutex
	err         error // sticky: once failed or at EOF, always this
	closeOnce   sync.Once
}

func (b *body) stalled() {
	b.cancel(exit.New(exit.Network, "no data for %s: the response to %s stalled", b.idle, b.path).
		At("registry "+b.host).
		WithHint("the registry stalls (or the network does); raise %s if the network is just slow", EnvIdle))
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.limit > 0 && int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1]
	}
	// The idle clock runs only while ct waits for the registry: a slow
	// reader is not a stalled registry.
	if b.idle > 0 {
		if b.timer == nil {
			b.timer = time.AfterFunc(b.idle, b.stalled)
		} else {
			b.timer.Reset(b.idle)
		}
	}
	n, err := b.rc.Read(p)
	if b.timer != nil {
		b.timer.Stop()
	}
	b.n += int64(n)
	if b.h != nil {
		b.h.Write(p[:n])
	}
	if b.limit > 0 && b.n > b.limit {
		return 0, b.finish(tooBig(b.host, b.path, -1, b.limit))
	}
	if err == io.EOF {
		if b.h != nil {
			if got := "sha256:" + hex.EncodeToString(b.h.Sum(nil)); got != b.want {
				return n, b.finish(exit.New(exit.HashMismatch, "tampering: the registry served content with digest %s (%d bytes) for %s", got, b.n, b.want).
					At(b.where).
					WithHint("the content does not match the digest it was requested by: the registry, or something on the way, altered it; do not use this copy, and push the bundle again from a verified one"))
			}
		}
		return n, b.finish(io.EOF)
	}
	if err != nil {
		if cause := context.Cause(b.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
		return n, b.finish(err)
	}
	return n, nil
}

// VerifiedDigest returns the digest this body was requested by once it has
// been read to its end and matched it, else "". A caller that reads a blob
// through this transport need not hash it again.
func (b *body) VerifiedDigest() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.h != nil && b.err == io.EOF {
		return b.want
	}
	return ""
}

func (b *body) finish(err error) error {
	if b.timer != nil {
		b.timer.Stop()
	}
	b.stopOverall()
	b.err = err
	return err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.closeOnce.Do(func() {
		if b.timer != nil {
			b.timer.Stop()
		}
		b.stopOverall()
		b.cancel(nil)
	})
	return err
}

// ggcrVerification matches go-containerregistry's own content checks
// (internal/verify and remote's fetcher), which it reports as plain errors.
var ggcrVerification = regexp.MustCompile(`error verifying sha256 checksum|error verifying size|error verifying Digest|error verifying Size|manifest digest: .* does not match requested digest|Content-Length header \d+ does not match expected size`)

// Tampering turns go-containerregistry's reports of content that does not
// match its digest or size into exit.HashMismatch at where; other errors
// (and nil) come back unchanged, with ok false. The transport itself reports most
// mismatches (see New); go-containerregistry sees some first (a body longer
// than its descriptor says, a Content-Length that differs from it).
func Tampering(err error, where string) (_ error, ok bool) {
	if err == nil {
		return nil, false
	}
	var ee *exit.Error
	if errors.As(err, &ee) || !ggcrVerification.MatchString(err.Error()) {
		return err, false
	}
	return exit.Wrap(exit.HashMismatch, err, "tampering: the registry served content that does not match its digest or size").At(where).
		WithHint("the registry, or something on the way, altered it; do not use this copy, and push the bundle again from a verified one"), true
}
