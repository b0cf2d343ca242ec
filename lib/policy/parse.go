package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Limits on what Parse accepts (policy.md §2).
const (
	MaxSize      = 1 << 20 // bytes in a policy file
	MaxList      = 1000    // entries in one list
	MaxPins      = 10000   // names under "pin"
	MaxString    = 1024    // bytes in one string
	MaxThreshold = 256     // a bundle holds at most 256 signatures (bundle.md §2)
)

// Load reads and parses the policy file at file. A file that cannot be read
// is exit.IO; everything Parse rejects is exit.Usage.
func Load(file string) (*Policy, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; only a
	// regular file is read (a pipe or device is exit.IO).
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the policy").At("policy " + file)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, exit.New(exit.IO, "cannot read the policy: not a regular file").At("policy " + file).
			WithHint("name a policy.json file; a pipe, device or folder is refused")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the policy").At("policy " + file)
	}
	return Parse(data, file)
}

// Parse parses a policy.json strictly (policy.md §2): one JSON object, no
// unknown or duplicate field, no null, every value of its type and within
// its rules, nothing after the object. Every error is an *exit.Error with
// code exit.Usage (a policy is the user's own input) and Where
// "NAME:LINE:COLUMN" of the offending token; the message starts with the
// field's JSON path, e.g. "signers.alowed: unknown field".
func Parse(data []byte, name string) (*Policy, error) {
	p := &parser{data: data, name: name}
	if len(data) > MaxSize {
		return nil, p.errAt(0, "the policy is larger than %d bytes", MaxSize)
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, p.errAt(int64(i), "invalid UTF-8")
	}
	// Syntax first, over the whole input, so that a broken file is reported
	// as such (and trailing data is caught) before any field is looked at.
	// The standard scanner is iterative and bounds nesting itself.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := se.Offset
			if strings.HasPrefix(se.Error(), "invalid character") && off > 0 {
				off-- // the scanner has consumed the offending byte
			}
			return nil, p.errAt(off, "invalid JSON: %s", se.Error())
		}
		return nil, p.errAt(0, "invalid JSON: %v", err)
	}
	p.dec = json.NewDecoder(bytes.NewReader(data))
	p.dec.UseNumber()
	pol, err := p.policy()
	if err != nil {
		return nil, err
	}
	pol.Name = name
	return pol, nil
}

// parser walks the token stream of syntactically valid JSON against the
// schema. It never descends into a value the schema does not expect (the
// first token of a value decides its type), so its depth is the schema's.
type parser struct {
	data []byte
	name string
	dec  *json.Decoder
}

// errAt returns the exit.Usage error for the byte offset off.
func (p *parser) errAt(off int64, format string, args ...any) *exit.Error {
	line, col := position(p.data, off)
	return exit.New(exit.Usage, format, args...).At(fmt.Sprintf("%s:%d:%d", p.name, line, col))
}

// position turns a byte offset into a 1-based line and column; the column
// counts characters (Unicode code points), not bytes.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, col
}

// next returns the next token and the offset of its first byte.
func (p *parser) next() (json.Token, int64, error) {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	tok, err := p.dec.Token()
	if err != nil { // unreachable after the syntax check
		return nil, off, p.errAt(off, "invalid JSON: %v", err)
	}
	return tok, off, nil
}

