package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

// ImportOptions says what to import where, and what to trust.
type ImportOptions struct {
	Inputs []string    // archives and bundle files
	Dest   Destination // where to install
	Verify bool        // verify every bundle before installing anything (the default)
	Trust  verify.Options
	// PolicySet is true when a policy was chosen by the user (--policy or
	// config.toml); an included policy.json then never applies.
	PolicySet bool
	// TrustIncludedKeys adds the keys carried in the archives to the
	// trusted keys (each is announced on Log), and applies an included
	// policy when no other is set.
	TrustIncludedKeys bool
	KeepGoing         bool      // install the bundles that verify even if others fail
	Log               io.Writer // notices (trusted keys, ignored policies); never nil
	// Ctx stops the import when cancelled (Ctrl-C, SIGTERM: cli.Context);
	// staging folders and temporary files are removed. nil never stops.
	Ctx context.Context
	// DryRun verifies everything a real import verifies (and checks that
	// the destination would accept the bundles) but installs nothing,
	// takes no lock and stages under the system temporary folder. Dest may
	// be nil then: a delta's base blobs are then sought only in the other
	// inputs.
	DryRun bool
}

// BundleResult is the outcome for one bundle (docs/json/import.schema.json).
type BundleResult struct {
	Name           string         `json:"name"`
	Version        string         `json:"version"`
	ManifestDigest string         `json:"manifestDigest"`
	ImageDigest    string         `json:"imageDigest"`
	From           string         `json:"from"` // the input (archive or bundle file) it came from
	Valid          bool           `json:"valid"`
	Code           int            `json:"code"`
	Verdict        string         `json:"verdict"`
	Error          string         `json:"error,omitempty"`
	Installed      bool           `json:"installed"`
	Report         *verify.Report `json:"report,omitempty"`
	err            error
}

// Ref is the bundle's NAME:VERSION.
func (b BundleResult) Ref() string { return b.Name + ":" + b.Version }

// KeyInfo names a public key as docs/cli.md does: { keyId, suite, fingerprint }.
type KeyInfo struct {
	KeyID       string `json:"keyId"`
	Suite       string `json:"suite"`
	Fingerprint string `json:"fingerprint"`
	display     string
}

// String is "ID (SUITE, FINGERPRINT)" for people.
func (k KeyInfo) String() string { return k.display }

// ImportReport is the outcome of an import: the --json document of ct
// import, kind ct.import/1 (docs/json/import.schema.json).
type ImportReport struct {
	Schema       string         `json:"schema"`
	Destination  string         `json:"destination,omitempty"`
	DryRun       bool           `json:"dryRun"`
	Verified     bool           `json:"verified"`
	Code         int            `json:"code"`
	Verdict      string         `json:"verdict"`
	Installed    int            `json:"installed"`
	Bundles      []BundleResult `json:"bundles"`
	IncludedKeys []KeyInfo      `json:"includedKeys"`
	TrustedKeys  []KeyInfo      `json:"trustedIncludedKeys"`
}

// ImportSchema is the kind of ImportReport.
const ImportSchema = "ct.import/1"

var rank = map[exit.Code]int{exit.Malformed: 0, exit.IO: 0, exit.HashMismatch: 1, exit.SignatureInvalid: 2,
	exit.KeyNotTrusted: 3, exit.PolicyRejected: 4, exit.MissingAttestation: 5}

func rankOf(err error) int {
	if n, ok := rank[exit.CodeOf(err)]; ok {
		return n
	}
	return -1
}

// Import installs the bundles of opts.Inputs into opts.Dest in three
// steps (archive.md §5): (1) it reads the heads of every input (index,
// manifests, signatures, keys, policy: nothing is written) and checks the
// signatures, trust and policy of every bundle on them; (2) only then it
// stages the blobs the accepted bundles need, hashing each, and rebuilds
// and verifies every bundle in full; (3) it installs the bundles that
// passed. The error is the deciding failure: an archive-level error, else
// the failing bundle whose code ranks first (10, 1, 2, 3, 4, 5), else nil.
// The report is returned whenever bundles were read. A local destination
// is locked for the whole import (lockDest).
func Import(opts ImportOptions) (*ImportReport, error) {
	rep, err := doImport(opts)
	rep.finish(err) // also for an error before any bundle was judged
	return rep, err
}

