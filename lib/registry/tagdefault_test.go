package registry

import "testing"

func TestNamesTagOrDigest(t *testing.T) {
	for ref, want := range map[string]bool{
		"localhost:5000/app":              false,
		"docker://localhost:5000/a/b":     false,
		"registry.example/app:1.0":        true,
		"localhost:5000/app@sha256:abc":   true,
		"localhost:5000/app:1@sha256:abc": true,
		"nginx":                           false,
	} {
		if got := NamesTagOrDigest(ref); got != want {
			t.Errorf("NamesTagOrDigest(%q) = %v, want %v", ref, got, want)
		}
	}
}
