package source

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Ref // Given is filled in from in
		str  string
	}{
		{"nginx", Ref{Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "latest"}, "docker://docker.io/library/nginx:latest"},
		{"nginx:1.26", Ref{Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "1.26"}, "docker://docker.io/library/nginx:1.26"},
		{"docker.io/library/nginx:1.26", Ref{Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "1.26"}, "docker://docker.io/library/nginx:1.26"},
		{"index.docker.io/library/nginx:1.26", Ref{Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "1.26"}, "docker://docker.io/library/nginx:1.26"},
		{"docker://nginx:1.26", Ref{Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "1.26"}, "docker://docker.io/library/nginx:1.26"},
		{"user/app", Ref{Transport: "docker", Registry: "docker.io", Repository: "user/app", Tag: "latest"}, "docker://docker.io/user/app:latest"},
		{"ghcr.io/o/r/app:v1", Ref{Transport: "docker", Registry: "ghcr.io", Repository: "o/r/app", Tag: "v1"}, "docker://ghcr.io/o/r/app:v1"},
		{"localhost:5000/app@" + testDigest, Ref{Transport: "docker", Registry: "localhost:5000", Repository: "app", Digest: testDigest}, "docker://localhost:5000/app@" + testDigest},
		{"docker://localhost:5000/app:1@" + testDigest, Ref{Transport: "docker", Registry: "localhost:5000", Repository: "app", Tag: "1", Digest: testDigest}, "docker://localhost:5000/app:1@" + testDigest},
		{strings.Repeat("a", 247), Ref{Transport: "docker", Registry: "docker.io", Repository: "library/" + strings.Repeat("a", 247), Tag: "latest"}, "docker://docker.io/library/" + strings.Repeat("a", 247) + ":latest"},
		{"127.0.0.1:5000/a/b:t", Ref{Transport: "docker", Registry: "127.0.0.1:5000", Repository: "a/b", Tag: "t"}, "docker://127.0.0.1:5000/a/b:t"},

		{"oci:layout", Ref{Transport: "oci", Path: "layout"}, "oci:layout"},
		{"oci:layout:v1", Ref{Transport: "oci", Path: "layout", Tag: "v1"}, "oci:layout:v1"},
		{"oci:/tmp/x/layout:v1.2-rc_3", Ref{Transport: "oci", Path: "/tmp/x/layout", Tag: "v1.2-rc_3"}, "oci:/tmp/x/layout:v1.2-rc_3"},
		{"oci:/mnt/c:x/layout:v1", Ref{Transport: "oci", Path: "/mnt/c:x/layout", Tag: "v1"}, "oci:/mnt/c:x/layout:v1"},
		{"oci:/mnt/c:x/layout", Ref{Transport: "oci", Path: "/mnt/c:x/layout"}, "oci:/mnt/c:x/layout"},
		{"oci:./lay@" + testDigest, Ref{Transport: "oci", Path: "./lay", Digest: testDigest}, "oci:./lay@" + testDigest},
		{"oci:/a:b/lay:t@" + testDigest, Ref{Transport: "oci", Path: "/a:b/lay", Tag: "t", Digest: testDigest}, "oci:/a:b/lay:t@" + testDigest},
		{"oci-archive:img.tar", Ref{Transport: "oci-archive", Path: "img.tar"}, "oci-archive:img.tar"},
		{"oci-archive:/tmp/d:1/img.tar:latest", Ref{Transport: "oci-archive", Path: "/tmp/d:1/img.tar", Tag: "latest"}, "oci-archive:/tmp/d:1/img.tar:latest"},

		{"docker-archive:img.tar", Ref{Transport: "docker-archive", Path: "img.tar"}, "docker-archive:img.tar"},
		{"docker-archive:img.tar:nginx:1.26", Ref{Transport: "docker-archive", Path: "img.tar", Tag: "1.26", Name: "nginx:1.26"}, "docker-archive:img.tar:nginx:1.26"},
		{"docker-archive:img.tar:localhost:5000/app:v2", Ref{Transport: "docker-archive", Path: "img.tar", Tag: "v2", Name: "localhost:5000/app:v2"}, "docker-archive:img.tar:localhost:5000/app:v2"},
		{"docker-archive:/mnt/c:x/img.tar:repo:tag", Ref{Transport: "docker-archive", Path: "/mnt/c:x/img.tar", Tag: "tag", Name: "repo:tag"}, "docker-archive:/mnt/c:x/img.tar:repo:tag"},
		{"docker-archive:save:repo", Ref{Transport: "docker-archive", Path: "save", Tag: "latest", Name: "repo"}, "docker-archive:save:repo"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tc.want
			want.Given = tc.in
			if *got != want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, *got, want)
			}
			if s := got.String(); s != tc.str {
				t.Errorf("String() = %q, want %q", s, tc.str)
			}
			// The canonical form parses to the same reference.
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			again.Given = want.Given
			if want.Transport == "docker" && *again != want {
				t.Errorf("round trip: %+v", *again)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, msg string
	}{
		{"", "empty source"},
		{"containers-storage:x", `unsupported transport "containers-storage"`},
		{"dir:x", `unsupported transport "dir"`},
		{"docker-daemon:nginx:1", `unsupported transport "docker-daemon"`},
		{"docker:nginx", `unsupported transport "docker"`},
		{"https://ghcr.io/x", `unsupported transport "https"`},
		{"foo:/x/y", `unknown transport "foo"`},
		{"docker://", "empty registry reference"},
		{"docker://UPPER/case", "not a valid registry reference"},
		{"nginx@sha256:123", "not a valid registry reference"},
		{"oci:", "missing the directory"},
		{"oci::tag", "missing the directory"},
		{"oci:dir:", "is not a valid tag"},
		{"oci:dir:bad tag", "is not a valid tag"},
		{"oci:dir@sha256:12", "is not a sha256 digest"},
		{"oci-archive:", "missing the file"},
		{"docker-archive:", "missing the file"},
		{"docker-archive:x.tar:", "empty image reference"},
		{"docker-archive:x.tar:Bad Ref", "is not a REPO:TAG reference"},
		{"docker-archive:x.tar:repo@" + testDigest, "not by digest"},
		{"nginx\n", "NUL or newline"},
		{strings.Repeat("a", 5000), "longer than"},
		// Parses in ggcr (250 ≤ 255), but library/ makes it 258: String() would not parse back.
		{strings.Repeat("a", 250), "implicit library/ prefix"},
		{"docker.io/" + strings.Repeat("b", 249), "implicit library/ prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.in)
			}
			if exit.CodeOf(err) != exit.Usage {
				t.Errorf("code %d, want Usage: %v", exit.CodeOf(err), err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if exit.HintOf(err) == "" {
				t.Errorf("no hint: %v", err)
			}
			if !strings.Contains(exit.HintOf(err), "oci-archive:FILE") {
				t.Errorf("hint does not list the supported forms: %q", exit.HintOf(err))
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]string{"linux/amd64": "linux/amd64", "linux/arm64/v8": "linux/arm64/v8", "windows/amd64": "windows/amd64"} {
		p, err := ParsePlatform(in)
		if err != nil || platformString(p) != want {
			t.Errorf("ParsePlatform(%q) = %v, %v", in, p, err)
		}
	}
	for _, in := range []string{"", "linux", "linux/", "/amd64", "linux/amd64/v8/x", "Linux/AMD64", "linux/am d64"} {
		if _, err := ParsePlatform(in); exit.CodeOf(err) != exit.Usage || exit.HintOf(err) == "" {
			t.Errorf("ParsePlatform(%q) = %v, want a usage error with hint", in, err)
		}
	}
	if h := HostPlatform(); h.OS == "" || h.Architecture == "" {
		t.Errorf("HostPlatform() = %+v", h)
	}
}
