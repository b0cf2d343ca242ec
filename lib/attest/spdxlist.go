package attest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// SPDXPackage is one package of an SPDX 2.3 document as ct explain --sbom
// lists it. Strings are exactly the document's (a stranger's text: escape
// them before printing); Type is derived.
type SPDXPackage struct {
	Name    string `json:"name"`
	SPDXID  string `json:"spdxId"`
	Version string `json:"version,omitempty"` // versionInfo
	// Type is the package URL's type ("deb", "golang", "npm", …), else the
	// package's primaryPackagePurpose in lower case ("container"), else "".
	Type             string `json:"type,omitempty"`
	PURL             string `json:"purl,omitempty"` // the first purl external reference
	LicenseConcluded string `json:"licenseConcluded,omitempty"`
	LicenseDeclared  string `json:"licenseDeclared,omitempty"`
}

// Licence is the licence to show: licenseConcluded, else licenseDeclared
// (a value of NOASSERTION counts as absent while the other one says more),
// else "".
func (p SPDXPackage) Licence() string {
	for _, l := range []string{p.LicenseConcluded, p.LicenseDeclared} {
		if l != "" && l != "NOASSERTION" {
			return l
		}
	}
	if p.LicenseConcluded != "" {
		return p.LicenseConcluded
	}
	return p.LicenseDeclared
}

// SPDXListing is what ct explain --sbom shows of an SPDX 2.3 document.
type SPDXListing struct {
	Name              string        `json:"name"`
	SPDXVersion       string        `json:"spdxVersion"`
	DocumentNamespace string        `json:"documentNamespace"`
	Packages          []SPDXPackage `json:"packages"`
}

// spdxPackages is the part of an SPDX 2.3 JSON document the listing reads.
type spdxPackages struct {
	SPDXVersion       string `json:"spdxVersion"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	Packages          []struct {
		SPDXID                string `json:"SPDXID"`
		Name                  string `json:"name"`
		VersionInfo           string `json:"versionInfo"`
		LicenseConcluded      string `json:"licenseConcluded"`
		LicenseDeclared       string `json:"licenseDeclared"`
		PrimaryPackagePurpose string `json:"primaryPackagePurpose"`
		ExternalRefs          []struct {
			ReferenceCategory string `json:"referenceCategory"`
			ReferenceType     string `json:"referenceType"`
			ReferenceLocator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
}

// ListSPDX reads the packages of an SPDX 2.3 predicate, sorted by name,
// version, type and SPDX id (byte order). It checks the document as
// CheckPredicate does, and that no member it reads is spelt in another case
// (attestations.md §5); a failure is exit.Malformed. The packages list is
// never nil.
func ListSPDX(predicate []byte) (*SPDXListing, error) {
	const k = "SPDX 2.3"
	if err := checkSPDX(predicate); err != nil {
		return nil, err
	}
	if err := exactNames(predicate, reflect.TypeOf(spdxPackages{}), k); err != nil {
		return nil, err
	}
	var d spdxPackages
	if err := json.NewDecoder(bytes.NewReader(predicate)).Decode(&d); err != nil {
		return nil, bad(k, "a member has the wrong type: %v", err)
	}
	l := &SPDXListing{Name: d.Name, SPDXVersion: d.SPDXVersion, DocumentNamespace: d.DocumentNamespace, Packages: []SPDXPackage{}}
	for _, p := range d.Packages {
		q := SPDXPackage{Name: p.Name, SPDXID: p.SPDXID, Version: p.VersionInfo,
			LicenseConcluded: p.LicenseConcluded, LicenseDeclared: p.LicenseDeclared}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				q.PURL = r.ReferenceLocator
				break
			}
		}
		q.Type = purlType(q.PURL)
		if q.Type == "" {
			q.Type = strings.ToLower(p.PrimaryPackagePurpose)
		}
		l.Packages = append(l.Packages, q)
	}
	slices.SortStableFunc(l.Packages, func(a, b SPDXPackage) int {
		for _, c := range [][2]string{{a.Name, b.Name}, {a.Version, b.Version}, {a.Type, b.Type}, {a.SPDXID, b.SPDXID}} {
			if n := strings.Compare(c[0], c[1]); n != 0 {
				return n
			}
		}
		return 0
	})
	return l, nil
}

// purlType is the type of a package URL ("pkg:deb/debian/bash@5.2" is
// "deb"), lower case as the purl specification makes it canonical; "" when
// s is not a package URL with a valid type (letters, digits, '.', '+', '-',
// not starting with a digit).
func purlType(s string) string {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, "/")
	t, _, ok := strings.Cut(rest, "/")
	if !ok || t == "" || t[0] >= '0' && t[0] <= '9' {
		return ""
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return ""
		}
	}
	return strings.ToLower(t)
}
