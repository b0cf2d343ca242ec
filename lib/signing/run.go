// Package signing is what ct-sign and ct pack -k do around the signature
// format of lib/sig: find the private key (a file, an id or fingerprint in
// the key store, or the default key), get its passphrase only when it is
// encrypted, and stream a bundle through sig.SignBundle to a file written
// atomically or to standard output.
package signing

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/stage"
)

// LoadKey returns the private key named by name (docs/cli.md, -k): a path
// to a private key file when name has a '/' or names an existing file (see
// keys.IsKeyPath), else an id or fingerprint in the key store (storeDir, or
// the default store when empty); "" means the store's default key. The
// passphrase is asked only if the key is encrypted. A public key where the
// private one is needed (a public key file, or a key the store only trusts)
// is exit.Usage saying so. The store is never created.
func LoadKey(name, storeDir string, pass passphrase.Source) (*keys.PrivateKey, error) {
	if name != "" && keys.IsKeyPath(name) {
		return loadFile(name, pass)
	}
	st, err := openStore(storeDir)
	if err != nil {
		return nil, err
	}
	what := "the default key"
	if name != "" {
		what = "key " + name
		if k, err := st.Find(name); err == nil && !k.Own {
			return nil, PublicKeyError(name, k.Public).At(k.Path)
		}
	}
	return st.LoadPrivate(name, pass.Func(what))
}

// PublicKeyError is the error for a public key named where a signing key
// is needed (name as the user gave it): exit.Usage, since the user named
// the wrong key (keys.md §4.4).
func PublicKeyError(name string, pub *keys.PublicKey) *exit.Error {
	what := pub.ID() + ", " + pub.Fingerprint().Short()
	if name == pub.ID() {
		what = pub.Fingerprint().Short()
	}
	return exit.New(exit.Usage, "%s is a public key (%s); signing needs the private key", name, what).
		WithHint("sign with one of your own keys, by id or by its .key file (ct key list shows your signing keys, marked own)")
}

// LoadPublic returns the public half of the key named by name, for a tool
// that needs no more (ct-log serve and ct-witness serve --print-vkey): a
// file that is not a private key file is read as a public key file, with
// no passphrase; a name of a key the store only trusts (a public key in
// trusted/, no private key) is that public key, with no passphrase; a
// private key file, or a name of an own key, is loaded and decrypted as by
// LoadKey (the public_key field of a private key file is not
// authenticated: the public half is derived from the seed). A public key
// file that does not decode is exit.Malformed naming the file and what is
// wrong with it (keys.md §4.4): never a retry as a private key, which
// would only say "not a key file".
func LoadPublic(name, storeDir string, pass passphrase.Source) (*keys.PublicKey, error) {
	if name != "" && keys.IsKeyPath(name) {
		data, err := readKeyFile(name, publicHints)
		if err != nil {
			return nil, err
		}
		if !keys.IsPrivateFile(data) {
			pub, err := keys.DecodePublic(data)
			if err != nil {
				return nil, notAKeyFile(name, data, err, publicHints)
			}
			return pub, nil
		}
		k, err := loadPrivateFile(name, pass)
		if err != nil {
			return nil, err
		}
		return k.Public(), nil
	}
	if name != "" {
		st, err := openStore(storeDir)
		if err != nil {
			return nil, err
		}
		// Find prefers an own key to a trusted copy of it: an own key is
		// decrypted below, never taken from its file's public_key field.
		if k, err := st.Find(name); err == nil && !k.Own {
			return k.Public, nil
		}
	}
	k, err := LoadKey(name, storeDir, pass)
	if err != nil {
		return nil, err
	}
	return k.Public(), nil
}

// keyHints are the hints of a key file that cannot be read or decoded,
// for the flag that named it: -k (LoadKey) needs a private key, --key of
// --print-vkey (LoadPublic) takes a public key file as well.
type keyHints struct{ missing, notKey, damagedPublic string }

