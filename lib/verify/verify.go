// Package verify decides whether a bundle is exactly what a trusted signer
// packed, in one forward pass over it, and if not, precisely why.
//
// It runs every check (docs/spec/verify.md): the bundle format
// (lib/bundle: structure, canonical manifest, derived files, every blob's
// digest and size, the image graph), each signature with the key embedded
// in it (lib/sig), trust by fingerprint against the key store and --key
// files, and the trust policy (lib/policy). Nothing is accepted early. When
// several problems exist, the exit code is decided by the rule of verify.md
// §2: the order 10 and 11, 1, 2, 7, 3, 4, 6, 5 (a broken container
// outranks a wrong byte, which outranks a bad signature or a forged log
// proof, which outrank an untrusted signer, then policy, then missing log
// proofs, then attestations), and among equals the first in
// stream order. A check that cannot run (the image graph, when a blob it
// reads failed its hash) is reported as skipped, never as passed.
//
// A signer is named by the verifier, never by the bundle: a trusted signer
// by the id of the trusted key that matched (key store, --key file) and its
// fingerprint, any other by its fingerprint alone. A signature entry's
// key_id is covered by no signature (signatures.md §4.4); it is kept as the
// signer's claim (Signer.ClaimedKeyID) for people and reaches no decision:
// the policy matches only the verifier's name. Report strings are exact;
// whoever prints them for a person escapes them (lib/termsafe).
//
// The package links no network code: packagers ship ct-verify alone.
package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
)

// TrustedKey is a public key the verifier trusts, and where that trust
// comes from ("store trusted/alice.pub", "--key alice.pub").
//
// The key's id (Key.ID) is the verifier's name for it: what signers are
// called and what policy id patterns match. Unnamed is for a key whose id
// came with untrusted input (a key carried in an archive): the key is
// trusted by fingerprint, but has no name, so no id pattern matches it.
//
// A key store guarantees one key per id, but a --key file or an included
// key names itself: NameKeys leaves such a key unnamed when its id is
// already another trusted key's (a stranger's key file calling itself
// "ci" must not satisfy a pin meant for the store's "ci").
type TrustedKey struct {
	Key     *keys.PublicKey
	Source  string
	Unnamed bool
	Store   bool // from the key store, whose ids are the user's own
}

// NameKeys marks unnamed every key not from the store whose id is also
// the id of a trusted key with another fingerprint: a store key keeps its
// name; among the others, an id claimed by two fingerprints names neither.
// Call it whenever keys are added to a trust set.
func NameKeys(trusted []TrustedKey) {
	fps := map[string]map[string]bool{} // id -> fingerprints
	store := map[string]bool{}          // ids the store names
	for _, t := range trusted {
		id := t.Key.ID()
		if fps[id] == nil {
			fps[id] = map[string]bool{}
		}
		fps[id][t.Key.Fingerprint().String()] = true
		if t.Store {
			store[id] = true
		}
	}
	for i := range trusted {
		t := &trusted[i]
		if t.Store || t.Unnamed {
			continue
		}
		id := t.Key.ID()
		if store[id] && !sameAsStore(trusted, t) || !store[id] && len(fps[id]) > 1 {
			t.Unnamed = true
		}
	}
}

// sameAsStore reports whether t is the store's own key under t's id.
func sameAsStore(trusted []TrustedKey, t *TrustedKey) bool {
	for _, s := range trusted {
		if s.Store && s.Key.ID() == t.Key.ID() && s.Key.Fingerprint() == t.Key.Fingerprint() {
			return true
		}
	}
	return false
}

// Options says what to trust and which policy applies.
type Options struct {
	Trusted    []TrustedKey
	Policy     *policy.Policy // nil: no policy
	PolicyName string         // for messages
	// SkipContent skips hashing blobs (ct explain on a file seeks past
	// them); the report then says the content was not checked.
	SkipContent bool
	// KeepPredicates keeps each valid attestation's predicate in the report
	// (Attestation.Predicate), for ct explain --sbom.
	KeepPredicates bool
	// onSkip is told where each skipped blob lies (VerifyFile hashes them).
	onSkip func(b bundle.Blob, i int, off int64, where string)
}

