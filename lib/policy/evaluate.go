package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Signature is one signature of the bundle as the verifier saw it.
type Signature struct {
	KeyID       string           // the id of the key in the verifier's trust set ("" if none); id patterns match only this
	Label       string           // the signer's own unverified label (a signature entry's key_id): shown, never matched
	Fingerprint keys.Fingerprint // the signer's key
	Suite       string           // e.g. "CT-SIG-02"
	Valid       bool             // it verified (signatures.md §5)
	Trusted     bool             // the key is trusted by the verifier
	TrustSource string           // where the trust came from, for messages (e.g. "trust store")
}

// Input is what Evaluate judges.
type Input struct {
	Manifest       *bundle.Manifest // the bundle's manifest.toml
	ManifestDigest string           // "sha256:…" of manifest.toml's bytes
	Signatures     []Signature
	Attestations   []Attestation
	// HeadsOnly: the bundle's attestations have not been read yet (a
	// verifier judging an archive's heads before it unpacks anything), so
	// require_attestations is left for the full evaluation, which follows.
	HeadsOnly bool
}

// Attestation is one attestation of the bundle as the verifier saw it
// (attestations.md §7): its predicate type and its signer, named like a
// Signature's.
type Attestation struct {
	PredicateType string
	KeyID         string // the verifier's name for the signer's key ("" if none)
	Fingerprint   keys.Fingerprint
	Suite         string
	Valid         bool // envelope, subject and predicate hold
	Trusted       bool
}

// Result is the outcome of Evaluate.
type Result struct {
	OK     bool      `json:"ok"`
	Code   exit.Code `json:"code"`   // exit.OK, exit.PolicyRejected or exit.MissingAttestation
	Policy string    `json:"policy"` // the policy's Name
	Checks []Check   `json:"checks"` // one per rule the policy sets, in policy.md §6 order
	// Counted are the signatures the signer rules count (policy.md §6),
	// in input order: the ones transparency.logs_required applies to.
	Counted []Signature `json:"-"`
}

// Check is the verdict of one rule.
type Check struct {
	Rule   string `json:"rule"`           // e.g. "signers.threshold", "pin.nginx.digest"
	OK     bool   `json:"ok"`             // false: this rule rejects the bundle
	Detail string `json:"detail"`         // what was expected and what was found
	Hint   string `json:"hint,omitempty"` // what to change, for a failed check
}

// Error returns nil if the policy accepts the bundle, else an *exit.Error
// with the result's code describing the first failed check.
func (r *Result) Error() error {
	if r.OK {
		return nil
	}
	for _, c := range r.Checks {
		if !c.OK {
			return &exit.Error{Code: r.Code, Where: fmt.Sprintf("policy %s, rule %s", r.Policy, c.Rule),
				Msg: c.Detail, Hint: c.Hint}
		}
	}
	return exit.New(exit.Internal, "policy rejected the bundle without a failed check").At("policy " + r.Policy)
}

// Evaluate judges a bundle against the policy (policy.md §6). It never fails
// for a reason other than the policy: the caller has already verified the
// bundle and its signatures and reports those failures itself.
func (p *Policy) Evaluate(in Input) *Result {
	m := in.Manifest
	if m == nil {
		m = &bundle.Manifest{}
	}
	e := &evaluation{p: p, res: &Result{Policy: p.Name}}
	e.registries(m.Source)
	counted := e.signers(in.Signatures)
	e.res.Counted = counted
	e.pin(m, in.ManifestDigest, counted)
	if len(p.RequireAttestations) > 0 && !in.HeadsOnly {
		e.attestations(in.Attestations)
	}
	r := e.res
	r.OK, r.Code = true, exit.OK
	for _, c := range r.Checks {
		switch {
		case c.OK:
		case c.Rule == "require_attestations":
			if r.OK {
				r.OK, r.Code = false, exit.MissingAttestation
			}
		default:
			r.OK, r.Code = false, exit.PolicyRejected
		}
	}
	return r
}

type evaluation struct {
	p   *Policy
	res *Result
}

func (e *evaluation) check(rule string, ok bool, detail, hint string, args ...any) {
	c := Check{Rule: rule, OK: ok, Detail: detail}
	if !ok {
		c.Hint = fmt.Sprintf(hint, args...)
	}
	e.res.Checks = append(e.res.Checks, c)
}

