package attest

import (
	"fmt"
	"io"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/human"
	"github.com/cerro-torre/ct/lib/keys"
)

// AddRequest says what to attest.
type AddRequest struct {
	Key           *keys.PrivateKey // nil: add a pending attestation (attestations.md §9)
	PredicateType string
	Predicate     []byte
	// DropSignatures lets AddToBundle drop the bundle's signatures, which
	// the new manifest.toml invalidates (attestations.md §6); without it a
	// signed bundle is refused.
	DropSignatures bool
}

// Added describes the bundle AddToBundle wrote.
type Added struct {
	Manifest          *bundle.Manifest
	AttestationDigest string
	EnvelopeDigest    string   // the envelope's, or a pending attestation's statement's
	Pending           bool     // the attestation is pending (no key): the next ct sign signs it
	Dropped           []string // fingerprints (entry names) of the signatures dropped
	DroppedProofs     []string // transparency proof entries dropped with them (bundle.md §6.1)
	// Review is what ct sign will say of a pending attestation, and
	// whether it signs it only with --sign-pending (attestations.md §9.5).
	Review *PendingReview
}

// AddToBundle copies the bundle read from in to out with one more
// attestation: a statement about its image with req's predicate, signed
// with req.Key. The input is checked fully on the way, as ct sign checks it.
// A bundle with signatures is refused unless req.DropSignatures (then they
// are left out and listed in Added.Dropped): the new manifest.toml is a new
// bundle that nobody has signed yet. Errors writing out pass through outErr.
func AddToBundle(in io.Reader, name string, out io.Writer, req AddRequest, outErr func(error) error) (*Added, error) {
	br, err := bundle.NewReader(in, name)
	if err != nil {
		return nil, err
	}
	m := br.Manifest()
	var m2 *bundle.Manifest
	var layer, am []byte
	if req.Key != nil {
		m2, layer, am, err = Attach(m, req.Key, req.PredicateType, req.Predicate)
	} else {
		m2, layer, am, err = Pend(m, req.PredicateType, req.Predicate)
	}
	if err != nil {
		return nil, err
	}
	bw, err := bundle.NewWriter(out, m2, bundle.WriterOptions{ModTime: br.ModTime()})
	if err != nil {
		return nil, bundle.WrapOut(err, outErr)
	}
	fresh := map[string][]byte{bundle.Digest(layer): layer, bundle.Digest(am): am}
	if _, ok := m.Blob(bundle.EmptyDigest); !ok {
		fresh[bundle.EmptyDigest] = bundle.EmptyConfig
	}
	if err := CopyBlobs(br, bw, m2, fresh, outErr); err != nil {
		return nil, err
	}
	old, err := br.Signatures()
	if err != nil {
		return nil, err
	}
	res := &Added{Manifest: m2, AttestationDigest: bundle.Digest(am), EnvelopeDigest: bundle.Digest(layer), Pending: req.Key == nil}
	if res.Pending {
		a := bundle.Attestation{Digest: res.AttestationDigest, PredicateType: req.PredicateType, Pending: true, EnvelopeData: layer}
		st, err := CheckPending(a, m2)
		if err != nil {
			return nil, err
		}
		r := ReviewStatement(a, st, m2)
		res.Review = &r
	}
	if res.Dropped, res.DroppedProofs, err = DropSignatures(name, old, br.Proofs(), req.DropSignatures); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, bundle.WrapOut(err, outErr)
	}
	return res, nil
}

// ProofsNote is what ct attest and ct sbom add to their "dropped N
// signatures" warning when transparency proofs went with them: the proofs
// are evidence about the dropped signatures only, so they are invalid
// without them (bundle.md §6.1), and the new signatures need logging anew.
func ProofsNote(dropped []string) string {
	if len(dropped) == 0 {
		return ""
	}
	return fmt.Sprintf(" and %s of them (log the new signatures: ct sign --log URL, or ct log submit)", human.Count(len(dropped), "transparency log proof"))
}

// DropSignatures applies attestations.md §6 to a bundle named name with
// the signature entries sigs and transparency proof entries proofs, about
// to get a new attestation: a signed bundle is refused (exit.Usage) unless
// drop, and then the fingerprints (entry names) of the signatures dropped
// and the names of the proofs dropped with them are returned (a proof of
// a signature the bundle no longer has is invalid, bundle.md §6.1). Every
// stage that adds an attestation (ct attest, ct sbom) decides through it.
func DropSignatures(name string, sigs, proofs []bundle.Entry, drop bool) (who, droppedProofs []string, err error) {
	if len(sigs) == 0 {
		return nil, nil, nil
	}
	for _, e := range sigs {
		who = append(who, strings.TrimSuffix(strings.TrimPrefix(e.Name, bundle.SignaturesDir), ".sig"))
	}
	for _, p := range proofs {
		droppedProofs = append(droppedProofs, p.Name)
	}
	logged := ""
	if len(proofs) > 0 {
		logged = fmt.Sprintf(", and %d transparency log proof(s) of them would be dropped", len(proofs))
	}
	if !drop {
		return nil, nil, exit.New(exit.Usage, "bundle %s is signed (%d signature(s): %s); adding an attestation changes manifest.toml, so those signatures would no longer verify%s", name, len(sigs), strings.Join(who, ", "), logged).
			WithHint("attest before signing: ct-pack IMG | ct-sbom | ct-sign -k KEY (ct-pack without -k leaves the bundle unsigned in a pipe), or pass --drop-signatures and have every signer sign again")
	}
	return who, droppedProofs, nil
}
