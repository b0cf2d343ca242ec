// Command mkbig writes a large, deterministic OCI image layout for the
// benchmarks in bench/: one image, tagged "big" by default, whose layers
// together hold -size bytes of incompressible content (a ChaCha8 keystream
// from a fixed seed). Layers are written streaming (never held in memory),
// hashed while written, and produced in parallel, one goroutine per core.
//
//	go run ./cmd/mkbig -size 1GiB -layers 8 -out DIR
//
// The layers are labelled application/vnd.oci.image.layer.v1.tar+gzip although
// they are random bytes: ct never decompresses a layer. The same flags always
// give byte-identical blobs.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	mtLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtIndex    = "application/vnd.oci.image.index.v1+json"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func main() {
	sizeFlag := flag.String("size", "1GiB", "total layer bytes: N, or N with a suffix KiB, MiB, GiB, TiB (or KB, MB, GB, TB)")
	layers := flag.Int("layers", 8, "number of layers (the size is split evenly)")
	out := flag.String("out", "", "the OCI layout directory to write (must not exist, or be empty)")
	tag := flag.String("tag", "big", "the tag in index.json")
	seed := flag.Uint64("seed", 1, "seed of the keystream (same seed, same blobs)")
	jobs := flag.Int("j", runtime.GOMAXPROCS(0), "layers written in parallel")
	quiet := flag.Bool("q", false, "print nothing but errors")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkbig -size 1GiB -layers 8 -out DIR [-tag big] [-seed 1] [-j N] [-q]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 0 || *layers < 1 || *jobs < 1 {
		flag.Usage()
		os.Exit(64)
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbig: error:", err)
		os.Exit(64)
	}
	if size < int64(*layers) {
		fmt.Fprintln(os.Stderr, "mkbig: error: -size must be at least -layers bytes")
		os.Exit(64)
	}
	start := time.Now()
	if err := run(*out, size, *layers, *tag, *seed, *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "mkbig: error:", err)
		os.Exit(1)
	}
	if !*quiet {
		d := time.Since(start)
		fmt.Fprintf(os.Stderr, "mkbig: wrote %d bytes in %d layers to %s in %.2fs (%.0f MB/s)\n",
			size, *layers, *out, d.Seconds(), float64(size)/d.Seconds()/1e6)
		fmt.Printf("oci:%s:%s\n", *out, *tag)
	}
}

// parseSize reads "4GiB", "512MiB", "1GB", "1000".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		// In this order, "GiB" is tried before "GB" and "B".
		if strings.HasSuffix(strings.ToLower(num), strings.ToLower(u.suffix)) {
			num = strings.TrimSpace(num[:len(num)-len(u.suffix)])
			mult = u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 1GiB, 512MiB, 1000000)", s)
	}
	v := n * float64(mult)
	if v > 1<<50 {
		return 0, fmt.Errorf("size %q too large", s)
	}
	return int64(v), nil
}

func run(dir string, size int64, layers int, tag string, seed uint64, jobs int) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s exists and is not empty", dir)
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}

	// Layers: split evenly, the first ones take the remainder.
	descs := make([]descriptor, layers)
	errs := make([]error, layers)
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(jobs, layers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				n := size / int64(layers)
				if int64(i) < size%int64(layers) {
					n++
				}
				descs[i], errs[i] = writeLayer(blobs, i, n, seed)
			}
		}()
	}
	for i := range layers {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	diffIDs := make([]string, layers)
	for i, d := range descs {
		// ct never decompresses; the layer digests stand in for the diff IDs.
		diffIDs[i] = d.Digest
	}
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      "2024-01-01T00:00:00Z",
		"config":       map[string]any{"Cmd": []string{"/bin/true"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      []map[string]any{{"created": "2024-01-01T00:00:00Z", "created_by": fmt.Sprintf("mkbig -size %d -layers %d -seed %d", size, layers, seed)}},
	}
	cfgDesc, err := writeJSON(blobs, mtConfig, config)
	if err != nil {
		return err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtManifest,
		"config":        cfgDesc,
		"layers":        descs,
	}
	manDesc, err := writeJSON(blobs, mtManifest, manifest)
	if err != nil {
		return err
	}
	manDesc.Annotations = map[string]string{"org.opencontainers.image.ref.name": tag}
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtIndex,
		"manifests":     []descriptor{manDesc},
	}
	ib, err := json.Marshal(index)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), ib, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// writeLayer streams n keystream bytes to a temporary file, hashing them on
// the way, then renames the file to its digest.
func writeLayer(blobs string, i int, n int64, seed uint64) (descriptor, error) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], seed)
	binary.LittleEndian.PutUint64(key[8:], uint64(i))
	copy(key[16:], "ct-bench-mkbig!!")
	src := rand.NewChaCha8(key)

	f, err := os.CreateTemp(blobs, fmt.Sprintf(".layer%d-*", i))
	if err != nil {
		return descriptor{}, err
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	left := n
	for left > 0 {
		b := buf[:min(int64(len(buf)), left)]
		src.Read(b) // never fails
		h.Write(b)
		if _, err := f.Write(b); err != nil {
			f.Close()
			os.Remove(f.Name())
			return descriptor{}, err
		}
		left -= int64(len(b))
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return descriptor{}, err
	}
	return rename(f.Name(), blobs, h, mtLayer, n)
}

func writeJSON(blobs, mediaType string, v any) (descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, err
	}
	f, err := os.CreateTemp(blobs, ".json-*")
	if err != nil {
		return descriptor{}, err
	}
	h := sha256.New()
	w := bufio.NewWriter(io.MultiWriter(f, h))
	w.Write(b)
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		os.Remove(f.Name())
		return descriptor{}, err
	}
	return rename(f.Name(), blobs, h, mediaType, int64(len(b)))
}

func rename(tmp, blobs string, h hash.Hash, mediaType string, n int64) (descriptor, error) {
	hexd := hex.EncodeToString(h.Sum(nil))
	// CreateTemp makes 0600 files; a layout's blobs are world-readable.
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return descriptor{}, err
	}
	if err := os.Rename(tmp, filepath.Join(blobs, hexd)); err != nil {
		os.Remove(tmp)
		return descriptor{}, err
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hexd, Size: n}, nil
}
