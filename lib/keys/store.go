package keys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
)

// Store layout (keys.md §4).
const (
	EnvHome    = "CT_HOME"     // overrides the store directory
	OwnDir     = "keys"        // own key pairs: <id>.key and <id>.pub
	TrustedDir = "trusted"     // trusted public keys: <id>.pub
	ConfigFile = "config.toml" // settings
	PrivExt    = ".key"
	PubExt     = ".pub"
	maxFiles   = 10000 // entries read from one store directory
)

// DefaultStoreDir returns $CT_HOME if set, else $XDG_CONFIG_HOME/cerro, else
// ~/.config/cerro.
func DefaultStoreDir() (string, error) {
	if d := os.Getenv(EnvHome); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cerro"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", exit.Wrap(exit.IO, err, "cannot find the key store").WithHint("set %s to a directory for ct's keys", EnvHome)
	}
	return filepath.Join(home, ".config", "cerro"), nil
}

// Store is a key store directory: own key pairs, trusted public keys and
// config.toml.
type Store struct {
	Dir string
}

// StoredKey is a key found in a store.
type StoredKey struct {
	Public    *PublicKey
	Path      string // the .key file of an own key, the .pub file of a trusted key
	Own       bool   // an own key pair (keys/), else a trusted public key (trusted/)
	Encrypted bool   // own keys: whether the private key is encrypted at rest
}

// OpenStore opens the store at dir, creating it and its folders (mode 0700)
// if missing. A store folder that others can write is refused. Commands
// that only read use OpenStoreReadOnly.
func OpenStore(dir string) (*Store, error) {
	s, err := OpenStoreReadOnly(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range s.folders() {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, ioErr(d, err, "cannot create key store folder")
		}
	}
	return s, s.checkFolders(false)
}

// OpenStoreReadOnly opens the store at dir without creating anything: a
// missing store, or a missing keys/ or trusted/ folder, holds no keys (a
// read-only command such as ct key list must not write). A store folder
// that exists and that others can write is refused, as in OpenStore.
func OpenStoreReadOnly(dir string) (*Store, error) {
	if dir == "" {
		return nil, exit.New(exit.Usage, "empty key store path")
	}
	s := &Store{Dir: dir}
	return s, s.checkFolders(true)
}

func (s *Store) folders() []string {
	return []string{s.Dir, filepath.Join(s.Dir, OwnDir), filepath.Join(s.Dir, TrustedDir)}
}

// checkFolders refuses store folders that are not folders or that others
// can write; missingOK skips folders that do not exist.
func (s *Store) checkFolders(missingOK bool) error {
	for _, d := range s.folders() {
		fi, err := os.Stat(d)
		if missingOK && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return ioErr(d, err, "cannot read key store folder")
		}
		if !fi.IsDir() {
			return exit.New(exit.IO, "not a folder").At(d)
		}
		if fi.Mode().Perm()&0o022 != 0 {
			return exit.New(exit.IO, "key store folder is writable by other users (mode %04o)", fi.Mode().Perm()).At(d).
				WithHint("chmod 700 %s", d)
		}
	}
	return nil
}

func ioErr(path string, err error, msg string) *exit.Error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err // "PATH: cannot read: no such file", not the path twice
	}
	e := exit.Wrap(exit.IO, err, "%s", msg).At(path)
	if errors.Is(err, fs.ErrPermission) {
		e.WithHint("check the permissions of %s", path)
	}
	return e
}

// at sets Where of an *exit.Error that has none.
func at(err error, where string) error {
	var e *exit.Error
	if errors.As(err, &e) && e.Where == "" {
		e.Where = where
	}
	return err
}

// readFile reads a store file of at most limit bytes; private files must
// not be readable or writable by others.
func readFile(path string, limit int64, private bool) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
	// refused below as not a regular file); it changes nothing for a file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, ioErr(path, err, "cannot read")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, ioErr(path, err, "cannot read")
	}
	if !fi.Mode().IsRegular() {
		return nil, exit.New(exit.IO, "not a regular file (%s)", fileKind(fi.Mode())).At(path).
			WithHint("name a key file; a pipe, device or folder is refused")
	}
	if private && fi.Mode().Perm()&0o077 != 0 {
		return nil, exit.New(exit.IO, "private key file is accessible by other users (mode %04o)", fi.Mode().Perm()).At(path).
			WithHint("chmod 600 %s", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, ioErr(path, err, "cannot read")
	}
	if int64(len(data)) > limit {
		return nil, exit.New(exit.Malformed, "file is larger than %d bytes", limit).At(path)
	}
	return data, nil
}

