package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
	"github.com/cerro-torre/ct/lib/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// MaxReferrers is how many referrers of an image ct fetch examines (reads)
// at most: entries the referrers listing gives as bundle artifacts, or
// without an artifact type. Anyone who can push to the repository can
// attach referrers, so the work a fetch does for them is bounded before the
// first GET; the rest are not read, and the fetch says so.
const MaxReferrers = 64

// Ignored is an attached artifact, or one signature layer of it, that ct
// fetch did not use, and why. Reason is text from ct about content from the
// registry: escape it before printing it on a terminal.
type Ignored struct {
	Artifact string `json:"artifact,omitempty"` // sha256:… of the artifact manifest ("" for referrers not examined)
	Entry    string `json:"entry,omitempty"`    // a signature entry, when only it was ignored
	Code     int    `json:"code"`               // the exit code it would have caused
	Reason   string `json:"reason"`
}

// sigCheck is one signature entry judged offline against manifest.toml.
type sigCheck struct {
	entry   bundle.Entry
	parsed  *sig.Entry
	trusted *verify.TrustedKey // nil: not trusted
	err     error              // nil: it verifies
}

// checkSignature parses e and verifies it against manifest with the key
// embedded in it, then looks for that key among trusted.
func checkSignature(e bundle.Entry, manifest []byte, trusted []verify.TrustedKey) sigCheck {
	c := sigCheck{entry: e}
	se, err := sig.ParseEntry(e.Name, e.Data)
	if err != nil {
		c.err = exit.Wrap(exit.Malformed, err, "unreadable signature entry %s", e.Name)
		return c
	}
	c.parsed = se
	if err := sig.VerifySelf(se, manifest); err != nil {
		c.err = exit.Wrap(exit.SignatureInvalid, err, "signature %s by key %s (calls itself %q) does not verify",
			e.Name, se.Fingerprint.Display(), se.KeyID)
		return c
	}
	for i := range trusted {
		if t := trusted[i]; t.Key.Fingerprint() == se.Fingerprint && t.Key.Equal(se.PublicKey) {
			c.trusted = &trusted[i]
			break
		}
	}
	return c
}

// candidate is one attached artifact as read.
type candidate struct {
	digest string
	a      *Artifact
}

// group is the artifacts that carry one bundle: the same manifest.toml and
// mtime; their good signatures are merged.
type group struct {
	arts   []candidate
	mbytes []byte
	m      *bundle.Manifest
	mtime  time.Time
	sigs   []bundle.Entry // kept, by name
	proofs []bundle.Entry // transparency proofs of kept signatures, by name (bundle.md §6.1)
	used   []string       // the artifacts whose signatures are kept
	err    error          // why the group as a whole is not used
}

// chosen is what fetch rebuilds: one manifest.toml and the signatures
// worth keeping, with what was ignored on the way.
type chosen struct {
	g       *group
	ignored []Ignored
}

// examiner holds what choosing needs.
type examiner struct {
	ctx      context.Context
	repo     name.Repository
	ropts    []remote.Option
	classify func(error) error
	rootDesc Descriptor
	verify   bool
	vopts    verify.Options
	blobs    map[string][]byte // signature blobs by digest, each read once
	ignored  []Ignored
	// strangers counts the signature layers read whose entry name is not
	// a trusted key's fingerprint; past MaxUntrustedSignatureReads they are
	// not downloaded (registry.md §4, cost bound).
	strangers int
	// proofReads counts the proof layers read, to MaxProofReads.
	proofReads int
}

// MaxUntrustedSignatureReads bounds the signature layers named after keys
// this verifier does not trust that one fetch downloads (at most 16 KiB
// each): enough to keep untrusted co-signatures (byte identity) and to
// tell "untrusted" (3) from "invalid" (2), too few for a stranger's
// attachments to cost more than 4 MiB before trust is decided.
const MaxUntrustedSignatureReads = 256

func (x *examiner) ignore(art, entry string, err error) {
	x.ignored = append(x.ignored, Ignored{Artifact: art, Entry: entry, Code: int(exit.CodeOf(err)), Reason: err.Error()})
}

