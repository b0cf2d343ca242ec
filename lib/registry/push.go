package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/source"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PushRequest is one `ct push` invocation.
type PushRequest struct {
	Bundle  string   // the bundle file; "-" reads standard input (spooled to a temporary file)
	Stdin   *os.File //
	Ref     string   // REGISTRY/REPO[:TAG|@DIGEST]
	Sources source.Options
	Quiet   bool // no progress bar
	Jobs    int  // parallel blob uploads; 0 means 4
	// AllowUnsigned pushes a bundle without signatures (--allow-unsigned);
	// without it such a bundle is refused (exit 2).
	AllowUnsigned bool
}

// PushResult describes a pushed bundle.
type PushResult struct {
	Schema     string `json:"schema"` // "ct.push/1"
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	// TagFromVersion is set when REF named no tag and the bundle's version
	// was used as the tag.
	TagFromVersion bool     `json:"tagFromVersion"`
	ImageDigest    string   `json:"imageDigest"`
	ImageMediaType string   `json:"imageMediaType"`
	ArtifactDigest string   `json:"artifactDigest"`
	ManifestDigest string   `json:"manifestDigest"`
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	Blobs          int      `json:"blobs"`
	Bytes          int64    `json:"bytes"`
	Signatures     []string `json:"signatures"`
	Proofs         []string `json:"proofs,omitempty"` // transparency proof entries attached (bundle.md §6.1)
	// Attestations are the digests of the bundle's attestation manifests,
	// pushed as referrers of the image (manifest.toml order).
	Attestations []string `json:"attestations"`
	// Referrers are the supply-chain artifacts the bundle carries from its
	// source (ct pack --with-referrers, referrers.md §5), attached again:
	// cosign's under their tags, OCI referrers through the manifest API.
	Referrers []PushedReferrer `json:"referrers"`
}

// PushedReferrer is one copied supply-chain artifact and what became of it.
type PushedReferrer struct {
	Role   string `json:"role"`
	Digest string `json:"digest"`
	Tag    string `json:"tag,omitempty"`
	// Kept is set when the destination's cosign tag already held another
	// manifest: it is not overwritten (that would drop the destination's
	// own signatures), and this one is stored by digest only, untagged.
	Kept string `json:"kept,omitempty"`
}

// scanned is a bundle read and checked completely, with where each blob lies.
type scanned struct {
	m        *bundle.Manifest
	manifest []byte
	mtime    int64
	sigs     []bundle.Entry
	proofs   []bundle.Entry   // transparency/… (bundle.md §6.1)
	off      map[string]int64 // every blob's offset in the file
}

// scan reads the whole bundle once, checking everything the format promises
// (lib/bundle), and notes each blob's offset for the upload.
func scan(f *os.File, name string) (*scanned, error) {
	br, err := bundle.NewReader(f, name)
	if err != nil {
		return nil, err
	}
	s := &scanned{m: br.Manifest(), manifest: br.ManifestBytes(), off: map[string]int64{}}
	buf := make([]byte, 1<<20)
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, br.Decide(err) // verify.md §2: a later 10 outranks a 1
		}
		s.off[b.Digest] = br.Offset()
		if _, err := io.CopyBuffer(io.Discard, rd, buf); err != nil {
			return nil, br.Decide(err)
		}
	}
	if s.sigs, err = br.Signatures(); err != nil {
		return nil, err
	}
	s.proofs = br.Proofs()
	mt := br.ModTime()
	s.mtime = mt.Unix()
	return s, nil
}

// Parts is a bundle given by its parts, all of them already checked
// against manifest.toml: what ct import pushes straight from its staging
// folder, without writing the bundle file first.
type Parts struct {
	Name          string // for messages: the bundle file or NAME:VERSION
	Manifest      *bundle.Manifest
	ManifestBytes []byte
	Signatures    []bundle.Entry
	Proofs        []bundle.Entry // transparency proof entries (bundle.md §6.1): layers of the artifact
	ModTime       time.Time
	// Open returns a blob's content; uploads check its digest again.
	Open func(b bundle.Blob) (io.ReadCloser, error)
	// Uploaded, when set, names the blob-API blobs (BlobAPIBlobs: layers,
	// configs, envelopes, referrer blobs and the bundle artifact's) the
	// caller has uploaded to the repository already, each checked against
	// its digest (ct import, reading an archive in place, uploads them
	// while it hashes them): they are not uploaded again, nor looked up.
	Uploaded func(digest string) bool
	// Session, when set, is the registry client to push with (the one
	// the caller uploaded with: no second ping or authentication).
	Session *Session
}

