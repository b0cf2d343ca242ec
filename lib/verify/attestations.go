package verify

import (
	"encoding/json"
	"fmt"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/provenance"
)

// Attestation is one attestation of a bundle as verified
// (docs/spec/attestations.md §7). Its signer is named like a bundle
// signer: by the verifier's name for the key (KeyID, only when trusted)
// and its fingerprint.
type Attestation struct {
	Digest   string `json:"digest"`             // the attestation manifest's
	Envelope string `json:"envelope,omitempty"` // absent when pending
	// Statement is a pending attestation's statement (attestations.md §9);
	// absent when signed.
	Statement     string `json:"statement,omitempty"`
	PredicateType string `json:"predicateType"`
	// Pending: an unsigned statement the next ct sign signs; it has no key
	// and never counts for require_attestations.
	Pending     bool   `json:"pending,omitempty"`
	Key         KeyRef `json:"key,omitzero"`
	Valid       bool   `json:"valid"`
	Trusted     bool   `json:"trusted"`
	TrustSource string `json:"trustSource,omitempty"`
	Problem     string `json:"problem,omitempty"`
	// Predicate is the statement's predicate, kept only with
	// Options.KeepPredicates and only when the attestation is valid (its
	// signer may still be untrusted) or pending and well-formed: ct explain
	// --sbom.
	Predicate json.RawMessage `json:"-"`
	// Review is what ct sign would say of a well-formed pending
	// attestation, and whether it signs it only with --sign-pending
	// (attestations.md §9.5): for ct explain.
	Review *attest.PendingReview `json:"-"`
}

// Display names the attestation for people: its digest and type.
func (a Attestation) Display() string {
	return fmt.Sprintf("attestation %s (%s)", a.Digest, a.PredicateType)
}

// Signer names the attestation's signer as Signer.String does.
func (a Attestation) Signer() string {
	fp, err := keys.ParseFingerprint(a.Key.Fingerprint)
	d := a.Key.Fingerprint
	if err == nil {
		d = fp.Display()
	}
	if a.Key.KeyID != "" {
		return fmt.Sprintf("%s (%s, %s)", a.Key.KeyID, a.Key.Suite, d)
	}
	return fmt.Sprintf("key %s (%s)", d, a.Key.Suite)
}