// fatal reports whether an error met while reading a stranger's artifact
// stops the fetch: the registry is unreachable or serves content that does
// not match its digest. What a stranger can attach (malformed artifacts,
// missing or oversize blobs) only makes that artifact ignored.
func fatal(raw, classified error) bool {
	var te *transport.Error
	if errors.As(raw, &te) && (te.StatusCode == http.StatusNotFound || te.StatusCode == http.StatusBadRequest) {
		return false
	}
	switch exit.CodeOf(classified) {
	case exit.Malformed:
		return false
	}
	return true
}

// choose reads the candidate artifacts (manifests, manifest.toml and
// signatures: no image blob) and picks the one bundle to rebuild: the
// artifacts whose signatures verify with trusted keys and pass the policy
// (with verify off: whose signatures verify). Signatures that do not are
// dropped, and artifacts without a kept signature are ignored, each with its
// reason. It fails only when no attached bundle qualifies (with the code of
// the candidate that came closest), when two different bundles both
// qualify (64, choose with --artifact), or on a registry error.
func (x *examiner) choose(digests []string, explicit bool) (*chosen, error) {
	var cands []candidate
	for _, d := range digests {
		where := "registry " + x.repo.Name() + "@" + d
		desc, err := remote.Get(x.repo.Digest(d), x.ropts...)
		if err != nil {
			cerr := x.classify(err)
			if explicit || fatal(err, cerr) {
				return nil, cerr
			}
			x.ignore(d, "", cerr)
			continue
		}
		if !declaresBundle(desc.Manifest) {
			if explicit {
				return nil, exit.New(exit.Usage, "%s is not a bundle artifact", d).At(where)
			}
			continue // another tool's artifact: not ours to judge
		}
		a, err := ParseArtifact(desc.Manifest, where)
		if err == nil && (a.Subject.Digest != x.rootDesc.Digest || a.Subject.MediaType != x.rootDesc.MediaType || a.Subject.Size != x.rootDesc.Size) {
			err = exit.New(exit.Malformed, "the bundle artifact is attached to %s, not to %s", a.Subject.Digest, x.rootDesc.Digest).At(where)
		}
		if err != nil {
			x.ignore(d, "", err)
			continue
		}
		cands = append(cands, candidate{d, a})
	}
	if len(cands) == 0 && len(x.ignored) == 0 {
		return nil, errNoBundle
	}
	// Group by manifest.toml alone, in digest order of the first artifact.
	// The mtime annotation is covered by no signature, so two artifacts
	// that differ only in it are one bundle (anyone who can push could
	// otherwise make fetch see "two bundles" and refuse); judge picks the
	// group's mtime.
	var groups []*group
	byKey := map[string]*group{}
	for _, c := range cands {
		k := c.a.Manifest.Digest
		g := byKey[k]
		if g == nil {
			g = &group{mtime: c.a.ModTime}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.arts = append(g.arts, c)
	}
	var good []*group
	for _, g := range groups {
		if err := x.judge(g); err != nil {
			return nil, err
		}
		if g.err == nil {
			good = append(good, g)
		}
	}
	switch {
	case len(good) == 1:
		return &chosen{g: good[0], ignored: x.ignored}, nil
	case len(good) > 1:
		var list []string
		for _, g := range good {
			for _, c := range g.arts {
				list = append(list, fmt.Sprintf("%s (manifest.toml %s, mtime %d)", c.digest, c.a.Manifest.Digest, c.a.ModTime.Unix()))
			}
		}
		return &chosen{ignored: x.ignored}, exit.New(exit.Usage, "different bundles attached to %s@%s qualify: %s", x.repo.Name(), x.rootDesc.Digest, strings.Join(list, "; ")).
			At("registry " + x.repo.RegistryStr()).WithHint("choose one with --artifact DIGEST")
	}
	// Nothing qualifies: report the candidate that came closest.
	var best error
	for _, ig := range x.ignored {
		e := &exit.Error{Code: exit.Code(ig.Code), Msg: ig.Reason}
		if best == nil || closeness(e) > closeness(best) {
			best = e
		}
	}
	for _, g := range groups {
		if g.err != nil && (best == nil || closeness(g.err) > closeness(best)) {
			best = g.err
		}
	}
	if best == nil {
		best = exit.New(exit.Malformed, "no usable bundle artifact")
	}
	code := exit.CodeOf(best)
	var be *exit.Error
	errors.As(best, &be)
	return &chosen{ignored: x.ignored}, &exit.Error{Code: code,
		Msg:   fmt.Sprintf("none of the %d bundle artifact(s) attached to %s@%s qualifies: %s", len(digests), x.repo.Name(), x.rootDesc.Digest, be.Msg),
		Where: "registry " + x.repo.RegistryStr(), Hint: hintFor(code, be.Hint), Err: be.Err}
}

var errNoBundle = errors.New("no bundle artifact among the referrers")

// declaresBundle reports whether a referrer's manifest says it is a bundle
// artifact (whatever else it holds).
func declaresBundle(raw []byte) bool {
	var m struct {
		ArtifactType string `json:"artifactType"`
	}
	return json.Unmarshal(raw, &m) == nil && m.ArtifactType == ArtifactType
}

// worse returns whichever of a (maybe nil) and b came closer to being used.
func worse(a, b error) error {
	if a == nil || closeness(b) > closeness(a) {
		return b
	}
	return a
}

// closeness orders failures by how close the candidate came to being used.
func closeness(err error) int {
	switch exit.CodeOf(err) {
	case exit.MissingAttestation:
		return 7
	case exit.PolicyRejected:
		return 6
	case exit.KeyNotTrusted:
		return 5
	case exit.SignatureInvalid:
		return 4
	case exit.HashMismatch:
		return 3
	case exit.Malformed:
		return 2
	}
	return 1
}

func hintFor(code exit.Code, hint string) string {
	if hint != "" {
		return hint
	}
	switch code {
	case exit.KeyNotTrusted:
		return "if you trust the signer, import their public key (check its fingerprint with them first): ct key import KEY.pub, or pass --key KEY.pub"
	case exit.SignatureInvalid:
		return "no attached bundle carries a valid signature; push a signed bundle (ct sign, then ct push)"
	}
	return "the artifacts were not written by ct push or were altered; push the bundle again"
}

// judge reads g's manifest.toml and signatures and decides which of them
// count. It sets g.err when the group cannot be used, and returns an error
// only when the fetch must stop.
func (x *examiner) judge(g *group) error {
	first := g.arts[0]
	mb, err := x.read(first.a.Manifest, bundle.MaxManifestSize)
	if err == nil {
		g.m, err = bundle.ParseManifest(mb)
	}
	if err == nil && (g.m.Image.Digest != x.rootDesc.Digest || g.m.Image.MediaType != x.rootDesc.MediaType || g.m.Image.Size != x.rootDesc.Size) {
		err = exit.New(exit.Malformed, "the attached manifest.toml describes image %s, not %s", g.m.Image.Digest, x.rootDesc.Digest).
			At("registry " + x.repo.Name() + "@" + first.digest)
	}
	if err != nil {
		if fatal(err, err) {
			return err
		}
		g.err = err
		for _, c := range g.arts {
			x.ignore(c.digest, "", err)
		}
		return nil
	}
	g.mbytes = mb
	if g.m.HasPending() {
		// A signature over a manifest.toml that lists a pending attestation
		// makes the bundle malformed for every reader (attestations.md
		// §9.3), --no-verify or not: such an artifact is not used. An
		// unsigned one (ct push --allow-unsigned) stays a candidate.
		var keep []candidate
		for _, c := range g.arts {
			if len(c.a.Signatures) == 0 {
				keep = append(keep, c)
				continue
			}
			e := exit.New(exit.Malformed, "the bundle is signed but its manifest.toml still lists %d pending (unsigned) attestation(s); a signer replaces every pending attestation by a signed one before signing", g.m.PendingCount()).
				At("registry " + x.repo.Name() + "@" + c.digest)
			x.ignore(c.digest, "", e)
			g.err = worse(g.err, e)
		}
		if len(keep) == 0 {
			return nil
		}
		g.arts, g.err = keep, nil
	}
	var trustedKeys []verify.TrustedKey
	if x.verify {
		trustedKeys = x.vopts.Trusted
	}
	// Per artifact: its signatures by trusted keys, and its other valid ones.
	// The group's mtime is that of the used artifact with the most trusted
	// signatures, the lowest digest among equals (arts are in digest order):
	// deterministic, though a stranger's copy of the genuine signatures can
	// still choose it (it changes the tar entries' times, nothing signed;
	// registry.md §4).
	var trusted, others []sigCheck
	most, best := -1, ""
	for _, c := range g.arts {
		var mine, rest []sigCheck
		var why error
		for _, s := range x.trustedFirst(c.a.Signatures, trustedKeys) {
			if x.verify && !namedTrusted(s.Name, trustedKeys) {
				if x.strangers == MaxUntrustedSignatureReads {
					x.ignore(c.digest, s.Name, exit.New(exit.KeyNotTrusted, "not read: named after a key that is not trusted, and %d such signatures were read already", MaxUntrustedSignatureReads))
					continue
				}
				x.strangers++
			}
			data, err := x.read(s.Descriptor, bundle.MaxSignatureSize)
			if err != nil {
				if fatal(err, err) {
					return err
				}
				x.ignore(c.digest, s.Name, err)
				why = worse(why, err)
				continue
			}
			sc := checkSignature(bundle.Entry{Name: s.Name, Data: data}, mb, trustedKeys)
			switch {
			case sc.err != nil:
				x.ignore(c.digest, s.Name, sc.err)
				why = worse(why, sc.err)
			case sc.trusted != nil || !x.verify:
				mine = append(mine, sc)
			default:
				rest = append(rest, sc)
				why = worse(why, exit.New(exit.KeyNotTrusted, "signature %s verifies, but key %s (calls itself %q) is not trusted",
					s.Name, sc.parsed.Fingerprint.Display(), sc.parsed.KeyID))
			}
		}
		if len(mine) == 0 && x.verify {
			if why == nil {
				why = exit.New(exit.SignatureInvalid, "the artifact carries no signature (an unsigned bundle)")
			}
			x.ignore(c.digest, "", &exit.Error{Code: exit.CodeOf(why), Msg: "no signature of this artifact verifies with a trusted key", Err: why})
			continue
		}
		g.used = append(g.used, c.digest)
		if len(mine) > most {
			most, g.mtime, best = len(mine), c.a.ModTime, c.digest
		}
		trusted = append(trusted, mine...)
		others = append(others, rest...)
	}
	// Merge: every signature by a trusted key, then the other valid
	// signatures of the artifacts used (a co-signer this verifier does not
	// trust), by entry name, the first artifact in digest order winning, to
	// at most bundle.MaxSignatures.
	byName := map[string]bool{}
	var kept []sigCheck
	for _, sc := range append(trusted, others...) {
		if byName[sc.entry.Name] {
			continue
		}
		if len(kept) == bundle.MaxSignatures {
			x.ignore("", sc.entry.Name, exit.New(exit.Malformed, "over %d signatures in total", bundle.MaxSignatures))
			continue
		}
		byName[sc.entry.Name] = true
		kept = append(kept, sc)
	}
	if x.verify && len(trusted) == 0 {
		g.err = exit.New(exit.SignatureInvalid, "no signature by a trusted key")
		for _, ig := range x.ignored {
			for _, c := range g.arts {
				if e := (&exit.Error{Code: exit.Code(ig.Code), Msg: ig.Reason}); ig.Artifact == c.digest && closeness(e) > closeness(g.err) {
					g.err = e
				}
			}
		}
		return nil
	}
	if x.verify && x.vopts.Policy != nil {
		// HeadsOnly: the attestations are not read yet (they are image
		// blobs); require_attestations is judged by the verification of
		// step 11 (or of --verify-only), which reads them. Without it a
		// bundle that has the required attestation was refused here.
		in := policy.Input{Manifest: g.m, ManifestDigest: bundle.Digest(mb), HeadsOnly: true}
		for _, sc := range kept {
			if sc.trusted == nil {
				continue // policy counts trusted signers only
			}
			// Named by the verifier's own name for the key, never by the
			// entry's key_id (issue 8 §1).
			// A key trusted with an id that came with untrusted input
			// (Unnamed) has no name a policy pattern can match; the
			// entry's key_id goes along only as a label for messages.
			id := sc.trusted.Key.ID()
			if sc.trusted.Unnamed {
				id = ""
			}
			in.Signatures = append(in.Signatures, policy.Signature{KeyID: id, Label: sc.parsed.KeyID, Fingerprint: sc.parsed.Fingerprint,
				Suite: sc.parsed.Suite, Valid: true, Trusted: true, TrustSource: sc.trusted.Source})
		}
		if err := x.vopts.Policy.Evaluate(in).Error(); err != nil {
			g.err = err
			for _, c := range g.arts {
				x.ignore(c.digest, "", err)
			}
			return nil
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].entry.Name < kept[j].entry.Name })
	for _, sc := range kept {
		g.sigs = append(g.sigs, sc.entry)
	}
	return x.chooseProofs(g, best)
}