var (
	privateHints = keyHints{
		missing:       "-k takes a private key file (a path: it has a /) or a key id or fingerprint from ct key list",
		notKey:        "-k takes your private key file (ID.key in the key store's keys/ folder) or a key id from ct key list",
		damagedPublic: "-k takes your private key file (ID.key in the key store's keys/ folder) or a key id from ct key list",
	}
	publicHints = keyHints{
		missing:       "--key takes the key's public key file (ct key export ID --public) or private key file (a path: it has a /), or a key id or fingerprint from ct key list",
		notKey:        "--key takes the key's public key file (ct key export ID --public) or private key file, or a key id or fingerprint from ct key list",
		damagedPublic: "export the public key file again (ct key export ID --public), or give --key the key's private key file or key id",
	}
)

func readKeyFile(name string, h keyHints) ([]byte, error) {
	data, err := keys.ReadKeyFile(name)
	if err != nil {
		var e *exit.Error
		if errors.As(err, &e) && errors.Is(err, fs.ErrNotExist) {
			e.WithHint("%s", h.missing)
		}
		return nil, err
	}
	return data, nil
}

// notAKeyFile is the error for the file name, neither a private key file
// nor a public key file that decodes (err, from keys.DecodePublic). A file
// of type ct-public-key is a public key file that is damaged: the error
// says what is wrong with it; anything else is not a key file at all.
func notAKeyFile(name string, data []byte, err error, h keyHints) *exit.Error {
	if keys.IsPublicFile(data) {
		return exit.Wrap(exit.Malformed, err, "public key file does not decode").At(name).WithHint("%s", h.damagedPublic)
	}
	return exit.New(exit.Malformed, "not a key file: neither a private nor a public key file").At(name).WithHint("%s", h.notKey)
}

func loadFile(name string, pass passphrase.Source) (*keys.PrivateKey, error) {
	data, err := readKeyFile(name, privateHints)
	if err != nil {
		return nil, err
	}
	if !keys.IsPrivateFile(data) {
		pub, err := keys.DecodePublic(data)
		if err == nil {
			return nil, PublicKeyError(name, pub)
		}
		return nil, notAKeyFile(name, data, err, privateHints)
	}
	return loadPrivateFile(name, pass)
}

// loadPrivateFile loads the file name, which holds a private key.
func loadPrivateFile(name string, pass passphrase.Source) (*keys.PrivateKey, error) {
	data, err := keys.ReadPrivateFile(name) // refuses a file others can read
	if err != nil {
		return nil, err
	}
	info, err := keys.InspectPrivate(data)
	if err != nil {
		return nil, exit.Wrap(exit.CodeOf(err), err, "not a private key file").At(name)
	}
	k, err := keys.DecodePrivate(data, pass.Func("key "+info.Public.ID()+" ("+name+")"))
	return k, atPath(err, name)
}

func atPath(err error, p string) error {
	if e, ok := err.(*exit.Error); ok && e.Where == "" {
		e.Where = p
	}
	return err
}

