package attest

import (
	"errors"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

const spdxHead = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"img","documentNamespace":"https://example.com/img","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]}`

func TestListSPDX(t *testing.T) {
	doc := spdxHead + `,"packages":[
 {"SPDXID":"SPDXRef-b","name":"zlib","versionInfo":"1.3","licenseConcluded":"NOASSERTION","licenseDeclared":"Zlib",
  "externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:zlib"},
                  {"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:DEB/debian/zlib@1.3"}]},
 {"SPDXID":"SPDXRef-a","name":"bash","versionInfo":"5.2","licenseConcluded":"GPL-3.0-or-later","licenseDeclared":"GPL-3.0-only",
  "externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/bash@5.2"}]},
 {"SPDXID":"SPDXRef-img","name":"img","primaryPackagePurpose":"CONTAINER","licenseDeclared":"NOASSERTION"},
 {"SPDXID":"SPDXRef-c","name":"bash","versionInfo":"5.1","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:1bad/x"}]}]}`
	l, err := ListSPDX([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "img" || l.SPDXVersion != "SPDX-2.3" || l.DocumentNamespace != "https://example.com/img" {
		t.Fatalf("document %+v", l)
	}
	var got []string
	for _, p := range l.Packages {
		got = append(got, strings.Join([]string{p.Name, p.Version, p.Type, p.Licence(), p.SPDXID}, " "))
	}
	want := []string{
		"bash 5.1   SPDXRef-c",                    // no type: the purl's type is invalid
		"bash 5.2 deb GPL-3.0-or-later SPDXRef-a", // concluded first
		"img  container NOASSERTION SPDXRef-img",  // no purl: the purpose
		"zlib 1.3 deb Zlib SPDXRef-b",             // concluded NOASSERTION: declared
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l.Packages[1].PURL != "pkg:deb/debian/bash@5.2" {
		t.Fatalf("purl %q", l.Packages[1].PURL)
	}
}

func TestListSPDXEmptyAndBad(t *testing.T) {
	l, err := ListSPDX([]byte(spdxHead + `}`))
	if err != nil || l.Packages == nil || len(l.Packages) != 0 {
		t.Fatalf("no packages: %+v, %v", l, err)
	}
	for _, c := range []struct{ doc, want string }{
		// a case variant of a member the listing reads: another reader
		// would not see the version encoding/json takes
		{spdxHead + `,"packages":[{"SPDXID":"SPDXRef-a","name":"a","VersionInfo":"1"}]}`, `member "VersionInfo" is not "versionInfo"`},
		{spdxHead + `,"packages":[{"SPDXID":"SPDXRef-a","name":"a","externalRefs":[{"ReferenceLocator":"pkg:deb/x"}]}]}`, `"ReferenceLocator" is not "referenceLocator"`},
		{spdxHead + `,"packages":[{"SPDXID":"SPDXRef-a","name":"a","versionInfo":1}]}`, "wrong type"},
		{`{"spdxVersion":"SPDX-2.2"}`, "is missing"},
	} {
		_, err := ListSPDX([]byte(c.doc))
		var e *exit.Error
		if !errors.As(err, &e) || e.Code != exit.Malformed || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ListSPDX(%s) = %v, want malformed %q", c.doc, err, c.want)
		}
	}
}

func TestPURLType(t *testing.T) {
	for in, want := range map[string]string{
		"pkg:golang/example.com/x@v1": "golang", "pkg:/npm/left-pad@1": "npm", "pkg:Generic/x": "generic",
		"pkg:c++/x": "c++", "pkg:x": "", "pkg:/x": "", "pkg:a b/x": "", "pkg:\x1b[2J/x": "", "deb/x": "", "": "",
	} {
		if got := purlType(in); got != want {
			t.Errorf("purlType(%q) = %q, want %q", in, got, want)
		}
	}
}
