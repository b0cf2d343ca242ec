package policyedit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/policy"
)

// DefaultFile is the policy file a command edits when none is named.
const DefaultFile = "policy.json"

// DefaultPath returns the policy file the commands use when none is named:
// the one config.toml's policy setting names (keys.md §5, relative to the
// store), else ./policy.json. st may be nil (no store). A config.toml that
// cannot be read or is invalid is an error, as for ct verify: falling back
// to ./policy.json would edit another file than the one verify enforces.
func DefaultPath(st *keys.Store) (string, error) {
	if st == nil {
		return DefaultFile, nil
	}
	cfg, err := st.Config()
	if err != nil {
		return "", err
	}
	if p := st.PolicyPath(cfg); p != "" {
		return p, nil
	}
	return DefaultFile, nil
}

// OpenStore returns the default key store, or nil when there is none. It
// never creates the store folder (ct verify does not either); a store that
// exists but is unsafe or unreadable is keys.OpenStore's error.
func OpenStore() (*keys.Store, error) {
	dir, err := keys.DefaultStoreDir()
	if err != nil {
		return nil, nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil
	}
	return keys.OpenStoreReadOnly(dir)
}

// Read loads the policy at file for an edit, with lib/policy's errors
// (exit.IO when it cannot be read, with a hint to create it; exit.Usage
// with FILE:LINE:COLUMN when it is invalid), and reports whether the file
// is in canonical form.
func Read(file string) (p *policy.Policy, canonical bool, err error) {
	p, err = policy.Load(file)
	if err != nil {
		var e *exit.Error
		if errors.As(err, &e) && e.Code == exit.IO && errors.Is(err, fs.ErrNotExist) {
			e.WithHint("create it with ct policy init %s, or name another policy file", file)
		}
		return nil, false, err
	}
	data, err := os.ReadFile(file)
	return p, err == nil && IsCanonical(data, p), nil
}

// Write writes p to file in canonical form, atomically, after checking that
// lib/policy accepts the result. Without force, an existing file is refused
// (exit.Usage). A failure leaves the old file untouched.
func Write(file string, p *policy.Policy, force bool) error {
	data, err := Canonical(p, file)
	if err != nil {
		return err
	}
	if !force {
		if _, err := os.Lstat(file); err == nil {
			return exit.New(exit.Usage, "already exists").At(file).
				WithHint("edit it with ct policy add-signer or add-registry, or replace it with --force")
		}
	}
	return write(file, data)
}

// write puts data into file atomically; the file keeps its mode when it
// exists (a policy may be private), else gets 0644.
func write(file string, data []byte) error {
	// A symbolic link (config.toml may name /etc/ct/policy.json, itself a
	// link) is followed: the rename replaces the file it points to, not
	// the link.
	if real, err := filepath.EvalSymlinks(file); err == nil {
		file = real
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(file); err == nil {
		if !fi.Mode().IsRegular() {
			return exit.New(exit.IO, "not a regular file").At(file).
				WithHint("name a policy.json file; a pipe, device or folder is refused")
		}
		mode = fi.Mode().Perm()
	}
	if dir := filepath.Dir(file); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return exit.New(exit.IO, "no folder %s", dir).At(file).WithHint("create the folder %s first", dir)
		}
	}
	f, err := outfile.Create(file)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return outfile.IOError(file, err, "cannot write the policy")
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if mode != 0o644 {
		if err := os.Chmod(file, mode); err != nil {
			return outfile.IOError(file, err, "cannot set the policy's mode")
		}
	}
	return nil
}

// Update writes the edited p over file, which must exist.
func Update(file string, p *policy.Policy) error {
	data, err := Canonical(p, file)
	if err != nil {
		return err
	}
	return write(file, data)
}