// Push uploads the bundle of req to req.Ref: blobs, then manifests (children
// before the indexes that list them), the attestations and copied
// referrers, the bundle artifact, and the tag last.
func Push(ctx context.Context, req PushRequest) (*PushResult, error) {
	if _, err := parseRef(req.Ref); err != nil {
		return nil, err
	}
	f, name, cleanup, err := openInput(ctx, req)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	s, err := scan(f, name)
	if err != nil {
		return nil, err
	}
	if err := checkPushSignatures(name, s.manifest, s.sigs, req.AllowUnsigned); err != nil {
		return nil, err
	}
	ref, fromVersion := req.Ref, false
	if !NamesTagOrDigest(ref) {
		// Without a tag, the bundle's version is the tag (not "latest"):
		// what ct fetch REPO:VERSION finds again.
		ref, fromVersion = ref+":"+s.m.Package.Version, true
	}
	res, err := PushParts(ctx, ref, Parts{Name: name, Manifest: s.m, ManifestBytes: s.manifest, Signatures: s.sigs, Proofs: s.proofs,
		ModTime: time.Unix(s.mtime, 0),
		Open: func(b bundle.Blob) (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(f, s.off[b.Digest], b.Size)), nil
		}}, req.Sources, req.Quiet, req.Jobs)
	if res != nil {
		res.TagFromVersion = fromVersion
	}
	return res, err
}

// NamesTagOrDigest reports whether a registry reference names a tag or a
// digest (rather than leaving the tag to a default).
func NamesTagOrDigest(ref string) bool {
	ref = strings.TrimPrefix(ref, "docker://")
	if strings.Contains(ref, "@") {
		return true
	}
	return strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":")
}

