package harness

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// Tags written by BuildImages, in a fixed order.
const (
	TagMulti  = "multi"
	TagIndex  = "index"
	TagZstd   = "zstd"
	TagDocker = "docker"
)

// Tags lists every tag BuildImages writes.
var Tags = []string{TagMulti, TagIndex, TagZstd, TagDocker}

// ImageInfo describes one tagged root in the layout written by BuildImages.
type ImageInfo struct {
	Tag       string
	Digest    string // root manifest/index digest, "sha256:…"
	MediaType string // root media type
	Platforms []string
}

// Created is the fixed creation time used in every config and history entry.
var Created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildImages writes one OCI image layout at dir holding the four test
// images, tagged via org.opencontainers.image.ref.name annotations:
//
//	multi  – OCI image, 3 gzip layers, linux/amd64
//	index  – OCI index of linux/amd64 and linux/arm64/v8 images (2 gzip layers each)
//	zstd   – OCI image: one gzip layer and one tar+zstd layer, linux/amd64
//	docker – Docker schema 2 manifest, Docker config and gzip layer types, linux/amd64
//
// The output depends only on the code (no clock, randomness or network):
// tars have mtime 0, gzip has an empty header (no name, mtime 0) and zstd
// uses a single-threaded EncodeAll. Compressed bytes are fixed for a given
// Go toolchain and klauspost/compress version; a different compress/flate
// implementation could change layer digests, never two builds by one binary.
// dir must not exist yet or be empty.
func BuildImages(dir string) (map[string]ImageInfo, error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("harness: BuildImages: %s is not empty", dir)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, err
	}
	out := map[string]ImageInfo{}
	ref := func(tag string) layout.Option {
		return layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})
	}

	// multi
	multi, err := buildImage(imageSpec{
		os: "linux", arch: "amd64", oci: true,
		cmd: []string{"/bin/app", "--serve"},
		env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_MODE=test"},
		layers: []layerSpec{
			{name: "base", files: []file{{"etc/os-release", "ID=cerro\nVERSION_ID=1\n"}, {"etc/hostname", "torre\n"}}},
			{name: "app", files: []file{{"bin/app", "#!/bin/sh\necho app\n"}, {"usr/share/app/data.txt", "alpha\nbeta\ngamma\n"}}},
			{name: "cfg", files: []file{{"etc/app/app.conf", "listen = 8080\n"}, {"var/lib/app/.keep", ""}, {"etc/hostname", "torre-2\n"}}},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := p.AppendImage(multi, ref(TagMulti)); err != nil {
		return nil, err
	}
	if out[TagMulti], err = imageInfo(TagMulti, multi, "linux/amd64"); err != nil {
		return nil, err
	}

	// index
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var plats []string
	for _, pl := range []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
	} {
		pstr := platformString(pl)
		img, err := buildImage(imageSpec{
			os: pl.OS, arch: pl.Architecture, variant: pl.Variant, oci: true,
			cmd: []string{"/bin/hello"},
			env: []string{"PLATFORM=" + pstr},
			layers: []layerSpec{
				{name: "base-" + pl.Architecture, files: []file{{"etc/arch", pstr + "\n"}}},
				{name: "bin-" + pl.Architecture, files: []file{{"bin/hello", "hello from " + pstr + "\n"}}},
			},
		})
		if err != nil {
			return nil, err
		}
		pl := pl
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &pl},
		})
		plats = append(plats, pstr)
	}
	if err := p.AppendIndex(idx, ref(TagIndex)); err != nil {
		return nil, err
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	out[TagIndex] = ImageInfo{Tag: TagIndex, Digest: d.String(), MediaType: string(types.OCIImageIndex), Platforms: plats}

	// zstd
	zimg, err := buildImage(imageSpec{
		os: "linux", arch: "amd64", oci: true,
		cmd: []string{"/bin/z"},
		layers: []layerSpec{
			{name: "gz", files: []file{{"etc/compression", "gzip\n"}}},
			{name: "zst", zstd: true, files: []file{{"bin/z", "zstd layer payload\n"}, {"usr/share/z/README", "compressed with zstd\n"}}},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := p.AppendImage(zimg, ref(TagZstd)); err != nil {
		return nil, err
	}
	if out[TagZstd], err = imageInfo(TagZstd, zimg, "linux/amd64"); err != nil {
		return nil, err
	}

	// docker
	dimg, err := buildImage(imageSpec{
		os: "linux", arch: "amd64", oci: false,
		cmd: []string{"/bin/docker-app"},
		env: []string{"FORMAT=docker-v2s2"},
		layers: []layerSpec{
			{name: "d1", files: []file{{"etc/format", "docker\n"}}},
			{name: "d2", files: []file{{"bin/docker-app", "#!/bin/sh\necho docker\n"}}},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := p.AppendImage(dimg, ref(TagDocker)); err != nil {
		return nil, err
	}
	if out[TagDocker], err = imageInfo(TagDocker, dimg, "linux/amd64"); err != nil {
		return nil, err
	}
	return out, nil
}

// SortedTags returns the tags of images in a stable order.
func SortedTags(images map[string]ImageInfo) []string {
	tags := make([]string, 0, len(images))
	for t := range images {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func imageInfo(tag string, img v1.Image, platform string) (ImageInfo, error) {
	d, err := img.Digest()
	if err != nil {
		return ImageInfo{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return ImageInfo{}, err
	}
	return ImageInfo{Tag: tag, Digest: d.String(), MediaType: string(mt), Platforms: []string{platform}}, nil
}

type file struct{ path, content string }

type layerSpec struct {
	name  string
	zstd  bool
	files []file
}

type imageSpec struct {
	os, arch, variant string
	oci               bool
	cmd, env          []string
	layers            []layerSpec
}

func buildImage(s imageSpec) (v1.Image, error) {
	cfg := &v1.ConfigFile{
		Created:      v1.Time{Time: Created},
		Architecture: s.arch,
		OS:           s.os,
		Variant:      s.variant,
		Config: v1.Config{
			Cmd:        s.cmd,
			Env:        s.env,
			WorkingDir: "/",
			Labels:     map[string]string{"org.opencontainers.image.title": "ct-test"},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, err
	}
	var adds []mutate.Addendum
	for _, ls := range s.layers {
		l, err := newLayer(ls, s.oci)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{
			Layer: l,
			History: v1.History{
				Created:   v1.Time{Time: Created},
				CreatedBy: "ct-test-harness layer " + ls.name,
			},
		})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, err
	}
	if s.oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	} else {
		img = mutate.MediaType(img, types.DockerManifestSchema2)
		img = mutate.ConfigMediaType(img, types.DockerConfigJSON)
	}
	return noArtifactType{img}, nil
}

// noArtifactType stops partial.Descriptor (ggcr >= 0.21) from writing
// "artifactType": "<config media type>" into descriptors of plain images
// (layout index.json entries and image-index children). skopeo 1.9.3's
// image-spec does not know the field, drops it when re-serializing the
// index, sees different bytes and refuses `copy --all --preserve-digests`
// with "Manifest list must be converted to type
// application/vnd.oci.image.index.v1+json ... Instructed to preserve digests".
type noArtifactType struct{ v1.Image }

func (noArtifactType) ArtifactType() (string, error) { return "", nil }

// deterministicTar writes a ustar archive of files (and their parent
// directories) with mtime 0, uid/gid 0 and fixed modes.
func deterministicTar(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	seen := map[string]bool{}
	for _, f := range files {
		var dirs []string
		for d := filepath.Dir(f.path); d != "." && d != "/"; d = filepath.Dir(d) {
			dirs = append([]string{d}, dirs...)
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := tw.WriteHeader(&tar.Header{
				Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatUSTAR,
			}); err != nil {
				return nil, err
			}
		}
		mode := int64(0o644)
		if filepath.Dir(f.path) == "bin" {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: f.path, Mode: mode, Size: int64(len(f.content)),
			ModTime: epoch, Format: tar.FormatUSTAR,
		}); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, f.content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// Header left zero: no Name, no Comment, ModTime zero => MTIME field 0.
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zstdBytes(b []byte) ([]byte, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(true),
		zstd.WithSingleSegment(true),
	)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil), nil
}

func newLayer(ls layerSpec, oci bool) (v1.Layer, error) {
	raw, err := deterministicTar(ls.files)
	if err != nil {
		return nil, err
	}
	var comp []byte
	var mt types.MediaType
	switch {
	case ls.zstd:
		if !oci {
			return nil, fmt.Errorf("harness: zstd layer %q in a Docker image", ls.name)
		}
		comp, err = zstdBytes(raw)
		mt = types.OCILayerZStd
	case oci:
		comp, err = gzipBytes(raw)
		mt = types.OCILayer
	default:
		comp, err = gzipBytes(raw)
		mt = types.DockerLayer
	}
	if err != nil {
		return nil, err
	}
	return newBlobLayer(comp, raw, mt)
}
