package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// FetchRequest is one `ct fetch` invocation.
type FetchRequest struct {
	Ref      string   // REGISTRY/REPO[:TAG|@DIGEST]: the image the bundle is attached to
	Output   string   // file to write; "" or "-" means Stdout
	Stdout   *os.File //
	Artifact string   // --artifact: use only this bundle artifact (sha256:…)
	NoVerify bool     // write the bundle without verifying it
	Verify   verify.Options
	Sources  source.Options
	Quiet    bool

	// VerifyOnly checks the attached bundle against what the registry
	// serves without downloading a layer, and writes nothing (§3.1).
	VerifyOnly bool
}

// FetchResult describes a fetched bundle.
type FetchResult struct {
	Schema         string    `json:"schema"` // "ct.fetch/1"
	Path           string    `json:"bundle,omitempty"`
	Repository     string    `json:"repository"`
	ImageDigest    string    `json:"imageDigest"`
	ManifestDigest string    `json:"manifestDigest,omitempty"`
	Name           string    `json:"name,omitempty"`
	Version        string    `json:"version,omitempty"`
	Artifacts      []string  `json:"artifacts"`        // the artifacts whose signatures were used
	Signatures     []string  `json:"signatures"`       // the signature entries of the bundle
	Proofs         []string  `json:"proofs,omitempty"` // its transparency proof entries (bundle.md §6.1)
	Ignored        []Ignored `json:"ignored"`          // attached artifacts and signatures not used, and why
	Bytes          int64     `json:"bytes"`
	Verified       bool      `json:"verified"`
	// Created is set when no bundle was attached and ct fetch --create
	// packed one from the image (not verified).
	Created bool           `json:"created"`
	Report  *verify.Report `json:"verify,omitempty"`
	// VerifyOnly: nothing was written, and the blobs in NotDownloaded
	// (layers) were not downloaded; Bytes counts the blobs that were.
	VerifyOnly    bool     `json:"verifyOnly,omitempty"`
	NotDownloaded []string `json:"notDownloaded,omitempty"`
}

// NoBundleError is returned (as the cause of an exit.Network error) when the
// image exists but no bundle artifact is attached to it.
type NoBundleError struct{ Image string }

func (e *NoBundleError) Error() string { return "no bundle attached to " + e.Image }

// IsNoBundle reports whether err says that no bundle is attached.
func IsNoBundle(err error) bool {
	var nb *NoBundleError
	return errors.As(err, &nb)
}

