package provenance

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/rogpeppe/go-internal/txtar"
)

// vectorDir holds the vectors made by tests/vectors/gen-provenance, which
// writes the expected predicates from the specification, not with this
// package.
const vectorDir = "../../tests/vectors/provenance"

type vector struct {
	name, expect, field string
	mentions            []string
	opts                Options
	manifest            *bundle.Manifest
	predicate           []byte
}

func loadVectors(t testing.TB) []vector {
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txtar"))
	if err != nil || len(files) < 30 {
		t.Fatalf("vectors in %s: %d files, %v (run: cd tests && go run ./vectors/gen-provenance)", vectorDir, len(files), err)
	}
	var vs []vector
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := vector{name: strings.TrimSuffix(filepath.Base(f), ".txtar")}
		for _, line := range strings.Split(strings.TrimSpace(string(a.Comment)), "\n") {
			k, val, _ := strings.Cut(line, ": ")
			switch k {
			case "expect":
				v.expect = val
			case "field":
				v.field = val
			case "mentions":
				v.mentions = append(v.mentions, val)
			case "epoch":
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil {
					t.Fatalf("%s: epoch %q", f, val)
				}
				v.opts.Time = time.Unix(n, 0)
			case "all-platforms":
				v.opts.AllPlatforms = val == "true"
			case "keep-docker-format":
				v.opts.KeepDockerFormat = val == "true"
			}
		}
		for _, file := range a.Files {
			switch file.Name {
			case "manifest.toml":
				if v.manifest, err = bundle.ParseManifest(file.Data); err != nil {
					t.Fatalf("%s: manifest.toml: %v", f, err)
				}
			case "predicate.json":
				v.predicate = bytes.TrimSuffix(file.Data, []byte("\n")) // txtar's newline
			}
		}
		if v.manifest == nil || v.predicate == nil || v.expect == "" {
			t.Fatalf("%s: incomplete vector", f)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestVectors(t *testing.T) {
	counts := map[string]int{}
	for _, v := range loadVectors(t) {
		counts[v.expect]++
		t.Run(v.name, func(t *testing.T) {
			err := Check(v.predicate, v.manifest)
			switch v.expect {
			case "built":
				got, berr := Build(v.manifest, v.opts)
				if berr != nil {
					t.Fatal(berr)
				}
				if !bytes.Equal(got, v.predicate) {
					t.Errorf("Build:\n got %s\nwant %s", got, v.predicate)
				}
				fallthrough
			case "accepted":
				if err != nil {
					t.Errorf("Check rejects it: %v", err)
				}
			case "malformed":
				if err == nil {
					t.Fatal("Check accepts it")
				}
				if exit.CodeOf(err) != exit.Malformed {
					t.Errorf("exit code %d, want %d: %v", exit.CodeOf(err), exit.Malformed, err)
				}
				for _, want := range append([]string{v.field}, v.mentions...) {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not name %q: %v", want, err)
					}
				}
			default:
				t.Fatalf("unknown expect %q", v.expect)
			}
		})
	}
	if counts["built"] == 0 || counts["accepted"] == 0 || counts["malformed"] < 20 {
		t.Errorf("vector mix %v", counts)
	}
}

// FuzzCheck: Check never panics, and a rejection is always exit code 10
// (malformed), whatever the bytes.
func FuzzCheck(f *testing.F) {
	vs := loadVectors(f)
	for i, v := range vs {
		f.Add(v.predicate, uint8(i))
	}
	f.Fuzz(func(t *testing.T, predicate []byte, which uint8) {
		m := vs[int(which)%len(vs)].manifest
		err := Check(predicate, m)
		if err != nil && exit.CodeOf(err) != exit.Malformed {
			t.Fatalf("exit code %d: %v", exit.CodeOf(err), err)
		}
		if err == nil {
			// what Check accepts describes m
			p, perr := Parse(predicate)
			if perr != nil {
				t.Fatalf("Check accepts what Parse rejects: %v", perr)
			}
			if p.BuildDefinition.ExternalParameters.Source != m.Source.Reference ||
				"sha256:"+p.BuildDefinition.ResolvedDependencies[0].Digest["sha256"] != m.Source.Digest {
				t.Fatalf("accepted a predicate for another source: %s", predicate)
			}
		}
	})
}
