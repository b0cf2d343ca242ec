package policyedit

import (
	"bytes"
	"encoding/json"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/policy"
)

// Canonical returns the canonical form of p (policy.md §8) after checking
// that it parses back to a valid policy: a result lib/policy refuses is an
// exit.Usage error and is never returned. name is the file's name, for
// the error's position.
func Canonical(p *policy.Policy, name string) ([]byte, error) {
	data, err := encode(p, name)
	if e, ok := err.(*exit.Error); ok && e.Code == exit.Usage {
		// The position is in the file that was not written: name the
		// field instead (the message starts with its JSON path).
		hint := "nothing was written"
		if e.Hint != "" {
			hint = e.Hint + "; nothing was written"
		}
		return nil, &exit.Error{Code: exit.Usage, Where: name, Msg: "the policy would be invalid: " + e.Msg, Hint: hint}
	}
	return data, err
}

// encode returns the canonical form of p, or lib/policy's error for it.
func encode(p *policy.Policy, name string) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false) // "<", ">" and "&" stay as they are
	e.SetIndent("", "  ")
	q := *p
	q.Version = policy.Version
	if err := e.Encode(&q); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode the policy")
	}
	if _, err := policy.Parse(b.Bytes(), name); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// IsCanonical reports whether data, a policy that parses to p, is already
// in canonical form.
func IsCanonical(data []byte, p *policy.Policy) bool {
	c, err := Canonical(p, p.Name)
	return err == nil && bytes.Equal(c, data)
}
