package main

// Vectors for issue 8 §4 (docs/spec/bundle.md §2, §3; verify.md §2): which
// failure decides, the platform and created claims, empty fields, the
// signature entry limit and the image-graph depth. Each is a real bundle
// signed by the trusted key unless it says otherwise.

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/keys"
)

type specVec struct {
	name, expect, what string
	data               []byte
}

// imageWith is image() with another config.
func imageWith(name, version, cfg string) (*bundle.Manifest, map[string][]byte) {
	m, blobs := image(name, version)
	oldCfg := m.Image.Config
	oldMan := blobs[m.Image.Digest]
	delete(blobs, oldCfg)
	delete(blobs, m.Image.Digest)
	cd := bundle.Digest([]byte(cfg))
	blobs[cd] = []byte(cfg)
	man := bytes.Replace(oldMan, []byte(fmt.Sprintf(`"digest":"%s","size":%d`, oldCfg, len(blobsCfg))),
		[]byte(fmt.Sprintf(`"digest":"%s","size":%d`, cd, len(cfg))), 1)
	md := bundle.Digest(man)
	blobs[md] = man
	for i, b := range m.Blobs {
		switch b.Digest {
		case oldCfg:
			m.Blobs[i].Digest, m.Blobs[i].Size = cd, int64(len(cfg))
		case m.Image.Digest:
			m.Blobs[i].Digest, m.Blobs[i].Size = md, int64(len(man))
		}
	}
	m.Image.Digest, m.Image.Size, m.Image.Config, m.Source.Digest = md, int64(len(man)), cd, md
	m.SortBlobs()
	return m, blobs
}

// blobsCfg is image()'s config, whose descriptor imageWith replaces.
var blobsCfg = []byte(`{"architecture":"amd64","created":"2024-01-01T00:00:00Z","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)

// indexed puts image() under n nested OCI indexes; the first (the root)
// lists the next with platform, when given.
func indexed(n int, platform string) (*bundle.Manifest, map[string][]byte) {
	m, blobs := image("web", "1.0")
	const ix = "application/vnd.oci.image.index.v1+json"
	child := fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d`, m.Image.MediaType, m.Image.Digest, m.Image.Size)
	var d string
	var b []byte
	for i := 0; i < n; i++ {
		pl := ""
		if i == n-1 && platform != "" {
			os, arch, _ := strings.Cut(platform, "/")
			pl = fmt.Sprintf(`,"platform":{"architecture":%q,"os":%q}`, arch, os)
		}
		b = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[%s%s}]}`, ix, child, pl))
		d = bundle.Digest(b)
		blobs[d] = b
		m.Blobs = append(m.Blobs, bundle.Blob{Digest: d, Size: int64(len(b)), MediaType: ix, Role: bundle.RoleIndex})
		child = fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d`, ix, d, len(b))
	}
	m.Image = bundle.Image{Digest: d, MediaType: ix, Size: int64(len(b))}
	if platform != "" {
		m.Image.Platforms = []string{platform}
	}
	m.Source.Digest = d
	m.SortBlobs()
	return m, blobs
}

