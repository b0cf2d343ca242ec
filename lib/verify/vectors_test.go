package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// TestVectors checks the verifier against tests/vectors/verify (made by
// tests/vectors/gen-verify): each NAME.ctp must reach the outcome its
// NAME.expect names, both in one pass (stdin) and on a file, trusting the
// key file it names and applying the policy it names, if any.
func TestVectors(t *testing.T) {
	dir := "../../tests/vectors/verify"
	files, err := filepath.Glob(filepath.Join(dir, "*.expect"))
	if err != nil || len(files) < 15 {
		t.Fatalf("found %d vectors in %s (%v); regenerate them with: cd tests && go run ./vectors/gen-verify", len(files), dir, err)
	}
	trusted := map[string][]TrustedKey{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expect")
		exp, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			fields[k] = v
		}
		tk, ok := trusted[fields["trusted"]]
		if !ok {
			k, err := keys.ReadPublicFile(filepath.Join(dir, fields["trusted"]))
			if err != nil {
				t.Fatal(err)
			}
			tk = []TrustedKey{{Key: k, Source: fields["trusted"]}}
			trusted[fields["trusted"]] = tk
		}
		data, err := os.ReadFile(filepath.Join(dir, name+".ctp"))
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Trusted: tk}
		if pf := fields["policy"]; pf != "" { // the verifier also applies this policy
			p, err := policy.Load(filepath.Join(dir, pf))
			if err != nil {
				t.Fatal(err)
			}
			opts.Policy, opts.PolicyName = p, pf
		}
		t.Run(name, func(t *testing.T) {
			rep := Verify(bytes.NewReader(data), name+".ctp", opts)
			if rep.Verdict != fields["expect"] {
				t.Errorf("stream: verdict %s (code %d), want %s: %v", rep.Verdict, rep.Code, fields["expect"], rep.Err())
			}
			file, err := os.Open(filepath.Join(dir, name+".ctp"))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			rep = VerifyFile(file, name+".ctp", opts)
			if rep.Verdict != fields["expect"] {
				t.Errorf("file: verdict %s (code %d), want %s: %v", rep.Verdict, rep.Code, fields["expect"], rep.Err())
			}
			if got := strconv.Itoa(rep.Code); got != fields["code"] || exit.Lookup(exit.Code(rep.Code)).Name != fields["expect"] && !rep.Valid {
				t.Errorf("exit code %s, vector says %s (%s)", got, fields["code"], fields["expect"])
			}
		})
	}
}
