package policy

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
)

// Version is the policy format this package reads.
const Version = 1

// Policy is a parsed policy.json (policy.md §3). A nil section or list was
// absent from the file and adds no constraint. Marshalling a Policy with
// encoding/json gives a file that parses back to an equal Policy.
type Policy struct {
	Version             int            `json:"version"`
	Signers             *Signers       `json:"signers,omitempty"`
	Registries          *Registries    `json:"registries,omitempty"`
	Suites              *Suites        `json:"suites,omitempty"`
	Pin                 map[string]Pin `json:"pin,omitempty"` // by package name
	RequireAttestations []Requirement  `json:"require_attestations,omitempty"`
	Transparency        *Transparency  `json:"transparency,omitempty"` // transparency.go

	// Name is the name given to Parse (usually the file path), for messages.
	Name string `json:"-"`
}

// Requirement is one entry of require_attestations (policy.md §4.5): an
// attestation of predicate type Type must be present, valid and signed by a
// trusted key the policy counts; when Signers is set, by a key one of its
// patterns matches. In JSON it is the type alone (a string) when Signers is
// nil, else {"type": …, "signers": […]}.
type Requirement struct {
	Type    string   `json:"type"`
	Signers []string `json:"signers,omitempty"`
}

// MarshalJSON writes the string form when no signers are named.
func (r Requirement) MarshalJSON() ([]byte, error) {
	if r.Signers == nil {
		return json.Marshal(r.Type)
	}
	type plain Requirement
	return json.Marshal(plain(r))
}

// PredicateAliases are the short names require_attestations accepts for
// the predicate types ct knows.
var PredicateAliases = map[string]string{
	"slsa-provenance": "https://slsa.dev/provenance/v1",
	"spdx":            "https://spdx.dev/Document",
	"sbom":            "https://spdx.dev/Document",
}

// PredicateType returns the predicate type the requirement names (an alias
// resolved).
func (r Requirement) PredicateType() string {
	if t, ok := PredicateAliases[r.Type]; ok {
		return t
	}
	return r.Type
}

// Signers restricts whose signatures count. Allowed and Denied hold
// fingerprints or key id patterns (policy.md §4.1).
type Signers struct {
	Allowed   []string `json:"allowed,omitempty"`   // nil: every trusted key
	Denied    []string `json:"denied,omitempty"`    // these never count; denied wins
	Threshold int      `json:"threshold,omitempty"` // distinct signers needed; 0 means 1
}

// Registries restricts where the bundled image may come from (policy.md
// §4.2).
type Registries struct {
	Allowed []string `json:"allowed,omitempty"` // nil: every source
	Blocked []string `json:"blocked,omitempty"` // blocked wins
}

// Suites restricts the signature suites that count.
type Suites struct {
	Allowed []string `json:"allowed,omitempty"` // suite ids, e.g. "CT-SIG-03"
}

// Pin fixes what one package must be (policy.md §4.4). At least one field is
// set.
type Pin struct {
	Digest         string   `json:"digest,omitempty"`          // manifest.toml image.digest
	ManifestDigest string   `json:"manifest_digest,omitempty"` // SHA-256 of manifest.toml
	Signers        []string `json:"signers,omitempty"`         // each must match a counted signer
}

// Threshold is the number of distinct counted signers the policy requires:
// signers.threshold, or 1.
func (p *Policy) Threshold() int {
	if p.Signers != nil && p.Signers.Threshold > 0 {
		return p.Signers.Threshold
	}
	return 1
}

// example is the enterprise example of policy.md §5.3.
const example = `{
  "version": 1,
  "signers": {
    "allowed": [
      "release-*",
      "5041:f11e:514d:7a27:be54:2c21:097a:3def:2477:aaa7:141b:d113:bed3:07b8:b367:8509"
    ],
    "denied": ["release-2019"],
    "threshold": 2
  },
  "registries": {
    "allowed": ["docker.io/library/*", "*.internal.example/*", "oci-archive:*"],
    "blocked": ["docker.io/library/busybox"]
  },
  "pin": {
    "nginx": {
      "digest": "sha256:0b8e3c6a1f2d4e5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9",
      "signers": ["5041f11e514d7a27be542c21097a3def2477aaa7141bd113bed307b8b3678509"]
    }
  }
}
`

// Example returns an example policy (policy.md §5.3) as a starting point.
func Example() []byte { return []byte(example) }

// signerMatches reports whether a signers pattern (a fingerprint or a key id
// pattern, policy.md §4.1) matches the key with this id and fingerprint.
func signerMatches(pattern, id string, fp keys.Fingerprint) bool {
	if f, err := keys.ParseFingerprint(pattern); err == nil {
		return f == fp
	}
	ok, _ := path.Match(pattern, id)
	return ok && id != ""
}

// localTransports are the transports whose sources are files on the packer's
// machine.
var localTransports = map[string]bool{"oci": true, "oci-archive": true, "docker-archive": true}

// Subject is the string registry patterns are matched against (policy.md
// §4.2): "REGISTRY/REPOSITORY" for the docker transport, e.g.
// "docker.io/library/nginx", and "TRANSPORT:REST" for local sources, e.g.
// "oci:./hello:1.0".
func Subject(s bundle.Source) string {
	if s.Transport == "docker" {
		return s.Registry + "/" + s.Repository
	}
	return s.Transport + ":" + strings.TrimPrefix(s.Reference, s.Transport+":")
}

// sourceMatches reports whether a registry pattern matches a source.
// A local source is matched only by "TRANSPORT:*". Otherwise pattern and
// subject are split at '/' and matched segment by segment with path.Match;
// a final pattern segment of exactly "*" matches one or more segments.
func sourceMatches(pattern string, s bundle.Source) bool {
	if localTransports[s.Transport] {
		return pattern == s.Transport+":*"
	}
	if s.Transport != "docker" || localTransports[strings.TrimSuffix(pattern, ":*")] {
		return false
	}
	ps, ss := strings.Split(pattern, "/"), strings.Split(Subject(s), "/")
	for i, seg := range ps {
		if i == len(ps)-1 && seg == "*" {
			return len(ss) > i && ss[i] != ""
		}
		if i >= len(ss) {
			return false
		}
		if ok, _ := path.Match(seg, ss[i]); !ok {
			return false
		}
	}
	return len(ss) == len(ps)
}
