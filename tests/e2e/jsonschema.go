package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSONSchema: `jsonschema NAME FILE` validates FILE (a JSON document, or
// one per line) against docs/json/NAME.schema.json with ajv, a validator we
// did not write (installed by scripts/install-deps.sh into tests/tools).
// With `!`, it fails unless the document is invalid.
func cmdJSONSchema(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonschema NAME FILE")
	}
	root, err := filepath.Abs("../..")
	ts.Check(err)
	ajv := filepath.Join(root, "tests", "tools", "node_modules", ".bin", "ajv")
	if _, err := os.Stat(ajv); err != nil {
		ts.Fatalf("ajv is not installed (%v): run scripts/install-deps.sh", err)
	}
	schema := filepath.Join(root, "docs", "json", args[0]+".schema.json")
	if _, err := os.Stat(schema); err != nil {
		ts.Fatalf("no schema %s: %v", schema, err)
	}
	refs, err := schemaRefs(schema)
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	docs := strings.Split(strings.TrimSpace(string(data)), "\n")
	if strings.HasPrefix(strings.TrimSpace(string(data)), "{\n") || len(docs) == 1 {
		docs = []string{string(data)} // one (indented) document
	}
	for i, d := range docs {
		f := filepath.Join(ts.Getenv("WORK"), ".jsonschema-doc.json")
		ts.Check(os.WriteFile(f, []byte(d), 0o644))
		out, err := exec.Command(ajv, append(append([]string{"validate", "--spec=draft2020", "--strict=true", "-c", "ajv-formats",
			"-s", schema}, refs...), "-d", f)...).CombinedOutput()
		switch {
		case err != nil && !neg:
			ts.Fatalf("document %d of %s does not satisfy %s:\n%s", i+1, args[1], args[0], out)
		case err == nil && neg:
			ts.Fatalf("document %d of %s satisfies %s, but should not", i+1, args[1], args[0])
		}
	}
}

// schemaRefs returns ajv's -r arguments for the other schemas that schema
// refers to ("$ref": "verify.schema.json": ct.fetch/1 and ct.import/1 embed
// the verify report), so that what they embed is checked too.
func schemaRefs(schema string) ([]string, error) {
	src, err := os.ReadFile(schema)
	if err != nil {
		return nil, err
	}
	var refs []string
	seen := map[string]bool{}
	for _, m := range reSchemaRef.FindAllStringSubmatch(string(src), -1) {
		if f := filepath.Join(filepath.Dir(schema), m[1]); !seen[f] {
			seen[f] = true
			refs = append(refs, "-r", f)
		}
	}
	return refs, nil
}

var reSchemaRef = regexp.MustCompile(`"\$ref":\s*"([a-z0-9.-]+\.schema\.json)"`)