// MaxProofReads bounds the proof layers one fetch downloads (at most 16 KiB
// each, registry.md §3 step 6): as many as a bundle may carry.
const MaxProofReads = bundle.MaxProofs

// chooseProofs keeps, for g's merged signatures, the transparency proofs
// the used artifacts carry (registry.md §3 step 6): a proof is taken from
// an artifact only when that artifact's signature layer of the same
// fingerprint is the very signature kept (a proof is of one signature's
// bytes), first from the artifact best (the one whose mtime is used), then
// the others in digest order. Each is parsed strictly (log.md §4) and
// verified for the kept signature (log.md §5.1, with the policy's trust);
// one that does not parse or verify is ignored. Of several verifying proofs
// of one name the strongest wins, the first among equals. Whether the
// proofs meet the policy, ct verify judges on the rebuilt bundle.
func (x *examiner) chooseProofs(g *group, best string) error {
	keptSig := map[string]string{} // signature entry name -> digest of the kept bytes
	for _, e := range g.sigs {
		keptSig[e.Name] = bundle.Digest(e.Data)
	}
	order := make([]candidate, 0, len(g.arts))
	for _, c := range g.arts {
		if c.digest == best {
			order = append([]candidate{c}, order...)
		} else if slices.Contains(g.used, c.digest) {
			order = append(order, c)
		}
	}
	// A proof is taken only if it verifies (log.md §5.1) for the kept
	// signature, as the verification of the rebuilt bundle will check it:
	// with the policy's trusted logs and witnesses, or the Merkle path
	// alone. So a stranger's copy of a genuine artifact with a forged
	// proof (which would fail ct verify with 7) is ignored, like a
	// signature that does not verify, and cannot change the verdict.
	var trust *tlog.Trust
	if x.verify && x.vopts.Policy != nil {
		t, err := x.vopts.Policy.Transparency.Trust()
		if err != nil { // lib/policy parsed these keys already
			return exit.Wrap(exit.Usage, err, "the policy's transparency keys do not parse")
		}
		trust = t
	}
	leaves := map[string][]byte{} // signature entry name -> leaf of the kept signature
	for _, e := range g.sigs {
		se, err := sig.ParseEntry(e.Name, e.Data)
		if err != nil {
			continue // kept signatures parse; a proof of one that does not is ignored below
		}
		if leaf, err := tlog.EntryLeaf(se); err == nil {
			leaves[e.Name] = leaf
		}
	}
	// Among verifying proofs of one name, the strongest wins (a trusted
	// log's checkpoint before a claim, then more trusted witnesses), the
	// first in the order above among equals: so a stranger's copy whose
	// proof is the genuine one with cosignature lines removed (still
	// valid, under the quorum) cannot displace the genuine proof.
	have := map[string]int{}  // entry name -> index in g.proofs
	score := map[string]int{} // entry name -> strength of the proof taken
	takenDigest := map[string]string{}
	// Proofs of logs the policy trusts are read first, in a pass of their
	// own: the read bound cannot be spent by a stranger's proof layers of
	// other (made-up) log ids before the ones that count are read.
	trustedIDs := map[string]bool{}
	if trust != nil && x.vopts.Policy != nil && x.vopts.Policy.Transparency != nil {
		for _, l := range x.vopts.Policy.Transparency.Logs {
			trustedIDs[tlog.LogID(l.Origin)] = true
		}
	}
	for pass := 0; pass < 2; pass++ {
		for _, c := range order {
			sigDigest := map[string]string{}
			for _, s := range c.a.Signatures {
				sigDigest[s.Name] = s.Digest
			}
			for _, p := range c.a.Proofs {
				fp, logID, _ := bundle.SplitProofName(p.Name) // ParseArtifact checked the name
				if trustedIDs[logID] != (pass == 0) {
					continue // read in the other pass
				}
				sn := bundle.SignaturesDir + fp + ".sig"
				_, taken := have[p.Name]
				if keptSig[sn] == "" || keptSig[sn] != sigDigest[sn] {
					continue // its signature is not the one kept
				}
				if taken && takenDigest[p.Name] == p.Descriptor.Digest {
					continue // the same bytes as the proof taken
				}
				if x.proofReads == MaxProofReads || !taken && len(g.proofs) == bundle.MaxProofs {
					x.ignore(c.digest, p.Name, exit.New(exit.Malformed, "not read: %d proof layers were read already", MaxProofReads))
					continue
				}
				x.proofReads++
				data, err := x.read(p.Descriptor, bundle.MaxProofSize)
				fetchErr := err
				var res *tlog.Result
				if err == nil {
					var pr *tlog.Proof
					if pr, err = tlog.ParseProof(p.Name, data); err == nil {
						if leaf, ok := leaves[sn]; !ok {
							err = exit.New(exit.Malformed, "proof of a signature entry that does not parse")
						} else {
							res, err = tlog.Verify(pr, leaf, trust)
						}
					}
				}
				if err != nil {
					if fetchErr != nil && fatal(err, err) {
						return err
					}
					x.ignore(c.digest, p.Name, err)
					continue
				}
				strength := 0
				if res.LogTrusted {
					strength = 1 + len(res.Witnesses)
				}
				if taken {
					if strength > score[p.Name] {
						g.proofs[have[p.Name]].Data = data
						score[p.Name], takenDigest[p.Name] = strength, p.Descriptor.Digest
					}
					continue
				}
				have[p.Name], score[p.Name], takenDigest[p.Name] = len(g.proofs), strength, p.Descriptor.Digest
				g.proofs = append(g.proofs, bundle.Entry{Name: p.Name, Data: data})
			}
		}
	}
	sort.Slice(g.proofs, func(i, j int) bool { return g.proofs[i].Name < g.proofs[j].Name })
	return nil
}