// Fetch resolves req.Ref, finds the bundle artifacts attached to it, rebuilds
// the bundle byte for byte, verifies it (unless NoVerify) and only then
// moves it into place. On any failure nothing is left at the output path.
func Fetch(ctx context.Context, req FetchRequest) (*FetchResult, *verify.Report, error) {
	ref, err := parseRef(req.Ref)
	if err != nil {
		return nil, nil, err
	}
	if err := checkEnv(); err != nil {
		return nil, nil, err
	}
	toStdout := req.Output == "" || req.Output == "-"
	if toStdout && !req.VerifyOnly && progress.IsTerminal(req.Stdout) {
		return nil, nil, exit.New(exit.Usage, "refusing to write a bundle to a terminal").
			WithHint("write it to a file with -o FILE.ctp, or redirect: ct fetch %s > FILE.ctp", req.Ref)
	}
	if req.Artifact != "" && !bundle.ValidDigest(req.Artifact) {
		return nil, nil, exit.New(exit.Usage, "--artifact %q is not a sha256 digest", req.Artifact)
	}
	repo, err := repository(ref, req.Sources)
	if err != nil {
		return nil, nil, err
	}
	ropts := remoteOptions(ctx, req.Sources)
	// One puller for every request of the fetch: one /v2/ ping and one
	// token per repository, not one per request (a --verify-only makes ~8).
	if p, err := remote.NewPuller(ropts...); err == nil {
		ropts = append(ropts, remote.Reuse(p))
	}
	classify := func(err error) error { return source.ClassifyError(ref, err) }
	var nref name.Reference = repo.Tag(ref.Tag)
	if ref.Digest != "" {
		nref = repo.Digest(ref.Digest)
	}
	root, err := remote.Get(nref, ropts...)
	if err != nil {
		return nil, nil, classify(err)
	}
	if !root.MediaType.IsIndex() && !root.MediaType.IsImage() {
		return nil, nil, exit.New(exit.Malformed, "%s is a %s, not an image or an index", nref, root.MediaType).At("registry " + ref.String())
	}
	rootDigest := root.Digest.String()
	image := repo.Name() + "@" + rootDigest

	// The candidate artifacts: read manifests and signatures first, keep
	// what verifies, and only then download the image (docs/spec/registry.md §3).
	x := &examiner{ctx: ctx, repo: repo, ropts: ropts, classify: classify, verify: !req.NoVerify, vopts: req.Verify,
		rootDesc: Descriptor{MediaType: string(root.MediaType), Digest: rootDigest, Size: root.Size}, blobs: map[string][]byte{}}
	var cands []string
	if req.Artifact != "" {
		cands = []string{req.Artifact}
	} else {
		if cands, err = x.list(rootDigest); err != nil {
			return nil, nil, err
		}
	}
	noBundle := func() error {
		return exit.Wrap(exit.Network, &NoBundleError{Image: image}, "no bundle attached to the image").
			At("registry "+ref.String()).
			WithHint("push one with ct push BUNDLE %s, or pack one from the image: ct fetch %s --create -o FILE.ctp", req.Ref, req.Ref)
	}
	if len(cands) == 0 {
		return nil, nil, noBundle()
	}
	ch, err := x.choose(cands, req.Artifact != "")
	if err == errNoBundle {
		return nil, nil, noBundle()
	}
	if err != nil {
		if ch != nil {
			return &FetchResult{Schema: "ct.fetch/1", Repository: repo.Name(), ImageDigest: rootDigest, Artifacts: []string{}, Signatures: []string{},
				Ignored: orEmpty(ch.ignored), VerifyOnly: req.VerifyOnly}, nil, err
		}
		return nil, nil, err
	}
	g := ch.g
	m, mb, sigs := g.m, g.mbytes, g.sigs
	if len(sigs) > bundle.MaxSignatures {
		return nil, nil, exit.New(exit.Malformed, "%d signatures in total, more than %d", len(sigs), bundle.MaxSignatures).
			At("registry " + ref.String()).WithHint("choose one bundle with --artifact DIGEST")
	}
	if req.VerifyOnly {
		return verifyOnly(ctx, g, ch, repo, ropts, classify, root.Manifest, rootDigest, req.Verify)
	}

	// Rebuild the bundle into a temporary file: the output file itself, or,
	// for standard output and a FIFO or device (which cannot be read back
	// for verification), a private file in TMPDIR, made once the bundle's
	// head is written if TMPDIR has room for what its manifest.toml
	// declares, and bounded by what such a bundle can hold (lib/spool).
	var of *outfile.File
	var w io.Writer
	var spooled *spool.Deferred
	outName := req.Output
	if toStdout {
		outName = "-"
		spooled = spool.NewDeferred(outName, "ct-fetch-*.ctp", "write to a file with -o FILE")
	} else {
		if of, err = outfile.Create(req.Output); err != nil {
			return nil, nil, err
		}
		defer of.Abort()
		w = of.File
		if !of.Regular() {
			spooled = spool.NewDeferred(outName, "ct-fetch-*.ctp", "write to a regular file with -o FILE")
		}
	}
	if spooled != nil {
		defer spooled.Remove()
		w = spooled
	}
	outErr := func(err error) error {
		var ee *exit.Error
		if errors.As(err, &ee) {
			// Its own location and wording (lib/spool's, the tamper
			// report's), without the writer's "writing entry …:".
			return ee
		}
		return outfile.IOError(outName, err, "cannot write bundle")
	}
	var total int64
	for _, b := range m.Blobs {
		total += b.Size
	}
	bar := progress.New(total, "fetching "+m.Package.Name, req.Quiet)
	cw := &progress.Counter{W: w}
	err = rebuild(ctx, cw, m, g.mtime, sigs, g.proofs, repo, ropts, classify, bar)
	bar.Finish()
	if err != nil {
		return nil, nil, outErr(err)
	}
	var tmp *os.File // the bundle, to read back
	if spooled == nil {
		tmp = of.File
	} else {
		f, err := spooled.File()
		if err != nil {
			return nil, nil, err
		}
		tmp = f.File
	}
	if g.used == nil {
		g.used = []string{}
	}
	res := &FetchResult{Schema: "ct.fetch/1", Path: outName, Repository: repo.Name(), ImageDigest: rootDigest, ManifestDigest: bundle.Digest(mb),
		Name: m.Package.Name, Version: m.Package.Version, Bytes: cw.N, Signatures: []string{}, Artifacts: g.used,
		Ignored: orEmpty(ch.ignored)}
	for _, s := range sigs {
		res.Signatures = append(res.Signatures, s.Name)
	}
	sort.Strings(res.Signatures)
	for _, p := range g.proofs {
		res.Proofs = append(res.Proofs, p.Name)
	}

	var rep *verify.Report
	if !req.NoVerify {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return nil, nil, exit.Wrap(exit.IO, err, "cannot read the fetched bundle").At(tmp.Name())
		}
		rep = verify.VerifyFile(tmp, outName, req.Verify)
		res.Report = rep
		if err := rep.Err(); err != nil {
			return res, rep, err
		}
		res.Verified = true
	}
	if of != nil {
		if !of.Regular() {
			if _, err := tmp.Seek(0, io.SeekStart); err != nil {
				return nil, rep, exit.Wrap(exit.IO, err, "cannot read the fetched bundle").At(tmp.Name())
			}
			if _, err := io.Copy(of, tmp); err != nil {
				return nil, rep, outfile.IOError(outName, err, "cannot write bundle")
			}
		}
		if err := of.Commit(); err != nil {
			return nil, rep, err
		}
		return res, rep, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, rep, exit.Wrap(exit.IO, err, "cannot read the fetched bundle").At(tmp.Name())
	}
	if _, err := io.Copy(req.Stdout, tmp); err != nil {
		return nil, rep, outfile.IOError("standard output", err, "cannot write bundle")
	}
	return res, rep, nil
}