func openStore(dir string) (*keys.Store, error) {
	if dir == "" {
		d, err := keys.DefaultStoreDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return keys.OpenStoreReadOnly(dir)
}

// DefaultKey returns the key ct pack signs with when no -k is given: the
// store's default key, or nil (and a reason) when the store has none. It
// never creates a key store.
func DefaultKey(storeDir string, pass passphrase.Source) (*keys.PrivateKey, string, error) {
	if storeDir == "" {
		d, err := keys.DefaultStoreDir()
		if err != nil {
			return nil, "no key store", nil
		}
		storeDir = d
	}
	if _, err := os.Stat(storeDir); err != nil {
		return nil, "no key store at " + storeDir, nil
	}
	st, err := keys.OpenStoreReadOnly(storeDir)
	if err != nil {
		return nil, "", err
	}
	own, err := st.Own()
	if err != nil {
		return nil, "", err
	}
	if len(own) == 0 {
		return nil, "no signing key in " + storeDir, nil
	}
	k, err := st.LoadPrivate("", pass.Func("the default key"))
	if err != nil {
		return nil, "", err
	}
	return k, "", nil
}

// Request is one `ct sign` invocation.
type Request struct {
	Input  string   // bundle path, or "" / "-" for Stdin
	Output string   // output path, or "" / "-" for Stdout
	Stdin  *os.File //
	Stdout *os.File //
	Key    *keys.PrivateKey
	Quiet  bool
	// SignPending signs pending attestations ct cannot check (--sign-pending).
	SignPending bool
	// Then, when set, takes the signed bundle (spooled to a temporary
	// file) and writes the output in its place: ct sign --log submits
	// the new signature before the output is written, once.
	Then func(in io.Reader, name string, out io.Writer, werr func(error) error) error
}

// Result describes a signed bundle.
type Result struct {
	Output   string
	Manifest *bundle.Manifest
	Entry    *sig.Entry
	KeyID    string
	// Attested is the number of pending attestations signed with the key.
	Attested int
	// Reviewed says what each of them claims (attestations.md §9.5), and
	// Signed names the attestation that replaced it, in the same order.
	Reviewed []attest.PendingReview
	Signed   []attest.Ref
}

// Run signs the bundle of req. Writing to a file is atomic; signing a file
// in place (Input == Output) is allowed, since the output replaces the
// input only when complete.
func Run(ctx context.Context, req Request) (*Result, error) {
	var done *Signed
	var reopen func() (io.ReadCloser, error)
	if req.Input != "" && req.Input != "-" {
		if st, err := os.Stat(req.Input); err == nil && st.Mode().IsRegular() {
			reopen = func() (io.ReadCloser, error) { return openRegular(req.Input) }
		}
		// Else (a FIFO, /dev/stdin, a character device) the input cannot
		// be read twice: SignBundleWith copies it to a temporary file.
	} else if f := spool.StdinFile(req.Stdin); f != nil {
		// < FILE: read again in place with positioned reads, as the first
		// pass is (lib/stage), never by opening /dev/stdin, which may name
		// another file.
		reopen = func() (io.ReadCloser, error) {
			st, err := f.Stat()
			if err != nil {
				return nil, err
			}
			return io.NopCloser(io.NewSectionReader(f, 0, st.Size())), nil
		}
	}
	out, err := stage.Run(ctx, stage.IO{Input: req.Input, Output: req.Output, Stdin: req.Stdin, Stdout: req.Stdout, Quiet: req.Quiet,
		Verb:         "signing",
		NamedHint:    "name a bundle (ct sign -k KEY x.ctp -o signed.ctp) or pipe one in (ct-pack IMG | ct-sign -k KEY > x.ctp)",
		RedirectHint: "write it to a file with -o FILE.ctp, or redirect: ct sign -k KEY %s > FILE.ctp"},
		func(in io.Reader, inName string, w io.Writer, werr func(error) error) error {
			var err error
			if req.Then == nil {
				done, err = SignBundleWith(in, inName, reopen, w, req.Key, werr, Options{SignPending: req.SignPending})
				return err
			}
			// The signed bundle's file is made once its manifest.toml is
			// written, if TMPDIR has room for what it declares (lib/spool).
			d := spool.NewDeferred(inName, "ct-sign-*.ctp", "")
			defer d.Remove()
			spoolErr := func(err error) error {
				return exit.Wrap(exit.IO, err, "cannot write the signed bundle to a temporary file").
					WithHint("set TMPDIR to a writable folder with room for the bundle")
			}
			if done, err = SignBundleWith(in, inName, reopen, d, req.Key, spoolErr, Options{SignPending: req.SignPending}); err != nil {
				return err
			}
			f, err := d.File()
			if err != nil {
				return err
			}
			return req.Then(f, inName, w, werr)
		})
	if err != nil {
		return nil, err
	}
	return &Result{Output: out, Manifest: done.Manifest, Entry: done.Entry, KeyID: req.Key.ID(), Attested: done.Attested, Reviewed: done.Reviewed, Signed: done.Signed}, nil
}

// openRegular opens path for a second read of a bundle file. O_NONBLOCK: a
// FIFO swapped in since the Stat must not wait for a writer (open(2) of a
// FIFO blocks, and no signal ends it); it is refused instead.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file any more")
	}
	return f, nil
}
