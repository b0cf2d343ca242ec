package policyedit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// ShowSchema names the document Describe returns (docs/json/policy-show.schema.json).
const ShowSchema = "ct.policy-show/1"

// Show is a policy in words: ct policy show, and its --json document.
type Show struct {
	Schema              string         `json:"schema"`
	File                string         `json:"file"`
	Canonical           bool           `json:"canonical"` // the file is in canonical form (policy.md §8)
	Signers             ShowSigners    `json:"signers"`
	Registries          ShowRegistries `json:"registries"`
	Suites              ShowSuites     `json:"suites"`
	Pins                []ShowPin      `json:"pins"`
	RequireAttestations []string       `json:"requireAttestations"`
	// Transparency is the policy's transparency section (policy.md §4.6);
	// absent when the policy has none.
	Transparency *ShowTransparency `json:"transparency,omitempty"`
	Warnings     []string          `json:"warnings"` // rules naming keys the store does not trust
}

// ShowSigners is who counts and how many.
type ShowSigners struct {
	AnyTrustedKey bool         `json:"anyTrustedKey"` // signers.allowed is not set
	Allowed       []ShowSigner `json:"allowed"`
	Denied        []ShowSigner `json:"denied"`
	Threshold     int          `json:"threshold"` // distinct counted signers needed
}

// ShowSigner is one signer pattern and the store's keys it matches.
type ShowSigner struct {
	Pattern string `json:"pattern"`
	Kind    string `json:"kind"` // "fingerprint" or "keyIdPattern"
	Keys    []Key  `json:"keys"` // the trusted keys it matches on this machine
}

// ShowRegistries is where images may come from.
type ShowRegistries struct {
	AnySource bool     `json:"anySource"` // registries.allowed is not set
	Allowed   []string `json:"allowed"`
	Blocked   []string `json:"blocked"`
}

// ShowSuites is which signature suites count.
type ShowSuites struct {
	AnySuite bool     `json:"anySuite"` // suites.allowed is not set
	Allowed  []string `json:"allowed"`
}

// ShowTransparency is which logs and witnesses are trusted and how many
// each counted signature needs.
type ShowTransparency struct {
	Logs          []ShowLog `json:"logs"`
	Witnesses     []string  `json:"witnesses"` // witness names, from their keys
	LogsRequired  int       `json:"logsRequired"`
	WitnessQuorum int       `json:"witnessQuorum"`
}

// ShowLog is one trusted log.
type ShowLog struct {
	Origin string `json:"origin"`
	Key    string `json:"key"`
}

// ShowPin is what one package must be.
type ShowPin struct {
	Name           string       `json:"name"`
	ImageDigest    string       `json:"imageDigest,omitempty"`
	ManifestDigest string       `json:"manifestDigest,omitempty"`
	Signers        []ShowSigner `json:"signers"`
}

// Describe returns p in words, with the keys of t each signer pattern
// matches. canonical says whether the file was in canonical form.
func Describe(p *policy.Policy, canonical bool, t Trust) *Show {
	s := &Show{Schema: ShowSchema, File: p.Name, Canonical: canonical,
		Pins: []ShowPin{}, RequireAttestations: []string{}, Warnings: []string{}}
	signers := func(list []string) []ShowSigner {
		out := []ShowSigner{}
		for _, pat := range list {
			kind := "keyIdPattern"
			if _, err := keys.ParseFingerprint(pat); err == nil {
				kind = "fingerprint"
			}
			out = append(out, ShowSigner{Pattern: pat, Kind: kind, Keys: t.Matches(pat)})
		}
		return out
	}
	s.Signers = ShowSigners{AnyTrustedKey: true, Allowed: []ShowSigner{}, Denied: []ShowSigner{}, Threshold: p.Threshold()}
	if p.Signers != nil {
		s.Signers.AnyTrustedKey = p.Signers.Allowed == nil
		s.Signers.Allowed = signers(p.Signers.Allowed)
		s.Signers.Denied = signers(p.Signers.Denied)
	}
	s.Registries = ShowRegistries{AnySource: true, Allowed: []string{}, Blocked: []string{}}
	if r := p.Registries; r != nil {
		s.Registries.AnySource = r.Allowed == nil
		s.Registries.Allowed = append(s.Registries.Allowed, r.Allowed...)
		s.Registries.Blocked = append(s.Registries.Blocked, r.Blocked...)
	}
	s.Suites = ShowSuites{AnySuite: true, Allowed: []string{}}
	if p.Suites != nil && p.Suites.Allowed != nil {
		s.Suites = ShowSuites{Allowed: append([]string{}, p.Suites.Allowed...)}
	}
	names := make([]string, 0, len(p.Pin))
	for n := range p.Pin {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pin := p.Pin[n]
		s.Pins = append(s.Pins, ShowPin{Name: n, ImageDigest: pin.Digest, ManifestDigest: pin.ManifestDigest, Signers: signers(pin.Signers)})
	}
	for _, r := range p.RequireAttestations {
		a := r.PredicateType()
		if r.Signers != nil {
			a += " signed by " + strings.Join(r.Signers, " or ")
		}
		s.RequireAttestations = append(s.RequireAttestations, a)
	}
	if tp := p.Transparency; tp != nil {
		st := &ShowTransparency{Logs: []ShowLog{}, Witnesses: []string{}, LogsRequired: tp.LogsRequired, WitnessQuorum: tp.WitnessQuorum}
		for _, l := range tp.Logs {
			st.Logs = append(st.Logs, ShowLog{Origin: l.Origin, Key: l.Key})
		}
		for _, w := range tp.Witnesses {
			name, _, _ := strings.Cut(w.Key, "+")
			st.Witnesses = append(st.Witnesses, name)
		}
		s.Transparency = st
	}
	for _, w := range t.Warnings(p) {
		s.Warnings = append(s.Warnings, w.Msg)
	}
	return s
}