// Check is one verification step and its outcome.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Code   int    `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
	Hint   string `json:"hint,omitempty"`
	// Skipped marks a check that could not run (OK is false, Code is 0):
	// the image graph when a manifest blob's bytes are not the listed ones.
	Skipped bool `json:"skipped,omitempty"`
}

// Signer is one signature entry as verified.
//
// A signature entry names its signer only by key_id, a label the signer
// chose that no signature covers (signatures.md §4.2): anyone can rewrite
// it. So the verifier names a signer by its own name for the key, KeyID:
// the id of the trusted key with this fingerprint in the verifier's trust
// set (key store, --key file), and by the fingerprint. KeyID is empty when
// the key is not trusted: such a signer has no name, only a fingerprint.
// The entry's label is kept apart as ClaimedKeyID, for people, and nothing
// (trust, policy, messages that name a signer) relies on it.
//
// In JSON (docs/json/verify.schema.json) the key is one object, as in
// every ct document (docs/cli.md): "key": {"keyId", "suite",
// "fingerprint"}, keyId present only when the verifier names the key.
type Signer struct {
	KeyID        string // the verifier's name for the key; "" when not trusted
	ClaimedKeyID string // the entry's key_id: the signer's own label, unverified
	Fingerprint  string
	Display      string
	Suite        string
	Valid        bool
	Trusted      bool
	TrustSource  string
	Problem      string
	// Logs lists the transparency proofs of this signature the bundle
	// carries (log.md §5), in entry order.
	Logs []LogProof
}

// KeyRef is a key as every ct JSON document names it (docs/cli.md).
type KeyRef struct {
	KeyID       string `json:"keyId,omitempty"`
	Suite       string `json:"suite"`
	Fingerprint string `json:"fingerprint"`
}

type signerJSON struct {
	Key          KeyRef     `json:"key"`
	ClaimedKeyID string     `json:"claimedKeyId"`
	Valid        bool       `json:"valid"`
	Trusted      bool       `json:"trusted"`
	TrustSource  string     `json:"trustSource,omitempty"`
	Problem      string     `json:"problem,omitempty"`
	Logs         []LogProof `json:"logs,omitempty"`
}

// MarshalJSON writes the signer in the ct.verify/1 shape.
func (s Signer) MarshalJSON() ([]byte, error) {
	return json.Marshal(signerJSON{Key: KeyRef{KeyID: s.KeyID, Suite: s.Suite, Fingerprint: s.Fingerprint},
		ClaimedKeyID: s.ClaimedKeyID, Valid: s.Valid, Trusted: s.Trusted, TrustSource: s.TrustSource, Problem: s.Problem, Logs: s.Logs})
}

// String names the signer for people: "alice (CT-SIG-01, FINGERPRINT)" for
// a trusted key, "key FINGERPRINT (CT-SIG-01)" for any other. The entry's
// label is added, quoted and marked as the signer's claim, when it differs
// from the verifier's name: `calls itself "release-2024"`.
func (s Signer) String() string {
	claim := ""
	if s.ClaimedKeyID != "" && s.ClaimedKeyID != s.KeyID {
		claim = fmt.Sprintf(", calls itself %q", s.ClaimedKeyID)
	}
	if s.KeyID != "" {
		return fmt.Sprintf("%s (%s, %s%s)", s.KeyID, s.Suite, s.Display, claim)
	}
	return fmt.Sprintf("key %s (%s%s)", s.Display, s.Suite, claim)
}