// read downloads a small blob of a candidate, once per digest.
func (x *examiner) read(d Descriptor, limit int64) ([]byte, error) {
	if b, ok := x.blobs[d.Digest]; ok {
		return b, nil
	}
	b, err := readBlob(x.ctx, x.repo, d, limit, x.ropts, x.classify)
	if err != nil {
		return nil, err
	}
	x.blobs[d.Digest] = b
	return b, nil
}

// namedTrusted reports whether a signature layer's entry name
// (signatures/FINGERPRINT.sig) names a trusted key. Only the name is
// looked at: the entry itself is still verified after it is read.
func namedTrusted(name string, trusted []verify.TrustedKey) bool {
	for _, t := range trusted {
		if name == sig.EntryName(t.Key.Fingerprint()) {
			return true
		}
	}
	return false
}

// trustedFirst orders an artifact's signature layers so that those named
// after trusted keys are read before the bound on the others can run out.
func (x *examiner) trustedFirst(layers []SigLayer, trusted []verify.TrustedKey) []SigLayer {
	if !x.verify {
		return layers
	}
	out := make([]SigLayer, 0, len(layers))
	for _, l := range layers {
		if namedTrusted(l.Name, trusted) {
			out = append(out, l)
		}
	}
	for _, l := range layers {
		if !namedTrusted(l.Name, trusted) {
			out = append(out, l)
		}
	}
	return out
}