// Text renders s for a person: who counts, how many, from where, which
// suites, pins. Everything taken from the policy file or the key store is
// escaped for the terminal.
func (s *Show) Text() string {
	var b strings.Builder
	esc := termsafe.Escape
	row := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-13s %s\n", label, fmt.Sprintf(format, args...))
	}
	more := func(format string, args ...any) { row("", format, args...) }
	note := ""
	if !s.Canonical {
		note = " (not in canonical form: any ct policy edit rewrites it)"
	}
	fmt.Fprintf(&b, "policy %s%s\n", esc(s.File), note)
	if s.Signers.AnyTrustedKey {
		row("who counts:", "any key the verifier trusts (the key store, or --key files)")
	} else {
		row("who counts:", "signatures by")
		for _, g := range s.Signers.Allowed {
			more("  %s", signerText(g))
		}
	}
	for i, g := range s.Signers.Denied {
		label := "never:"
		if i > 0 {
			label = ""
		}
		row(label, "%s", signerText(g))
	}
	n := s.Signers.Threshold
	if n == 1 {
		row("how many:", "1 signer")
	} else {
		row("how many:", "%d distinct signers (different keys)", n)
	}
	if s.Registries.AnySource {
		row("from where:", "any registry or local source")
	} else {
		row("from where:", "%s", escJoin(s.Registries.Allowed))
	}
	if len(s.Registries.Blocked) > 0 {
		row("blocked:", "%s", escJoin(s.Registries.Blocked))
	}
	if s.Suites.AnySuite {
		row("suites:", "any (CT-SIG-01, CT-SIG-02, CT-SIG-03)")
	} else {
		row("suites:", "%s only", escJoin(s.Suites.Allowed))
	}
	if len(s.Pins) == 0 {
		row("pins:", "none")
	}
	for i, p := range s.Pins {
		var parts []string
		if p.ImageDigest != "" {
			parts = append(parts, "image "+esc(p.ImageDigest))
		}
		if p.ManifestDigest != "" {
			parts = append(parts, "manifest "+esc(p.ManifestDigest))
		}
		for _, g := range p.Signers {
			parts = append(parts, "signed by "+signerText(g))
		}
		label := "pins:"
		if i > 0 {
			label = ""
		}
		row(label, "%s: %s", esc(p.Name), strings.Join(parts, ", "))
	}
	if len(s.RequireAttestations) > 0 {
		row("attestations:", "%s (required, each valid and by a trusted key; else exit 5)", escJoin(s.RequireAttestations))
	}
	if t := s.Transparency; t != nil {
		var origins []string
		for _, l := range t.Logs {
			origins = append(origins, l.Origin)
		}
		if t.LogsRequired == 0 {
			row("logs:", "none required; trusted: %s", orNone(escJoin(origins)))
		} else {
			row("logs:", "each counted signature in %d of: %s (else exit 6)", t.LogsRequired, escJoin(origins))
		}
		if t.WitnessQuorum == 0 {
			row("witnesses:", "no quorum; trusted: %s", orNone(escJoin(t.Witnesses)))
		} else {
			row("witnesses:", "%d of %s cosigning each such log's checkpoint", t.WitnessQuorum, escJoin(t.Witnesses))
		}
	}
	return b.String()
}

func signerText(g ShowSigner) string {
	var who []string
	for _, k := range g.Keys {
		fp, _ := keys.ParseFingerprint(k.Fingerprint)
		who = append(who, fmt.Sprintf("%s (%s)", termsafe.Escape(k.KeyID), fp.Short()))
	}
	switch {
	case g.Kind == "fingerprint" && len(who) > 0:
		return fmt.Sprintf("%s = %s", termsafe.Escape(g.Pattern), strings.Join(who, ", "))
	case g.Kind == "fingerprint":
		return fmt.Sprintf("%s (not in the key store)", termsafe.Escape(g.Pattern))
	case len(who) > 0:
		return fmt.Sprintf("key id %s: %s", termsafe.Escape(g.Pattern), strings.Join(who, ", "))
	}
	return fmt.Sprintf("key id %s (no trusted key matches)", termsafe.Escape(g.Pattern))
}

func escJoin(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = termsafe.Escape(s)
	}
	return strings.Join(out, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
