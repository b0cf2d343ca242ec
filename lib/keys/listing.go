package keys

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// KeyEntry is one key of a store as ct key list shows it. Fingerprint is
// the text form. Its JSON form is in json.go (ct.key.list/1).
type KeyEntry struct {
	ID          string
	Suite       string
	Fingerprint string
	Own         bool   // an own key pair (keys/)
	Trusted     bool   // a trusted public key (trusted/)
	Default     bool   // the default signing key (see Default)
	Encrypted   bool   // own keys: the private key is encrypted at rest
	Path        string // the .key file of an own key, else the .pub file
	Key         *PublicKey
}

// KeyDetails is everything ct key info shows about a key, without a
// passphrase. Its JSON form is in json.go (ct.key.info/1).
type KeyDetails struct {
	KeyEntry
	Algorithm          string
	FingerprintDisplay string
	PublicKeySize      int      // bytes
	File               string   // kind of the file at Path: "private" or "public"
	KDF                *KDFInfo // encrypted private keys only
}

// KDFInfo are the key derivation parameters of an encrypted private key.
type KDFInfo struct {
	Name        string `json:"name"`
	MemoryKiB   uint32 `json:"memoryKiB"`
	Passes      uint32 `json:"passes"`
	Parallelism uint8  `json:"parallelism"`
}

func newEntry(k *StoredKey) *KeyEntry {
	return &KeyEntry{ID: k.Public.id, Suite: k.Public.suite, Fingerprint: k.Public.fp.String(),
		Own: k.Own, Trusted: !k.Own, Encrypted: k.Encrypted, Path: k.Path, Key: k.Public}
}

// defaultID is the id of the default signing key, as Default picks it, or
// "" if there is none.
func defaultID(cfg *Config, own []*StoredKey) string {
	if cfg.DefaultKey != "" {
		for _, k := range own {
			if k.Public.id == cfg.DefaultKey {
				return k.Public.id
			}
		}
		return ""
	}
	if len(own) == 1 {
		return own[0].Public.id
	}
	return ""
}

// List returns every key of the store for display: own keys, then trusted
// keys, each sorted by id. An own key that is also trusted under the same id
// is one entry with Own and Trusted set. Default marks the default signing
// key, if there is one.
func (s *Store) List() ([]*KeyEntry, error) {
	own, err := s.Own()
	if err != nil {
		return nil, err
	}
	tr, err := s.Trusted()
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	def := defaultID(cfg, own)
	out := make([]*KeyEntry, 0, len(own)+len(tr))
	byID := map[string]*KeyEntry{}
	for _, k := range own {
		e := newEntry(k)
		e.Default = k.Public.id == def
		byID[e.ID] = e
		out = append(out, e)
	}
	for _, k := range tr {
		if e := byID[k.Public.id]; e != nil && e.Key.Equal(k.Public) {
			e.Trusted = true
			continue
		}
		out = append(out, newEntry(k))
	}
	return out, nil
}

// matches reports whether name names k by id or by fingerprint (prefix).
func matches(k *StoredKey, name string) bool {
	if k.Public.id == name {
		return true
	}
	p, ok := FingerprintPrefix(name)
	return ok && k.Public.fp.HasPrefix(p)
}

// Lookup is Find for tools that report a key the store does not hold as a
// missing thing rather than a usage error: no match is exit.IO ("no key
// named X in DIR"); an ambiguous name is exit.Usage listing the candidates,
// as in Find.
func (s *Store) Lookup(name string) (*StoredKey, error) {
	all, err := s.All()
	if err != nil {
		return nil, err
	}
	for _, k := range all {
		if matches(k, name) {
			return find(s.Dir, all, name)
		}
	}
	return nil, exit.New(exit.IO, "no key named %q in this store", name).At(s.Dir).
		WithHint("list the keys with ct key list; name a key by id or by at least %d hex digits of its fingerprint", MinFingerprintPrefix)
}

func details(e *KeyEntry, file string, info *PrivateInfo) *KeyDetails {
	d := &KeyDetails{KeyEntry: *e, FingerprintDisplay: e.Key.fp.Display(), PublicKeySize: len(e.Key.key), File: file}
	if si := LookupSuite(e.Suite); si != nil {
		d.Algorithm = si.Name
	}
	if info != nil && info.Encrypted {
		d.Encrypted = true
		d.KDF = &KDFInfo{Name: KDFArgon2id, MemoryKiB: info.KDF.MemoryKiB, Passes: info.KDF.Passes, Parallelism: info.KDF.Parallelism}
	}
	return d
}

// Describe returns the details of the key name (as for Lookup), reading an
// own key's private key file for its KDF parameters (no passphrase needed).
func (s *Store) Describe(name string) (*KeyDetails, error) {
	k, err := s.Lookup(name)
	if err != nil {
		return nil, err
	}
	entries, err := s.List()
	if err != nil {
		return nil, err
	}
	e := newEntry(k)
	for _, x := range entries {
		if x.ID == k.Public.id && x.Key.Equal(k.Public) && x.Own == k.Own {
			e = x
			break
		}
	}
	if !k.Own {
		return details(e, "public", nil), nil
	}
	data, err := readFile(k.Path, MaxKeyFileSize, true)
	if err != nil {
		return nil, err
	}
	info, err := InspectPrivate(data)
	if err != nil {
		return nil, at(err, k.Path)
	}
	return details(e, "private", info), nil
}

// IsPrivateFile reports whether data looks like a private key file (it may
// still be invalid).
func IsPrivateFile(data []byte) bool {
	return bytes.Contains(data, []byte("type = \""+TypePrivate+"\""))
}