// PushParts uploads a bundle given by its parts to ref (see Push).
func PushParts(ctx context.Context, refStr string, p Parts, sources source.Options, quiet bool, jobs int) (*PushResult, error) {
	ref, repo, err := destination(refStr, sources)
	if err != nil {
		return nil, err
	}
	m := p.Manifest
	if ref.Digest != "" && ref.Digest != m.Image.Digest {
		return nil, exit.New(exit.Usage, "the reference names digest %s but the bundle's image is %s", ref.Digest, m.Image.Digest).
			At("reference "+refStr).WithHint("push to a tag, or to @%s", m.Image.Digest)
	}
	if sources.Context == nil {
		sources.Context = ctx
	}
	ropts := remoteOptions(ctx, sources)
	var pusher *remote.Pusher
	if p.Session != nil {
		pusher, err = p.Session.get()
	} else {
		pusher, err = remote.NewPusher(ropts...)
	}
	if err != nil {
		return nil, source.ClassifyError(ref, err)
	}
	classify := func(err error) error { return source.ClassifyError(ref, err) }

	// Index and manifest blobs are small: read them for the push order.
	meta := map[string][]byte{}
	var total int64
	var plain []bundle.Blob
	var attestations, copied []bundle.Blob
	for _, b := range m.Blobs {
		total += b.Size
		if !viaManifestAPI(b.Role) {
			if p.Uploaded == nil || !p.Uploaded(b.Digest) {
				plain = append(plain, b)
			}
			continue
		}
		if b.Role == bundle.RoleAttestation {
			attestations = append(attestations, b)
		}
		if bundle.IsCopiedManifest(b.Role) {
			copied = append(copied, b)
		}
		rc, err := p.Open(b)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, bundle.MaxMetaBlobSize+1))
		rc.Close()
		if err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot read %s", b.Role).At(blobWhere(p.Name, b))
		}
		if bundle.Digest(data) != b.Digest {
			return nil, exit.New(exit.HashMismatch, "%s content does not match its digest", b.Role).At(blobWhere(p.Name, b))
		}
		meta[b.Digest] = data
	}

	// 1. Layers and configs, in parallel.
	bar := progress.New(total, "pushing "+m.Package.Name, quiet)
	if jobs <= 0 {
		jobs = 4
	}
	// The bundle artifact's blobs (empty config, manifest.toml, signatures,
	// proofs) go in the same pool: small, and referenced by nothing until
	// the artifact's manifest is pushed (step 4). Those the caller
	// uploaded already (Parts.Uploaded) are not looked up again.
	var art []v1.Layer
	for _, a := range artifactBlobs(p.ManifestBytes, p.Signatures, p.Proofs) {
		if p.Uploaded == nil || !p.Uploaded(a.Blob.Digest) {
			art = append(art, static.NewLayer(a.Data, types.MediaType(a.Blob.MediaType)))
		}
	}
	if err := parallel(len(plain)+len(art), jobs, func(i int) error {
		if i >= len(plain) {
			return pusher.Upload(ctx, repo, art[i-len(plain)])
		}
		b := plain[i]
		l := &partLayer{blobLayer: blobLayer{b}, open: p.Open, bar: bar, where: blobWhere(p.Name, b)}
		return pusher.Upload(ctx, repo, l)
	}); err != nil {
		bar.Finish()
		return nil, classify(err)
	}
	// 2. Manifests and indexes, each after everything it references.
	var order []string
	if err := postOrder(m.Image.Digest, meta, map[string]bool{}, &order, 0); err != nil {
		bar.Finish()
		return nil, err
	}
	// The manifests of one level (those whose children are all in: the
	// platform manifests of an index, then the index) go in parallel.
	for _, level := range levels(order, meta) {
		if err := parallel(len(level), jobs, func(i int) error {
			d := level[i]
			b, _ := m.Blob(d)
			if err := pusher.Put(ctx, repo.Digest(d), rawManifest{meta[d], b.MediaType}); err != nil {
				return err
			}
			bar.Write(meta[d])
			return nil
		}); err != nil {
			bar.Finish()
			return nil, classify(err)
		}
	}
	// 3. The attestations (attestations.md §4.1), after their envelopes and
	// the empty config (uploaded with the layers above), each through the
	// manifest API, so that the registry indexes it as a referrer of the
	// image (the referrers API, or ggcr's referrers tag schema fallback);
	// before the bundle artifact, so that a fetch that finds the bundle
	// finds its attestations.
	for _, b := range attestations {
		if err := pusher.Put(ctx, repo.Digest(b.Digest), rawManifest{meta[b.Digest], b.MediaType}); err != nil {
			bar.Finish()
			return nil, classify(err)
		}
		bar.Write(meta[b.Digest])
	}
	// The source's supply-chain artifacts (referrers.md §5), after their
	// blobs: OCI referrers by digest (indexed through their subject),
	// cosign's under their own tags, never over another manifest there.
	var pushedRefs []PushedReferrer
	for _, b := range copied {
		pr := PushedReferrer{Role: b.Role, Digest: b.Digest, Tag: bundle.CosignTag(m.Image.Digest, b.Role)}
		var target name.Reference = repo.Digest(b.Digest)
		if pr.Tag != "" {
			target = repo.Tag(pr.Tag)
			if d, err := remote.Head(target, ropts...); err == nil && d.Digest.String() != b.Digest {
				pr.Kept = d.Digest.String()
			} else if err != nil && !source.IsNotFound(err) {
				bar.Finish()
				return nil, classify(err)
			}
		}
		if pr.Kept != "" {
			// Stored by digest only, so that ct fetch still rebuilds the
			// bundle; the destination's tag stays as it is.
			target = repo.Digest(b.Digest)
		}
		if err := pusher.Put(ctx, target, rawManifest{meta[b.Digest], b.MediaType}); err != nil {
			bar.Finish()
			return nil, classify(err)
		}
		bar.Write(meta[b.Digest])
		pushedRefs = append(pushedRefs, pr)
	}
	bar.Finish()
	// 4. The bundle artifact: empty config, manifest.toml, signatures.
	subject := Descriptor{MediaType: m.Image.MediaType, Digest: m.Image.Digest, Size: m.Image.Size}
	// (Its blobs were uploaded with the layers, step 1.)
	raw, artifact, err := BuildArtifact(subject, p.ManifestBytes, p.Signatures, p.Proofs, p.ModTime)
	if err != nil {
		return nil, err
	}
	adig := bundle.Digest(raw)
	// ggcr's Put of a manifest with a subject also maintains the referrers
	// tag schema (sha256-<hex>) when the registry has no referrers API.
	if err := pusher.Put(ctx, repo.Digest(adig), rawManifest{raw, OCIManifestMediaType}); err != nil {
		return nil, classify(err)
	}
	// 5. The tag, last: whoever finds the image by it finds the whole
	// bundle (attestations, copied referrers, the bundle artifact).
	if ref.Tag != "" {
		if err := pusher.Put(ctx, repo.Tag(ref.Tag), rawManifest{meta[m.Image.Digest], m.Image.MediaType}); err != nil {
			return nil, classify(err)
		}
	}
	res := &PushResult{Schema: "ct.push/1", Repository: repo.Name(), Tag: ref.Tag, ImageDigest: m.Image.Digest, ImageMediaType: m.Image.MediaType,
		ArtifactDigest: adig, ManifestDigest: bundle.Digest(p.ManifestBytes), Name: m.Package.Name, Version: m.Package.Version,
		Blobs: len(m.Blobs), Bytes: total, Signatures: []string{}, Attestations: []string{}}
	for _, b := range attestations {
		res.Attestations = append(res.Attestations, b.Digest)
	}
	res.Referrers = append([]PushedReferrer{}, pushedRefs...)
	for _, sg := range artifact.Signatures {
		res.Signatures = append(res.Signatures, sg.Name)
	}
	for _, p := range artifact.Proofs {
		res.Proofs = append(res.Proofs, p.Name)
	}
	return res, nil
}

