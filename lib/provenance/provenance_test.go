package provenance

import (
	"bytes"
	"errors"
	"os"
	"os/user"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
)

func sample(t *testing.T) *bundle.Manifest {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.name == "built-single" {
			return v.manifest
		}
	}
	t.Fatal("no vector built-single")
	return nil
}

func TestReproducible(t *testing.T) {
	m := sample(t)
	opts := Options{Time: time.Unix(1700000000, 0)}
	a, err := Build(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds differ:\n%s\n%s", a, b)
	}
	if err := Check(a, m); err != nil {
		t.Fatalf("Check rejects Build's output: %v", err)
	}

	// a different input gives a different predicate, which the other
	// manifest's Check refuses
	for name, change := range map[string]func(m *bundle.Manifest){
		"platform":  func(m *bundle.Manifest) { m.Image.Platform = "linux/arm64" },
		"reference": func(m *bundle.Manifest) { m.Source.Reference = "registry.example:5000/apps/web:2.0" },
		"digest":    func(m *bundle.Manifest) { m.Source.Digest = bundle.Digest([]byte("other")) },
	} {
		m2 := *m
		change(&m2)
		c, err := Build(&m2, opts)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s: a different %s gives the same predicate", name, name)
		}
		if err := Check(c, m); err == nil {
			t.Errorf("%s: Check accepts the predicate of another %s", name, name)
		}
	}
	if d, _ := Build(m, Options{Time: time.Unix(1700000001, 0)}); bytes.Equal(a, d) {
		t.Error("a different SOURCE_DATE_EPOCH gives the same predicate")
	}
}

// TestNoWallClock: without SOURCE_DATE_EPOCH and package.created there are no
// times at all, and with them exactly those.
func TestNoWallClock(t *testing.T) {
	m := sample(t)
	m.Package.Created = ""
	p, err := Build(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p, []byte("metadata")) || bytes.Contains(p, []byte(time.Now().UTC().Format("2006-01-02"))) {
		t.Fatalf("times without SOURCE_DATE_EPOCH or package.created: %s", p)
	}
	m.Package.Created = "2024-05-01T10:00:00Z"
	p, _ = Build(m, Options{})
	if !bytes.Contains(p, []byte(`"startedOn":"2024-05-01T10:00:00Z"`)) || !bytes.Contains(p, []byte(`"finishedOn":"2024-05-01T10:00:00Z"`)) {
		t.Fatalf("package.created not used: %s", p)
	}
}

// TestNoHostLeak: nothing of the machine that packs gets into the predicate.
func TestNoHostLeak(t *testing.T) {
	m := sample(t)
	dir := t.TempDir()
	t.Chdir(dir)
	p, err := Build(m, Options{Time: time.Unix(1700000000, 0), AllPlatforms: true})
	if err != nil {
		t.Fatal(err)
	}
	var leaks []string
	if h, err := os.Hostname(); err == nil && h != "" {
		leaks = append(leaks, h)
	}
	if u := os.Getenv("USER"); u != "" {
		leaks = append(leaks, u)
	}
	if u, err := user.Current(); err == nil {
		leaks = append(leaks, u.Username, u.HomeDir)
	}
	leaks = append(leaks, dir, os.TempDir())
	if wd, err := os.Getwd(); err == nil {
		leaks = append(leaks, wd)
	}
	for _, l := range leaks {
		// a name of 1-2 letters matches by chance; the test still runs
		// for the rest
		if len(l) > 2 && strings.Contains(string(p), l) {
			t.Errorf("the predicate contains %q: %s", l, p)
		}
	}
	if len(leaks) < 3 {
		t.Fatalf("too few host facts to test: %q", leaks)
	}
}

// A caller can tell another builder's provenance from a broken ct one.
func TestUnknownBuildTypeIsDistinct(t *testing.T) {
	for _, v := range loadVectors(t) {
		err := Check(v.predicate, v.manifest)
		if got, want := errors.Is(err, ErrUnknownBuildType), v.name == "bad-build-type"; got != want {
			t.Errorf("%s: errors.Is(err, ErrUnknownBuildType) = %v: %v", v.name, got, err)
		}
	}
}