// ReadPrivateFile reads a private key file from anywhere, refusing one that
// other users can read or write (exit.IO with the chmod that fixes it).
func ReadPrivateFile(path string) ([]byte, error) { return readFile(path, MaxKeyFileSize, true) }

// ReadPublicFile reads and decodes a public key file from anywhere.
func ReadPublicFile(path string) (*PublicKey, error) {
	data, err := readFile(path, MaxKeyFileSize, false)
	if err != nil {
		return nil, err
	}
	p, err := DecodePublic(data)
	return p, at(err, path)
}

// writeFile writes data to path atomically with mode 0600: a temporary
// file in the same folder, fsync, rename, fsync of the folder.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return ioErr(path, err, "cannot create file")
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return ioErr(path, err, "cannot write file")
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return ioErr(path, err, "cannot write file")
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return ioErr(path, err, "cannot move file into place")
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (s *Store) path(dir, id, ext string) string { return filepath.Join(s.Dir, dir, id+ext) }

// PrivatePath is where the private key file of own key id lives.
func (s *Store) PrivatePath(id string) string { return s.path(OwnDir, id, PrivExt) }

// PublicPath is where the public key file of own key id lives (the file to
// share: ct key export writes the same bytes).
func (s *Store) PublicPath(id string) string { return s.path(OwnDir, id, PubExt) }

