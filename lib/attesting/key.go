package attesting

import (
	"context"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/signing"
)

// LoadKey loads the key a stage that adds an attestation signs with (-k
// KEY, unlocked with --passphrase-file or a prompt). Without a key it
// returns nil: the attestation is pending (attestations.md §9) and the
// next ct sign, which takes the passphrase, signs it; a passphrase file
// without a key is therefore a usage error.
func LoadKey(ctx context.Context, signKey, passphraseFile string) (*keys.PrivateKey, error) {
	if signKey == "" {
		if passphraseFile != "" {
			return nil, exit.New(exit.Usage, "--passphrase-file without -k: a pending attestation is signed by the next ct sign, which takes the passphrase").
				WithHint("sign now with -k KEY --passphrase-file FILE, or leave both out")
		}
		return nil, nil
	}
	return signing.LoadKey(signKey, "", passphrase.Source{File: passphraseFile, Context: ctx})
}
