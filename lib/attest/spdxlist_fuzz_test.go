package attest

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzListSPDX: ct explain --sbom lists a stranger's SPDX document. On any
// input ListSPDX returns a listing or a malformed error, never panics; a
// listing has a non-nil package list in its documented order, and each
// package's Type is a lower-case purl type or purpose (never text that
// would need escaping).
func FuzzListSPDX(f *testing.F) {
	for _, s := range []string{
		spdxHead + `}`,
		spdxHead + `,"packages":[{"SPDXID":"SPDXRef-a","name":"bash","versionInfo":"5.2","licenseConcluded":"GPL-3.0-or-later",` +
			`"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/bash@5.2"}]}]}`,
		spdxHead + `,"packages":[{"SPDXID":"SPDXRef-img","name":"img","primaryPackagePurpose":"CONTAINER"},{"SPDXID":"SPDXRef-b","name":"b","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:/"}]}]}`,
		spdxHead + `,"packages":[{"SPDXID":"SPDXRef-a","NAME":"x"}]}`,
		spdxHead + `,"packages":{}}`,
		spdxHead + `,"packages":[null]}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ListSPDX(data)
		if err != nil {
			if exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("error %v has code %d, want malformed", err, exit.CodeOf(err))
			}
			return
		}
		if l.Packages == nil {
			t.Fatal("nil package list")
		}
		for i, p := range l.Packages {
			if p.Type != strings.ToLower(p.Type) || strings.ContainsAny(p.Type, "\x00\x1b\n\t/") {
				t.Fatalf("package %d: type %q", i, p.Type)
			}
			if i > 0 && l.Packages[i-1].Name > p.Name {
				t.Fatalf("packages out of order: %q before %q", l.Packages[i-1].Name, p.Name)
			}
		}
	})
}
