// Package tlogtest makes well-formed transparency proof entries (log.md §4)
// for tests, without a log server: a tree of two leaves whose second leaf is
// the signature's, its checkpoint signed by a given log key and cosigned by
// given witness keys. The proofs verify with tlog.Verify. It is for tests
// only: ct-verify does not link it.
package tlogtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/tlog"
)

// ProofEntry returns the proof entry (transparency/<fp>.<log id>.proof) of
// the signature entry se in a log named origin signed by logKey, cosigned
// by each witness (named w1, w2, … in order).
func ProofEntry(se bundle.Entry, origin string, logKey *keys.PrivateKey, witnesses ...*keys.PrivateKey) (bundle.Entry, error) {
	e, err := sig.ParseEntry(se.Name, se.Data)
	if err != nil {
		return bundle.Entry{}, err
	}
	l := &tlog.Leaf{Suite: e.Suite, Signature: e.Signature}
	copy(l.Fingerprint[:], e.Fingerprint[:])
	copy(l.ManifestDigest[:], e.ManifestDigest[:])
	leaf, err := l.Encode()
	if err != nil {
		return bundle.Entry{}, err
	}
	h0 := rfc6962.DefaultHasher.HashLeaf([]byte("other entry"))
	root := rfc6962.DefaultHasher.HashChildren(h0, tlog.LeafHash(leaf))
	// As a stranger would: the note package's own signer, without the
	// checks tlog.LogSigner adds, so tests can build hostile origins.
	ls, err := rawLogSigner(logKey, origin)
	if err != nil {
		return bundle.Entry{}, err
	}
	signers := []note.Signer{ls}
	for i, w := range witnesses {
		ws, err := tlog.WitnessSigner(w, fmt.Sprintf("w%d", i+1))
		if err != nil {
			return bundle.Entry{}, err
		}
		signers = append(signers, ws)
	}
	cp, err := note.Sign(&note.Note{Text: string(f_log.Checkpoint{Origin: origin, Size: 2, Hash: root}.Marshal())}, signers...)
	if err != nil {
		return bundle.Entry{}, err
	}
	name, data, err := tlog.EncodeProof(&tlog.Proof{Fingerprint: e.Fingerprint, Origin: origin, Index: 1, InclusionProof: [][]byte{h0}, Checkpoint: cp})
	if err != nil {
		return bundle.Entry{}, err
	}
	return bundle.Entry{Name: name, Data: data}, nil
}

// AddProofs copies the bundle in to out with proofs added to the proof
// entries it has (an entry of the same name is replaced). The bundle is
// read and checked fully on the way.
func AddProofs(in io.Reader, name string, out io.Writer, proofs ...bundle.Entry) error {
	br, err := bundle.NewReader(in, name)
	if err != nil {
		return err
	}
	bw, err := bundle.NewWriter(out, br.Manifest(), bundle.WriterOptions{ModTime: br.ModTime()})
	if err != nil {
		return err
	}
	if !bytes.Equal(bw.ManifestBytes(), br.ManifestBytes()) {
		return fmt.Errorf("%s: manifest.toml does not re-encode to itself", name)
	}
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := bw.WriteBlob(b.Digest, rd); err != nil {
			return err
		}
	}
	sigs, err := br.Signatures()
	if err != nil {
		return err
	}
	if err := bw.WriteSignatures(sigs); err != nil {
		return err
	}
	all := map[string][]byte{}
	for _, p := range br.Proofs() {
		all[p.Name] = p.Data
	}
	for _, p := range proofs {
		all[p.Name] = p.Data
	}
	var ps []bundle.Entry
	for n, d := range all {
		ps = append(ps, bundle.Entry{Name: n, Data: d})
	}
	if err := bw.WriteProofs(ps); err != nil { // sorts them
		return err
	}
	return bw.Close()
}

// AddProofFile adds to the signed bundle data a proof of each of its
// signatures in the log origin signed by logKey: a convenience for tests.
func AddProofFile(data []byte, origin string, logKey *keys.PrivateKey, witnesses ...*keys.PrivateKey) ([]byte, error) {
	br, err := bundle.NewReader(bytes.NewReader(data), "bundle")
	if err != nil {
		return nil, err
	}
	sigs, err := br.Finish()
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, fmt.Errorf("the bundle has no signature to prove")
	}
	var ps []bundle.Entry
	for _, s := range sigs {
		p, err := ProofEntry(s, origin, logKey, witnesses...)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	var out bytes.Buffer
	if err := AddProofs(bytes.NewReader(data), "bundle", &out, ps...); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// rawLogSigner returns a note signer named origin for the Ed25519 key k,
// accepting any name the note package accepts.
func rawLogSigner(k *keys.PrivateKey, origin string) (note.Signer, error) {
	pub := append([]byte{0x01}, k.Public().Ed25519()...)
	h := sha256.Sum256(append([]byte(origin+"\n"), pub...))
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", origin, binary.BigEndian.Uint32(h[:4]),
		base64.StdEncoding.EncodeToString(append([]byte{0x01}, k.Seed()...)))
	return note.NewSigner(skey)
}