// checkAttestations verifies every attestation the bundle reader found
// (attestations.md §7) and records one check per attestation.
func checkAttestations(rep *Report, list []bundle.Attestation, imageDigest string, opts Options) {
	for _, a := range list {
		if a.Pending {
			checkPending(rep, a, imageDigest, opts.KeepPredicates)
			continue
		}
		res := Attestation{Digest: a.Digest, Envelope: a.Envelope.Digest, PredicateType: a.PredicateType,
			Key: KeyRef{Suite: a.SignerSuite, Fingerprint: a.SignerFP}}
		name := "attestation " + a.Digest
		where := fmt.Sprintf("bundle %s, %s", rep.Bundle, res.Display())
		fail := func(err error, hint string) {
			res.Problem = err.Error()
			rep.Attestations = append(rep.Attestations, res)
			e := exit.Wrap(exit.CodeOf(err), err, "attestation does not hold").At(where)
			if hint != "" {
				e = e.WithHint("%s", hint)
			}
			rep.fail(name, e)
		}
		const rewrite = "the attestation was damaged or written by a non-conforming tool; attest again with ct attest"
		pub, err := attest.SignerKey(a)
		if err != nil {
			fail(err, rewrite)
			continue
		}
		p, err := attest.Parse(a.EnvelopeData)
		if err != nil {
			fail(err, rewrite)
			continue
		}
		if p.Statement.PredicateType != a.PredicateType {
			fail(exit.New(exit.Malformed, "the statement's predicateType %q differs from the manifest's annotation %q", p.Statement.PredicateType, a.PredicateType), rewrite)
			continue
		}
		if err := attest.VerifyParsed(p, pub); err != nil {
			fail(err, "the attestation was altered after it was signed; fetch the bundle again from its source")
			continue
		}
		if got := "sha256:" + p.Statement.Subject[0].Digest["sha256"]; got != imageDigest {
			fail(exit.New(exit.SignatureInvalid, "the statement is about image %s, not this bundle's image %s", got, imageDigest),
				"the attestation belongs to another image; attest this image again")
			continue
		}
		if err := attest.CheckPredicate(p.Statement.PredicateType, p.Statement.Predicate); err != nil {
			fail(err, "the predicate is not a well-formed document of its type; regenerate it and attest again")
			continue
		}
		// ct pack's own provenance must agree with the manifest it was
		// made with (provenance.md §4): source, digest, platforms and the
		// Docker conversion. Another builder's provenance is checked for
		// its structure only (above).
		if p.Statement.PredicateType == attest.TypeSLSAProvenanceV1 && rep.Manifest != nil && ctBuilt(p.Statement.Predicate) {
			if err := provenance.Check(p.Statement.Predicate, rep.Manifest); err != nil {
				fail(err, "the provenance does not describe this bundle; make it again with ct pack --provenance-out and attest it")
				continue
			}
		}
		res.Valid = true
		if opts.KeepPredicates {
			res.Predicate = p.Statement.Predicate
		}
		for _, t := range opts.Trusted {
			if t.Key.Fingerprint() == pub.Fingerprint() && t.Key.Equal(pub) {
				res.Trusted, res.TrustSource = true, t.Source
				if !t.Unnamed {
					res.Key.KeyID = t.Key.ID()
				}
				break
			}
		}
		if !res.Trusted {
			rep.Attestations = append(rep.Attestations, res)
			rep.fail(name, exit.New(exit.KeyNotTrusted, "the attestation verifies, but its signer %s is not trusted", res.Signer()).At(where).
				WithHint("if you trust the signer, import their public key (check its fingerprint with them first): ct key import KEY.pub, or pass --key KEY.pub"))
			continue
		}
		rep.Attestations = append(rep.Attestations, res)
		rep.ok(name, "valid %s attestation by %s", res.PredicateType, res.Signer())
	}
}

// ctBuilt reports whether an SLSA v1 predicate names ct pack's build type.
func ctBuilt(predicate []byte) bool {
	var p struct {
		BuildDefinition struct {
			BuildType string `json:"buildType"`
		} `json:"buildDefinition"`
	}
	return json.Unmarshal(predicate, &p) == nil && p.BuildDefinition.BuildType == provenance.BuildType
}

// checkPending checks a pending attestation (attestations.md §9.2): its
// statement's form, subject and predicate, as a signer will before signing
// it. It is never valid or trusted: nobody has signed it yet. A pending
// attestation in a signed bundle is rejected by the bundle reader (§9.3).
func checkPending(rep *Report, a bundle.Attestation, imageDigest string, keep bool) {
	res := Attestation{Digest: a.Digest, Statement: a.Envelope.Digest, PredicateType: a.PredicateType, Pending: true}
	name := "attestation " + a.Digest
	var err error
	if rep.Manifest == nil {
		err = exit.New(exit.Internal, "pending attestation checked without the manifest")
	} else {
		var st *attest.Statement
		if st, err = attest.CheckPending(a, rep.Manifest); err == nil {
			r := attest.ReviewStatement(a, st, rep.Manifest)
			res.Review = &r
			if keep {
				res.Predicate = st.Predicate
			}
		}
	}
	if err != nil {
		res.Problem = err.Error()
		rep.Attestations = append(rep.Attestations, res)
		rep.fail(name, exit.Wrap(exit.CodeOf(err), err, "pending attestation does not hold").At(fmt.Sprintf("bundle %s, %s", rep.Bundle, res.Display())).
			WithHint("make the attestation again (ct attest, ct-sbom, ct pack) before signing"))
		return
	}
	rep.Attestations = append(rep.Attestations, res)
	rep.ok(name, "pending %s attestation (unsigned; the next ct sign signs it)", res.PredicateType)
}
