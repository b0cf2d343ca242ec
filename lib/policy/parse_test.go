package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

const (
	fpA = "5041f11e514d7a27be542c21097a3def2477aaa7141bd113bed307b8b3678509"
	dgA = "sha256:0b8e3c6a1f2d4e5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Policy
	}{
		{"version only", `{"version":1}`, Policy{Version: 1}},
		{"empty sections", `{"version":1,"signers":{},"registries":{},"suites":{},"pin":{}}`,
			Policy{Version: 1, Signers: &Signers{}, Registries: &Registries{}, Suites: &Suites{}}},
		{"empty optional lists are absent", `{"version":1,"signers":{"denied":[]},"registries":{"blocked":[]},"require_attestations":[]}`,
			Policy{Version: 1, Signers: &Signers{}, Registries: &Registries{}}},
		{"signers", `{"signers":{"allowed":["release-*","` + fpA + `"],"denied":["r[0-9]"],"threshold":2},"version":1}`,
			Policy{Version: 1, Signers: &Signers{Allowed: []string{"release-*", fpA}, Denied: []string{"r[0-9]"}, Threshold: 2}}},
		{"display fingerprint", `{"version":1,"signers":{"allowed":["5041:F11E:514d:7a27:be54:2c21:097a:3def:2477:aaa7:141b:d113:bed3:07b8:b367:8509"]}}`,
			Policy{Version: 1, Signers: &Signers{Allowed: []string{"5041:F11E:514d:7a27:be54:2c21:097a:3def:2477:aaa7:141b:d113:bed3:07b8:b367:8509"}}}},
		{"registries", `{"version":1,"registries":{"allowed":["docker.io/library/*","*.internal.example/*","oci:*","*"],"blocked":["localhost:5000/*"]}}`,
			Policy{Version: 1, Registries: &Registries{Allowed: []string{"docker.io/library/*", "*.internal.example/*", "oci:*", "*"}, Blocked: []string{"localhost:5000/*"}}}},
		{"suites", `{"version":1,"suites":{"allowed":["CT-SIG-02","CT-SIG-03"]}}`,
			Policy{Version: 1, Suites: &Suites{Allowed: []string{"CT-SIG-02", "CT-SIG-03"}}}},
		{"pin", `{"version":1,"pin":{"nginx":{"digest":"` + dgA + `"},"acme/app":{"manifest_digest":"` + dgA + `","signers":["rel-*"]}}}`,
			Policy{Version: 1, Pin: map[string]Pin{"nginx": {Digest: dgA}, "acme/app": {ManifestDigest: dgA, Signers: []string{"rel-*"}}}}},
		{"attestations", `{"version":1,"require_attestations":["slsa-provenance"]}`,
			Policy{Version: 1, RequireAttestations: []Requirement{{Type: "slsa-provenance"}}}},
		{"attestations by signers", `{"version":1,"require_attestations":["https://spdx.dev/Document",{"type":"https://slsa.dev/provenance/v1","signers":["ci-*"]}]}`,
			Policy{Version: 1, RequireAttestations: []Requirement{{Type: "https://spdx.dev/Document"}, {Type: "https://slsa.dev/provenance/v1", Signers: []string{"ci-*"}}}}},
		{"whitespace", " \n\t{ \"version\" : 1 }\r\n", Policy{Version: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.in), "p.json")
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Name = "p.json"
			if !reflect.DeepEqual(*p, tc.want) {
				t.Fatalf("got %+v\nwant %+v", *p, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		where    string // "line:col"
		msg      string // a substring of the message
		hint     string // a substring of the hint, if any
	}{
		{"unknown top", `{"version":1,"signer":{}}`, "1:14", "signer: unknown field", "signers"},
		{"unknown nested", "{\n  \"version\": 1,\n  \"signers\": {\"alowed\": []}\n}", "3:15", "signers.alowed: unknown field", "allowed, denied, threshold"},
		{"unknown in pin", "{\"version\":1,\"pin\":{\n \"nginx\": {\"digets\": \"x\"}}}", "2:12", "pin.nginx.digets: unknown field", "digest"},
		{"unknown quoted path", `{"version":1,"pin":{"my.app":{"x":1}}}`, "1:31", `pin["my.app"].x: unknown field`, ""},
		{"duplicate top", `{"version":1,"version":1}`, "1:14", "version: duplicate field", "ambiguous"},
		{"duplicate nested", `{"version":1,"signers":{"threshold":1,"threshold":2}}`, "1:39", "signers.threshold: duplicate field", ""},
		{"duplicate pin", `{"version":1,"pin":{"a":{"digest":"` + dgA + `"},"a":{"digest":"` + dgA + `"}}}`, "1:110", `pin.a: duplicate field`, ""},
		{"missing version", "\n {\"signers\":{}}", "2:2", "version: missing", `"version": 1`},
		{"version string", `{"version":"1"}`, "1:12", `unsupported policy version "1"`, "as a number"},
		{"version 2", `{"version":2}`, "1:12", "unsupported policy version 2", "a newer ct"},
		{"version float", `{"version":1.0}`, "1:12", "unsupported policy version 1.0", ""},
		{"version null", `{"version":null}`, "1:12", "unsupported policy version null", ""},
		{"not an object", `[1]`, "1:1", ": expected an object, got an array", ""},
		{"signers type", `{"version":1,"signers":[]}`, "1:24", "signers: expected an object, got an array", ""},
		{"allowed type", `{"version":1,"signers":{"allowed":"alice"}}`, "1:35", "signers.allowed: expected an array of strings, got a string", ""},
		{"allowed item type", `{"version":1,"signers":{"allowed":["a",2]}}`, "1:40", "signers.allowed[1]: expected a string, got a number", ""},
		{"allowed null item", `{"version":1,"signers":{"allowed":[null]}}`, "1:36", "signers.allowed[0]: expected a string, got null", ""},
		{"allowed nested", `{"version":1,"signers":{"allowed":[["a"]]}}`, "1:36", "expected a string, got an array", ""},
		{"allowed empty", `{"version":1,"signers":{"allowed":[]}}`, "1:35", "signers.allowed: empty list", ""},
		{"threshold type", `{"version":1,"signers":{"threshold":"2"}}`, "1:37", "signers.threshold: expected an integer, got a string", ""},
		{"threshold zero", `{"version":1,"signers":{"threshold":0}}`, "1:37", "signers.threshold: 0 is out of range", ""},
		{"threshold negative", `{"version":1,"signers":{"threshold":-1}}`, "1:37", "not a non-negative integer", ""},
		{"threshold fraction", `{"version":1,"signers":{"threshold":1.5}}`, "1:37", "not a non-negative integer", ""},
		{"threshold exponent", `{"version":1,"signers":{"threshold":1e1}}`, "1:37", "not a non-negative integer", ""},
		{"threshold huge", `{"version":1,"signers":{"threshold":257}}`, "1:37", "out of range (1 to 256)", ""},
		{"fingerprint prefix", `{"version":1,"signers":{"allowed":["5041:f11e:514d:7a27"]}}`, "1:36", "fingerprint prefix", "64 hex"},
		{"hex prefix", `{"version":1,"signers":{"denied":["5041f11e514d7a27"]}}`, "1:35", "fingerprint prefix", ""},
		{"sha256 fingerprint", `{"version":1,"signers":{"allowed":["sha256:` + fpA + `"]}}`, "1:36", `without "sha256:"`, ""},
		{"bad fingerprint", `{"version":1,"signers":{"allowed":["zz:1"]}}`, "1:36", "is not a fingerprint", ""},
		{"bad glob", `{"version":1,"signers":{"allowed":["rel-["]}}`, "1:36", "neither a fingerprint nor a key id pattern", ""},
		{"glob with slash", `{"version":1,"signers":{"allowed":["a/b"]}}`, "1:36", "neither a fingerprint nor a key id pattern", ""},
		{"long signer pattern", `{"version":1,"signers":{"allowed":["` + strings.Repeat("a*", 65) + `"]}}`, "1:36", "longer than 128 bytes", ""},
		{"empty signer", `{"version":1,"signers":{"allowed":[""]}}`, "1:36", "neither", ""},
		{"registry no repo", `{"version":1,"registries":{"allowed":["docker.io"]}}`, "1:39", "names no repository", `"docker.io/*"`},
		{"registry docker://", `{"version":1,"registries":{"allowed":["docker://docker.io/*"]}}`, "1:39", "without docker://", ""},
		{"registry local path", `{"version":1,"registries":{"blocked":["oci:/srv/*"]}}`, "1:39", "matched by transport only", `"oci:*"`},
		{"registry empty segment", `{"version":1,"registries":{"blocked":["docker.io//x"]}}`, "1:39", "not a registry pattern", ""},
		{"registry bad glob", `{"version":1,"registries":{"blocked":["docker.io/[x"]}}`, "1:39", "not a registry pattern", ""},
		{"registries empty allowed", `{"version":1,"registries":{"allowed":[]}}`, "1:38", "registries.allowed: empty list", ""},
		{"suite alias", `{"version":1,"suites":{"allowed":["ml-dsa-87"]}}`, "1:35", `unknown signature suite "ml-dsa-87"`, `"CT-SIG-03"`},
		{"suite lowercase", `{"version":1,"suites":{"allowed":["ct-sig-02"]}}`, "1:35", "unknown signature suite", `"CT-SIG-02"`},
		{"suite unknown", `{"version":1,"suites":{"allowed":["CT-SIG-09"]}}`, "1:35", "unknown signature suite", "CT-SIG-01, CT-SIG-02, CT-SIG-03"},
		{"suite empty", `{"version":1,"suites":{"allowed":[]}}`, "1:34", "suites.allowed: empty list", ""},
		{"suites unknown", `{"version":1,"suites":{"denied":[]}}`, "1:24", "suites.denied: unknown field", ""},
		{"pin bad name", `{"version":1,"pin":{"Nginx":{"digest":"` + dgA + `"}}}`, "1:21", `pin.Nginx: "Nginx" is not a package name`, ""},
		{"pin bad digest", `{"version":1,"pin":{"nginx":{"digest":"sha256:abc"}}}`, "1:39", "pin.nginx.digest: \"sha256:abc\" is not a digest", ""},
		{"pin empty", `{"version":1,"pin":{"nginx":{}}}`, "1:29", "pin.nginx: pins nothing", ""},
		{"pin signers empty", `{"version":1,"pin":{"nginx":{"signers":[]}}}`, "1:29", "pin.nginx: pins nothing", ""},
		{"pin type", `{"version":1,"pin":{"nginx":"` + dgA + `"}}`, "1:29", "pin.nginx: expected an object, got a string", ""},
		{"attestation empty", `{"version":1,"require_attestations":[""]}`, "1:38", "require_attestations[0]", ""},
		{"attestation space", `{"version":1,"require_attestations":["a b"]}`, "1:38", "not a predicate type", ""},
		{"attestation number", `{"version":1,"require_attestations":[1]}`, "1:38", "expected a predicate type or an object", ""},
		{"attestation no type", `{"version":1,"require_attestations":[{"signers":["a"]}]}`, "1:38", "require_attestations[0].type: missing", ""},
		{"attestation unknown", `{"version":1,"require_attestations":[{"type":"a","by":["a"]}]}`, "1:50", "require_attestations[0].by: unknown field", ""},
		{"attestation no signers", `{"version":1,"require_attestations":[{"type":"a","signers":[]}]}`, "1:50", "empty list", ""},
		{"trailing object", `{"version":1} {}`, "1:15", "invalid JSON", ""},
		{"trailing garbage", "{\"version\":1}\nx", "2:1", "invalid JSON: invalid character 'x' after top-level value", ""},
		{"truncated", "{\"version\":1,\n", "2:1", "invalid JSON: unexpected end of JSON input", ""},
		{"syntax", "{\"version\":1,\n  \"signers\": {,}}", "2:15", "invalid JSON: invalid character ','", ""},
		{"comment", "{\"version\":1 // no\n}", "1:14", "invalid JSON", ""},
		{"empty", "", "1:1", "invalid JSON", ""},
		{"bom", "\ufeff{\"version\":1}", "1:1", "invalid JSON", ""},
		{"invalid utf8", "{\"version\":1,\"pin\":{\"\xff\":{}}}", "1:22", "invalid UTF-8", ""},
		{"column counts characters", "{\"version\":1,\"pin\":{\"é\":1}}", "1:21", `pin["é"]: "é" is not a package name`, ""},
		{"deep", `{"version":1,"signers":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}", "1:", "exceeded max depth", ""},
		{"too large", `{"version":1,"require_attestations":["` + strings.Repeat("a", MaxSize) + `"]}`, "1:1", "larger than", ""},
		{"long string", `{"version":1,"require_attestations":["` + strings.Repeat("a", MaxString+1) + `"]}`, "1:38", "longer than 1024 bytes", ""},
		{"long list", `{"version":1,"require_attestations":["a"` + strings.Repeat(`,"a"`, MaxList) + `]}`, "1:", "more than 1000 entries", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "p.json")
			var xe *exit.Error
			if !errors.As(err, &xe) {
				t.Fatalf("want *exit.Error, got %v", err)
			}
			if xe.Code != exit.Usage {
				t.Errorf("code %d, want %d (usage)", xe.Code, exit.Usage)
			}
			if !strings.HasPrefix(xe.Where, "p.json:"+tc.where) {
				t.Errorf("where %q, want p.json:%s", xe.Where, tc.where)
			}
			if !strings.Contains(xe.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", xe.Msg, tc.msg)
			}
			if !strings.Contains(xe.Hint, tc.hint) {
				t.Errorf("hint %q lacks %q", xe.Hint, tc.hint)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(f, Example(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(f)
	if err != nil || p.Name != f || p.Threshold() != 2 {
		t.Fatalf("Load: %+v, %v", p, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); exit.CodeOf(err) != exit.IO {
		t.Fatalf("missing file: %v (code %d), want I/O", err, exit.CodeOf(err))
	}
	if err := os.WriteFile(f, []byte(`{"version":1,"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(f); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), f+":1:14: x: unknown field") {
		t.Fatalf("bad file: %v", err)
	}
}

// specPolicies returns the JSON blocks of docs/spec/policy.md.
func specPolicies(tb testing.TB) []string {
	data, err := os.ReadFile("../../docs/spec/policy.md")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1])
	}
	if len(out) < 3 {
		tb.Fatalf("policy.md has %d json examples, want at least 3", len(out))
	}
	return out
}

func TestSpecExamples(t *testing.T) {
	found := false
	for _, s := range specPolicies(t) {
		if _, err := Parse([]byte(s), "policy.md"); err != nil {
			t.Errorf("%v\n%s", err, s)
		}
		found = found || s == string(Example())
	}
	if !found {
		t.Error("Example() is not among the examples of policy.md")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range append(specPolicies(t), string(Example())) {
		roundTrip(t, []byte(s))
	}
}

// roundTrip checks that a policy parsed from data marshals to JSON that
// parses back to an equal policy.
func roundTrip(t *testing.T, data []byte) {
	t.Helper()
	p, err := Parse(data, "a")
	if err != nil {
		return
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	q, err := Parse(out, "a")
	if err != nil {
		t.Fatalf("re-parse of %s: %v\noriginal: %q", out, err, data)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip differs:\n%+v\n%+v", p, q)
	}
}