// viaManifestAPI reports whether a blob of this role is pushed and fetched
// through the manifest API (registry.md §1): the image's manifests and
// indexes, and the attestation manifests, which a registry indexes as
// referrers only when they come that way.
func viaManifestAPI(role string) bool {
	return role == bundle.RoleIndex || role == bundle.RoleManifest || role == bundle.RoleAttestation || bundle.IsCopiedManifest(role)
}

// checkPushSignatures refuses a bundle whose signature entries do not all
// verify over its manifest.toml (each with the key embedded in it: a
// registry is a transport, trust is decided by whoever fetches), and an
// unsigned bundle unless allowUnsigned.
func checkPushSignatures(name string, manifest []byte, sigs []bundle.Entry, allowUnsigned bool) error {
	if len(sigs) == 0 && !allowUnsigned {
		return exit.New(exit.SignatureInvalid, "refusing to push an unsigned bundle").At("bundle "+name).
			WithHint("sign it first (ct sign -k KEY %s -o %s), or pass --allow-unsigned to push it as it is", name, name)
	}
	for _, e := range sigs {
		if c := checkSignature(e, manifest, nil); c.err != nil {
			var ee *exit.Error
			if errors.As(c.err, &ee) {
				ee.Where = "bundle " + name + ", entry " + e.Name
				ee.Msg = "refusing to push: " + ee.Msg
				ee.Hint = "the bundle or its signature was altered after signing; push the bundle as its signer wrote it, or sign it again"
			}
			return c.err
		}
	}
	return nil
}

func blobWhere(name string, b bundle.Blob) string {
	return "bundle " + name + ", entry " + b.Path()
}

// openInput opens the bundle file, or copies standard input to a temporary
// file (uploads need to re-read blobs, and retries need to restart them)
// unless it is a regular file at offset 0, read in place.
func openInput(ctx context.Context, req PushRequest) (*os.File, string, func(), error) {
	if req.Bundle != "" && req.Bundle != "-" {
		f, err := os.Open(req.Bundle)
		if err != nil {
			return nil, "", nil, exit.Wrap(exit.IO, err, "cannot open bundle").At(req.Bundle).WithHint("check the path")
		}
		return f, req.Bundle, func() { f.Close() }, nil
	}
	if req.Stdin == nil || progress.IsTerminal(req.Stdin) {
		return nil, "", nil, exit.New(exit.Usage, "no bundle given and standard input is a terminal").
			WithHint("name a bundle: ct push x.ctp REGISTRY/REPO:TAG")
	}
	// Redirected from a regular file (< FILE, at offset 0): read in
	// place, as the named file is; no copy.
	if f := spool.StdinFile(req.Stdin); f != nil {
		return f, "-", func() {}, nil
	}
	// Else checked as it is copied, refused up front when TMPDIR has no
	// room for what manifest.toml declares, and never longer than such a
	// bundle can be (lib/spool).
	// Ctrl-C or SIGTERM stops the copy at its next read (and Copy
	// removes it), not at the end of the stream.
	f, err := spool.Copy(ctxReader{ctx, req.Stdin}, "-", "ct-push-*.ctp")
	if err != nil {
		return nil, "", nil, err
	}
	return f.File, "-", f.Remove, nil
}

