package logserver

import (
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/signing"
	"github.com/cerro-torre/ct/lib/tlog"
)

// LoadSigner loads the log key named by name (a private key file, or an id
// or fingerprint in the key store, as ct sign -k) and returns its note
// signer for origin.
func LoadSigner(name, origin string, pass passphrase.Source) (note.Signer, error) {
	k, err := signing.LoadKey(name, "", pass)
	if err != nil {
		return nil, err
	}
	s, err := tlog.LogSigner(k, origin)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "the log key cannot sign checkpoints").At(name).
			WithHint("make a log key with ct keygen --suite CT-SIG-01")
	}
	return s, nil
}

// VerifierKey returns the log's note verifier key for origin, from a
// public key file or from the private key (file or key store), as
// signing.LoadPublic reads them.
func VerifierKey(name, origin string, pass passphrase.Source) (string, error) {
	pub, err := signing.LoadPublic(name, "", pass)
	if err != nil {
		return "", err
	}
	v, err := tlog.LogVerifierKey(pub, origin)
	if err == nil {
		// note.NewEd25519VerifierKey does not check the name; NewVerifier does.
		_, err = note.NewVerifier(v)
	}
	if err != nil {
		return "", exit.Wrap(exit.Usage, err, "no log verifier key").At(name).
			WithHint("log keys are CT-SIG-01 (ct keygen --suite CT-SIG-01); the origin must be a valid note key name")
	}
	return v, nil
}
