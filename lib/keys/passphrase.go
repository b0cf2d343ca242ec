package keys

import (
	"unicode/utf8"

	"github.com/cerro-torre/ct/lib/exit"
)

// MinPassphraseChars is the fewest characters a new passphrase may have
// (keys.md §3.5). Tools that set a passphrase (ct keygen, ct key passwd)
// enforce it; readers accept any non-empty passphrase, so keys made before
// the minimum existed still open.
const MinPassphraseChars = 12

// CheckNewPassphrase returns an exit.Usage error if p is too short to
// protect a new private key: fewer than MinPassphraseChars characters
// (UTF-8 code points; invalid UTF-8 counts bytes).
func CheckNewPassphrase(p []byte) error {
	n := len(p)
	if utf8.Valid(p) {
		n = utf8.RuneCount(p)
	}
	if n == 0 {
		return exit.New(exit.Usage, "empty passphrase").
			WithHint("give a passphrase of at least %d characters, or store the key unencrypted explicitly with --no-passphrase", MinPassphraseChars)
	}
	if n < MinPassphraseChars {
		unit := "characters"
		if n == 1 {
			unit = "character"
		}
		return exit.New(exit.Usage, "the passphrase is %d %s; a new key's passphrase needs at least %d", n, unit, MinPassphraseChars).
			WithHint("choose a longer one (several words are easy to type and hard to guess), or store the key unencrypted explicitly with --no-passphrase")
	}
	return nil
}