// Report is the outcome of verifying one bundle. Its JSON form is the
// stable `ct verify --json` schema (docs/spec/verify.md).
type Report struct {
	Schema         string   `json:"schema"` // SchemaID
	Bundle         string   `json:"bundle"`
	Archive        string   `json:"archive,omitempty"` // the export archive the bundle came from (Bundle is then NAME:VERSION)
	Valid          bool     `json:"valid"`
	Code           int      `json:"code"`
	Verdict        string   `json:"verdict"`
	Package        string   `json:"name,omitempty"`
	Version        string   `json:"version,omitempty"`
	ImageDigest    string   `json:"imageDigest,omitempty"`
	ManifestDigest string   `json:"manifestDigest,omitempty"`
	Source         string   `json:"source,omitempty"`
	Blobs          int      `json:"blobs"`
	ContentChecked bool     `json:"contentChecked"`
	Layers         []string `json:"layers,omitempty"` // layer digests in image order (an image, not an index)
	Signatures     []Signer `json:"signatures"`
	// Attestations lists every attestation checked (attestations.md §7).
	Attestations []Attestation `json:"attestations"`
	Policy       string        `json:"policy,omitempty"`
	Checks       []Check       `json:"checks"`
	// SignaturesChecked is false when the pass ended before the signature
	// entries (a truncated or malformed bundle): no signature was read, so
	// an empty Signatures says nothing about whether the bundle is signed.
	SignaturesChecked bool `json:"signaturesChecked"`
	// Carried lists the source's supply-chain artifacts the bundle carries
	// (referrers.md §4): claims, never counted or trusted (carried.go).
	Carried []Carried `json:"carried"`
	// Proofs lists the transparency proof entries as claims (proofclaims.go).
	Proofs []ProofClaim `json:"proofs,omitempty"`
	// Images lists the images of the bundle's graph, when it was read
	// intact: for ct explain --layers.
	Images   []Image          `json:"-"`
	Manifest *bundle.Manifest `json:"-"`
	// sigEntries are the readable signature entries, by key, for the
	// transparency proofs (transparency.go).
	sigEntries map[keys.Fingerprint]*sig.Entry
	errs       []error
	errPos     []int // for each of errs: the blob's position in manifest.toml, or -1
	// blobsPassed: the pass went past the last blob (what failed after
	// that, the entries after the blobs, leaves every blob read whole).
	blobsPassed bool
}

// SchemaID names the report's JSON kind (docs/json/verify.schema.json).
const SchemaID = "ct.verify/1"

// rank orders exit codes by precedence: lower decides.
var rank = map[exit.Code]int{exit.Malformed: 0, exit.IO: 0, exit.HashMismatch: 1, exit.SignatureInvalid: 2,
	exit.LogProofInvalid: 3, exit.KeyNotTrusted: 4, exit.PolicyRejected: 5, exit.LogProofMissing: 6, exit.MissingAttestation: 7}

func (r *Report) ok(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: fmt.Sprintf(format, args...)})
}

// skip records a check that could not run: never reported as passed.
func (r *Report) skip(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Skipped: true, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) fail(name string, err error) { r.failAt(name, err, -1) }

// failBlob records a failure of the blob at position i of manifest.toml, so
// that among equal codes the first in stream order decides even when
// VerifyFile hashes blobs out of order.
func (r *Report) failBlob(b bundle.Blob, i int, err error) { r.failAt("blob "+b.Digest, err, i) }

func (r *Report) failAt(name string, err error, pos int) {
	r.errs = append(r.errs, err)
	r.errPos = append(r.errPos, pos)
	r.Checks = append(r.Checks, Check{Name: name, Code: int(exit.CodeOf(err)), Detail: err.Error(), Hint: exit.HintOf(err)})
}

