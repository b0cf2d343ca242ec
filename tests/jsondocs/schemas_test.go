// Package jsondocs checks that ct's JSON contract is whole (issue 9): every
// command with --json names the kind it prints and that kind has a schema
// in docs/json and a section in docs/json/README.md; every schema is valid
// draft 2020-12 (ajv, a compiler ct did not write) and is exercised by the
// end-to-end scripts, both on real output and on a document it must reject.
package jsondocs

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const root = "../.."

// kinds returns the kinds with a schema: docs/json/KIND.schema.json.
func kinds(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "json", "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range files {
		m[strings.TrimSuffix(filepath.Base(f), ".schema.json")] = f
	}
	if len(m) < 10 {
		t.Fatalf("only %d schemas in docs/json: the check is not looking at them", len(m))
	}
	return m
}

// jsonFlags returns, per command of docs/cli.md's generated flag table (kept
// equal to the binaries' flags by make check-man and tests/install), the
// help of its --json flag.
func jsonFlags(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "<!-- BEGIN generated flag table: make docs -->\n")
	table, _, ok2 := strings.Cut(table, "<!-- END generated flag table -->")
	if !ok || !ok2 {
		t.Fatal("docs/cli.md has no generated flag table")
	}
	m := map[string]string{}
	row := regexp.MustCompile("^\\| `--json` \\| (.+?) \\| (.+) \\|$")
	for _, l := range strings.Split(table, "\n") {
		if r := row.FindStringSubmatch(l); r != nil {
			for _, c := range strings.Split(r[1], ", ") {
				m[strings.Trim(c, "`")] = r[2]
			}
		}
	}
	if len(m) < 8 {
		t.Fatalf("only %d commands with --json in docs/cli.md: %v", len(m), m)
	}
	return m
}

var reKind = regexp.MustCompile(`\bct\.([a-zA-Z0-9.-]+)/(\d+)\b`)

// subcommands lists the commands of a ct-* program with subcommands, from
// its own --help (built here from source).
func subcommands(t *testing.T, prog string) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), prog)
	build := exec.Command("go", "build", "-o", bin, "./"+prog)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", prog, err, out)
	}
	out, err := exec.Command(bin, "--help").Output()
	if err != nil {
		t.Fatalf("%s --help: %v", prog, err)
	}
	_, cmds, _ := strings.Cut(string(out), "\nCommands:\n")
	var subs []string
	for _, l := range strings.Split(cmds, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") {
			subs = append(subs, f[0])
		} else if l == "" && len(subs) > 0 {
			break
		}
	}
	if len(subs) == 0 {
		t.Fatalf("%s --help lists no commands:\n%s", prog, out)
	}
	return subs
}

