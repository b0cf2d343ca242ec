package source

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzArchiveIndex feeds arbitrary bytes to the tar index reader and to both
// archive transports on top of it: nothing may panic, every error must be an
// *exit.Error, and every indexed entry must lie inside the input.
func FuzzArchiveIndex(f *testing.F) {
	layoutTar := writeTar(f, "", []tarEntry{
		{hdr: tar.Header{Name: "blobs/", Typeflag: tar.TypeDir}},
		{hdr: tar.Header{Name: "oci-layout"}, body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{hdr: tar.Header{Name: "index.json"}, body: []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`)},
		{hdr: tar.Header{Name: "blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}, body: []byte("{}")},
		{hdr: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "oci-layout"}},
	})
	m, _ := json.Marshal([]dockerManifestEntry{{Config: "c.json", RepoTags: []string{"a:1"}, Layers: []string{"l/layer.tar"}}})
	dockerTar := writeTar(f, "", []tarEntry{
		{hdr: tar.Header{Name: "c.json"}, body: []byte(`{"rootfs":{"diff_ids":["sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"]}}`)},
		{hdr: tar.Header{Name: "l/layer.tar"}, body: []byte("{}")},
		{hdr: tar.Header{Name: "manifest.json"}, body: m},
	})
	f.Add(layoutTar)
	f.Add(dockerTar)
	f.Add(layoutTar[:700])
	f.Add(bytes.Repeat([]byte{0}, 1024))
	f.Add([]byte("not a tar"))
	f.Add(writeTar(f, "", []tarEntry{{hdr: tar.Header{Name: "../x"}, body: []byte("x")}}))
	f.Add(writeTar(f, "", []tarEntry{{hdr: tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "b"}}, {hdr: tar.Header{Name: "b", Typeflag: tar.TypeSymlink, Linkname: "a"}}}))

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		ix, err := readArchiveIndex(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			if exit.CodeOf(err) != exit.Malformed {
				t.Fatalf("error is not Malformed: %v", err)
			}
			return
		}
		if len(ix.entries) > maxArchiveEntries {
			t.Fatalf("%d entries", len(ix.entries))
		}
		for n := range ix.entries {
			e, err := ix.lookup(n)
			if err != nil {
				continue
			}
			if e.offset < 0 || e.size < 0 || e.offset+e.size > int64(len(data)) {
				t.Fatalf("entry %q out of bounds: %+v", n, e)
			}
			if _, err := io.Copy(io.Discard, ix.section(e)); err != nil {
				t.Fatal(err)
			}
		}
		s := &archiveStore{ix: ix, desc: "fuzz"}
		for _, ref := range []*Ref{{Transport: TransportOCIArchive}, {Transport: TransportOCIArchive, Tag: "v1"}, {Transport: TransportDockerArchive}} {
			var root *Root
			if ref.Transport == TransportOCIArchive {
				root, err = openLayoutRoot(s, ref, "fuzz")
			} else {
				root, err = openDockerArchive(s, ref)
			}
			if err != nil {
				if exit.CodeOf(err) == exit.Internal {
					t.Fatalf("unclassified error: %v", err)
				}
				continue
			}
			if root.Image != nil {
				if ls, err := root.Image.Layers(); err == nil {
					for _, l := range ls {
						if rc, err := l.Compressed(); err == nil {
							io.Copy(io.Discard, rc)
							rc.Close()
						}
					}
				}
				root.Image.ConfigFile()
			}
		}
	})
}

// FuzzParse: any source string parses to a Ref that round-trips through
// String, or fails with a usage error; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "docker.io/library/nginx:1.26", "localhost:5000/a/b@sha256:" + strings.Repeat("a", 64),
		"oci:/tmp/x:tag", "oci-archive:x.tar", "docker-archive:/a:b/c.tar:repo:tag", "docker://ghcr.io/o/r:t", "dir:x", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Usage {
				t.Fatalf("Parse(%q): code %d: %v", s, c, err)
			}
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, r.String(), err)
		}
		if again.Transport != r.Transport || again.Path != r.Path || again.Tag != r.Tag || again.Digest != r.Digest || again.Name != r.Name {
			t.Fatalf("round trip of %q: %+v became %+v", s, r, again)
		}
	})
}
