package attest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
)

// Predicate types ct knows (attestations.md §5).
const (
	TypeSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
	TypeSPDX             = "https://spdx.dev/Document"
)

// CheckPredicate checks a predicate's structure for the types ct knows
// (attestations.md §5): SLSA provenance v1 and SPDX 2.3. Any other type is
// only required to be a JSON object, which the statement's parser checked.
// A failure is exit.Malformed and names the member.
func CheckPredicate(predicateType string, predicate []byte) error {
	switch predicateType {
	case TypeSLSAProvenanceV1:
		return checkSLSA(predicate)
	case TypeSPDX:
		return checkSPDX(predicate)
	}
	return nil
}

func bad(kind, format string, args ...any) error {
	e := exit.New(exit.Malformed, format, args...)
	e.Msg = kind + " predicate: " + e.Msg
	return e
}

type slsaV1 struct {
	BuildDefinition *struct {
		BuildType            string                     `json:"buildType"`
		ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
		InternalParameters   map[string]json.RawMessage `json:"internalParameters"`
		ResolvedDependencies []resourceDescriptor       `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails *struct {
		Builder *struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

type resourceDescriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
	Name   string            `json:"name"`
}

// checkSLSA: buildDefinition.buildType (a non-empty string),
// buildDefinition.externalParameters (an object) and runDetails.builder.id
// (a non-empty string) are required, as SLSA v1 requires them; every
// resolvedDependencies entry names a uri, digest or name.
func checkSLSA(p []byte) error {
	const k = "SLSA provenance v1"
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(p, &raw); err != nil {
		return bad(k, "not a JSON object: %v", err)
	}
	// Exact names: encoding/json would also take "BuildDefinition".
	for _, m := range []string{"buildDefinition", "runDetails"} {
		if _, ok := raw[m]; !ok {
			return bad(k, "%s is missing", m)
		}
	}
	if err := exactNames(p, reflect.TypeOf(slsaV1{}), k); err != nil {
		return err
	}
	var s slsaV1
	if err := json.Unmarshal(p, &s); err != nil {
		return bad(k, "a member has the wrong type: %v", err)
	}
	switch {
	case s.BuildDefinition == nil:
		return bad(k, "buildDefinition is missing")
	case s.BuildDefinition.BuildType == "":
		return bad(k, "buildDefinition.buildType is missing or empty")
	case s.BuildDefinition.ExternalParameters == nil:
		return bad(k, "buildDefinition.externalParameters is missing (an object is required)")
	case s.RunDetails == nil || s.RunDetails.Builder == nil || s.RunDetails.Builder.ID == "":
		return bad(k, "runDetails.builder.id is missing or empty")
	}
	for i, d := range s.BuildDefinition.ResolvedDependencies {
		if d.URI == "" && len(d.Digest) == 0 && d.Name == "" {
			return bad(k, "buildDefinition.resolvedDependencies[%d] has no uri, digest or name", i)
		}
	}
	return nil
}

type spdx23 struct {
	SPDXVersion       string `json:"spdxVersion"`
	DataLicense       string `json:"dataLicense"`
	SPDXID            string `json:"SPDXID"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      *struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID string `json:"SPDXID"`
		Name   string `json:"name"`
	} `json:"packages"`
}

// checkSPDX: the members the SPDX 2.3 JSON schema requires of a document,
// with their fixed values, and an SPDXID and name for every package. The
// member names are matched exactly (encoding/json would also take "spdxid").
func checkSPDX(p []byte) error {
	const k = "SPDX 2.3"
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(p, &raw); err != nil {
		return bad(k, "not a JSON object: %v", err)
	}
	for _, m := range []string{"spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo"} {
		if _, ok := raw[m]; !ok {
			return bad(k, "%s is missing", m)
		}
	}
	if err := exactNames(p, reflect.TypeOf(spdx23{}), k); err != nil {
		return err
	}
	var s spdx23
	dec := json.NewDecoder(bytes.NewReader(p))
	if err := dec.Decode(&s); err != nil {
		return bad(k, "a member has the wrong type: %v", err)
	}
	switch {
	case s.SPDXVersion != "SPDX-2.3":
		return bad(k, "spdxVersion is %q, not \"SPDX-2.3\"", s.SPDXVersion)
	case s.DataLicense != "CC0-1.0":
		return bad(k, "dataLicense is %q, not \"CC0-1.0\"", s.DataLicense)
	case s.SPDXID != "SPDXRef-DOCUMENT":
		return bad(k, "SPDXID is %q, not \"SPDXRef-DOCUMENT\"", s.SPDXID)
	case s.Name == "" || s.DocumentNamespace == "":
		return bad(k, "name and documentNamespace must not be empty")
	case s.CreationInfo == nil || s.CreationInfo.Created == "" || len(s.CreationInfo.Creators) == 0:
		return bad(k, "creationInfo needs created and at least one creator")
	}
	for i, pk := range s.Packages {
		if !strings.HasPrefix(pk.SPDXID, "SPDXRef-") || len(pk.SPDXID) == len("SPDXRef-") || pk.Name == "" {
			return bad(k, "packages[%d] needs an SPDXID SPDXRef-… and a name", i)
		}
	}
	return nil
}
