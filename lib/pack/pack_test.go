package pack

import (
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/source"
)

func TestDerive(t *testing.T) {
	dg := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct{ src, name, version string }{
		{"docker.io/library/nginx:1.26", "nginx", "1.26"},
		{"nginx", "nginx", "latest"},
		{"localhost:5000/team/app@" + dg, "app", "sha256-0123456789ab"},
		{"oci:/some/dir/layout:v2", "layout", "v2"},
		{"oci-archive:/x/img.tar", "img", "sha256-0123456789ab"},
		{"docker-archive:/x/saved.tar:acme/web:3", "web", "3"},
	} {
		ref, err := source.Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if n := DeriveName(ref); n != c.name {
			t.Errorf("%s: name %q, want %q", c.src, n, c.name)
		}
		if v := DeriveVersion(ref, dg); v != c.version {
			t.Errorf("%s: version %q, want %q", c.src, v, c.version)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if tm, err := SourceDateEpoch(); err != nil || tm.Unix() != 1700000000 {
		t.Fatalf("%v %v", tm, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if tm, err := SourceDateEpoch(); err != nil || !tm.IsZero() {
		t.Fatalf("%v %v", tm, err)
	}
	for _, bad := range []string{"soon", "-1", "1e9", "99999999999999"} {
		t.Setenv("SOURCE_DATE_EPOCH", bad)
		if _, err := SourceDateEpoch(); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