// IsPublicFile reports whether data looks like a public key file (it may
// still be invalid).
func IsPublicFile(data []byte) bool {
	return bytes.Contains(data, []byte("type = \""+TypePublic+"\""))
}

// DescribeFile returns the details of the public or private key file at
// path, read without a passphrase; a private key file that other users can
// access is refused as in the store (exit.IO with the chmod that fixes it).
// Own, Trusted and Default are false: see Mark.
func DescribeFile(path string) (*KeyDetails, error) {
	data, err := readFile(path, MaxKeyFileSize, false)
	if err != nil {
		return nil, err
	}
	if !IsPrivateFile(data) {
		p, err := DecodePublic(data)
		if err != nil {
			return nil, at(err, path)
		}
		return details(&KeyEntry{ID: p.id, Suite: p.suite, Fingerprint: p.fp.String(), Path: path, Key: p}, "public", nil), nil
	}
	if data, err = readFile(path, MaxKeyFileSize, true); err != nil {
		return nil, err
	}
	info, err := InspectPrivate(data)
	if err != nil {
		return nil, at(err, path)
	}
	p := info.Public
	return details(&KeyEntry{ID: p.id, Suite: p.suite, Fingerprint: p.fp.String(), Path: path, Key: p}, "private", info), nil
}

// Mark sets d's Own, Trusted and Default from the store's entries for the
// same key (same fingerprint, any id).
func (s *Store) Mark(d *KeyDetails) error {
	entries, err := s.List()
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Key.Equal(d.Key) {
			d.Own = d.Own || e.Own
			d.Trusted = d.Trusted || e.Trusted
			d.Default = d.Default || e.Default
		}
	}
	return nil
}

// ImportResult is what ImportData did.
type ImportResult struct {
	Entry     *KeyEntry
	Unchanged bool // the same key was already trusted under this id
}

// ImportData decodes the public key file data (read from where) and adds
// it to the trusted keys, under id if not empty. The identical key under
// the same id is a no-op (Unchanged); an id bound to another key is an
// exit.Usage error naming both fingerprints; a private key file is an
// exit.Malformed error that says how to export the public part.
func (s *Store) ImportData(data []byte, where, id string) (*ImportResult, error) {
	pub, err := DecodePublic(data)
	if err != nil {
		if info, ierr := InspectPrivate(data); ierr == nil {
			return nil, exit.New(exit.Malformed, "this is a private key file (key %s, %s), not a public key", info.Public.id, info.Public.fp.Display()).At(where).
				WithHint("import takes a public key file: export it with 'ct key export %s --public > %s.pub' and import that file; never share the private key file", info.Public.id, info.Public.id)
		}
		return nil, at(err, where)
	}
	if id != "" {
		if pub, err = pub.WithID(id); err != nil {
			return nil, err
		}
	}
	all, err := s.All()
	if err != nil {
		return nil, err
	}
	for _, k := range all {
		switch {
		case k.Public.id == pub.id && !k.Public.Equal(pub):
			kind := "a trusted key"
			if k.Own {
				kind = "an own key"
			}
			return nil, exit.New(exit.Usage, "key id %q is already bound to %s with fingerprint %s; the file holds fingerprint %s",
				pub.id, kind, k.Public.fp.Display(), pub.fp.Display()).At(where).
				WithHint("import it under another id with --id OTHER, or remove the old key first with ct key delete %s", pub.id)
		case !k.Own && k.Public.Equal(pub) && k.Public.id == pub.id:
			e := newEntry(k)
			return &ImportResult{Entry: e, Unchanged: true}, nil
		case !k.Own && k.Public.Equal(pub):
			return nil, exit.New(exit.Usage, "this key (%s) is already trusted as %q", pub.fp.Display(), k.Public.id).At(where).
				WithHint("to rename it, delete it with ct key delete %s and import it again with --id %s", k.Public.id, pub.id)
		}
	}
	if err := s.Import(pub); err != nil {
		return nil, err
	}
	return &ImportResult{Entry: newEntry(&StoredKey{Public: pub, Path: s.path(TrustedDir, pub.id, PubExt)})}, nil
}

// Delete removes the stored key k (from Find or Lookup): an own key pair,
// or a trusted public key. clearedDefault reports that k was the configured
// default key (config.toml default_key), which is now unset.
func (s *Store) Delete(k *StoredKey) (clearedDefault bool, err error) {
	if !k.Own {
		_, err := s.Untrust(k.Public.fp.String())
		return false, err
	}
	cfg, err := s.Config()
	if err != nil {
		return false, err
	}
	if _, err := s.DeleteOwn(k.Public.id); err != nil {
		return false, err
	}
	return cfg.DefaultKey == k.Public.id, nil
}

// HasFile reports whether path names an existing regular file (so a
// command that takes a key name or a file can tell them apart).
func HasFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// IsKeyPath reports whether a key name given on the command line (-k, ct
// key info) is a file rather than an id or fingerprint in the store
// (docs/cli.md): it has a path separator, or it names something that
// exists and is not a folder (a pipe or device is then refused by the
// reader, not looked up in the store).
func IsKeyPath(name string) bool {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		return true
	}
	fi, err := os.Stat(name)
	return err == nil && !fi.IsDir()
}

// ReadKeyFile reads a public or private key file of at most MaxKeyFileSize
// bytes from anywhere, without checking its mode or contents.
func ReadKeyFile(path string) ([]byte, error) { return readFile(path, MaxKeyFileSize, false) }