// (b) Every command with --json says in its help which kind it prints, and
// that kind has a schema and a section in docs/json/README.md.
func TestEveryJSONFlagHasASchema(t *testing.T) {
	have := kinds(t)
	readme, err := os.ReadFile(filepath.Join(root, "docs", "json", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for cmd, help := range jsonFlags(t) {
		ms := reKind.FindAllStringSubmatch(help, -1)
		if len(ms) == 0 {
			t.Errorf("ct %s --json: its help does not name the kind it prints (ct.KIND/N): %q", cmd, help)
			continue
		}
		for _, m := range ms {
			kind, names := m[1], []string{m[1]}
			if strings.HasSuffix(kind, ".KIND") { // one kind per subcommand: ct.key.KIND/1
				names = nil
				prog := "ct-" + strings.TrimSuffix(kind, ".KIND")
				for _, s := range subcommands(t, prog) {
					names = append(names, strings.TrimSuffix(kind, "KIND")+s)
				}
			}
			for _, k := range names {
				if _, ok := have[k]; !ok {
					t.Errorf("ct %s --json prints ct.%s/%s, but there is no docs/json/%s.schema.json", cmd, k, m[2], k)
				}
				if !strings.Contains(string(readme), "\n## ct."+k+"/"+m[2]+"\n") {
					t.Errorf("docs/json/README.md has no section ## ct.%s/%s", k, m[2])
				}
			}
		}
	}
}

// Each schema fixes its own kind: "schema" is the constant ct.KIND/N of its
// file name, required, and unknown members are refused at the top.
func TestSchemasNameTheirKind(t *testing.T) {
	for kind, f := range kinds(t) {
		if predicates[kind] {
			continue // another format's document, carried by ct: no "schema" member of ours
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Schema     string `json:"$schema"`
			Required   []string
			Additional *bool `json:"additionalProperties"`
			Properties map[string]struct {
				Const string `json:"const"`
			}
		}
		if err := json.Unmarshal(src, &s); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %q, want draft 2020-12", f, s.Schema)
		}
		if c := s.Properties["schema"].Const; !regexp.MustCompile(`^ct\.` + regexp.QuoteMeta(kind) + `/\d+$`).MatchString(c) {
			t.Errorf("%s: properties.schema.const = %q, want ct.%s/N", f, c, kind)
		}
		if len(s.Required) == 0 || s.Required[0] != "schema" {
			t.Errorf("%s: \"schema\" is not the first required member: %q", f, s.Required)
		}
		if s.Additional == nil || *s.Additional {
			t.Errorf("%s: the top level allows unknown members (additionalProperties is not false)", f)
		}
	}
}

// (a) Every schema is used by the end-to-end scripts: on real output
// (`jsonschema KIND FILE`) and on a document it must reject (`! jsonschema`).
func TestEverySchemaIsExercised(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(root, "tests", "e2e", "testdata", "*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no e2e scripts: %v", err)
	}
	pos, neg := map[string][]string{}, map[string][]string{}
	line := regexp.MustCompile(`(?m)^(!\s+)?jsonschema\s+(\S+)\s`)
	for _, s := range scripts {
		src, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range line.FindAllStringSubmatch(string(src), -1) {
			if m[1] == "" {
				pos[m[2]] = append(pos[m[2]], filepath.Base(s))
			} else {
				neg[m[2]] = append(neg[m[2]], filepath.Base(s))
			}
		}
	}
	have := kinds(t)
	var names []string
	for k := range have {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(pos[k]) == 0 {
			t.Errorf("docs/json/%s.schema.json validates no real output: no `jsonschema %s FILE` in tests/e2e/testdata", k, k)
		}
		if len(neg[k]) == 0 {
			t.Errorf("docs/json/%s.schema.json is never shown to fail: no `! jsonschema %s FILE` in tests/e2e/testdata", k, k)
		}
	}
	for k, where := range pos {
		if _, ok := have[k]; !ok {
			t.Errorf("%v validate against %s, which has no schema", where, k)
		}
	}
}

// (c) Every schema compiles as draft 2020-12 in strict mode, with the
// schemas it refers to.
func TestSchemasCompile(t *testing.T) {
	ajv, err := filepath.Abs(filepath.Join(root, "tests", "tools", "node_modules", ".bin", "ajv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ajv); err != nil {
		t.Fatalf("ajv is not installed (%v): run scripts/install-deps.sh", err)
	}
	ref := regexp.MustCompile(`"\$ref":\s*"([^"#]+)"`)
	for kind, f := range kinds(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"compile", "--spec=draft2020", "--strict=true", "-c", "ajv-formats", "-s", f}
		for _, m := range ref.FindAllStringSubmatch(string(src), -1) {
			r := filepath.Join(filepath.Dir(f), m[1])
			if _, err := os.Stat(r); err != nil {
				t.Errorf("%s refers to %s: %v", f, m[1], err)
				continue
			}
			args = append(args, "-r", r)
		}
		cmd := exec.Command(ajv, args...)
		cmd.Dir = filepath.Join(root, "tests", "tools") // ajv-formats resolves from here
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("schema %s does not compile: %v\n%s", kind, err, out)
		}
	}
}

// predicates are schemas of documents in other formats that ct writes as
// attestation predicates (docs/spec/attestations.md): they are validated on
// real output like the others, but follow their own format, not ct.KIND/N.
var predicates = map[string]bool{"slsa-provenance-v1": true}
