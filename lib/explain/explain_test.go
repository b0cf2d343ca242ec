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
