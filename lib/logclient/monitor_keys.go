package logclient

import (
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// ResolveWatched turns a --key argument into a watched key:
//
//   - a key file (a path with a '/', or an existing file): its public key,
//     read from a public or a private key file (no passphrase needed);
//   - a full fingerprint (64 hex digits, grouped or not): that fingerprint,
//     with the public key when the key store holds the key;
//   - else a key store name (id or fingerprint prefix, as ct key info).
//
// With a public key the monitor also checks each logged signature.
func ResolveWatched(spec, storeDir string) (WatchedKey, error) {
	if keys.IsKeyPath(spec) {
		d, err := keys.DescribeFile(spec)
		if err != nil {
			return WatchedKey{}, err
		}
		return WatchedKey{Fingerprint: d.Key.Fingerprint(), Key: d.Key}, nil
	}
	open := func() (*keys.Store, error) {
		dir := storeDir
		if dir == "" {
			var err error
			if dir, err = keys.DefaultStoreDir(); err != nil {
				return nil, err
			}
		}
		return keys.OpenStoreReadOnly(dir)
	}
	if fp, err := keys.ParseFingerprint(spec); err == nil {
		if s, err := open(); err == nil {
			if k, err := s.Find(fp.String()); err == nil && k.Public.Fingerprint() == fp {
				return WatchedKey{Fingerprint: fp, Key: k.Public}, nil
			}
		}
		return WatchedKey{Fingerprint: fp}, nil
	}
	s, err := open()
	if err != nil {
		return WatchedKey{}, err
	}
	k, err := s.Find(spec)
	if err != nil {
		if xe, ok := err.(*exit.Error); ok {
			xe.Msg = "--key " + termsafe.Escape(spec) + ": " + xe.Msg
		}
		return WatchedKey{}, err
	}
	return WatchedKey{Fingerprint: k.Public.Fingerprint(), Key: k.Public}, nil
}
