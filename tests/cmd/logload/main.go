// Command logload is bench/log.sh's load generator for ct-log serve.
//
//	logload gen -dir DIR -n N            write N distinct ct leaves, one per file (leaf-NNNNNN)
//	logload keygen -origin O -skey F -vkey F   a note key pair (for Tessera's posix-oneshot)
//	logload add -url URL -dir DIR -c C   POST every leaf of DIR to URL/add with C workers, then
//	                                     wait for a checkpoint that covers them; prints
//	                                     "entries N seconds S per_second R retries_429 K
//	                                     sequenced_per_second R2" (R2: until every POST
//	                                     was answered, before the checkpoint)
//
// add checks what it measures: every answer is 200 with an index, the
// indexes are distinct, and the final checkpoint's size is at least N.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/tlog"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: logload gen|keygen|add [flags]"))
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "", "leaf folder")
	n := fs.Int("n", 4000, "leaves to generate")
	origin := fs.String("origin", "", "log origin (keygen)")
	skey := fs.String("skey", "", "private note key file (keygen)")
	vkey := fs.String("vkey", "", "verifier note key file (keygen)")
	url := fs.String("url", "", "log base URL (add)")
	c := fs.Int("c", 64, "concurrent requests (add)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(*dir, *n)
	case "keygen":
		var s, v string
		if s, v, err = note.GenerateKey(rand.Reader, *origin); err == nil {
			if err = os.WriteFile(*skey, []byte(s), 0o600); err == nil {
				err = os.WriteFile(*vkey, []byte(v), 0o644)
			}
		}
	case "add":
		err = add(strings.TrimSuffix(*url, "/"), *dir, *c)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "logload:", err)
	os.Exit(1)
}

func gen(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range n {
		l := &tlog.Leaf{Suite: "CT-SIG-01", Signature: make([]byte, 64)}
		rand.Read(l.Signature)
		rand.Read(l.Fingerprint[:])
		rand.Read(l.ManifestDigest[:])
		data, err := l.Encode()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("leaf-%06d", i)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func add(base, dir string, workers int) error {
	files, err := filepath.Glob(filepath.Join(dir, "leaf-*"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no leaves in %s: %v", dir, err)
	}
	leaves := make([][]byte, len(files))
	for i, f := range files {
		if leaves[i], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: time.Minute}
	idx := make([]uint64, len(leaves))
	jobs := make(chan int)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		retries int
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				for {
					resp, err := client.Post(base+"/add", "application/octet-stream", bytes.NewReader(leaves[i]))
					if err != nil {
						mu.Lock()
						first = errors.Join(first, err)
						mu.Unlock()
						break
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusTooManyRequests {
						mu.Lock()
						retries++
						mu.Unlock()
						time.Sleep(50 * time.Millisecond)
						continue
					}
					v, perr := strconv.ParseUint(strings.TrimSuffix(string(b), "\n"), 10, 64)
					if resp.StatusCode != 200 || perr != nil {
						mu.Lock()
						first = errors.Join(first, fmt.Errorf("%s: %d %q", files[i], resp.StatusCode, b))
						mu.Unlock()
					}
					idx[i] = v
					break
				}
			}
		})
	}
	for i := range leaves {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	sequenced := time.Since(start).Seconds()
	if first != nil {
		return first
	}
	sorted := append([]uint64(nil), idx...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return fmt.Errorf("index %d given twice", sorted[i])
		}
	}
	// Wait for a checkpoint that covers every entry, as posix-oneshot does.
	want := sorted[len(sorted)-1] + 1
	for {
		resp, err := client.Get(base + "/checkpoint")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lines := strings.SplitN(string(b), "\n", 3)
		if len(lines) == 3 {
			if size, err := strconv.ParseUint(lines[1], 10, 64); err == nil && size >= want {
				break
			}
		}
		if time.Since(start) > 10*time.Minute {
			return errors.New("no checkpoint covers the entries after 10 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := time.Since(start).Seconds()
	fmt.Printf("entries %d seconds %.3f per_second %.0f retries_429 %d sequenced_per_second %.0f\n",
		len(leaves), d, float64(len(leaves))/d, retries, float64(len(leaves))/sequenced)
	return nil
}
