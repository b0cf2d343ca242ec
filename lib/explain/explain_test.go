package explain

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/verify"
)

const vectors = "../../tests/vectors/verify"

func explainVector(t *testing.T, name, policyFile string) string {
	t.Helper()
	k, err := keys.ReadPublicFile(filepath.Join(vectors, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(vectors, name+".ctp"))
	if err != nil {
		t.Fatalf("%v (regenerate: cd tests && go run ./vectors/gen-verify)", err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "--key trusted.pub"}}}
	if policyFile != "" {
		s := verify.Setup{NoStore: true, PolicyFile: filepath.Join(vectors, policyFile)}
		o, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		opts.Policy, opts.PolicyName = o.Policy, o.PolicyName
	}
	var out bytes.Buffer
	Text(&out, verify.Verify(bytes.NewReader(data), name+".ctp", opts), Options{Layers: true, Signers: true})
	return out.String()
}

// noControl fails if s holds a character that could drive a terminal.
func noControl(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			t.Fatalf("output holds %U:\n%s", r, s)
		}
	}
}

// TestHostileText: escape sequences and bidi overrides in a bundle's source
// and tool fields are shown escaped, never passed to the terminal.
func TestHostileText(t *testing.T) {
	out := explainVector(t, "hostile-text", "")
	noControl(t, out)
	for _, want := range []string{
		`source     registry.example/team/web:1.0\x1b[2K\x0d\x1b[32mOK web 1.0 signed by release-2024\x1b[0m (docker, registry registry.example, repository team/web\x1b[8m)`,
		`tool       gen-verify\x1b]0;owned\x07 1\u202ecod.exe`,
		"verdict VALID",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRelabelledSigner: the signer is shown by the verifier's name; the
// entry's key_id only as a claim, and policy lines never name the claim.
func TestRelabelledSigner(t *testing.T) {
	out := explainVector(t, "relabel-allowed", "relabel-allowed.json")
	noControl(t, out)
	for _, want := range []string{
		"✓ alice        CT-SIG-01  valid, trusted via --key trusted.pub",
		`    calls itself "release-2024" (the entry's key_id: unverified, never used for trust)`,
		`✗ rule signers.threshold: 0 of 1 required signers; not counted: alice (`,
		"NOT VALID (policy-rejected)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "release-2024") && !strings.Contains(line, `calls itself "release-2024"`) {
			t.Errorf("a line names the signer by its claim: %s", line)
		}
	}
	out = explainVector(t, "relabel-untrusted", "")
	if !strings.Contains(out, "? unknown key  CT-SIG-01  valid, not trusted") || !strings.Contains(out, `calls itself "alice"`) {
		t.Errorf("untrusted signer claiming the trusted id:\n%s", out)
	}
	if strings.Contains(out, "✓ alice") {
		t.Errorf("an untrusted signer is shown as alice:\n%s", out)
	}
}

// FuzzText: whatever the bundle, the explanation holds no character that
// could drive a terminal (newlines between lines aside).
func FuzzText(f *testing.F) {
	vecs, _ := filepath.Glob(filepath.Join(vectors, "*.ctp"))
	for _, v := range vecs {
		if data, err := os.ReadFile(v); err == nil {
			f.Add(data)
		}
	}
	k, err := keys.ReadPublicFile(filepath.Join(vectors, "trusted.pub"))
	if err != nil {
		f.Fatal(err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "--key trusted.pub"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		Text(&out, verify.Verify(bytes.NewReader(data), "fuzz.ctp", opts), Options{Layers: true, Signers: true})
		noControl(t, out.String())
	})
}

func explainOpts(t *testing.T, name string, skip bool) string {
	t.Helper()
	k, err := keys.ReadPublicFile(filepath.Join(vectors, "trusted.pub"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(vectors, name+".ctp"))
	if err != nil {
		t.Fatal(err)
	}
	opts := verify.Options{Trusted: []verify.TrustedKey{{Key: k, Source: "--key trusted.pub"}}, SkipContent: skip}
	var out bytes.Buffer
	Text(&out, verify.Verify(bytes.NewReader(data), name+".ctp", opts), Options{Layers: true})
	return out.String()
}

// TestHeadline: VALID only when the content was hashed; without it the
// headline says what was not checked; a truncated bundle is never called
// unsigned.
func TestHeadline(t *testing.T) {
	for _, c := range []struct {
		name      string
		skip      bool
		want, not []string
	}{
		{"valid", false, []string{"verdict VALID: content, signatures, trust and policy checked\n  ct verify exits 0\n"}, nil},
		{"valid", true, []string{"verdict signatures valid and trusted, content NOT checked (use --verify)\n  ct verify exits 0 if the blob content matches, 1 if it does not\n"}, []string{"VALID"}},
		{"flipped-layer-byte", true, []string{"content NOT checked (use --verify)"}, []string{"VALID"}},
		{"flipped-layer-byte", false, []string{"verdict NOT VALID (hash-mismatch)\n  ct verify exits 1\n"}, nil},
		{"untrusted", true, []string{"verdict NOT VALID (key-not-trusted), content NOT checked (use --verify)\n  ct verify exits 3 if the blob content matches, 1 if it does not\n"}, nil},
		{"truncated", false, []string{"  not read: the bundle could not be read as far as its signature entries", "its signatures could not be read", "ct verify exits 10"}, []string{"unsigned"}},
		{"unsigned", false, []string{"none: the bundle is unsigned", "NOT VALID (signature-invalid)"}, nil},
	} {
		out := explainOpts(t, c.name, c.skip)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s (skip %v): output lacks %q:\n%s", c.name, c.skip, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) && !(n == "VALID" && strings.Contains(out, "NOT VALID")) {
				t.Errorf("%s (skip %v): output holds %q:\n%s", c.name, c.skip, n, out)
			}
		}
		if c.skip && strings.Contains(out, "verdict VALID") {
			t.Errorf("%s: VALID without hashing the content:\n%s", c.name, out)
		}
	}
}

// TestLayersByPlatform: --layers on an index lists each image under its
// platform, its layers in image order.
func TestLayersByPlatform(t *testing.T) {
	out := explainOpts(t, "platforms-index", false)
	for _, w := range []string{"  linux/amd64 (image sha256:", ", 2 layers)\n    config ", "    layer 2/2 "} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