func (e *evaluation) registries(src bundle.Source) {
	r := e.p.Registries
	if r == nil {
		return
	}
	subj := Subject(src)
	if r.Blocked != nil {
		i := slices.IndexFunc(r.Blocked, func(pat string) bool { return sourceMatches(pat, src) })
		if i >= 0 {
			e.check("registries.blocked", false, fmt.Sprintf("source %s matches blocked pattern %q", subj, r.Blocked[i]),
				"use an image from a source the policy allows, or remove %q from registries.blocked in %s", r.Blocked[i], e.p.Name)
		} else {
			e.check("registries.blocked", true, fmt.Sprintf("source %s matches no blocked pattern", subj), "")
		}
	}
	if r.Allowed != nil {
		i := slices.IndexFunc(r.Allowed, func(pat string) bool { return sourceMatches(pat, src) })
		if i >= 0 {
			e.check("registries.allowed", true, fmt.Sprintf("source %s matches allowed pattern %q", subj, r.Allowed[i]), "")
		} else {
			e.check("registries.allowed", false,
				fmt.Sprintf("source %s matches none of the allowed patterns %s", subj, quoteList(r.Allowed)),
				"use an image from an allowed source, or add a pattern for it to registries.allowed in %s", e.p.Name)
		}
	}
}

// signers filters the signatures down to the counted signers, records the
// checks of signers.denied, signers.allowed, suites.allowed and
// signers.threshold, and returns the counted signers.
func (e *evaluation) signers(sigs []Signature) []Signature {
	var s Signers
	if e.p.Signers != nil {
		s = *e.p.Signers
	}
	var suites []string
	if e.p.Suites != nil {
		suites = e.p.Suites.Allowed
	}
	var counted []Signature
	var notCounted, denied, notAllowed, badSuite []string
	for _, sig := range sigs {
		who := signerName(sig)
		switch {
		case !sig.Valid:
			notCounted = append(notCounted, who+" (invalid signature)")
		case !sig.Trusted:
			notCounted = append(notCounted, who+" (key not trusted)")
		case slices.ContainsFunc(s.Denied, func(pat string) bool { return signerMatches(pat, sig.KeyID, sig.Fingerprint) }):
			denied = append(denied, who)
			notCounted = append(notCounted, who+" (denied by signers.denied)")
		case s.Allowed != nil && !slices.ContainsFunc(s.Allowed, func(pat string) bool { return signerMatches(pat, sig.KeyID, sig.Fingerprint) }):
			notAllowed = append(notAllowed, who)
			notCounted = append(notCounted, who+" (not in signers.allowed)")
		case suites != nil && !slices.Contains(suites, sig.Suite):
			badSuite = append(badSuite, who+" "+sig.Suite)
			notCounted = append(notCounted, fmt.Sprintf("%s (suite %s not in suites.allowed)", who, sig.Suite))
		case slices.ContainsFunc(counted, func(c Signature) bool { return c.Fingerprint == sig.Fingerprint }):
			notCounted = append(notCounted, who+" (signed more than once; counted once)")
		default:
			counted = append(counted, sig)
		}
	}
	if s.Denied != nil {
		if len(denied) == 0 {
			e.check("signers.denied", true, "no denied signer signed", "")
		} else {
			e.check("signers.denied", true, "ignored the signatures of denied signers: "+strings.Join(denied, ", "), "")
		}
	}
	if s.Allowed != nil {
		if len(notAllowed) == 0 {
			e.check("signers.allowed", true, "every valid trusted signer is allowed", "")
		} else {
			e.check("signers.allowed", true, "ignored the signatures of signers not allowed: "+strings.Join(notAllowed, ", "), "")
		}
	}
	if suites != nil {
		if len(badSuite) == 0 {
			e.check("suites.allowed", true, "every remaining signature uses an allowed suite ("+strings.Join(suites, ", ")+")", "")
		} else {
			e.check("suites.allowed", true, fmt.Sprintf("ignored signatures whose suite is not one of %s: %s",
				strings.Join(suites, ", "), strings.Join(badSuite, ", ")), "")
		}
	}
	k := e.p.Threshold()
	names := make([]string, len(counted))
	for i, c := range counted {
		names[i] = signerName(c)
	}
	detail := fmt.Sprintf("%d of %d required signers", len(counted), k)
	if len(names) > 0 {
		detail += ": " + strings.Join(names, ", ")
	}
	if len(notCounted) > 0 {
		detail += "; not counted: " + strings.Join(notCounted, ", ")
	}
	if len(counted) >= k {
		e.check("signers.threshold", true, detail, "")
	} else {
		e.check("signers.threshold", false, detail,
			"add %d signature(s) by other trusted keys the policy counts (ct sign -k KEY), or change %s", k-len(counted), e.p.Name)
	}
	return counted
}

