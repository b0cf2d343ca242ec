package keys

import "github.com/cerro-torre/ct/lib/exit"

// PasswdResult is what ChangePassphrase did.
type PasswdResult struct {
	Key       *StoredKey // the own key, as found before the change
	Encrypted bool       // whether the key file is encrypted now
}

// ChangePassphrase re-encrypts own key name (see FindOwn) under a new
// passphrase. old is called only when the key is encrypted, newPass only
// after the key has been decrypted (so a wrong old passphrase is reported
// before a new one is asked for); newPass returning nil means "store the key
// unencrypted", which the caller must have been asked for explicitly. The
// key file is replaced atomically (temporary file, fsync, rename; mode
// 0600), so a crash leaves the old file or the new one, never neither.
// The new file gets a fresh salt and nonce and the parameters params.
func (s *Store) ChangePassphrase(name string, old func() ([]byte, error), newPass func() ([]byte, error), params KDFParams) (*PasswdResult, error) {
	k, err := s.FindOwn(name)
	if err != nil {
		return nil, err
	}
	data, err := readFile(k.Path, MaxKeyFileSize, true)
	if err != nil {
		return nil, err
	}
	pk, err := DecodePrivate(data, old)
	if err != nil {
		return nil, at(err, k.Path)
	}
	pass, err := newPass()
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	var out []byte
	if pass == nil {
		out, err = EncodePrivateUnencrypted(pk)
	} else {
		if err := CheckNewPassphrase(pass); err != nil {
			return nil, err
		}
		out, err = EncodePrivate(pk, pass, params)
	}
	if err != nil {
		return nil, err
	}
	// Check what we write as a reader would, before it replaces the key.
	if info, err := InspectPrivate(out); err != nil || !info.Public.Equal(k.Public) || info.Public.id != k.Public.id {
		return nil, exit.New(exit.Internal, "the re-encrypted key file does not hold key %s", k.Public.id).At(k.Path)
	}
	if err := writeFile(k.Path, out); err != nil {
		return nil, err
	}
	return &PasswdResult{Key: k, Encrypted: pass != nil}, nil
}
