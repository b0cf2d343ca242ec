package policyedit

import (
	"os"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// Options are the answers to ct policy init's questions.
type Options struct {
	Signers    []string // signer patterns (after ResolveSigner); none: any trusted key
	Threshold  int      // distinct signers needed; 0 or 1: one
	Registries []string // source patterns; none: any source
	Suites     []string // suite ids; none: any suite
}

// New returns the policy the options describe: only the sections that
// constrain something are set. It is checked like every write: a policy
// lib/policy refuses is an exit.Usage error naming the field.
func New(o Options, name string) (*policy.Policy, error) {
	p, err := build(o, name)
	if err == nil {
		_, err = Canonical(p, name)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// build returns the policy of o, unchecked.
func build(o Options, name string) (*policy.Policy, error) {
	p := &policy.Policy{Version: policy.Version, Name: name}
	if len(o.Signers) > 0 || o.Threshold > 1 {
		p.Signers = &policy.Signers{}
		for _, s := range o.Signers {
			addSigner(p.Signers, s)
		}
		if o.Threshold > 1 {
			p.Signers.Threshold = o.Threshold
		}
	}
	if o.Threshold < 0 {
		return nil, exit.New(exit.Usage, "threshold %d is out of range (1 to %d)", o.Threshold, policy.MaxThreshold)
	}
	for _, r := range o.Registries {
		AddRegistry(p, r)
	}
	if len(o.Suites) > 0 {
		p.Suites = &policy.Suites{}
		for _, s := range o.Suites {
			if !contains(p.Suites.Allowed, s) {
				p.Suites.Allowed = append(p.Suites.Allowed, s)
			}
		}
	}
	return p, nil
}

// AddSigner adds a signer pattern to signers.allowed and reports whether p
// changed: a pattern already there, or a fingerprint already there in
// another form, changes nothing. The caller checks the result with
// Canonical (or Update), which refuses an invalid pattern.
func AddSigner(p *policy.Policy, pattern string) bool {
	if p.Signers == nil {
		p.Signers = &policy.Signers{}
	}
	return addSigner(p.Signers, pattern)
}

func addSigner(s *policy.Signers, pattern string) bool {
	for _, a := range s.Allowed {
		if sameSigner(a, pattern) {
			return false
		}
	}
	s.Allowed = append(s.Allowed, pattern)
	return true
}

// sameSigner reports whether two signer patterns are the same: equal
// strings, or the same fingerprint in two forms.
func sameSigner(a, b string) bool {
	if a == b {
		return true
	}
	fa, ea := keys.ParseFingerprint(a)
	fb, eb := keys.ParseFingerprint(b)
	return ea == nil && eb == nil && fa == fb
}

// AddRegistry adds a source pattern to registries.allowed and reports
// whether p changed.
func AddRegistry(p *policy.Policy, pattern string) bool {
	if p.Registries == nil {
		p.Registries = &policy.Registries{}
	}
	if contains(p.Registries.Allowed, pattern) {
		return false
	}
	p.Registries.Allowed = append(p.Registries.Allowed, pattern)
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Signer is a signer as the user named it, resolved to the pattern a
// policy holds.
type Signer struct {
	Pattern string          // what goes into the policy
	Key     *keys.PublicKey // the key, when the argument named one (a file, a store key); else nil
	From    string          // "file", "store", "fingerprint" or "pattern"
	Stored  *keys.StoredKey // the store's key of that fingerprint, if any
}

// ResolveSigner turns a command-line signer into a policy pattern (policy.md
// §4.1), decided by its shape:
//
//   - a path (it contains '/' or names an existing file, as docs/cli.md
//     says for key arguments): a public key file, written as its
//     fingerprint (a private key file is refused with a hint);
//   - a full fingerprint, in text or display form: written in text form;
//   - a fingerprint prefix of at least 16 hex digits (as ct key list
//     prints them): the store's key of that prefix, written as its full
//     fingerprint (policy.md refuses prefixes);
//   - anything else: a key id pattern (release-2024, release-*), written
//     as given; lib/policy judges it when the result is checked.
//
// st may be nil (no key store).
func ResolveSigner(arg string, st *keys.Store) (*Signer, error) {
	if strings.Contains(arg, "/") || isFile(arg) {
		data, err := keys.ReadKeyFile(arg)
		if err != nil {
			return nil, err
		}
		if keys.IsPrivateFile(data) {
			return nil, exit.New(exit.Usage, "this is a private key file; a policy names public keys").At(arg).
				WithHint("give the public key file (ct key export ID --public -o ID.pub), the key's id or its fingerprint")
		}
		pub, err := keys.DecodePublic(data)
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "not a public key file").At(arg).
				WithHint("give a public key file as ct key export ID --public writes it, a key id or a fingerprint")
		}
		return &Signer{Pattern: pub.Fingerprint().String(), Key: pub, From: "file", Stored: storedByFingerprint(st, pub.Fingerprint())}, nil
	}
	if fp, err := keys.ParseFingerprint(arg); err == nil {
		s := &Signer{Pattern: fp.String(), From: "fingerprint", Stored: storedByFingerprint(st, fp)}
		if s.Stored != nil {
			s.Key = s.Stored.Public
		}
		return s, nil
	}
	if _, ok := keys.FingerprintPrefix(arg); ok {
		if st == nil {
			return nil, exit.New(exit.Usage, "%q is a fingerprint prefix and there is no key store to look it up in", arg).
				WithHint("a policy needs all 64 hex digits (ct key info KEY prints them)")
		}
		k, err := st.Find(arg)
		if err != nil {
			return nil, exit.New(exit.Usage, "%q is a fingerprint prefix of no single key in %s: %s", arg, st.Dir, err.Error()).
				WithHint("a policy needs all 64 hex digits (ct key info KEY prints them)")
		}
		return &Signer{Pattern: k.Public.Fingerprint().String(), Key: k.Public, From: "store", Stored: k}, nil
	}
	return &Signer{Pattern: arg, From: "pattern"}, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func storedByFingerprint(st *keys.Store, fp keys.Fingerprint) *keys.StoredKey {
	if st == nil {
		return nil
	}
	all, err := st.All()
	if err != nil {
		return nil
	}
	for _, k := range all {
		if k.Public.Fingerprint() == fp {
			return k
		}
	}
	return nil
}

// AddLog adds a trusted log (policy.md §4.6) to transparency.logs,
// creating the section (logs_required 0), and reports whether p changed. A
// log already trusted under another key is an exit.Usage error: changing
// a log's key is a decision to make in the file, not a side effect.
func AddLog(p *policy.Policy, origin, vkey string) (bool, error) {
	if p.Transparency == nil {
		p.Transparency = &policy.Transparency{}
	}
	for _, l := range p.Transparency.Logs {
		if l.Origin == origin {
			if l.Key == vkey {
				return false, nil
			}
			return false, exit.New(exit.Usage, "log %q is already trusted with key %s", origin, l.Key).At(p.Name).
				WithHint("to change a log's key, edit transparency.logs in the file")
		}
	}
	p.Transparency.Logs = append(p.Transparency.Logs, policy.Log{Origin: origin, Key: vkey})
	return true, nil
}

// AddWitness adds a trusted witness key to transparency.witnesses, creating
// the section (logs_required 0), and reports whether p changed.
func AddWitness(p *policy.Policy, vkey string) bool {
	if p.Transparency == nil {
		p.Transparency = &policy.Transparency{}
	}
	for _, w := range p.Transparency.Witnesses {
		if w.Key == vkey {
			return false
		}
	}
	p.Transparency.Witnesses = append(p.Transparency.Witnesses, policy.Witness{Key: vkey})
	return true
}