func doImport(opts ImportOptions) (*ImportReport, error) {
	rep := &ImportReport{Schema: ImportSchema, DryRun: opts.DryRun, Verified: opts.Verify, Bundles: []BundleResult{},
		IncludedKeys: []KeyInfo{}, TrustedKeys: []KeyInfo{}}
	if opts.Dest != nil {
		rep.Destination = opts.Dest.String()
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	tmpBase := filepath.Join(os.TempDir(), "ct-import")
	if !opts.DryRun && opts.Dest != nil {
		if p := localPath(opts.Dest); p != "" {
			unlock, err := lockDest(ctx, p, opts.Log)
			if err != nil {
				return rep, err
			}
			defer unlock()
		}
		tmpBase = opts.Dest.TempDir()
	}
	tmp, err := tempDir(tmpBase)
	if err != nil {
		return rep, err
	}
	defer func() {
		if testHookCleanup != nil {
			testHookCleanup(tmp)
		}
		os.RemoveAll(tmp)
	}()
	type archiveInput struct {
		f     *os.File
		name  string
		heads *Staged
	}
	var archives []archiveInput
	var items []*Item
	var included []*keys.PublicKey
	var policies []*Staged
	var pool Sources // every input's blobs: a delta's base may be another input
	for _, in := range opts.Inputs {
		f, err := os.Open(in)
		if err != nil {
			return rep, exit.Wrap(exit.IO, pathless(err), "cannot open input").At(in).WithHint("check the path")
		}
		defer f.Close()
		kind, err := sniff(f)
		if err != nil {
			return rep, at(err, in)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return rep, exit.Wrap(exit.IO, pathless(err), "cannot read input").At(in)
		}
		if kind == "bundle" {
			it, err := OpenBundle(f, in)
			if err != nil {
				return rep, err
			}
			items = append(items, it)
			pool = append(pool, it.src)
			continue
		}
		st, err := ReadHeads(f, in)
		if err != nil {
			return rep, err
		}
		archives = append(archives, archiveInput{f, in, st})
		items = append(items, st.Items...)
		if len(st.Items) > 0 {
			pool = append(pool, st.Items[0].src) // the blobs its index declares present
		}
		included = append(included, st.Keys...)
		if st.Policy != nil {
			policies = append(policies, st)
		}
	}
	// One bundle per manifest digest; one manifest per NAME:VERSION.
	seen, refs := map[string]bool{}, map[string]string{}
	var uniq []*Item
	for _, it := range items {
		if seen[it.Entry.ManifestDigest] {
			continue
		}
		seen[it.Entry.ManifestDigest] = true
		if other, ok := refs[it.Entry.Ref()]; ok {
			return rep, exit.New(exit.Usage, "two different bundles are both %s (%s and %s)", termsafe.Escape(it.Entry.Ref()), other, it.Entry.ManifestDigest).
				WithHint("import them into different destinations")
		}
		refs[it.Entry.Ref()] = it.Entry.ManifestDigest
		uniq = append(uniq, it)
	}
	items = uniq
	// A delta's absent blobs come from another input (its base, imported
	// with it) or from the destination.
	var existing BlobSource
	if opts.Dest != nil {
		if existing, err = opts.Dest.Existing(); err != nil {
			return rep, err
		}
	}
	var missing []string
	nmissing := 0
	for _, it := range items {
		src := Sources{it.src, pool, existing}
		n := 0
		for _, b := range it.Manifest.Blobs {
			if !src.Has(b.Digest) {
				n++
			}
		}
		if n > 0 {
			missing = append(missing, fmt.Sprintf("%s (%d of %d %s)", termsafe.Escape(it.Entry.Ref()), n, len(it.Manifest.Blobs), human.Noun(len(it.Manifest.Blobs), "blob")))
			nmissing += n
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return rep, missingBaseErr(opts.Dest, nmissing, missing)
	}
	// Trust.
	trust := opts.Trust
	for _, k := range included {
		desc := fmt.Sprintf("%s (%s, %s)", k.ID(), k.Suite(), k.Fingerprint().Display())
		ki := KeyInfo{KeyID: k.ID(), Suite: k.Suite(), Fingerprint: k.Fingerprint().String(), display: desc}
		rep.IncludedKeys = append(rep.IncludedKeys, ki)
		already := false
		for _, t := range trust.Trusted {
			if t.Key.Fingerprint() == k.Fingerprint() && t.Key.Equal(k) {
				already = true
			}
		}
		if already || !opts.TrustIncludedKeys {
			continue
		}
		fmt.Fprintf(opts.Log, "trusting included key %s\n", termsafe.Escape(desc))
		rep.TrustedKeys = append(rep.TrustedKeys, ki)
		// The included key's id was chosen by the archive's author: it names
		// the key only for the archive's own policy, never for the user's.
		trust.Trusted = append(trust.Trusted, verify.TrustedKey{Key: k, Source: "included in the archive (--trust-included-keys)", Unnamed: opts.PolicySet})
	}
	// An included key calling itself by a trusted key's id names nothing.
	verify.NameKeys(trust.Trusted)
	for _, st := range policies {
		switch {
		case opts.PolicySet:
			fmt.Fprintf(opts.Log, "ignoring the policy.json included in %s: a policy is already set\n", termsafe.Escape(st.Name))
		case !opts.TrustIncludedKeys:
			fmt.Fprintf(opts.Log, "ignoring the policy.json included in %s (--trust-included-keys applies it)\n", termsafe.Escape(st.Name))
		case trust.Policy != nil:
			fmt.Fprintf(opts.Log, "ignoring the policy.json included in %s: another included policy applies\n", termsafe.Escape(st.Name))
		default:
			p, err := policy.Parse(st.Policy, st.Name+":"+PolicyName)
			if err != nil {
				return rep, at(err, "archive "+st.Name)
			}
			fmt.Fprintf(opts.Log, "applying the policy.json included in %s\n", termsafe.Escape(st.Name))
			trust.Policy, trust.PolicyName = p, st.Name+":"+PolicyName
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Entry.Ref() < items[j].Entry.Ref() })
	results := make([]BundleResult, len(items))
	var decide error
	fail := func(i int, vr *verify.Report, err error) {
		r := &results[i]
		r.Report, r.Valid, r.err = vr, false, err
		r.Code = int(exit.CodeOf(err))
		r.Verdict = exit.Lookup(exit.CodeOf(err)).Name
		r.Error = err.Error()
		if decide == nil || rankOf(err) < rankOf(decide) {
			decide = err
		}
	}
	for i, it := range items {
		results[i] = BundleResult{Name: it.Entry.Name, Version: it.Entry.Version, ManifestDigest: it.Entry.ManifestDigest,
			ImageDigest: it.Entry.ImageDigest, From: it.From, Valid: true, Verdict: "valid"}
		if !opts.Verify {
			results[i].Verdict = "not verified"
		}
	}
	report := func() { rep.Bundles = results }
	// Signatures, trust and policy on the heads, before any blob is staged:
	// an archive nobody trusts writes nothing big.
	if opts.Verify {
		for i, it := range items {
			vr := verify.VerifyHead(it.Entry.Ref(), it.Manifest, it.ManifestBytes, it.Signatures, trust)
			if err := vr.Err(); err != nil {
				fail(i, vr, err)
			}
		}
		if decide != nil && !opts.KeepGoing {
			report()
			rep.finish(decide)
			return rep, decide
		}
	}
	// Trust and policy are decided: open the registry connection while
	// phases 2 and 3 run (nothing is sent about the bundles). Not when a
	// part of the policy is judged only with the blobs (required
	// attestations, transparency): a bundle it rejects contacts no registry.
	if r, ok := opts.Dest.(*RegistryDest); ok && r.Warm != nil && !opts.DryRun && trust.Policy.HeadsDecide() {
		warmed := map[string]bool{}
		for i, it := range items {
			if ref := r.Ref(it); results[i].Valid && !warmed[ref] {
				warmed[ref] = true
				r.Warm(ref)
			}
		}
	}
	// Stage the blobs that the bundles still in the running need.
	want := map[string]bool{}
	for i, it := range items {
		if results[i].Valid {
			for _, b := range it.Manifest.Blobs {
				want[b.Digest] = true
			}
		}
	}
	// A destination that keeps no files (a registry; a dry run without
	// one) gets the blobs of plain archives read in place: nothing is
	// staged (archive.md §5, "In place").
	inPlace := opts.Dest == nil
	if _, ok := opts.Dest.(*RegistryDest); ok {
		inPlace = true
	}
	for _, a := range archives {
		inPlace = inPlace && !a.heads.Zstd // one zstd stream: no random access
	}
	// Staging under TMPDIR (a zstd archive in a dry run, or for a
	// registry or a device), or beside a local destination (dir:, oci:,
	// a docker-archive: file): room for every blob to stage, at the sizes
	// the indexes declare, before the first is written.
	if !inPlace {
		var need int64
		var names []string
		for _, a := range archives {
			if n := stageNeed(a.heads.Index, want); n > 0 {
				need = spool.Add(need, n)
				names = append(names, a.name)
			}
		}
		n := spool.Need{Bytes: need, What: "the archive", Declares: "as its index declares", For: "to stage its blobs", Where: "archive " + strings.Join(names, ", ")}
		if len(names) > 1 {
			n.What, n.Declares, n.For, n.Where = "the import", "as the indexes of its archives declare", "to stage their blobs", "archives "+strings.Join(names, ", ")
		}
		if tmpBase == filepath.Join(os.TempDir(), "ct-import") {
			if err := roomIn("", n); err != nil {
				return rep, err
			}
		} else {
			n.Place, n.Hint = "the destination's folder", "free space beside "+termsafe.Escape(opts.Dest.String())+", or import into a destination with room"
			if err := n.In(filepath.Dir(tmp)); err != nil {
				return rep, err
			}
		}
	}
	staged := map[*Item]BlobSource{}
	var stagedAll Sources
	for i, a := range archives {
		need := false
		for _, it := range a.heads.Items {
			for _, b := range it.Manifest.Blobs {
				need = need || want[b.Digest]
			}
		}
		if !need {
			continue // every bundle of it was refused: its blobs are not read
		}
		if _, err := a.f.Seek(0, io.SeekStart); err != nil {
			return rep, exit.Wrap(exit.IO, pathless(err), "cannot read input").At(a.name)
		}
		if inPlace {
			st, err := StageWith(a.f, a.name, "", StageOptions{Ctx: ctx, Heads: a.heads, Want: func(d string) bool { return want[d] }, Locate: true})
			if err != nil {
				return rep, err
			}
			for _, it := range a.heads.Items {
				staged[it] = st.located
			}
			stagedAll = append(stagedAll, st.located)
			continue
		}
		dir := filepath.Join(tmp, fmt.Sprint(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return rep, ioErr(dir, err, "cannot create staging folder")
		}
		st, err := StageWith(a.f, a.name, dir, StageOptions{Ctx: ctx, Heads: a.heads, Want: func(d string) bool { return want[d] }})
		if err != nil {
			return rep, err
		}
		for _, it := range a.heads.Items {
			staged[it] = st.blobs
		}
		stagedAll = append(stagedAll, st.blobs)
	}
	for _, it := range pool {
		if _, ok := it.(*bundleFile); ok {
			stagedAll = append(stagedAll, it)
		}
	}
	for _, it := range items {
		if s, ok := staged[it]; ok {
			it.src = s
		}
		it.src = ctxSource{ctx, Sources{it.src, stagedAll, existing}}
	}
	// Verify everything in full before installing anything: each bundle
	// laid out over the files its blobs are in (the archive read in place,
	// or the staging folder, whose blobs were hashed when staged) and
	// checked as ct verify FILE checks it, or, when a blob is only a
	// stream, rebuilt and verified as a stream.
	var good []*Item
	if inPlace || opts.Verify {
		var err error
		var up *RegistryDest
		if r, ok := opts.Dest.(*RegistryDest); ok && inPlace && !opts.DryRun {
			up = r
		}
		if good, err = verifyAllInPlace(ctx, items, results, trust, opts.Verify, opts.KeepGoing, up, fail); err != nil {
			return rep, err
		}
	} else {
		for i, it := range items {
			if results[i].Valid {
				good = append(good, it) // --no-verify: the staging hashed every blob
			}
		}
	}
	report()
	if decide != nil && !opts.KeepGoing {
		rep.finish(decide)
		return rep, decide
	}
	// What the destination would refuse, a dry run refuses too.
	if c, ok := opts.Dest.(Checker); ok && len(good) > 0 {
		if err := c.Check(good); err != nil {
			rep.finish(err)
			return rep, err
		}
	}
	if opts.DryRun {
		rep.finish(decide)
		return rep, decide
	}
	if len(good) > 0 {
		if err := opts.Dest.Install(good); err != nil {
			if ctx.Err() != nil {
				err = interrupted(ctx.Err())
			}
			rep.finish(err)
			return rep, err
		}
		noteDockerFormat(opts, good)
		for i := range rep.Bundles {
			if rep.Bundles[i].Valid {
				rep.Bundles[i].Installed = true
				rep.Installed++
			}
		}
	}
	rep.finish(decide)
	return rep, decide
}

// Checker is a Destination that can tell, before anything is written,
// whether it would accept the items (a dry run asks it too).
type Checker interface {
	Check(items []*Item) error
}

// missingBaseErr says why a delta cannot be imported, and what to do.
func missingBaseErr(dest Destination, n int, missing []string) error {
	what := fmt.Sprintf("%d %s of the delta's base, needed by %s", n, human.Noun(n, "blob"), strings.Join(missing, ", "))
	switch dest.(type) {
	case nil:
		return exit.New(exit.IO, "the inputs lack %s", what).
			WithHint("name the base archive too (ct import BASE.tar DELTA.tar --dry-run), or --to the destination that holds the base")
	case *DockerArchiveDest, *RegistryDest:
		return exit.New(exit.IO, "a delta cannot be imported alone into %s: it lacks %s, and a %s destination keeps no bundle blobs ct can rebuild the signed bundles from", dest, what, destKind(dest)).
			WithHint("import the base and the delta together (ct import BASE.tar DELTA.tar --to %s), or import the full archive, or keep the bundles in oci:DIR or dir:DIR, where deltas apply", dest)
	}
	return exit.New(exit.IO, "the destination %s lacks %s", dest, what).
		WithHint("import the base archive into %s first (ct export --since made this delta), import base and delta together (ct import BASE.tar DELTA.tar), or import a full archive", dest)
}

func destKind(d Destination) string {
	if _, ok := d.(*RegistryDest); ok {
		return "docker://"
	}
	return "docker-archive:"
}

// testHookCleanup, when set by a test, sees the staging folder just before
// it is removed.
var testHookCleanup func(tmp string)

func (r *ImportReport) finish(err error) {
	r.Code = int(exit.CodeOf(err))
	r.Verdict = "ok"
	if err != nil {
		r.Verdict = exit.Lookup(exit.CodeOf(err)).Name
	}
}

// Failed returns the errors of the bundles that failed, in report order.
func (r *ImportReport) Failed() []error {
	var out []error
	for _, b := range r.Bundles {
		if b.err != nil {
			out = append(out, b.err)
		}
	}
	return out
}

// verifyItem rebuilds the bundle as a stream and verifies it with the
// ct-verify rules; the rebuilt bundle must also have the exported size.
// errVerificationEnded is what the bundle writer gets when the verifier
// stops reading.
var errVerificationEnded = errors.New("verification ended")

func verifyItem(it *Item, opts verify.Options) (*verify.Report, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var n int64
	go func() {
		cw := &counter{w: pw}
		err := it.WriteBundle(cw)
		n = cw.n
		pw.CloseWithError(err)
		done <- err
	}()
	rep := verify.Verify(pr, it.Entry.Ref(), opts)
	pr.CloseWithError(errVerificationEnded)
	werr := <-done
	// The writer stopping on its own (a staged blob that fails its hash)
	// cuts the stream the verifier reads, which then blames whatever entry
	// it was in: the writer's error is the cause, and says what ct verify
	// says of the same file (issue 8 review). A writer stopped because the
	// verifier stopped reading leaves the verifier's verdict.
	if werr != nil && !errors.Is(werr, errVerificationEnded) {
		return rep, at(werr, "bundle "+it.Entry.Ref())
	}
	if err := rep.Err(); err != nil {
		return rep, err
	}
	if werr != nil {
		return rep, at(werr, "bundle "+it.Entry.Ref())
	}
	if n != it.Entry.Size {
		return rep, exit.New(exit.Malformed, "the rebuilt bundle is %d bytes, the archive index says %d", n, it.Entry.Size).
			At("bundle " + it.Entry.Ref()).WithHint("the archive was altered, or the exported bundle was not byte-reproducible")
	}
	return rep, nil
}

// sniff tells an archive from a bundle by its first entry (after zstd).
func sniff(r io.Reader) (string, error) {
	o, err := openSize(r, 8<<10) // one header
	if err != nil {
		return "", err
	}
	defer o.Close()
	tr := tar.NewReader(o.r)
	h, err := tr.Next()
	if err != nil {
		if o.Zstd {
			return "archive", nil // Stage reports the damage
		}
		return "", malformed("", "neither a ct archive nor a bundle: not a tar stream, or empty")
	}
	switch h.Name {
	case IndexName:
		return "archive", nil
	case "manifest.toml":
		return "bundle", nil
	}
	// An image tar is not damaged: say what it is and what reads it.
	switch imageTarKind(h.Name, tr) {
	case "docker":
		return "", exit.New(exit.Malformed, "this is a docker-archive (docker save), not a ct archive or bundle").
			WithHint("pack it into a signed bundle first (ct pack docker-archive:FILE -o app.ctp), then import the bundle")
	case "oci":
		return "", exit.New(exit.Malformed, "this is an OCI image layout archive (oci-archive), not a ct archive or bundle").
			WithHint("pack it into a signed bundle first (ct pack oci-archive:FILE -o app.ctp), then import the bundle")
	}
	return "", malformed(h.Name, "neither a ct archive (first entry %s) nor a bundle (first entry manifest.toml)", IndexName)
}

// imageTarKind tells a docker save tar ("docker": a manifest.json) from an
// OCI image layout archive ("oci": oci-layout or index.json, no
// manifest.json) by entry names only, reading at most 100,000 of them;
// first is the name of the entry already read.
func imageTarKind(first string, tr *tar.Reader) string {
	layout := false
	name := first
	for i := 0; i < 100000; i++ {
		switch strings.TrimPrefix(name, "./") {
		case "manifest.json":
			return "docker"
		case "oci-layout", "index.json":
			layout = true
		}
		h, err := tr.Next()
		if err != nil {
			break
		}
		name = h.Name
	}
	if layout {
		return "oci"
	}
	return ""
}
