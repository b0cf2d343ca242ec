package pack

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/provenance"
	"github.com/cerro-torre/ct/lib/source"
)

// Request is one `ct pack` invocation.
type Request struct {
	Source   string         // the SOURCE argument
	Output   string         // file to write; "" or "-" means Stdout
	Stdout   *os.File       // where the bundle goes without Output
	Options  Options        // naming and platform selection
	Sources  source.Options // registry access
	Quiet    bool           // no progress bar
	Created  string         // --created: RFC 3339, "now", or "" (then SOURCE_DATE_EPOCH if set)
	Platform string         // --platform os/arch[/variant]
	// Sign, if set, returns the signature entries for the canonical
	// manifest.toml; they are appended after the blobs.
	Sign func(manifest []byte) ([]bundle.Entry, error)
	// ProvenanceOut, if set, is a file to write the bundle's SLSA v1
	// provenance predicate to (docs/spec/provenance.md), atomically and only
	// when the bundle was written.
	ProvenanceOut string
	// WithReferrers copies the source's supply-chain artifacts into the
	// bundle (--with-referrers, docs/spec/referrers.md).
	WithReferrers bool
	// Provenance adds the SLSA v1 provenance to the bundle as an
	// attestation (attestations.md): signed with Key when it is set, else
	// pending (§9), for the next ct sign to sign.
	Provenance bool
	// SBOM runs the ct-sbom program on the unsigned bundle and signs its
	// result with Key (ct pack --sbom; sbom.go).
	SBOM bool
	// Key is the key Sign signs with (nil: unsigned); it also signs the
	// provenance attestation. A Sign without Key and Provenance exclude
	// each other: the bundle would be signed over a pending attestation.
	Key *keys.PrivateKey
}

// Result describes a written bundle.
type Result struct {
	Path     string // the output path, or "-"
	Manifest *bundle.Manifest
	// ManifestDigest is the SHA-256 of manifest.toml: the bundle's identity.
	ManifestDigest string
	Bytes          int64 // bundle size
	// NameNote says where a derived package name or version came from;
	// "" when they were given or taken from a registry repository:tag.
	NameNote string
	// Provenance is the path the provenance predicate was written to; ""
	// without --provenance-out.
	Provenance string
	// Referrers says what --with-referrers copied and skipped; nil without it.
	Referrers *Referrers
	// Attestations are those ct pack added (its provenance).
	Attestations []Attested
}

// Attested is an attestation ct pack added to the bundle.
// It is also an entry of the --json report's attestations.
type Attested struct {
	Digest        string `json:"digest"` // the attestation manifest's
	PredicateType string `json:"predicateType"`
	Pending       bool   `json:"pending,omitempty"` // unsigned: the next ct sign signs it
}

// How says how the attestation stands, for the status line: signed by key
// (the key the bundle was signed with), or pending for ct sign.
func (a Attested) How(key *keys.PrivateKey) string {
	if !a.Pending && key != nil {
		return "signed by " + key.ID()
	}
	return "pending: the next ct sign signs it"
}