// list returns the ids of the files with extension ext in dir, sorted.
// Files whose names are not valid ids (temporary files, editor backups) are
// skipped.
func (s *Store) list(dir, ext string) ([]string, error) {
	d := filepath.Join(s.Dir, dir)
	ents, err := os.ReadDir(d)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, ioErr(d, err, "cannot list key store folder")
	}
	var ids []string
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ext)
		if !ok || CheckID(id) != nil || !e.Type().IsRegular() {
			continue
		}
		ids = append(ids, id)
		if len(ids) > maxFiles {
			return nil, exit.New(exit.IO, "more than %d key files", maxFiles).At(d)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Own lists the own key pairs, sorted by id, reading only the public parts
// of the private key files (no passphrase is needed). A private key file
// that others can read is an error.
func (s *Store) Own() ([]*StoredKey, error) {
	ids, err := s.list(OwnDir, PrivExt)
	if err != nil {
		return nil, err
	}
	out := make([]*StoredKey, 0, len(ids))
	for _, id := range ids {
		k, err := s.own(id)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func (s *Store) own(id string) (*StoredKey, error) {
	p := s.PrivatePath(id)
	data, err := readFile(p, MaxKeyFileSize, true)
	if err != nil {
		return nil, err
	}
	info, err := InspectPrivate(data)
	if err != nil {
		return nil, at(err, p)
	}
	if info.Public.id != id {
		return nil, exit.New(exit.Malformed, "file holds key %q, not %q", info.Public.id, id).At(p).
			WithHint("a key file is named after the id inside it; rename the file to %s%s", info.Public.id, PrivExt)
	}
	return &StoredKey{Public: info.Public, Path: p, Own: true, Encrypted: info.Encrypted}, nil
}

// Trusted lists the trusted public keys, sorted by id.
func (s *Store) Trusted() ([]*StoredKey, error) {
	ids, err := s.list(TrustedDir, PubExt)
	if err != nil {
		return nil, err
	}
	out := make([]*StoredKey, 0, len(ids))
	for _, id := range ids {
		p := s.path(TrustedDir, id, PubExt)
		pub, err := ReadPublicFile(p)
		if err != nil {
			return nil, err
		}
		if pub.id != id {
			return nil, exit.New(exit.Malformed, "file holds key %q, not %q", pub.id, id).At(p).
				WithHint("a key file is named after the id inside it; rename the file to %s%s", pub.id, PubExt)
		}
		out = append(out, &StoredKey{Public: pub, Path: p})
	}
	return out, nil
}

// All lists own keys, then trusted keys.
func (s *Store) All() ([]*StoredKey, error) {
	own, err := s.Own()
	if err != nil {
		return nil, err
	}
	tr, err := s.Trusted()
	if err != nil {
		return nil, err
	}
	return append(own, tr...), nil
}

// Find resolves a key named by a user: an id, a full fingerprint, or a
// prefix of one of at least 16 hex digits (display or text form). Own keys
// are preferred over a trusted copy of the same key. No match, or a prefix
// matching several keys, is an exit.Usage error.
func (s *Store) Find(name string) (*StoredKey, error) {
	all, err := s.All()
	if err != nil {
		return nil, err
	}
	return find(s.Dir, all, name)
}

// FindOwn is Find restricted to own key pairs.
func (s *Store) FindOwn(name string) (*StoredKey, error) {
	own, err := s.Own()
	if err != nil {
		return nil, err
	}
	return find(s.Dir, own, name)
}

func find(dir string, ks []*StoredKey, name string) (*StoredKey, error) {
	if name == "" {
		return nil, exit.New(exit.Usage, "empty key name")
	}
	var byID []*StoredKey
	for _, k := range ks {
		if k.Public.id == name {
			byID = append(byID, k)
		}
	}
	if len(byID) > 0 {
		// Own first. Import and AddOwn keep an id on one key; files put in
		// place by hand might not, and then the name is ambiguous.
		for _, k := range byID[1:] {
			if !k.Public.Equal(byID[0].Public) {
				return nil, exit.New(exit.Usage, "key id %q names two different keys: %s and %s", name, byID[0].Path, k.Path).
					WithHint("name the key by fingerprint, and remove or rename one of the files")
			}
		}
		return byID[0], nil
	}
	prefix, ok := FingerprintPrefix(name)
	if !ok {
		return nil, exit.New(exit.IO, "no key named %q in this store", name).At(dir).
			WithHint("ct key list shows the keys; name a key by id, by at least %d hex digits of its fingerprint, or give a key file's path (with a /)", MinFingerprintPrefix)
	}
	var hits []*StoredKey
	seen := map[Fingerprint]bool{}
	for _, k := range ks {
		if k.Public.fp.HasPrefix(prefix) && !seen[k.Public.fp] {
			seen[k.Public.fp] = true
			hits = append(hits, k)
		}
	}
	switch len(hits) {
	case 0:
		return nil, exit.New(exit.IO, "no key with fingerprint %s in %s", name, dir).
			WithHint("ct key list shows the keys and their fingerprints")
	case 1:
		return hits[0], nil
	}
	var names []string
	for _, k := range hits {
		names = append(names, fmt.Sprintf("%s (%s)", k.Public.id, k.Public.fp.Display()))
	}
	return nil, exit.New(exit.Usage, "fingerprint prefix %s matches %d keys: %s", name, len(hits), strings.Join(names, ", ")).
		WithHint("give more digits of the fingerprint")
}

// LoadPrivate reads, checks and decrypts own key name (see Find; an empty
// name means the default key, see Default).
func (s *Store) LoadPrivate(name string, passphrase func() ([]byte, error)) (*PrivateKey, error) {
	var k *StoredKey
	var err error
	if name == "" {
		k, err = s.Default()
	} else {
		k, err = s.FindOwn(name)
	}
	if err != nil {
		return nil, err
	}
	data, err := readFile(k.Path, MaxKeyFileSize, true)
	if err != nil {
		return nil, err
	}
	pk, err := DecodePrivate(data, passphrase)
	return pk, at(err, k.Path)
}

// checkFree refuses an id that names a different key anywhere in the store,
// and a key that is already present under another id in the same folder.
func (s *Store) checkFree(pub *PublicKey, own bool) error {
	all, err := s.All()
	if err != nil {
		return err
	}
	for _, k := range all {
		if k.Public.id == pub.id && !k.Public.Equal(pub) {
			return exit.New(exit.Usage, "key id %q is already bound to another key (%s, %s)", pub.id, k.Public.fp.Display(), k.Path).
				WithHint("choose another id, or remove the old key first")
		}
		if k.Own == own && k.Public.Equal(pub) && k.Public.id != pub.id {
			return exit.New(exit.Usage, "this key is already in the store as %q (%s)", k.Public.id, k.Path)
		}
	}
	return nil
}

// AddOwn stores a key pair: privateFile (from EncodePrivate or
// EncodePrivateUnencrypted, for this key) as keys/<id>.key and the public
// key as keys/<id>.pub. It refuses an id already used by any key.
func (s *Store) AddOwn(k *PrivateKey, privateFile []byte) error {
	info, err := InspectPrivate(privateFile)
	if err != nil {
		return err
	}
	if !info.Public.Equal(k.pub) || info.Public.id != k.pub.id {
		return exit.New(exit.Internal, "private key file does not hold key %s", k.pub.id)
	}
	if err := s.checkFree(k.pub, true); err != nil {
		return err
	}
	if _, err := os.Lstat(s.PrivatePath(k.pub.id)); err == nil {
		return exit.New(exit.Usage, "own key %q already exists", k.pub.id).At(s.PrivatePath(k.pub.id)).
			WithHint("choose another id, or delete the old key first")
	}
	pub, err := EncodePublic(k.pub)
	if err != nil {
		return err
	}
	if err := writeFile(s.path(OwnDir, k.pub.id, PubExt), pub); err != nil {
		return err
	}
	return writeFile(s.PrivatePath(k.pub.id), privateFile)
}

// Import adds pub to the trusted keys as trusted/<id>.pub. Importing the
// same key under the same id again is a no-op; an id bound to another key
// (own or trusted), or the same key under another trusted id, is refused.
func (s *Store) Import(pub *PublicKey) error {
	if err := s.checkFree(pub, false); err != nil {
		return err
	}
	data, err := EncodePublic(pub)
	if err != nil {
		return err
	}
	return writeFile(s.path(TrustedDir, pub.id, PubExt), data)
}

// Untrust removes a trusted key (named as for Find) and returns it.
func (s *Store) Untrust(name string) (*StoredKey, error) {
	tr, err := s.Trusted()
	if err != nil {
		return nil, err
	}
	k, err := find(s.Dir, tr, name)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(k.Path); err != nil {
		return nil, ioErr(k.Path, err, "cannot remove")
	}
	return k, nil
}

// DeleteOwn removes an own key pair (named as for Find) for good and
// returns it; if it was the default key, the default is cleared.
func (s *Store) DeleteOwn(name string) (*StoredKey, error) {
	k, err := s.FindOwn(name)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	if err := os.Remove(k.Path); err != nil {
		return nil, ioErr(k.Path, err, "cannot remove")
	}
	pub := s.path(OwnDir, k.Public.id, PubExt)
	if err := os.Remove(pub); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, ioErr(pub, err, "cannot remove")
	}
	if cfg.DefaultKey == k.Public.id {
		cfg.DefaultKey = ""
		if err := s.SaveConfig(cfg); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// SetDefault makes own key name the default signing key (config.toml
// default_key = its id).
func (s *Store) SetDefault(name string) (*StoredKey, error) {
	k, err := s.FindOwn(name)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	cfg.DefaultKey = k.Public.id
	return k, s.SaveConfig(cfg)
}

// Default returns the default signing key: config.toml's default_key, else
// the only own key if there is exactly one. Otherwise exit.Usage.
func (s *Store) Default() (*StoredKey, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	if cfg.DefaultKey != "" {
		k, err := s.own(cfg.DefaultKey)
		if err != nil {
			if exit.CodeOf(err) == exit.IO && errors.Is(err, fs.ErrNotExist) {
				return nil, exit.New(exit.Usage, "default key %q does not exist", cfg.DefaultKey).At(s.ConfigPath()).
					WithHint("pick another with ct key default NAME (ct key list shows your keys), or name a key with -k")
			}
			return nil, err
		}
		return k, nil
	}
	own, err := s.Own()
	if err != nil {
		return nil, err
	}
	switch len(own) {
	case 1:
		return own[0], nil
	case 0:
		return nil, exit.New(exit.Usage, "no signing key in %s", s.Dir).WithHint("create one with ct keygen --id NAME")
	}
	return nil, exit.New(exit.Usage, "no default key, and %s holds %d keys", s.Dir, len(own)).
		WithHint("name one with -k, or set a default with ct key default NAME (ct key list shows them)")
}

// fileKind names the type of a file that is not a regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file"
}
