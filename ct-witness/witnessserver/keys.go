package witnessserver

import (
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/signing"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

const keyHint = "the witness key is a ct private key of suite CT-SIG-01 (ct keygen --suite CT-SIG-01 --id NAME); --key takes its file or its id in the key store"

// Signer loads the witness's private key (a file, or an id or fingerprint
// in the key store) and returns its cosignature/v1 signer named name.
func Signer(key, name string, pass passphrase.Source) (note.Signer, error) {
	if key == "" {
		return nil, exit.New(exit.Usage, "--key is required").WithHint("%s", keyHint)
	}
	k, err := signing.LoadKey(key, "", pass)
	if err != nil {
		return nil, err
	}
	s, err := tlog.WitnessSigner(k, name)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "cannot use key %s as a witness key", termsafe.Escape(k.ID())).At(key).WithHint("%s", keyHint)
	}
	return s, nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key
// (tlog.WitnessVerifierKey) for key, which may also be a public key file:
// no passphrase is needed then (signing.LoadPublic).
func VerifierKey(key, name string, pass passphrase.Source) (string, error) {
	if key == "" {
		return "", exit.New(exit.Usage, "--key is required").WithHint("%s", keyHint)
	}
	pub, err := signing.LoadPublic(key, "", pass)
	if err != nil {
		return "", err
	}
	v, err := tlog.WitnessVerifierKey(pub, name)
	if err != nil {
		return "", exit.Wrap(exit.Usage, err, "cannot use key %s as a witness key", termsafe.Escape(pub.ID())).At(key).WithHint("%s", keyHint)
	}
	return v, nil
}