func (e *evaluation) pin(m *bundle.Manifest, manifestDigest string, counted []Signature) {
	if e.p.Pin == nil {
		return
	}
	name := m.Package.Name
	pin, ok := e.p.Pin[name]
	if !ok {
		e.check("pin", true, fmt.Sprintf("package %q is not pinned", name), "")
		return
	}
	rule := join("pin", name)
	if pin.Digest != "" {
		if m.Image.Digest == pin.Digest {
			e.check(rule+".digest", true, "image digest is "+pin.Digest, "")
		} else {
			e.check(rule+".digest", false, fmt.Sprintf("image digest is %s, the pin requires %s", m.Image.Digest, pin.Digest),
				"this is not the pinned image; if the new image is expected, update %s.digest in %s", rule, e.p.Name)
		}
	}
	if pin.ManifestDigest != "" {
		if manifestDigest == pin.ManifestDigest {
			e.check(rule+".manifest_digest", true, "manifest digest is "+pin.ManifestDigest, "")
		} else {
			e.check(rule+".manifest_digest", false, fmt.Sprintf("manifest digest is %s, the pin requires %s", manifestDigest, pin.ManifestDigest),
				"this is not the pinned bundle; if the new bundle is expected, update %s.manifest_digest in %s", rule, e.p.Name)
		}
	}
	if pin.Signers != nil {
		var missing []string
		for _, pat := range pin.Signers {
			if !slices.ContainsFunc(counted, func(c Signature) bool { return signerMatches(pat, c.KeyID, c.Fingerprint) }) {
				missing = append(missing, pat)
			}
		}
		if len(missing) == 0 {
			e.check(rule+".signers", true, "every pinned signer signed: "+quoteList(pin.Signers), "")
		} else {
			e.check(rule+".signers", false, "no counted signature by pinned signer(s) "+quoteList(missing),
				"have each pinned signer sign the bundle (ct sign -k KEY); a denied, disallowed or untrusted signer does not count")
		}
	}
}

// signerName names a signer for people: "alice (6e33:ce9e:16e3:3e7d)" by
// the verifier's name, else by fingerprint alone. A label that differs from
// the verifier's name is added as the signer's claim, quoted: `6e33:ce9e:16e3:3e7d
// (calls itself "release-2024")`; it is never a name.
func signerName(s Signature) string {
	claim := ""
	if s.Label != "" && s.Label != s.KeyID {
		claim = fmt.Sprintf("calls itself %q", s.Label)
	}
	switch {
	case s.KeyID == "" && claim == "":
		return s.Fingerprint.Short()
	case s.KeyID == "":
		return s.Fingerprint.Short() + " (" + claim + ")"
	case claim == "":
		return s.KeyID + " (" + s.Fingerprint.Short() + ")"
	}
	return s.KeyID + " (" + s.Fingerprint.Short() + ", " + claim + ")"
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// attestations checks require_attestations (policy.md §4.5): every
// requirement needs an attestation of its type that is valid, by a trusted
// key, not denied by signers.denied and, when the requirement names signers,
// by one of them.
func (e *evaluation) attestations(atts []Attestation) {
	var denied []string
	if e.p.Signers != nil {
		denied = e.p.Signers.Denied
	}
	var met, missing []string
	for _, r := range e.p.RequireAttestations {
		t := r.PredicateType()
		var why []string
		ok := false
		for _, a := range atts {
			if a.PredicateType != t {
				continue
			}
			who := signerName(Signature{KeyID: a.KeyID, Fingerprint: a.Fingerprint})
			switch {
			case !a.Valid:
				why = append(why, who+" (invalid)")
			case !a.Trusted:
				why = append(why, who+" (key not trusted)")
			case slices.ContainsFunc(denied, func(pat string) bool { return signerMatches(pat, a.KeyID, a.Fingerprint) }):
				why = append(why, who+" (denied by signers.denied)")
			case r.Signers != nil && !slices.ContainsFunc(r.Signers, func(pat string) bool { return signerMatches(pat, a.KeyID, a.Fingerprint) }):
				why = append(why, fmt.Sprintf("%s (not one of the required signers %s)", who, strings.Join(r.Signers, ", ")))
			default:
				ok = true
				met = append(met, fmt.Sprintf("%s by %s", t, who))
			}
			if ok {
				break
			}
		}
		if ok {
			continue
		}
		want := t
		if r.Signers != nil {
			want += " signed by " + strings.Join(r.Signers, " or ")
		}
		if len(why) == 0 {
			missing = append(missing, want+": the bundle has no attestation of this type")
		} else {
			missing = append(missing, want+": present but not counted: "+strings.Join(why, ", "))
		}
	}
	if len(missing) == 0 {
		e.check("require_attestations", true, "required attestations present: "+strings.Join(met, "; "), "")
		return
	}
	e.check("require_attestations", false, "missing attestation(s): "+strings.Join(missing, "; "),
		"add them with ct attest --predicate FILE --type TYPE -k KEY before signing (or trust their signer: ct key import KEY.pub, --key KEY.pub)")
}

// HeadsDecide reports whether every rule of p is judged on a bundle's
// head (Input.HeadsOnly, verify.VerifyHead): not so for
// require_attestations (the attestations are among the blobs) nor
// transparency.logs_required above 0 (the proofs are checked with the
// blobs); a transparency section requiring no log only trusts logs, and
// rejects nothing. A nil policy decides nothing later either.
func (p *Policy) HeadsDecide() bool {
	return p == nil || len(p.RequireAttestations) == 0 && (p.Transparency == nil || p.Transparency.LogsRequired == 0)
}
