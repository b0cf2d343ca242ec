package keys

import (
	"os"

	"github.com/cerro-torre/ct/lib/exit"
)

// CheckNewOwn returns an error if id cannot name a new own key in s: a bad
// id, or one already used. ct-keygen calls it before asking for a
// passphrase, so a clash is reported before the user types anything.
func (s *Store) CheckNewOwn(id string) error {
	if err := CheckID(id); err != nil {
		return err
	}
	_, err := s.Find(id)
	_, statErr := os.Lstat(s.PrivatePath(id))
	if err == nil || statErr == nil {
		return exit.New(exit.Usage, "a key named %q already exists in %s", id, s.Dir).
			WithHint("choose another --id, or remove the old key with ct key delete %s", id)
	}
	return nil
}

// Create generates a key pair of suite named id, stores it (encrypted with
// passphrase under params, or in clear when passphrase is nil), and makes it
// the default key when makeDefault is set or it is the store's only own key.
func (s *Store) Create(suite, id string, passphrase []byte, params KDFParams, makeDefault bool) (*PrivateKey, error) {
	if err := s.CheckNewOwn(id); err != nil {
		return nil, err
	}
	k, err := Generate(suite, id)
	if err != nil {
		return nil, err
	}
	var data []byte
	if passphrase == nil {
		data, err = EncodePrivateUnencrypted(k)
	} else {
		data, err = EncodePrivate(k, passphrase, params)
	}
	if err != nil {
		return nil, err
	}
	if err := s.AddOwn(k, data); err != nil {
		return nil, err
	}
	own, err := s.Own()
	if err != nil {
		return nil, err
	}
	if makeDefault || len(own) == 1 {
		if _, err := s.SetDefault(id); err != nil {
			return nil, err
		}
	}
	return k, nil
}
