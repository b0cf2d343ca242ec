package pack

import (
	"context"
	"os"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/signing"
)

// KeyChoice is how a packing command was told to sign.
type KeyChoice struct {
	SignKey        string // -k, --sign-key: key id, fingerprint or private key file
	NoSign         bool   // --no-sign: write an unsigned bundle on purpose
	PassphraseFile string // --passphrase-file
	StoreDir       string // key store; "" for the default
	// Pipe: the bundle goes to a pipe (ct-pack IMG | ct-sbom | ct-sign -k
	// KEY), where a later stage signs it, so without -k SigningKey returns
	// no key, even when the store has a default key: a stage after ct-pack
	// that adds an attestation (ct-sbom, ct-attest) refuses a signed bundle,
	// and the last stage's key then signs everything, the pending provenance
	// included. A bundle written to a file is never unsigned without
	// --no-sign.
	Pipe bool
}

// SigningKey picks the key a packing command signs with: -k, else (unless
// into a pipe) the key store's default key. It fails closed: with neither (and no --no-sign) it
// refuses, so that an unsigned bundle is never written by accident. A nil
// key and nil error mean --no-sign.
func SigningKey(ctx context.Context, c KeyChoice) (*keys.PrivateKey, error) {
	pass := passphrase.Source{File: c.PassphraseFile, Context: ctx}
	switch {
	case c.NoSign && c.SignKey != "":
		return nil, exit.New(exit.Usage, "-k and --no-sign exclude each other").
			WithHint("sign with -k KEY, or write an unsigned bundle with --no-sign, not both")
	case c.NoSign:
		return nil, nil
	case c.SignKey != "":
		return signing.LoadKey(c.SignKey, c.StoreDir, pass)
	}
	if c.Pipe {
		return nil, nil
	}
	k, why, err := signing.DefaultKey(c.StoreDir, pass)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, exit.New(exit.Usage, "no signing key: no -k given and no default key (%s)", why).
			WithHint("create one with: ct keygen --id release --default; or sign with -k KEY; " +
				"or write an unsigned bundle on purpose with --no-sign")
	}
	return k, nil
}

// SignFunc returns the Request.Sign function signing with k (nil: unsigned).
func SignFunc(k *keys.PrivateKey) func([]byte) ([]bundle.Entry, error) {
	if k == nil {
		return nil
	}
	return func(manifest []byte) ([]bundle.Entry, error) {
		e, _, err := sig.BundleEntry(k, manifest)
		return []bundle.Entry{e}, err
	}
}

// StdoutIsPipe reports whether a command's standard output is a pipe (not a
// file, a terminal or /dev/null), the case KeyChoice.Pipe is for.
func StdoutIsPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}