// Err returns the deciding error (nil when valid), by the rule of verify.md
// §2: the failure of the highest-precedence code, and among equals the first
// in stream order (blobs by their position, everything else in check order).
func (r *Report) Err() error {
	best := -1
	for i, e := range r.errs {
		switch {
		case best < 0 || rankOf(e) < rankOf(r.errs[best]):
			best = i
		case rankOf(e) == rankOf(r.errs[best]) && r.errPos[i] >= 0 && r.errPos[best] >= 0 && r.errPos[i] < r.errPos[best]:
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	return r.errs[best]
}

// Others returns the failures other than the deciding one, in check order.
func (r *Report) Others() []error {
	best := r.Err()
	var out []error
	for _, e := range r.errs {
		if e != best {
			out = append(out, e)
		}
	}
	return out
}

func rankOf(err error) int {
	if n, ok := rank[exit.CodeOf(err)]; ok {
		return n
	}
	return -1 // usage and internal errors come first
}

func (r *Report) finish() *Report {
	err := r.Err()
	r.Code = int(exit.CodeOf(err))
	r.Valid = err == nil
	r.Verdict = exit.Lookup(exit.CodeOf(err)).Name
	if r.Valid {
		r.Verdict = "valid"
	}
	if r.Signatures == nil {
		r.Signatures = []Signer{}
	}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	if r.Attestations == nil {
		r.Attestations = []Attestation{}
	}
	if r.Carried == nil {
		r.Carried = carried(r.Manifest, nil)
	}
	return r
}

// Verify reads the bundle from rd (named name in messages) and verifies it.
// The report always comes back; its Err says why the bundle failed.
func Verify(rd io.Reader, name string, opts Options) *Report {
	rep := &Report{Schema: SchemaID, Bundle: name, ContentChecked: !opts.SkipContent}
	br, err := bundle.NewReader(rd, name)
	if err != nil {
		rep.fail("bundle", err)
		return rep.finish()
	}
	m := br.Manifest()
	rep.Manifest = m
	rep.Package, rep.Version, rep.ImageDigest = m.Package.Name, m.Package.Version, m.Image.Digest
	rep.ManifestDigest = bundle.Digest(br.ManifestBytes())
	rep.Source, rep.Blobs = m.Source.Reference, len(m.Blobs)
	rep.ok("manifest", "canonical manifest.toml %s, format %d", rep.ManifestDigest, m.Format)
	rep.ok("summary", "summary.json, oci-layout and index.json match manifest.toml")

	buf := make([]byte, 1<<20)
	if opts.SkipContent {
		br.SkipContent()
	}
	n := 0 // blobs seen
	meta := map[string]*bytes.Buffer{}
	for {
		b, blob, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil && err == br.GraphErr() {
			// The stream is intact: go on to the signatures.
			rep.fail("image graph", err)
			break
		}
		if err != nil && exit.CodeOf(err) == exit.HashMismatch && n < len(m.Blobs) {
			// A blob entry of the wrong size (every blob the verifier
			// does not read itself is read by VerifyFile, so this is the
			// entry just met): the stream goes on.
			rep.failBlob(m.Blobs[n], n, err)
			n++
			if br.Stopped() {
				// An entry longer than manifest.toml says: nothing after
				// its header is read (verify.md §2), so nothing after it
				// is checked; its mismatch decides.
				rep.skip("rest of the bundle", "not checked: blob %d's entry declares more bytes than manifest.toml gives it, and the bundle is not read past its header (verify.md §2)", n)
				return rep.finish()
			}
			continue
		}
		if err != nil && br.Stopped() && b.Digest != "" {
			// A blob to be sought past that the file ends inside: its
			// failure, as a stream reading it reports it.
			rep.failBlob(b, n, err)
			return rep.finish()
		}
		if err != nil {
			rep.fail("bundle", err)
			return rep.finish()
		}
		if opts.SkipContent && !br.Retains(b) {
			if opts.onSkip != nil {
				opts.onSkip(b, n, br.Offset(), blobWhere(name, b, n, len(m.Blobs)))
			}
			n++
			continue
		}
		n++
		var sink io.Writer = discard{}
		if keepsMeta(b) {
			mb := &bytes.Buffer{}
			meta[b.Digest], sink = mb, mb
		}
		if _, err := io.CopyBuffer(sink, blob, buf); err != nil {
			rep.failBlob(b, n-1, err)
			if exit.CodeOf(err) != exit.HashMismatch {
				return rep.finish()
			}
		}
	}
	rep.blobsPassed = true
	if !opts.SkipContent && br.Mismatches() == 0 {
		rep.ok("blobs", "%s", blobsMatch(len(m.Blobs)))
	}
	switch {
	case br.GraphSkipped() != "":
		rep.skip("image graph", "not checked: blob %s does not match its digest, so its bytes cannot be read as part of the image (verify.md §2)", br.GraphSkipped())
	case br.GraphErr() == nil:
		rep.ok("image graph", "the blobs form exactly the image %s, and manifest.toml's platform and created match it", m.Image.Digest)
		mb := map[string][]byte{}
		for d, b := range meta {
			mb[d] = b.Bytes()
		}
		rep.Images = images(m.Image.Digest, mb)
	}
	rep.Layers = br.LayerOrder()
	rep.Carried = carried(m, br.CopiedArtifactTypes())
	entries, err := br.Signatures()
	if err != nil {
		rep.fail("bundle", err)
		return rep.finish()
	}
	proofs := parseProofs(br.Proofs())
	rep.Proofs = proofClaims(proofs)
	checkSignatures(rep, entries, br.ManifestBytes(), opts)
	checkProofs(rep, proofs, rep.sigEntries, opts)
	if br.GraphSkipped() != "" && hasAttestations(m) {
		rep.skip("attestations", "not checked: blob %s does not match its digest (verify.md §2)", br.GraphSkipped())
	}
	checkAttestations(rep, br.Attestations(), m.Image.Digest, opts)
	if opts.Policy != nil {
		checkTransparency(rep, checkPolicy(rep, opts, false), opts)
	}
	return rep.finish()
}

func hasAttestations(m *bundle.Manifest) bool {
	for _, b := range m.Blobs {
		if b.Role == bundle.RoleAttestation || b.Role == bundle.RolePending {
			return true
		}
	}
	return false
}

// blobsMatch is the detail of a passed "blobs" check.
func blobsMatch(n int) string {
	if n == 1 {
		return "the 1 blob matches its digest and size"
	}
	return fmt.Sprintf("%d blobs match their digests and sizes", n)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func checkSignatures(rep *Report, entries []bundle.Entry, manifest []byte, opts Options) {
	rep.SignaturesChecked = true
	if len(entries) == 0 {
		rep.fail("signatures", exit.New(exit.SignatureInvalid, "the bundle is unsigned").At("bundle "+rep.Bundle).
			WithHint("sign it with ct sign -k KEY %s -o %s", rep.Bundle, rep.Bundle))
		return
	}
	var valid []Signer
	for _, e := range entries {
		name := "signature " + strings.TrimSuffix(strings.TrimPrefix(e.Name, sig.EntryDir), sig.EntryExt)
		se, err := sig.ParseEntry(e.Name, e.Data)
		if err != nil {
			rep.fail(name, exit.Wrap(exit.Malformed, err, "unreadable signature entry").At("bundle "+rep.Bundle+", entry "+e.Name).
				WithHint("the entry was damaged or written by a non-conforming tool; re-sign the bundle"))
			continue
		}
		fp := se.Fingerprint
		if rep.sigEntries == nil {
			rep.sigEntries = map[keys.Fingerprint]*sig.Entry{}
		}
		rep.sigEntries[fp] = se
		s := Signer{ClaimedKeyID: se.KeyID, Fingerprint: fp.String(), Display: fp.Display(), Suite: se.Suite}
		if err := sig.VerifySelf(se, manifest); err != nil {
			s.Problem = err.Error()
			rep.Signatures = append(rep.Signatures, s)
			rep.fail(name, exit.Wrap(exit.SignatureInvalid, err, "signature by %s does not verify", s).
				At("bundle "+rep.Bundle).WithHint("the bundle or its signature was altered after signing; fetch it again from its source"))
			continue
		}
		s.Valid = true
		for _, t := range opts.Trusted {
			if t.Key.Fingerprint() == fp && t.Key.Equal(se.PublicKey) {
				// The verifier's own name for the key, never the entry's key_id.
				s.Trusted, s.TrustSource = true, t.Source
				if !t.Unnamed {
					s.KeyID = t.Key.ID()
				}
				break
			}
		}
		rep.Signatures = append(rep.Signatures, s)
		valid = append(valid, s)
		rep.ok(name, "valid %s signature by %s", s.Suite, s)
	}
	if len(valid) == 0 {
		return
	}
	var trusted []string
	for _, s := range valid {
		if s.Trusted {
			trusted = append(trusted, s.String())
		}
	}
	if len(trusted) > 0 {
		label := "trusted signer"
		if len(trusted) > 1 {
			label += "s"
		}
		rep.ok("trust", "%s: %s", label, strings.Join(trusted, ", "))
		return
	}
	var who []string
	for _, s := range valid {
		who = append(who, s.String())
	}
	hint := "if you trust the signer, import their public key (check its fingerprint with them first): ct key import KEY.pub, or pass --key KEY.pub; ct key list shows the keys you trust"
	if len(opts.Trusted) == 0 {
		hint = "no trusted keys are configured: pass the signer's public key with --key KEY.pub, or import it with ct key import KEY.pub"
	}
	rep.fail("trust", exit.New(exit.KeyNotTrusted, "signatures verify, but no signer is trusted: signed by %s", strings.Join(who, ", ")).
		At("bundle "+rep.Bundle).WithHint("%s", hint))
}

// checkPolicy evaluates the policy on what rep holds; headsOnly says the
// attestations were not read yet (VerifyHead), so require_attestations waits
// for the full verification.
// It returns the signatures the policy counts.
func checkPolicy(rep *Report, opts Options, headsOnly bool) []policy.Signature {
	rep.Policy = opts.PolicyName
	in := policy.Input{Manifest: rep.Manifest, ManifestDigest: rep.ManifestDigest, HeadsOnly: headsOnly}
	for _, s := range rep.Signatures {
		fp, err := keys.ParseFingerprint(s.Fingerprint)
		if err != nil {
			continue
		}
		// KeyID is the verifier's name (empty unless trusted); the
		// entry's key_id goes along only as a label for messages.
		in.Signatures = append(in.Signatures, policy.Signature{KeyID: s.KeyID, Label: s.ClaimedKeyID, Fingerprint: fp,
			Suite: s.Suite, Valid: s.Valid, Trusted: s.Trusted, TrustSource: s.TrustSource})
	}
	for _, a := range rep.Attestations {
		if a.Pending { // unsigned: never counts (attestations.md §9.2)
			continue
		}
		fp, err := keys.ParseFingerprint(a.Key.Fingerprint)
		if err != nil {
			continue
		}
		in.Attestations = append(in.Attestations, policy.Attestation{PredicateType: a.PredicateType, KeyID: a.Key.KeyID,
			Fingerprint: fp, Suite: a.Key.Suite, Valid: a.Valid, Trusted: a.Trusted})
	}
	res := opts.Policy.Evaluate(in)
	for _, c := range res.Checks {
		if c.OK {
			rep.ok("policy "+c.Rule, "%s", c.Detail)
		}
	}
	if err := res.Error(); err != nil {
		var ee *exit.Error
		if errors.As(err, &ee) && ee.Where == "" {
			ee.Where = "policy " + opts.PolicyName
		}
		rep.fail("policy", err)
	}
	return res.Counted
}