// SourceDateEpoch returns SOURCE_DATE_EPOCH as a time, or the zero time when
// it is unset. A malformed value is a usage error.
func SourceDateEpoch() (time.Time, error) {
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 253402300799 {
		return time.Time{}, exit.New(exit.Usage, "SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s).
			WithHint("set it to an integer such as $(git log -1 --format=%%ct), or unset it")
	}
	return time.Unix(n, 0).UTC(), nil
}

// checkProvenanceOut refuses a --provenance-out that would collide with the
// bundle: standard output (- or /dev/stdout, which lib/outfile writes
// through the descriptor: the provenance went into the bundle's stream
// before the bundle), or the -o file itself.
func checkProvenanceOut(prov, output string, toStdout bool) error {
	if prov == "" {
		return nil
	}
	if outfile.ToStdout(prov) { // -, or a descriptor that is standard output (/dev/stdout)
		return exit.New(exit.Usage, "--provenance-out %s is not supported: standard output carries the bundle or the --json report", prov).
			WithHint("write the provenance to a file: --provenance-out FILE.slsa.json")
	}
	if !toStdout {
		a, errA := filepath.Abs(prov)
		b, errB := filepath.Abs(output)
		if errA == nil && errB == nil && a == b {
			return exit.New(exit.Usage, "--provenance-out and -o name the same file %s", prov).
				WithHint("write the provenance next to the bundle, e.g. --provenance-out %s.slsa.json", strings.TrimSuffix(output, ".ctp"))
		}
	}
	return nil
}

// Run packs req.Source into a bundle. With an output file, the bundle is
// written to a temporary file next to it and renamed into place only when
// complete; on any error nothing is left behind.
func Run(ctx context.Context, req Request) (*Result, error) {
	epoch, err := SourceDateEpoch()
	if err != nil {
		return nil, err
	}
	switch req.Created {
	case "":
		req.Options.Created = epoch
	case "now":
		req.Options.Created = time.Now().UTC().Truncate(time.Second)
	default:
		t, err := time.Parse(time.RFC3339, req.Created)
		if err != nil {
			return nil, exit.New(exit.Usage, "--created %q is not an RFC 3339 time", req.Created).
				WithHint("use a time like 2024-06-01T12:00:00Z, or --created now for the current time")
		}
		req.Options.Created = t.UTC()
	}
	if req.SBOM && req.Options.AllPlatforms {
		// ct-sbom catalogues one image and refuses an index (docs/sbom.md):
		// refuse before the whole index is downloaded and written.
		return nil, exit.New(exit.Usage, "--sbom and --all-platforms exclude each other: ct-sbom catalogues one image, not a multi-platform index").
			WithHint("pack one platform with --sbom (--platform OS/ARCH), or the index without --sbom")
	}
	if req.Platform != "" {
		if req.Options.AllPlatforms {
			return nil, exit.New(exit.Usage, "--platform and --all-platforms exclude each other").
				WithHint("pick one platform with --platform, or keep the whole index with --all-platforms")
		}
		p, err := source.ParsePlatform(req.Platform)
		if err != nil {
			return nil, err
		}
		req.Options.Platform = &p
	}
	switch {
	case req.Key != nil && req.Sign == nil:
		req.Sign = SignFunc(req.Key)
	case req.Key == nil && req.Sign != nil && req.Provenance:
		return nil, exit.New(exit.Internal, "pack: a Sign function without its Key cannot sign the provenance attestation")
	}
	toStdout := req.Output == "" || req.Output == "-"
	if err := checkProvenanceOut(req.ProvenanceOut, req.Output, toStdout); err != nil {
		return nil, err
	}
	if toStdout && progress.IsTerminal(req.Stdout) {
		return nil, exit.New(exit.Usage, "refusing to write a bundle to a terminal").
			WithHint("write it to a file with -o FILE.ctp, or redirect: ct pack %s > FILE.ctp", req.Source)
	}
	var sbomPath string
	if req.SBOM {
		if sbomPath, err = FindSBOM(); err != nil {
			return nil, err
		}
		if req.Sign != nil && req.Key == nil {
			return nil, exit.New(exit.Internal, "pack: --sbom signs with Key, and no Key was given")
		}
	}
	ref, err := source.Parse(req.Source)
	if err != nil {
		return nil, err
	}
	if req.Sources.Context == nil {
		req.Sources.Context = ctx
	}
	root, err := source.Open(ref, req.Sources)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	plan, err := NewPlan(root, req.Options)
	if err != nil {
		return nil, err
	}
	if ref.Transport == source.TransportDocker {
		plan.Prefetch = 4
		plan.RawBlob = root.OpenBlob
	}
	var refs *Referrers
	if req.WithReferrers {
		if refs, err = plan.AddReferrers(root, req.Sources); err != nil {
			return nil, err
		}
	}

	res := &Result{Path: "-", NameNote: plan.NameNote, Referrers: refs, Attestations: []Attested{}}
	var pf *outfile.File
	var pred []byte
	if req.ProvenanceOut != "" || req.Provenance {
		// Built before the bundle is written, from the manifest the plan
		// has already fixed (the image, not the attestations).
		if pred, err = provenance.Build(plan.Manifest, provenance.Options{Time: epoch,
			AllPlatforms: req.Options.AllPlatforms, KeepDockerFormat: req.Options.KeepDockerFormat}); err != nil {
			return nil, err
		}
	}
	if req.Provenance {
		a, err := plan.attach(req.Key, attest.TypeSLSAProvenanceV1, pred)
		if err != nil {
			return nil, err
		}
		res.Attestations = append(res.Attestations, a)
	}
	res.Manifest = plan.Manifest
	if req.ProvenanceOut != "" {
		// Committed after the bundle.
		if pf, err = outfile.Create(req.ProvenanceOut); err != nil {
			return nil, err
		}
		defer pf.Abort()
		if _, err := pf.Write(pred); err != nil {
			return nil, outfile.IOError(req.ProvenanceOut, err, "cannot write provenance")
		}
	}
	var out io.Writer = req.Stdout
	outName := "standard output"
	var of *outfile.File
	if !toStdout {
		if of, err = outfile.Create(req.Output); err != nil {
			return nil, err
		}
		defer of.Abort()
		out, outName, res.Path = of, req.Output, req.Output
	}
	cw := &progress.Counter{W: out}
	bar := progress.New(plan.TotalSize(), "packing "+plan.Manifest.Package.Name, req.Quiet)
	var pw io.Writer
	if bar != nil {
		pw = bar
	}
	werr := func(err error) error {
		return outfile.IOError(outName, err, "cannot write bundle")
	}
	// Room beside the output file for the bundle, at the sizes the
	// source's manifests declare, before its first blob byte.
	need, err := plan.bundleSize(epoch)
	if err != nil {
		return nil, classifyWrite(err, werr)
	}
	if of != nil && of.Regular() {
		if err := plan.roomBeside(filepath.Dir(of.File.Name()), req.Output, need); err != nil {
			return nil, err
		}
	}
	if req.SBOM {
		err = writeWithSBOM(ctx, req, plan, sbomPath, need, cw, pw, werr, res)
	} else if of != nil && of.Regular() && holesCheap(of.File) {
		// A regular file: the blobs go straight to their offsets (WriteFile).
		plan.writeback = true
		cw.N, err = plan.WriteFile(ctx, of.File, epoch, pw, werr, req.Sign)
	} else {
		err = plan.Write(ctx, cw, epoch, pw, werr, req.Sign)
	}
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if of != nil {
		if err := of.Commit(); err != nil {
			return nil, err
		}
	}
	if pf != nil {
		if err := pf.Commit(); err != nil {
			return nil, err
		}
		res.Provenance = req.ProvenanceOut
	}
	mb, _ := res.Manifest.Encode()
	res.ManifestDigest = bundle.Digest(mb)
	res.Bytes = cw.N
	return res, nil
}

// attach adds an attestation of the plan's image to the plan: signed with k,
// or pending without it (attestations.md §9).
func (p *Plan) attach(k *keys.PrivateKey, predicateType string, predicate []byte) (Attested, error) {
	m := p.Manifest
	var m2 *bundle.Manifest
	var layer, am []byte
	var err error
	if k != nil {
		m2, layer, am, err = attest.Attach(m, k, predicateType, predicate)
	} else {
		m2, layer, am, err = attest.Pend(m, predicateType, predicate)
	}
	if err != nil {
		return Attested{}, err
	}
	for _, data := range [][]byte{layer, am, bundle.EmptyConfig} {
		d := bundle.Digest(data)
		if _, ok := p.open[d]; ok {
			continue
		}
		p.open[d] = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	p.Manifest = m2
	return Attested{Digest: bundle.Digest(am), PredicateType: predicateType, Pending: k == nil}, nil
}
