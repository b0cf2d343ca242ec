package verify

import (
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// Setup is what a verifier needs from the machine: trusted keys and the
// policy, found without creating anything (a packager's CI may have no key
// store at all).
type Setup struct {
	StoreDir   string   // "" for the default ($CT_HOME, $XDG_CONFIG_HOME/cerro, ~/.config/cerro)
	KeyFiles   []string // --key files, trusted in addition to the store
	PolicyFile string   // --policy; "" for the store's configured default, if any
	NoStore    bool     // ignore the key store (only --key files are trusted)
}

// Load returns the Options for s.
func (s Setup) Load() (Options, error) {
	var opts Options
	st, err := s.store()
	if err != nil {
		return opts, err
	}
	if st != nil {
		all, err := st.All()
		if err != nil {
			return opts, err
		}
		for _, k := range all {
			src := "key store " + filepath.Join(filepath.Base(filepath.Dir(k.Path)), filepath.Base(k.Path))
			opts.Trusted = append(opts.Trusted, TrustedKey{Key: k.Public, Source: src, Store: true})
		}
	}
	for _, f := range s.KeyFiles {
		k, err := keys.ReadPublicFile(f)
		if err != nil {
			return opts, withHint(err, "--key takes a public key file, as ct key export ID --public writes it")
		}
		opts.Trusted = append(opts.Trusted, TrustedKey{Key: k, Source: "--key " + f})
	}
	NameKeys(opts.Trusted)
	path := s.PolicyFile
	if path == "" && st != nil {
		cfg, err := st.Config()
		if err != nil {
			return opts, err
		}
		path = st.PolicyPath(cfg)
	}
	if path != "" {
		p, err := policy.Load(path)
		if err != nil {
			return opts, withHint(err, "check the path given with --policy or in config.toml")
		}
		opts.Policy, opts.PolicyName = p, path
	}
	return opts, nil
}

func withHint(err error, hint string) error {
	if e, ok := err.(*exit.Error); ok && e.Hint == "" {
		e.Hint = hint
	}
	return err
}

// store opens the key store if it exists; it never creates one.
func (s Setup) store() (*keys.Store, error) {
	if s.NoStore {
		return nil, nil
	}
	dir := s.StoreDir
	if dir == "" {
		d, err := keys.DefaultStoreDir()
		if err != nil {
			return nil, nil
		}
		dir = d
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil
	}
	return keys.OpenStoreReadOnly(dir)
}