// rebuild writes the bundle: manifest.toml and its derived entries, every
// blob from the registry (manifests by the manifests endpoint, other blobs by
// the blobs endpoint), each checked against manifest.toml while it streams,
// then the signatures.
func rebuild(ctx context.Context, w io.Writer, m *bundle.Manifest, mtime time.Time, sigs, proofs []bundle.Entry, repo name.Repository,
	ropts []remote.Option, classify func(error) error, bar *progress.Bar) error {
	bw, err := bundle.NewWriter(w, m, bundle.WriterOptions{ModTime: mtime})
	if err != nil {
		return err
	}
	for _, b := range m.Blobs {
		where := "registry " + repo.Name() + "@" + b.Digest
		var rd io.Reader
		var closer io.Closer
		if viaManifestAPI(b.Role) {
			desc, err := remote.Get(repo.Digest(b.Digest), ropts...)
			if err != nil {
				return classify(err)
			}
			rd = bytes.NewReader(desc.Manifest)
		} else {
			l, err := remote.Layer(repo.Digest(b.Digest), ropts...)
			if err != nil {
				return classify(err)
			}
			rc, err := l.Compressed()
			if err != nil {
				return classify(err)
			}
			rd, closer = rc, rc
		}
		err := bw.WriteBlob(b.Digest, bar.Reader(&classifiedReader{r: rd, classify: classify}))
		if closer != nil {
			closer.Close()
		}
		if err != nil {
			var ee *exit.Error
			if errors.As(err, &ee) && ee.Code == exit.HashMismatch {
				if !strings.HasPrefix(ee.Msg, "tampering") {
					ee.Msg = "tampering: " + ee.Msg
				}
				ee.Where = where
				ee.Hint = "the registry serves content that differs from the signed manifest.toml; do not use this copy, and push the bundle again from a verified one"
			}
			return err
		}
	}
	if err := bw.WriteSignatures(sigs); err != nil {
		return err
	}
	if err := bw.WriteProofs(proofs); err != nil {
		return err
	}
	return bw.Close()
}

// readBlob downloads a small blob, bounded and checked against d.
func readBlob(ctx context.Context, repo name.Repository, d Descriptor, limit int64, ropts []remote.Option, classify func(error) error) ([]byte, error) {
	where := "registry " + repo.Name() + "@" + d.Digest
	if d.Size > limit {
		return nil, exit.New(exit.Malformed, "blob of %d bytes, over the %d-byte limit", d.Size, limit).At(where)
	}
	l, err := remote.Layer(repo.Digest(d.Digest), ropts...)
	if err != nil {
		return nil, classify(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, classify(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, classify(err)
	}
	if int64(len(data)) != d.Size || bundle.Digest(data) != d.Digest {
		return nil, exit.New(exit.HashMismatch, "tampering: content has digest %s and %d bytes, the artifact says %s and %d", bundle.Digest(data), len(data), d.Digest, d.Size).
			At(where).WithHint("the registry serves altered content; push the bundle again")
	}
	return data, nil
}

type classifiedReader struct {
	r        io.Reader
	classify func(error) error
}

func (c *classifiedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = c.classify(err)
	}
	return n, err
}

func orEmpty(s []Ignored) []Ignored {
	if s == nil {
		return []Ignored{}
	}
	return s
}

// list returns the referrers of the image worth examining: those listed
// with the bundle artifact type, and those listed without a useful one
// (some registries give the config media type, here the empty
// descriptor's, or nothing). At most MaxReferrers are returned, bundle
// types first, each in digest order; the rest are recorded as not examined.
func (x *examiner) list(rootDigest string) ([]string, error) {
	// No server-side filter: see above.
	idx, err := remote.Referrers(x.repo.Digest(rootDigest), x.ropts...)
	if err != nil {
		return nil, x.classify(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, x.classify(err)
	}
	var typed, untyped []string
	seen := map[string]bool{}
	for _, d := range im.Manifests {
		ds := d.Digest.String()
		if d.MediaType != OCIManifestMediaType || seen[ds] || !bundle.ValidDigest(ds) {
			continue
		}
		seen[ds] = true
		switch d.ArtifactType {
		case ArtifactType:
			typed = append(typed, ds)
		case EmptyMediaType, "":
			untyped = append(untyped, ds)
		}
	}
	sort.Strings(typed)
	sort.Strings(untyped)
	all := append(typed, untyped...)
	if len(all) > MaxReferrers {
		x.ignored = append(x.ignored, Ignored{Code: int(exit.Malformed),
			Reason: fmt.Sprintf("%d more referrers not examined: at most %d are read (choose one with --artifact DIGEST)", len(all)-MaxReferrers, MaxReferrers)})
		all = all[:MaxReferrers]
	}
	return all, nil
}