func specVectors(alice *keys.PrivateKey) []specVec {
	m, blobs := image("web", "1.0")
	valid := write(m, blobs, alice)
	es := entries(valid)
	blobEntry := func(es []bundletest.Entry, digest string) int {
		for i, e := range es {
			if e.Name == "blobs/sha256/"+strings.TrimPrefix(digest, "sha256:") {
				return i
			}
		}
		panic(digest)
	}
	var vs []specVec
	add := func(name, expect, what string, data []byte) {
		vs = append(vs, specVec{name, expect, what, data})
	}

	// Which failure decides (verify.md §2).
	{
		c := bundletest.Clone(es)
		i := blobEntry(c, m.Image.Digest)
		old := c[i].Data
		c[i].Data = bytes.Replace(old, []byte(`"digest":"sha256:`), []byte(`"digest":"sha256:0`), 1)[:len(old)]
		add("manifest-blob-hash-and-graph", "hash-mismatch",
			"the image manifest blob changed (same size) so that it also names an unlisted blob: its bytes are not the listed ones, the graph is not checked, 1 decides",
			bundletest.Build(c))
	}
	{
		m2, blobs2 := image("web", "1.0")
		extra := []byte("listed but not part of the image")
		blobs2[bundle.Digest(extra)] = extra
		m2.Blobs = append(m2.Blobs, bundle.Blob{Digest: bundle.Digest(extra), Size: int64(len(extra)), MediaType: "application/octet-stream", Role: bundle.RoleLayer})
		m2.SortBlobs()
		c := entries(write(m2, blobs2, alice))
		for i := range c {
			if bytes.HasPrefix(c[i].Data, []byte("app layer")) {
				c[i].Data = flip(c[i].Data, 7)
			}
		}
		add("layer-hash-and-unused-blob", "malformed",
			"a layer byte changed and manifest.toml lists a blob the image does not use: the manifests are intact, so the graph is checked and 10 decides over 1",
			bundletest.Build(c))
	}

	// The claims of manifest.toml against the image (bundle.md §3).
	{
		m2, blobs2 := image("web", "1.0")
		m2.Image.Platform = "linux/arm64"
		add("platform-mismatch", "malformed", "image.platform says linux/arm64, the image config says linux/amd64 (signed)", write(m2, blobs2, alice))
	}
	{
		m2, blobs2 := image("web", "1.0")
		m2.Image.Platform = ""
		add("platform-missing", "malformed", "image.platform left out although the image config names linux/amd64 (signed)", write(m2, blobs2, alice))
	}
	const created = "2024-05-06T07:08:09.123456789+02:00"
	cfg := `{"architecture":"amd64","created":"` + created + `","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`
	{
		m2, blobs2 := imageWith("web", "1.0", cfg)
		m2.Image.Created = created
		add("created-fraction-offset", "valid", "the config's created has nanoseconds and +02:00; image.created is that string exactly", write(m2, blobs2, alice))
	}
	{
		m2, blobs2 := imageWith("web", "1.0", cfg)
		m2.Image.Created = "2024-05-06T05:08:09Z"
		add("created-normalised", "malformed", "image.created is the config's time converted to UTC without its fraction, not the config's string (signed)", write(m2, blobs2, alice))
	}
	{
		m2, blobs2 := indexed(1, "linux/amd64")
		add("platforms-index", "valid", "an index root whose image.platforms is its one platform entry", write(m2, blobs2, alice))
		m2.Image.Platforms = []string{"linux/arm64"}
		add("platforms-mismatch", "malformed", "image.platforms says linux/arm64, the index's entry says linux/amd64 (signed)", write(m2, blobs2, alice))
	}

	// Empty fields (bundle.md §3).
	edit := func(from, to string) []byte {
		c := bundletest.Clone(es)
		if !bytes.Contains(c[0].Data, []byte(from)) {
			panic(from)
		}
		c[0].Data = bytes.Replace(c[0].Data, []byte(from), []byte(to), 1)
		return bundletest.Build(c)
	}
	add("empty-tool-version", "malformed", `tool.version = "" (a required string is non-empty)`, edit(`name = "gen-verify"`+"\n"+`version = "1"`+"\n", `name = "gen-verify"`+"\n"+`version = ""`+"\n"))
	add("empty-optional-field", "malformed", `package.created = "" written out (an optional field is absent when empty)`,
		edit("[package]\n", "[package]\n"+`created = ""`+"\n"))

	// The signature entry limit (signatures.md §4.2): 16 KiB + 1.
	{
		c := bundletest.Clone(es)
		last := len(c) - 1
		pad := bytes.Repeat([]byte("x"), 16<<10+1-len(c[last].Data))
		c[last].Data = append(bytes.Clone(c[last].Data), pad...)
		add("signature-entry-over-16k", "malformed", "a signature entry of 16385 bytes, one over the limit", bundletest.Build(c))
	}

	// summary.json is canonical JSON: 1 MiB like every such file (bundle.md §2).
	{
		c := bundletest.Clone(es)
		c[1].Data = bytes.Repeat([]byte(" "), 1<<20+1)
		add("summary-over-1mib", "malformed", "summary.json of 1 MiB + 1 byte (the canonical JSON limit; it used to be 4 MiB)", bundletest.Build(c))
	}

	// Image-graph depth (bundle.md §3): the root is depth 0.
	{
		m2, blobs2 := indexed(8, "")
		add("graph-depth-8", "valid", "eight nested indexes: the image manifest is at depth 8", write(m2, blobs2, alice))
		m2, blobs2 = indexed(9, "")
		add("graph-depth-9", "malformed", "nine nested indexes: the image manifest is at depth 9", write(m2, blobs2, alice))
	}
	return vs
}
