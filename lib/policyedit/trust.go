package policyedit

import (
	"fmt"
	"path"
	"sort"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// Key is a key of the store, as --json output names keys (docs/cli.md).
type Key struct {
	KeyID       string `json:"keyId"`
	Suite       string `json:"suite"`
	Fingerprint string `json:"fingerprint"`
}

// Trust is what the key store knows, for matching signer patterns. The
// zero Trust (no store) trusts nothing.
type Trust struct {
	Dir  string // the store folder; "" for none
	keys []Key
}

// LoadTrust reads the keys of st (own and trusted: both are trusted by
// ct verify). A nil store, or one that cannot be listed, trusts nothing.
func LoadTrust(st *keys.Store) Trust {
	if st == nil {
		return Trust{}
	}
	t := Trust{Dir: st.Dir}
	all, err := st.All()
	if err != nil {
		return t
	}
	seen := map[string]bool{}
	for _, k := range all {
		e := Key{KeyID: k.Public.ID(), Suite: k.Public.Suite(), Fingerprint: k.Public.Fingerprint().String()}
		if !seen[e.KeyID+" "+e.Fingerprint] {
			seen[e.KeyID+" "+e.Fingerprint] = true
			t.keys = append(t.keys, e)
		}
	}
	sort.Slice(t.keys, func(i, j int) bool { return t.keys[i].KeyID < t.keys[j].KeyID })
	return t
}

// Matches returns the store's keys a signer pattern matches (policy.md
// §4.1: a fingerprint matches its key, a key id pattern the keys whose id
// it matches), never nil.
func (t Trust) Matches(pattern string) []Key {
	out := []Key{}
	fp, ferr := keys.ParseFingerprint(pattern)
	for _, k := range t.keys {
		if ferr == nil {
			if k.Fingerprint == fp.String() {
				out = append(out, k)
			}
			continue
		}
		if ok, _ := path.Match(pattern, k.KeyID); ok {
			out = append(out, k)
		}
	}
	return out
}

// Warning is a rule that names a key the store does not trust.
type Warning struct {
	Rule    string // the JSON path of the pattern, e.g. "signers.allowed[1]"
	Pattern string
	Msg     string
	Hint    string
}

// Warnings lists the signer patterns of signers.allowed and pin.NAME.signers
// that match no key the store trusts: as written, such a rule counts no
// signature on this machine. (signers.denied is not checked: denying a key
// nobody trusts is harmless.)
func (t Trust) Warnings(p *policy.Policy) []Warning {
	var ws []Warning
	check := func(rule string, list []string) {
		for i, s := range list {
			if len(t.Matches(s)) > 0 {
				continue
			}
			w := Warning{Rule: fmt.Sprintf("%s[%d]", rule, i), Pattern: s}
			if _, err := keys.ParseFingerprint(s); err == nil {
				w.Msg = fmt.Sprintf("%s: no trusted key has fingerprint %s", w.Rule, s)
				w.Hint = "trust the key with ct key import FILE, or verify with --key FILE"
			} else {
				w.Msg = fmt.Sprintf("%s: %q matches no trusted key's id", w.Rule, s)
				w.Hint = "trust a key of that id with ct key import FILE --id ID (ct key list shows the ids)"
			}
			if t.Dir == "" {
				w.Msg += " (there is no key store)"
			} else {
				w.Msg += " in " + t.Dir
			}
			ws = append(ws, w)
		}
	}
	if p.Signers != nil {
		check("signers.allowed", p.Signers.Allowed)
	}
	names := make([]string, 0, len(p.Pin))
	for n := range p.Pin {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		check(pinPath(n)+".signers", p.Pin[n].Signers)
	}
	return ws
}

func pinPath(name string) string {
	if rePlain(name) {
		return "pin." + name
	}
	return fmt.Sprintf("pin[%q]", name)
}

func rePlain(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '/' || r == '-') {
			return false
		}
	}
	return s != ""
}