func kind(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// join appends a key to a JSON path; keys that are not plain words are
// quoted so the path stays unambiguous.
var rePlainKey = regexp.MustCompile(`^[A-Za-z0-9_/-]+$`)

func join(base, key string) string {
	if !rePlainKey.MatchString(key) {
		return fmt.Sprintf("%s[%q]", base, key)
	}
	if base == "" {
		return key
	}
	return base + "." + key
}

// object reads an object at path (its first token included) and calls field
// for every key; unknown keys are field's to reject, duplicates are
// rejected here. It returns the offset of the '{'.
func (p *parser) object(at string, field func(key, at string, off int64) error) (int64, error) {
	tok, off, err := p.next()
	if err != nil {
		return off, err
	}
	if tok != json.Delim('{') {
		return off, p.errAt(off, "%s: expected an object, got %s", at, kind(tok))
	}
	return p.fields(at, off, field)
}

// fields reads the members of an object whose '{' (at off) was read.
func (p *parser) fields(at string, off int64, field func(key, at string, off int64) error) (int64, error) {
	seen := map[string]bool{}
	for {
		tok, koff, err := p.next()
		if err != nil {
			return off, err
		}
		if tok == json.Delim('}') {
			return off, nil
		}
		key := tok.(string) // the decoder guarantees object keys are strings
		kp := join(at, key)
		if seen[key] {
			return off, p.errAt(koff, "%s: duplicate field", kp).WithHint("give each field once; a repeated field is ambiguous")
		}
		seen[key] = true
		if err := field(key, kp, koff); err != nil {
			return off, err
		}
	}
}

func (p *parser) unknown(at string, off int64, known string) error {
	return p.errAt(off, "%s: unknown field", at).WithHint("this level may hold: %s (policy.md §3)", known)
}

// str reads a string of at most MaxString bytes.
func (p *parser) str(at string) (string, int64, error) {
	tok, off, err := p.next()
	if err != nil {
		return "", off, err
	}
	s, ok := tok.(string)
	if !ok {
		return "", off, p.errAt(off, "%s: expected a string, got %s", at, kind(tok))
	}
	if len(s) > MaxString {
		return "", off, p.errAt(off, "%s: longer than %d bytes", at, MaxString)
	}
	return s, off, nil
}

// integer reads a non-negative integer written without fraction or exponent.
func (p *parser) integer(at string) (int, int64, error) {
	tok, off, err := p.next()
	if err != nil {
		return 0, off, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, off, p.errAt(off, "%s: expected an integer, got %s", at, kind(tok))
	}
	v, err := strconv.Atoi(n.String())
	if err != nil || v < 0 || strings.HasPrefix(n.String(), "-") {
		return 0, off, p.errAt(off, "%s: %s is not a non-negative integer", at, n)
	}
	return v, off, nil
}

// array reads an array (its '[' included) of at most max entries and calls
// entry with each entry's path (at[i]), first token and offset; entry reads
// the rest of the entry. what names the expected array in the error.
func (p *parser) array(at, what string, max int, entry func(ip string, tok json.Token, off int64) error) (int64, error) {
	tok, off, err := p.next()
	if err != nil {
		return off, err
	}
	if tok != json.Delim('[') {
		return off, p.errAt(off, "%s: expected %s, got %s", at, what, kind(tok))
	}
	for i := 0; ; i++ {
		tok, ioff, err := p.next()
		if err != nil {
			return off, err
		}
		if tok == json.Delim(']') {
			return off, nil
		}
		if i == max {
			return off, p.errAt(ioff, "%s: more than %d entries", at, max)
		}
		if err := entry(fmt.Sprintf("%s[%d]", at, i), tok, ioff); err != nil {
			return off, err
		}
	}
}

// list reads an array of strings, checking each with check. An empty array
// gives nil.
func (p *parser) list(at string, check func(s, at string, off int64) error) ([]string, int64, error) {
	var out []string
	off, err := p.array(at, "an array of strings", MaxList, func(ip string, tok json.Token, ioff int64) error {
		s, ok := tok.(string)
		if !ok {
			return p.errAt(ioff, "%s: expected a string, got %s", ip, kind(tok))
		}
		if len(s) > MaxString {
			return p.errAt(ioff, "%s: longer than %d bytes", ip, MaxString)
		}
		if err := check(s, ip, ioff); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, off, err
	}
	return out, off, nil
}

func (p *parser) policy() (*Policy, error) {
	pol := &Policy{}
	haveVersion := false
	start, err := p.object("", func(key, at string, off int64) error {
		var err error
		switch key {
		case "version":
			haveVersion = true
			err = p.version()
			pol.Version = Version
		case "signers":
			pol.Signers, err = p.signers()
		case "registries":
			pol.Registries, err = p.registries()
		case "suites":
			pol.Suites, err = p.suites()
		case "pin":
			pol.Pin, err = p.pins()
		case "require_attestations":
			pol.RequireAttestations, err = p.requirements(at)
		case "transparency":
			pol.Transparency, err = p.transparency(at)
		default:
			return p.unknown(at, off, "version, signers, registries, suites, pin, require_attestations, transparency")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveVersion {
		return nil, p.errAt(start, "version: missing").WithHint(`start the policy with "version": %d`, Version)
	}
	return pol, nil
}

// requirements reads require_attestations (policy.md §4.5): an array whose
// entries are a predicate type (string) or {"type": …, "signers": […]}.
func (p *parser) requirements(at string) ([]Requirement, error) {
	checkType := func(s, at string, off int64) error {
		if !bundle.ValidPredicateType(s) {
			return p.errAt(off, "%s: %q is not a predicate type", at, s).
				WithHint("write a predicate type URI (https://slsa.dev/provenance/v1, https://spdx.dev/Document) or slsa-provenance, spdx")
		}
		return nil
	}
	var out []Requirement
	_, err := p.array(at, "an array", MaxList, func(ip string, tok json.Token, ioff int64) error {
		if t, ok := tok.(string); ok {
			if len(t) > MaxString {
				return p.errAt(ioff, "%s: longer than %d bytes", ip, MaxString)
			}
			if err := checkType(t, ip, ioff); err != nil {
				return err
			}
			out = append(out, Requirement{Type: t})
			return nil
		}
		if tok != json.Delim('{') {
			return p.errAt(ioff, "%s: expected a predicate type or an object, got %s", ip, kind(tok))
		}
		var r Requirement
		haveType := false
		start, err := p.fields(ip, ioff, func(key, kat string, koff int64) error {
			var err error
			switch key {
			case "type":
				var s string
				var soff int64
				if s, soff, err = p.str(kat); err == nil {
					err = checkType(s, kat, soff)
				}
				r.Type, haveType = s, true
			case "signers":
				r.Signers, _, err = p.list(kat, p.checkSigner)
				if err == nil && r.Signers == nil {
					err = p.errAt(koff, "%s: empty list", kat).WithHint("name at least one signer, or write the type alone")
				}
			default:
				err = p.unknown(kat, koff, "type, signers")
			}
			return err
		})
		if err != nil {
			return err
		}
		if !haveType {
			return p.errAt(start, "%s.type: missing", ip)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *parser) version() error {
	tok, off, err := p.next()
	if err != nil {
		return err
	}
	if n, ok := tok.(json.Number); ok && n.String() == strconv.Itoa(Version) {
		return nil
	}
	e := p.errAt(off, "version: unsupported policy version %s", tokenText(tok))
	if s, ok := tok.(string); ok && s == strconv.Itoa(Version) {
		return e.WithHint(`write the version as a number: "version": %d`, Version)
	}
	return e.WithHint(`this ct reads "version": %d; a newer ct may read other versions`, Version)
}

func tokenText(t json.Token) string {
	switch t := t.(type) {
	case string:
		return strconv.Quote(t)
	case json.Number:
		return t.String()
	case json.Delim:
		return kind(t)
	case nil:
		return "null"
	}
	return fmt.Sprint(t)
}

func (p *parser) signers() (*Signers, error) {
	s := &Signers{}
	_, err := p.object("signers", func(key, at string, off int64) error {
		var err error
		var aoff int64
		switch key {
		case "allowed":
			s.Allowed, aoff, err = p.list(at, p.checkSigner)
			if err == nil && s.Allowed == nil {
				err = p.errAt(aoff, "%s: empty list: no signer could count", at).
					WithHint("list the signers to allow, or remove signers.allowed to allow every trusted key")
			}
		case "denied":
			s.Denied, _, err = p.list(at, p.checkSigner)
		case "threshold":
			s.Threshold, aoff, err = p.integer(at)
			if err == nil && (s.Threshold < 1 || s.Threshold > MaxThreshold) {
				err = p.errAt(aoff, "%s: %d is out of range (1 to %d)", at, s.Threshold, MaxThreshold)
			}
		default:
			err = p.unknown(at, off, "allowed, denied, threshold")
		}
		return err
	})
	return s, err
}

// maxSignerPattern bounds a key id pattern: room for a 64-character id
// with some bracket expressions.
const maxSignerPattern = 128

var reGlobChars = regexp.MustCompile(`^[A-Za-z0-9._*?\[\]^\\-]+$`)
var reHex = regexp.MustCompile(`^[0-9A-Fa-f]+$`)

// checkSigner accepts a full fingerprint (text or display form) or a key id
// glob (policy.md §4.1).
func (p *parser) checkSigner(s, at string, off int64) error {
	if _, err := keys.ParseFingerprint(s); err == nil {
		return nil
	}
	switch {
	case strings.HasPrefix(strings.ToLower(s), "sha256:"):
		return p.errAt(off, "%s: %q: a fingerprint is written without \"sha256:\"", at, s).
			WithHint("write the 64 hex digits as ct key list prints them")
	case strings.Contains(s, ":") || reHex.MatchString(s) && len(s) >= keys.MinFingerprintPrefix:
		if _, ok := keys.FingerprintPrefix(s); ok {
			return p.errAt(off, "%s: %q is a fingerprint prefix; a policy needs the full fingerprint", at, s).
				WithHint("write all 64 hex digits (ct key info KEY prints them)")
		}
		return p.errAt(off, "%s: %q is not a fingerprint", at, s).
			WithHint("a fingerprint is 64 hex digits, optionally in groups of 4 separated by ':'")
	}
	if len(s) > maxSignerPattern {
		return p.errAt(off, "%s: longer than %d bytes", at, maxSignerPattern).
			WithHint("a key id has at most %d characters", keys.MaxIDLength)
	}
	if _, err := path.Match(s, ""); err != nil || !reGlobChars.MatchString(s) {
		return p.errAt(off, "%s: %q is neither a fingerprint nor a key id pattern", at, s).
			WithHint("a key id pattern uses A-Z a-z 0-9 . _ - and the wildcards * ? [...]")
	}
	return nil
}

func (p *parser) registries() (*Registries, error) {
	r := &Registries{}
	_, err := p.object("registries", func(key, at string, off int64) error {
		var err error
		var aoff int64
		switch key {
		case "allowed":
			r.Allowed, aoff, err = p.list(at, p.checkSource)
			if err == nil && r.Allowed == nil {
				err = p.errAt(aoff, "%s: empty list: no source could match", at).
					WithHint("list the registries to allow, or remove registries.allowed to allow every source")
			}
		case "blocked":
			r.Blocked, _, err = p.list(at, p.checkSource)
		default:
			err = p.unknown(at, off, "allowed, blocked")
		}
		return err
	})
	return r, err
}

// checkSource accepts a source pattern (policy.md §4.2).
func (p *parser) checkSource(s, at string, off int64) error {
	if localTransports[strings.TrimSuffix(s, ":*")] && strings.HasSuffix(s, ":*") {
		return nil
	}
	for t := range localTransports {
		if strings.HasPrefix(s, t+":") {
			return p.errAt(off, "%s: %q: local sources are matched by transport only", at, s).
				WithHint("write %q; a local path says nothing about where an image came from", t+":*")
		}
	}
	if strings.HasPrefix(s, "docker://") {
		return p.errAt(off, "%s: %q: write the pattern without docker://", at, s).
			WithHint("for example docker.io/library/*")
	}
	if s == "*" {
		return nil
	}
	segs := strings.Split(s, "/")
	if len(segs) < 2 {
		return p.errAt(off, "%s: %q names no repository, so it matches nothing", at, s).
			WithHint("write %q for every repository of a registry", s+"/*")
	}
	for _, seg := range segs {
		if _, err := path.Match(seg, ""); err != nil || seg == "" ||
			strings.IndexFunc(seg, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return p.errAt(off, "%s: %q is not a registry pattern", at, s).
				WithHint("write REGISTRY/REPOSITORY with the wildcards * ? [...], for example docker.io/library/* or *.internal.example/*")
		}
	}
	return nil
}

func (p *parser) suites() (*Suites, error) {
	su := &Suites{}
	_, err := p.object("suites", func(key, at string, off int64) error {
		if key != "allowed" {
			return p.unknown(at, off, "allowed")
		}
		var aoff int64
		var err error
		su.Allowed, aoff, err = p.list(at, func(s, at string, off int64) error {
			if keys.LookupSuite(s) != nil {
				return nil
			}
			e := p.errAt(off, "%s: unknown signature suite %q", at, s)
			if id := keys.SuggestSuite(s); id != "" {
				return e.WithHint("write the suite id %q", id)
			}
			return e.WithHint("the suites are %s", suiteIDs())
		})
		if err == nil && su.Allowed == nil {
			err = p.errAt(aoff, "%s: empty list: no signature could count", at).
				WithHint("list suites (%s), or remove suites.allowed to allow all", suiteIDs())
		}
		return err
	})
	return su, err
}

func suiteIDs() string {
	var ids []string
	for _, s := range keys.Suites {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ", ")
}

func (p *parser) pins() (map[string]Pin, error) {
	pins := map[string]Pin{}
	_, err := p.object("pin", func(name, at string, off int64) error {
		if !bundle.ValidName(name) {
			return p.errAt(off, "%s: %q is not a package name", at, name).
				WithHint("pin by the bundle's package name, as in manifest.toml package.name (lowercase, e.g. nginx or acme/app)")
		}
		if len(pins) == MaxPins {
			return p.errAt(off, "pin: more than %d packages", MaxPins)
		}
		pin, err := p.pin(at)
		pins[name] = pin
		return err
	})
	if len(pins) == 0 {
		pins = nil
	}
	return pins, err
}

func (p *parser) pin(at string) (Pin, error) {
	var pin Pin
	digest := func(at string) (string, error) {
		s, off, err := p.str(at)
		if err == nil && !bundle.ValidDigest(s) {
			err = p.errAt(off, "%s: %q is not a digest", at, s).WithHint(`write "sha256:" and 64 lowercase hex digits`)
		}
		return s, err
	}
	start, err := p.object(at, func(key, kat string, off int64) error {
		var err error
		switch key {
		case "digest":
			pin.Digest, err = digest(kat)
		case "manifest_digest":
			pin.ManifestDigest, err = digest(kat)
		case "signers":
			pin.Signers, _, err = p.list(kat, p.checkSigner)
		default:
			err = p.unknown(kat, off, "digest, manifest_digest, signers")
		}
		return err
	})
	if err == nil && pin.Digest == "" && pin.ManifestDigest == "" && pin.Signers == nil {
		err = p.errAt(start, "%s: pins nothing", at).WithHint("give digest, manifest_digest or signers")
	}
	return pin, err
}