// postOrder lists the index and manifest blobs reachable from d, children
// first. The bundle reader has checked the graph; depth is bounded anyway.
func postOrder(d string, meta map[string][]byte, seen map[string]bool, out *[]string, depth int) error {
	if seen[d] {
		return nil
	}
	seen[d] = true
	raw, ok := meta[d]
	if !ok {
		return nil // a layer or config
	}
	if depth > 8 {
		return exit.New(exit.Malformed, "indexes nested deeper than 8 levels")
	}
	var idx struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return exit.Wrap(exit.Malformed, err, "manifest %s is not JSON", d)
	}
	for _, c := range idx.Manifests {
		if err := postOrder(c.Digest, meta, seen, out, depth+1); err != nil {
			return err
		}
	}
	*out = append(*out, d)
	return nil
}

// levels groups the manifests of order (children first, as postOrder
// lists them) into groups pushed one after another, each in parallel:
// by height (level 0 lists no manifest of meta, level k only manifests of
// lower levels), order within a level kept. A manifest with a subject is
// a group of its own, after the others of its level: pushing it updates
// its subject's referrers tag (sha256-<hex>, on a registry without the
// referrers API), a read-modify-write that two pushed at once would race
// on, one of them lost.
func levels(order []string, meta map[string][]byte) [][]string {
	height := map[string]int{}
	var byHeight [][]string
	for _, d := range order { // children come before their index
		var idx struct {
			Manifests []struct {
				Digest string `json:"digest"`
			} `json:"manifests"`
		}
		h := 0
		if json.Unmarshal(meta[d], &idx) == nil { // postOrder parsed it already
			for _, c := range idx.Manifests {
				if ch, ok := height[c.Digest]; ok && ch+1 > h {
					h = ch + 1
				}
			}
		}
		height[d] = h
		for len(byHeight) <= h {
			byHeight = append(byHeight, nil)
		}
		byHeight[h] = append(byHeight[h], d)
	}
	var out [][]string
	for _, level := range byHeight {
		var plain, alone []string
		for _, d := range level {
			var sub struct {
				Subject json.RawMessage `json:"subject"`
			}
			if json.Unmarshal(meta[d], &sub) != nil || len(sub.Subject) != 0 && string(sub.Subject) != "null" {
				alone = append(alone, d)
			} else {
				plain = append(plain, d)
			}
		}
		if len(plain) > 0 {
			out = append(out, plain)
		}
		for _, d := range alone {
			out = append(out, []string{d})
		}
	}
	return out
}

// parallel runs fn(0..n-1) on up to jobs goroutines and returns the first error.
func parallel(n, jobs int, fn func(int) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	stop := make(chan struct{})
	for w := 0; w < jobs && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err; close(stop) })
				}
			}
		}()
	}
loop:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-stop:
			break loop
		}
	}
	close(next)
	wg.Wait()
	return first
}

// blobLayer is a bundle blob as a ggcr v1.Layer, all but its content
// (Compressed): what partLayer and the Uploader's openLayer share.
type blobLayer struct{ b bundle.Blob }

func (l blobLayer) Digest() (v1.Hash, error)            { return v1.NewHash(l.b.Digest) }
func (l blobLayer) DiffID() (v1.Hash, error)            { return v1.NewHash(l.b.Digest) }
func (l blobLayer) Size() (int64, error)                { return l.b.Size, nil }
func (l blobLayer) MediaType() (types.MediaType, error) { return types.MediaType(l.b.MediaType), nil }
func (l blobLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("uncompressed content is not available from a bundle")
}

// partLayer is a blob of the bundle's parts, uploaded from Parts.Open;
// each Compressed call starts over (ggcr retries), and the content is
// checked against its digest as it streams.
type partLayer struct {
	blobLayer
	open  func(b bundle.Blob) (io.ReadCloser, error)
	bar   *progress.Bar
	where string
}

func (l *partLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.open(l.b)
	if err != nil {
		return nil, err
	}
	return readCloser{&checkedReader{r: l.bar.Reader(io.LimitReader(rc, l.b.Size)), h: sha256.New(),
		want: l.b.Digest, where: l.where}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// checkedReader fails at EOF if the content's digest differs (the file
// changed after it was checked).
type checkedReader struct {
	r     io.Reader
	h     hash.Hash
	want  string
	where string
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if got := "sha256:" + hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			return n, exit.New(exit.HashMismatch, "content has digest %s, manifest.toml says %s (it changed while pushing)", got, c.want).At(c.where)
		}
	}
	return n, err
}

// ctxReader stops reading when ctx is done (Ctrl-C, SIGTERM).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, exit.Wrap(exit.IO, err, "interrupted (SIGINT or SIGTERM) while copying standard input; no copy of it is left in TMPDIR").
			WithHint("nothing was pushed; run the command again")
	}
	return c.r.Read(p)
}
