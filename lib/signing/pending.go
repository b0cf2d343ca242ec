package signing

import (
	"bytes"
	"io"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/spool"
)

// Signed describes what SignBundle did.
type Signed struct {
	Manifest *bundle.Manifest
	Entry    *sig.Entry
	// Attested is how many pending attestations were signed with the key
	// (attestations.md §9.3); Signed names them.
	Attested int
	Signed   []attest.Ref
	// Reviewed says what each signed pending attestation claims and what
	// was checked of it, in manifest.toml order (attestations.md §9.5).
	Reviewed []attest.PendingReview
}

// Options are the choices of SignBundleWith.
type Options struct {
	// SignPending signs pending attestations that ct cannot check
	// (attest.ReviewPending: provenance of another builder, an SBOM not
	// written by ct-sbom, any other predicate type); without it they are
	// refused (ct sign --sign-pending, attestations.md §9.5).
	SignPending bool
}

// SignBundle is SignBundleWith without options: a pending attestation ct
// cannot check is refused.
func SignBundle(in io.Reader, name string, reopen func() (io.ReadCloser, error), out io.Writer, k *keys.PrivateKey, outErr func(error) error) (*Signed, error) {
	return SignBundleWith(in, name, reopen, out, k, outErr, Options{})
}

// SignBundleWith signs the bundle read from in (named name) with k and writes
// it to out. A bundle without pending attestations streams through
// sig.SignBundle: nothing but the signature entries changes. A bundle with
// pending attestations is first checked whole, so that their statements
// are known before manifest.toml is written; then every pending
// attestation is replaced by one signed with k, and the new manifest.toml
// is signed (attestations.md §9.3). reopen, when not nil, opens the input
// again for that second pass (a named file, or standard input redirected
// from one, read again with positioned reads); otherwise the input is
// copied to a temporary file on the way.
func SignBundleWith(in io.Reader, name string, reopen func() (io.ReadCloser, error), out io.Writer, k *keys.PrivateKey, outErr func(error) error, opt Options) (*Signed, error) {
	var head bytes.Buffer
	br, err := bundle.NewReader(io.TeeReader(in, &head), name)
	if err != nil {
		return nil, err
	}
	replay := io.MultiReader(bytes.NewReader(head.Bytes()), in)
	if !br.Manifest().HasPending() {
		m, e, err := sig.SignBundle(replay, name, out, k, outErr)
		if err != nil {
			return nil, err
		}
		return &Signed{Manifest: m, Entry: e}, nil
	}

	// Pass 1: check everything and keep the statements.
	var spooled *spool.File
	src := replay
	if reopen == nil {
		// Copied as it is checked: nothing is written before TMPDIR is
		// known to have room for what manifest.toml declares, and nothing
		// past what such a bundle can hold (lib/spool).
		if spooled, err = spool.Create(br.Manifest(), br.Offset(), name, "ct-sign-*.ctp"); err != nil {
			return nil, err
		}
		defer spooled.Remove()
		src = io.TeeReader(replay, spooled)
	}
	b1, err := bundle.NewReader(src, name)
	if err != nil {
		return nil, err
	}
	m := b1.Manifest()
	// Checked as ct sign checks every bundle: each blob through a writer
	// (here to nowhere), so that a damaged blob is reported as always.
	bw1, err := bundle.NewWriter(io.Discard, m, bundle.WriterOptions{ModTime: b1.ModTime()})
	if err != nil {
		return nil, err
	}
	if err := attest.CopyBlobs(b1, bw1, m, nil, nil); err != nil {
		return nil, err
	}
	if _, err := b1.Signatures(); err != nil {
		return nil, err
	}
	reviewed, err := attest.ReviewPending(m, b1.Attestations())
	if err != nil {
		return nil, err
	}
	if !opt.SignPending {
		if err := attest.UncheckedError(name, reviewed); err != nil {
			return nil, err
		}
	}
	m2, fresh, refs, err := attest.SignPending(m, b1.Attestations(), reviewed, k)
	if err != nil {
		return nil, err
	}

	// Pass 2: the same bundle again, with the signed attestations.
	var rc io.ReadCloser
	if spooled != nil {
		if err := spooled.Rewind(); err != nil {
			return nil, err
		}
		rc = io.NopCloser(spooled)
	} else if rc, err = reopen(); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot open the bundle again").At(name)
	}
	defer rc.Close()
	b2, err := bundle.NewReader(rc, name)
	if err != nil {
		return nil, err
	}
	mb1, _ := m.Encode()
	mb2, _ := b2.Manifest().Encode()
	if !bytes.Equal(mb1, mb2) {
		return nil, exit.New(exit.IO, "the bundle changed while it was being signed").At(name).
			WithHint("sign a bundle nothing else is writing")
	}
	bw, err := bundle.NewWriter(out, m2, bundle.WriterOptions{ModTime: b2.ModTime()})
	if err != nil {
		return nil, bundle.WrapOut(err, outErr)
	}
	if err := attest.CopyBlobs(b2, bw, m2, fresh, outErr); err != nil {
		return nil, err
	}
	// No signature and hence no transparency proof is dropped here: the
	// bundle reader refuses a signed bundle that lists a pending
	// attestation (attestations.md §9.3), and a proof needs a signature
	// (bundle.md §6.1).
	if _, err := b2.Signatures(); err != nil {
		return nil, err
	}
	be, e, err := sig.BundleEntry(k, bw.ManifestBytes())
	if err != nil {
		return nil, err
	}
	if err := bw.WriteSignatures([]bundle.Entry{be}); err != nil {
		return nil, bundle.WrapOut(err, outErr)
	}
	if err := bw.Close(); err != nil {
		return nil, bundle.WrapOut(err, outErr)
	}
	return &Signed{Manifest: m2, Entry: e, Attested: len(refs), Signed: refs, Reviewed: reviewed}, nil
}
