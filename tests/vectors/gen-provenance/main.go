// Command gen-provenance writes the SLSA provenance vectors in
// tests/vectors/provenance (docs/spec/provenance.md). Run it from the tests
// module:
//
//	cd tests && go run ./vectors/gen-provenance
//
// The predicates below are written from the specification as maps and
// literal strings: nothing here calls lib/provenance, so the vectors test it
// instead of echoing it. (manifest.toml is encoded with lib/bundle, whose own
// vectors are elsewhere.)
//
// Each vector NAME.txtar has a comment of header lines
//
//	expect: built | accepted | malformed
//	reason: <one line>
//	field: <the predicate field the error names>       (malformed only)
//	epoch: <SOURCE_DATE_EPOCH>                          (built, when set)
//	all-platforms: true                                 (built, when given)
//	keep-docker-format: true                            (built, when given)
//	mentions: <text the error must contain>             (malformed; repeatable:
//	                                                     the predicate's and manifest.toml's values)
//
// and the files manifest.toml (the bundle's, canonical) and predicate.json.
// Meaning: built → provenance.Build(manifest, options) returns predicate.json
// byte for byte and provenance.Check accepts it; accepted → Check accepts it
// (another producer's valid encoding); malformed → Check rejects it with
// exit code 10 (malformed) and an error naming field and every mentions.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/rogpeppe/go-internal/txtar"
)

type obj = map[string]any

type vector struct {
	name, expect, reason, field string
	headers                     []string // extra header lines (epoch, flags)
	manifest                    *bundle.Manifest
	predicate                   []byte
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

func hexOf(d string) string { return strings.TrimPrefix(d, "sha256:") }

const (
	ref      = "registry.example:5000/apps/web:1.0"
	mtManif  = "application/vnd.oci.image.manifest.v1+json"
	mtIndex  = "application/vnd.oci.image.index.v1+json"
	mtConfig = "application/vnd.oci.image.config.v1+json"
	mtLayer  = "application/vnd.oci.image.layer.v1.tar+gzip"
	version  = "0.3.0"
)

var (
	dIndex    = digest("index")
	dManifest = digest("manifest")
	dConfig   = digest("config")
	dLayer    = digest("layer")
	dDocker   = digest("docker manifest")
)

func base(created string) *bundle.Manifest {
	m := &bundle.Manifest{
		Format:  1,
		Package: bundle.Package{Name: "web", Version: "1.0", Created: created},
		Source: bundle.Source{Reference: ref, Transport: "docker", Registry: "registry.example:5000",
			Repository: "apps/web", Tag: "1.0", Digest: dIndex},
		Image: bundle.Image{Digest: dManifest, MediaType: mtManif, Size: 500, Config: dConfig, Platform: "linux/amd64"},
		Tool:  bundle.Tool{Name: "ct-pack", Version: version},
		Blobs: []bundle.Blob{
			{Digest: dManifest, Size: 500, MediaType: mtManif, Role: bundle.RoleManifest},
			{Digest: dConfig, Size: 300, MediaType: mtConfig, Role: bundle.RoleConfig},
			{Digest: dLayer, Size: 1000, MediaType: mtLayer, Role: bundle.RoleLayer},
		},
	}
	m.SortBlobs()
	return m
}

func index() *bundle.Manifest {
	m := base("")
	m.Image = bundle.Image{Digest: dIndex, MediaType: mtIndex, Size: 700, Platforms: []string{"linux/amd64", "linux/arm64/v8"}}
	m.Blobs = append(m.Blobs, bundle.Blob{Digest: dIndex, Size: 700, MediaType: mtIndex, Role: bundle.RoleIndex})
	m.SortBlobs()
	return m
}

func converted() *bundle.Manifest {
	m := base("")
	m.Source.Digest = dDocker
	m.Image.SourceDigest = dDocker
	return m
}

// predicate is the predicate ct pack must write for m, built from the
// specification's field table (docs/spec/provenance.md §3).
func predicate(m *bundle.Manifest, ts string, all, keep bool) obj {
	ext := obj{"source": m.Source.Reference, "allPlatforms": all, "keepDockerFormat": keep}
	if m.Image.Platform != "" {
		ext["platform"] = m.Image.Platform
	}
	if len(m.Image.Platforms) > 0 {
		ext["platforms"] = m.Image.Platforms
	}
	internal := obj{"tool": m.Tool.Name, "version": m.Tool.Version}
	if m.Image.SourceDigest != "" {
		internal["dockerConversion"] = obj{"sourceDigest": m.Image.SourceDigest, "digest": m.Image.Digest}
	}
	run := obj{"builder": obj{"id": "https://cerro-torre.dev/ct-pack", "version": obj{"ct": m.Tool.Version}}}
	if ts != "" {
		run["metadata"] = obj{"startedOn": ts, "finishedOn": ts}
	}
	return obj{
		"buildDefinition": obj{
			"buildType":          "https://cerro-torre.dev/ct-pack/v1",
			"externalParameters": ext,
			"internalParameters": internal,
			"resolvedDependencies": []any{
				obj{"uri": m.Source.Reference, "digest": obj{"sha256": hexOf(m.Source.Digest)}},
			},
		},
		"runDetails": run,
	}
}

// encode is canonical JSON for these documents: encoding/json sorts map
// keys, and no string here holds a character RFC 8785 writes differently.
func encode(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		log.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// edit returns a copy of p with the member at path (dot-separated; a number
// indexes an array) set to v, or deleted when v is del.
type deleted struct{}

var del = deleted{}

func edit(p obj, path string, v any) obj {
	var c obj
	if err := json.Unmarshal(encode(p), &c); err != nil {
		log.Fatal(err)
	}
	parts := strings.Split(path, ".")
	var cur any = c
	for _, k := range parts[:len(parts)-1] {
		switch x := cur.(type) {
		case obj:
			cur = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			cur = x[i]
		}
	}
	last := parts[len(parts)-1]
	o := cur.(obj)
	if v == del {
		delete(o, last)
	} else {
		o[last] = v
	}
	return c
}

func main() {
	out := flag.String("out", "vectors/provenance", "directory to write the vectors to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(*out, "*.txtar"))
	for _, f := range old {
		os.Remove(f)
	}
	for _, v := range vectors() {
		mb, err := v.manifest.Encode()
		if err != nil {
			log.Fatalf("%s: %v", v.name, err)
		}
		hdr := []string{"expect: " + v.expect, "reason: " + v.reason}
		if v.field != "" {
			hdr = append(hdr, "field: "+v.field)
		}
		hdr = append(hdr, v.headers...)
		a := &txtar.Archive{
			Comment: []byte(strings.Join(hdr, "\n") + "\n"),
			Files: []txtar.File{
				{Name: "manifest.toml", Data: mb},
				{Name: "predicate.json", Data: append(append([]byte(nil), v.predicate...), '\n')},
			},
		}
		if err := os.WriteFile(filepath.Join(*out, v.name+".txtar"), txtar.Format(a), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonIndent(v any) []byte {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		log.Fatal(err)
	}
	return b
}
