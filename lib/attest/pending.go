package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/provenance"
)

// Pend returns m with one more pending attestation (attestations.md §9): the
// unsigned statement about m's image with the given predicate, and its
// artifact manifest. The statement's bytes are exactly those Attach would
// sign, so signing it later gives the envelope Attach gives now.
func Pend(m *bundle.Manifest, predicateType string, predicate []byte) (*bundle.Manifest, []byte, []byte, error) {
	payload, err := encodeStatement(m, predicateType, predicate)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(payload) > bundle.MaxStatementSize {
		return nil, nil, nil, exit.New(exit.Usage, "the statement would be %d bytes, over the %d-byte limit of a pending statement", len(payload), bundle.MaxStatementSize).
			WithHint("make the predicate smaller: its statement must fit, signed, in a %d-byte envelope", bundle.MaxEnvelopeSize)
	}
	pm, err := bundle.PendingManifest(m, bundle.Digest(payload), int64(len(payload)), predicateType)
	if err != nil {
		return nil, nil, nil, err
	}
	m2, err := bundle.AddPending(m, payload, pm)
	if err != nil {
		return nil, nil, nil, err
	}
	return m2, payload, pm, nil
}

// CheckPending checks a pending attestation as a verifier does
// (attestations.md §9.2): the statement parses by §2.1 and is in the one
// encoding ct writes, its predicateType is the manifest's annotation, its
// subject is the bundle's image, and its predicate has the structure of its
// type. Every failure is exit.Malformed: nobody signed it.
func CheckPending(a bundle.Attestation, m *bundle.Manifest) (*Statement, error) {
	imageDigest := m.Image.Digest
	if !a.Pending {
		return nil, exit.New(exit.Internal, "CheckPending of a signed attestation")
	}
	if a.EnvelopeData == nil {
		return nil, malformed("the statement does not match its digest")
	}
	st, err := ParseStatement(a.EnvelopeData)
	if err != nil {
		return nil, err
	}
	if re, err := st.Encode(); err != nil || !bytes.Equal(re, a.EnvelopeData) {
		return nil, malformed("the statement is not in the one encoding a writer emits (member order _type, subject, predicateType, predicate; no whitespace; HTML characters unescaped)")
	}
	if st.PredicateType != a.PredicateType {
		return nil, malformed("the statement's predicateType %q differs from the manifest's annotation %q", st.PredicateType, a.PredicateType)
	}
	if got := "sha256:" + st.Subject[0].Digest["sha256"]; got != imageDigest {
		return nil, malformed("the pending statement is about image %s, not this bundle's image %s", got, imageDigest)
	}
	if err := CheckPredicate(st.PredicateType, st.Predicate); err != nil {
		return nil, err
	}
	// ct pack's own provenance must describe this bundle (provenance.md §4).
	if st.PredicateType == TypeSLSAProvenanceV1 && ctPackBuilt(st.Predicate) {
		if err := provenance.Check(st.Predicate, m); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// ctPackBuilt reports whether an SLSA v1 predicate names ct pack's build type.
func ctPackBuilt(predicate []byte) bool {
	var p struct {
		BuildDefinition struct {
			BuildType string `json:"buildType"`
		} `json:"buildDefinition"`
	}
	return json.Unmarshal(predicate, &p) == nil && p.BuildDefinition.BuildType == provenance.BuildType
}

// SignPending returns m with every pending attestation of list replaced by
// an attestation of the same statement signed with k (attestations.md §9.3),
// and the new blobs (envelopes and attestation manifests) by digest; a
// pending attestation whose signed form the bundle already lists is only
// removed (and counted as signed). reviewed is what ReviewPending(m, list)
// returned: the statements were checked there, once, and a pending
// attestation it did not review is not signed (exit.Internal).
func SignPending(m *bundle.Manifest, list []bundle.Attestation, reviewed []PendingReview, k *keys.PrivateKey) (*bundle.Manifest, map[string][]byte, []Ref, error) {
	out := bundle.RemovePending(m)
	fresh := map[string][]byte{}
	var refs []Ref
	for _, a := range list {
		if !a.Pending {
			continue
		}
		if i := len(refs); i >= len(reviewed) || reviewed[i].Digest != a.Digest {
			return nil, nil, nil, exit.New(exit.Internal, "pending attestation %s was not reviewed before signing", a.Digest)
		}
		env, err := Sign(k, a.EnvelopeData)
		if err != nil {
			return nil, nil, nil, err
		}
		am, err := bundle.AttestationManifest(m, bundle.Digest(env), int64(len(env)), a.PredicateType, Signer(k.Public()))
		if err != nil {
			return nil, nil, nil, err
		}
		refs = append(refs, Ref{Digest: bundle.Digest(am), PredicateType: a.PredicateType})
		if _, ok := out.Blob(bundle.Digest(am)); ok {
			// The bundle has this very attestation already (the same
			// statement attested with this key): the pending one goes.
			continue
		}
		if out, err = bundle.AddAttestation(out, env, am); err != nil {
			return nil, nil, nil, err
		}
		fresh[bundle.Digest(env)], fresh[bundle.Digest(am)] = env, am
	}
	if len(refs) != m.PendingCount() || len(refs) != len(reviewed) {
		return nil, nil, nil, exit.New(exit.Internal, "%d pending attestations listed, %d read, %d reviewed", m.PendingCount(), len(refs), len(reviewed))
	}
	return out, fresh, refs, nil
}

// Ref names an attestation signed by SignPending: its attestation
// manifest's digest and its predicate type.
type Ref struct {
	Digest        string
	PredicateType string
}

// CopyBlobs writes the blobs of m2 to bw in order: those in fresh from
// memory, every other one from br, whose blobs that m2 does not list are
// read (and so checked) and left out. Errors reading are decided as
// bundle.Reader.Decide says; errors writing pass through outErr.
func CopyBlobs(br *bundle.Reader, bw *bundle.Writer, m2 *bundle.Manifest, fresh map[string][]byte, outErr func(error) error) error {
	next := func() (bundle.Blob, io.Reader, error) {
		for {
			ib, rd, err := br.NextBlob()
			if err != nil {
				return ib, nil, err
			}
			if _, keep := m2.Blob(ib.Digest); keep {
				if _, isFresh := fresh[ib.Digest]; !isFresh {
					return ib, rd, nil
				}
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return ib, nil, err
			}
		}
	}
	for _, b := range m2.Blobs {
		if data, ok := fresh[b.Digest]; ok {
			if err := bw.WriteBlob(b.Digest, bytes.NewReader(data)); err != nil {
				return bundle.WrapOut(err, outErr)
			}
			continue
		}
		ib, rd, err := next()
		if err == io.EOF {
			return exit.New(exit.Internal, "blob %s is missing from the input", b.Digest)
		}
		if err != nil {
			return br.Decide(err)
		}
		if ib.Digest != b.Digest {
			return exit.New(exit.Internal, "blob %s read where %s was expected", ib.Digest, b.Digest)
		}
		if err := bw.WriteBlob(b.Digest, rd); err != nil {
			var ee *exit.Error
			if errors.As(err, &ee) {
				return br.Decide(err)
			}
			return bundle.WrapOut(err, outErr)
		}
	}
	if ib, _, err := next(); err != io.EOF {
		if err == nil {
			err = exit.New(exit.Internal, "the input has blob %s that the output does not list", ib.Digest)
		}
		return br.Decide(err)
	}
	return nil
}
