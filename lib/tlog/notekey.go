package tlog

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	f_note "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/keys"
)

// Logs and witnesses sign with signed-note keys (C2SP signed-note): a log
// signs its checkpoints with an Ed25519 note key named after its origin, a
// witness cosigns with a cosignature/v1 key (C2SP tlog-cosignature). ct
// stores both as ordinary ct private keys of suite CT-SIG-01 (keys.md §3),
// protected like any other, and converts them here. Only Ed25519 is
// possible: signed notes have no ML-DSA-87 or hybrid key type.

// noteSKey spells k as a note private key string
// "PRIVATE+KEY+<name>+<hash>+<base64(alg||seed)>" so that the note and
// formats packages, not ct, do the signing.
func noteSKey(k *keys.PrivateKey, name string, alg byte) (string, error) {
	if k.Suite() != "CT-SIG-01" {
		return "", fmt.Errorf("key %s is %s: log and witness keys must be CT-SIG-01 (Ed25519), the only suite signed notes support", k.ID(), k.Suite())
	}
	vkey, err := checkedVKey(note.NewEd25519VerifierKey(name, k.Public().Ed25519()))
	if err != nil {
		return "", err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", err
	}
	seed := k.Seed()
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, v.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{alg}, seed...))), nil
}

// LogSigner returns the note signer a log with the given origin signs its
// checkpoints with (the key name is the origin, as tlog-checkpoint asks).
func LogSigner(k *keys.PrivateKey, origin string) (note.Signer, error) {
	skey, err := noteSKey(k, origin, 0x01)
	if err != nil {
		return nil, err
	}
	return note.NewSigner(skey)
}

// LogVerifierKey returns the note verifier key ("<origin>+<hash>+<base64>")
// of a log's public key: the string a policy and a witness configuration
// name the log with.
func LogVerifierKey(p *keys.PublicKey, origin string) (string, error) {
	if p.Suite() != "CT-SIG-01" {
		return "", fmt.Errorf("key %s is %s: log keys must be CT-SIG-01 (Ed25519)", p.ID(), p.Suite())
	}
	return checkedVKey(note.NewEd25519VerifierKey(origin, p.Ed25519()))
}

// checkedVKey returns vkey only if the note package accepts it:
// note.NewEd25519VerifierKey does not check the name, so a name with a
// space, a '+' or a newline would make a key nobody can parse, and
// one with a control character a key whose name garbles a terminal.
func checkedVKey(vkey string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	name, _, _ := strings.Cut(vkey, "+")
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", fmt.Errorf("note key name %q is not valid (no spaces, '+' or control characters): %w", name, err)
	}
	// The note package takes control characters other than white space;
	// ct names logs and witnesses in messages, so it does not.
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("note key name %q is not valid (no spaces, '+' or control characters)", name)
	}
	return vkey, nil
}

// WitnessSigner returns the cosignature/v1 signer of a witness called name.
func WitnessSigner(k *keys.PrivateKey, name string) (f_note.Signer, error) {
	skey, err := noteSKey(k, name, 0x01)
	if err != nil {
		return nil, err
	}
	return f_note.NewSignerForCosignatureV1(skey)
}

// WitnessVerifierKey returns the cosignature/v1 verifier key of a witness
// called name: what a policy's witness list and a log's witness flags hold.
func WitnessVerifierKey(p *keys.PublicKey, name string) (string, error) {
	if p.Suite() != "CT-SIG-01" {
		return "", fmt.Errorf("key %s is %s: witness keys must be CT-SIG-01 (Ed25519)", p.ID(), p.Suite())
	}
	vkey, err := checkedVKey(note.NewEd25519VerifierKey(name, p.Ed25519()))
	if err != nil {
		return "", err
	}
	return f_note.VKeyToCosignatureV1(vkey)
}
