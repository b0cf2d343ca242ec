package attest

import (
	"strings"
	"testing"
)

// Member names are exact at every level a check reads, not only the top:
// encoding/json would read "BUILDTYPE" as buildType (issue 10 review).
func TestPredicateNamesExactAtEveryLevel(t *testing.T) {
	for _, c := range []struct{ typ, doc string }{
		{TypeSLSAProvenanceV1, `{"buildDefinition":{"BUILDTYPE":"https://example.com/t","EXTERNALPARAMETERS":{}},"runDetails":{"BUILDER":{"ID":"x"}}}`},
		{TypeSLSAProvenanceV1, `{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{}},"runDetails":{"builder":{"ID":"x"}}}`},
		{TypeSPDX, `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"n","documentNamespace":"https://x/y","creationInfo":{"CREATED":"x","CREATORS":["a"]},"packages":[]}`},
		{TypeSPDX, `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"n","documentNamespace":"https://x/y","creationInfo":{"created":"x","creators":["a"]},"packages":[{"spdxid":"SPDXRef-p","NAME":"p"}]}`},
	} {
		if err := CheckPredicate(c.typ, []byte(c.doc)); err == nil || !strings.Contains(err.Error(), "names are exact") {
			t.Errorf("%s accepted or wrong error (%v): %s", c.typ, err, c.doc)
		}
	}
	// Members a check does not read are left alone, in any case.
	ok := `{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{"ID":1,"Name":"x"}},"runDetails":{"builder":{"id":"x"},"Extra":true}}`
	if err := CheckPredicate(TypeSLSAProvenanceV1, []byte(ok)); err != nil {
		t.Errorf("extra members refused: %v", err)
	}
}
