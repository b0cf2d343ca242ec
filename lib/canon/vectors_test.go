package canon

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/rogpeppe/go-internal/txtar"
)

const vectorDir = "../../tests/vectors/canon"

type vectorCase struct {
	name      string
	expect    string
	reason    string
	sha       string
	input     []byte
	canonical []byte
}

// loadVectors reads every conformance vector (tests/vectors/gen-canon makes
// them).
func loadVectors(tb testing.TB) []vectorCase {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) < 30 {
		tb.Fatalf("found %d vectors in %s; want at least 30 (run: cd tests && go run ./vectors/gen-canon)", len(files), vectorDir)
	}
	var vs []vectorCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		v := vectorCase{name: strings.TrimSuffix(filepath.Base(f), ".txtar")}
		sc := bufio.NewScanner(bytes.NewReader(a.Comment))
		for sc.Scan() {
			k, val, ok := strings.Cut(sc.Text(), ": ")
			if !ok {
				continue
			}
			switch k {
			case "expect":
				v.expect = val
			case "reason":
				v.reason = val
			case "sha256":
				v.sha = val
			}
		}
		hasInput := false
		for _, file := range a.Files {
			switch file.Name {
			case "input.toml":
				v.input, hasInput = file.Data, true
			case "input.hex":
				b, err := hex.DecodeString(strings.ReplaceAll(string(file.Data), "\n", ""))
				if err != nil {
					tb.Fatalf("%s: input.hex: %v", v.name, err)
				}
				v.input, hasInput = b, true
			case "canonical.toml":
				v.canonical = file.Data
			}
		}
		if !hasInput {
			tb.Fatalf("%s: no input", v.name)
		}
		switch v.expect {
		case "canonical", "canonicalizes":
			if v.canonical == nil || v.sha == "" {
				tb.Fatalf("%s: %s vector without canonical.toml or sha256", v.name, v.expect)
			}
		case "malformed":
		default:
			tb.Fatalf("%s: unknown expect %q", v.name, v.expect)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			t.Logf("reason: %s", v.reason)
			checkErr := CheckTOML(v.input)
			got, canonErr := CanonicalizeTOML(v.input)
			switch v.expect {
			case "canonical", "canonicalizes":
				sum := sha256.Sum256(v.canonical)
				if hex.EncodeToString(sum[:]) != v.sha {
					t.Errorf("sha256 of canonical.toml = %x, header says %s", sum, v.sha)
				}
				if canonErr != nil {
					t.Fatalf("CanonicalizeTOML: %v", canonErr)
				}
				if !bytes.Equal(got, v.canonical) {
					t.Errorf("CanonicalizeTOML:\n got %q\nwant %q", got, v.canonical)
				}
				if err := CheckTOML(v.canonical); err != nil {
					t.Errorf("CheckTOML(canonical.toml): %v", err)
				}
				if v.expect == "canonical" {
					if checkErr != nil {
						t.Errorf("CheckTOML(input): %v", checkErr)
					}
					if !bytes.Equal(v.input, v.canonical) {
						t.Errorf("canonical vector whose input differs from canonical.toml")
					}
				} else if checkErr == nil {
					t.Errorf("CheckTOML(input) accepted a non-canonical input")
				}
			case "malformed":
				if checkErr == nil {
					t.Errorf("CheckTOML accepted a malformed input")
				}
				if canonErr == nil {
					t.Errorf("CanonicalizeTOML accepted a malformed input: %q", got)
				}
			}
			for what, err := range map[string]error{"CheckTOML": checkErr, "CanonicalizeTOML": canonErr} {
				if err == nil {
					continue
				}
				if c := exit.CodeOf(err); c != exit.Malformed {
					t.Errorf("%s: exit code %d, want %d (%v)", what, c, exit.Malformed, err)
				}
				if !strings.HasPrefix(err.Error(), "line ") {
					t.Errorf("%s: error without a line number: %v", what, err)
				}
			}
			t.Logf("CheckTOML: %v", checkErr)
			t.Logf("CanonicalizeTOML: %v", canonErr)
		})
	}
}
