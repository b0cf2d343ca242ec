package archive

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/verify"
)

// pushLog is a RegistryDest whose Push records what it was asked to push
// (lib/archive links no network code; the e2e scripts push to a real
// registry): enough to see that a refused import pushes nothing.
func pushLog(pushed *[]string) *RegistryDest {
	return &RegistryDest{Repo: "registry.invalid/mirror", Push: func(ref string, it *Item) error {
		*pushed = append(*pushed, ref)
		// Read every blob as a pusher does.
		for _, b := range it.Manifest.Blobs {
			rc, err := it.Open(b.Digest)
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				return err
			}
			rc.Close()
		}
		return nil
	}}
}

// flipIn changes one byte of the first occurrence of what in the file p,
// in place (the same file, as a writer changing it under ct would).
func flipIn(t *testing.T, p, what string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(what))
	if i < 0 {
		t.Fatalf("%q not in %s", what, p)
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{b[i] ^ 1}, int64(i)); err != nil {
		t.Fatal(err)
	}
}

// A registry destination reads a plain archive in place: nothing staged,
// every bundle pushed, and the reports those of a staged import.
func TestImportInPlaceRegistry(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k)
	arch := exportTo(t, filepath.Join(dir, "ab.tar"), a, b)
	staged := watchStaging(t)
	var pushed []string
	rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: pushLog(&pushed), Verify: true, Trust: trusting(k), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if *staged != 0 {
		t.Fatalf("%d bytes staged for a registry destination", *staged)
	}
	if strings.Join(pushed, " ") != "registry.invalid/mirror/a:1 registry.invalid/mirror/b:1" {
		t.Fatalf("pushed %v", pushed)
	}
	// The same checks as a staged import into dir:.
	ref, err := Import(ImportOptions{Inputs: []string{arch}, Dest: &DirDest{Path: filepath.Join(dir, "d")}, Verify: true, Trust: trusting(k), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Bundles {
		got, want := rep.Bundles[i].Report, ref.Bundles[i].Report
		if len(got.Checks) != len(want.Checks) || !got.ContentChecked {
			t.Fatalf("in place %+v\nstaged %+v", got.Checks, want.Checks)
		}
		// The same checks with the same outcomes; "blobs" comes last, as
		// from ct verify FILE.
		seen := map[string]bool{}
		for _, c := range want.Checks {
			seen[c.Name+" "+strconv.FormatBool(c.OK)] = true
		}
		for _, c := range got.Checks {
			if !seen[c.Name+" "+strconv.FormatBool(c.OK)] {
				t.Fatalf("in place %+v, staged %+v", got.Checks, want.Checks)
			}
		}
	}
}

// A tampered blob fails the import with code 1 and pushes nothing, with or
// without --no-verify, into a registry or in a dry run; --keep-going pushes
// only the intact bundle.
func TestImportInPlaceTamperedPushesNothing(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k)
	arch := exportTo(t, filepath.Join(dir, "ab.tar"), a, b)
	flipIn(t, arch, "layer b")
	for _, verifyOn := range []bool{true, false} {
		var pushed []string
		_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: pushLog(&pushed), Verify: verifyOn, Trust: trusting(k), Log: io.Discard})
		if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "content has digest") {
			t.Fatalf("verify %v: %v", verifyOn, err)
		}
		if len(pushed) > 0 {
			t.Fatalf("verify %v: pushed %v", verifyOn, pushed)
		}
		rep, err := Import(ImportOptions{Inputs: []string{arch}, DryRun: true, Verify: verifyOn, Trust: trusting(k), Log: io.Discard})
		if exit.CodeOf(err) != exit.HashMismatch || rep.Code != 1 {
			t.Fatalf("dry run, verify %v: %v", verifyOn, err)
		}
	}
	var pushed []string
	rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: pushLog(&pushed), Verify: true, KeepGoing: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.HashMismatch || strings.Join(pushed, " ") != "registry.invalid/mirror/a:1" || rep.Installed != 1 {
		t.Fatalf("keep going: %v, pushed %v", err, pushed)
	}
	if rb := rep.Bundles[1].Report; rb == nil || rb.Valid || rep.Bundles[1].Code != 1 {
		t.Fatalf("bundle b: %+v", rep.Bundles[1])
	}
}

// An untrusted archive pushes nothing and reads no blob (the heads decide).
func TestImportInPlaceUntrustedPushesNothing(t *testing.T) {
	dir := t.TempDir()
	k, other := newKey(t, "alice"), newKey(t, "mallory")
	var pushed []string
	_, err := Import(ImportOptions{Inputs: []string{bigArchive(t, dir, k)}, Dest: pushLog(&pushed), Verify: true, Trust: trusting(other), Log: io.Discard})
	if exit.CodeOf(err) != exit.KeyNotTrusted || len(pushed) > 0 {
		t.Fatalf("%v, pushed %v", err, pushed)
	}
	// Trusted, the same archive is refused as truncated (10) by the
	// structural pass, before anything is pushed.
	_, err = Import(ImportOptions{Inputs: []string{bigArchive(t, dir, k)}, Dest: pushLog(&pushed), Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.Malformed || len(pushed) > 0 {
		t.Fatalf("%v, pushed %v", err, pushed)
	}
}

// A damaged tail, padding or an extra entry is refused in place as when
// staging: the structural pass reads every header and the end.
func TestImportInPlaceStrictTail(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	raw, _ := os.ReadFile(arch)
	for name, mutate := range map[string]func([]byte) []byte{
		"byte after the end": func(b []byte) []byte { return append(b, 0) },
		"cut end marker":     func(b []byte) []byte { return b[:len(b)-512] },
		"padding": func(b []byte) []byte {
			i := bytes.Index(b, []byte("layer a"))
			b[i+len("layer a")+1] = 1
			return b
		},
	} {
		p := filepath.Join(dir, "bad.tar")
		os.WriteFile(p, mutate(append([]byte(nil), raw...)), 0o644)
		var pushed []string
		_, err := Import(ImportOptions{Inputs: []string{p}, Dest: pushLog(&pushed), Verify: true, Trust: trusting(k), Log: io.Discard})
		if exit.CodeOf(err) != exit.Malformed || len(pushed) > 0 {
			t.Fatalf("%s: %v, pushed %v", name, err, pushed)
		}
	}
}

// A cancelled import into a registry stops with "interrupted", pushes
// nothing and leaves no staging folder.
func TestImportInPlaceCancelled(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var pushed []string
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: pushLog(&pushed), Verify: true, Trust: trusting(k), Log: io.Discard, Ctx: ctx})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "interrupted") || len(pushed) > 0 {
		t.Fatalf("%v, pushed %v", err, pushed)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Fatalf("left %v", left)
	}
}

// uploadLog is pushLog with an Upload that reads each blob as a registry
// client does (to its end; the reader's error fails the upload) and
// records the blobs whose upload completed.
func uploadLog(pushed, uploaded *[]string, mu *sync.Mutex) *RegistryDest {
	d := pushLog(pushed)
	d.Upload = func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return err
		}
		mu.Lock()
		*uploaded = append(*uploaded, ref+"@"+b.Digest)
		mu.Unlock()
		return nil
	}
	return d
}

// With an Upload, the layers and configs are hashed while they upload; a
// tampered one is never uploaded whole, the import fails with 1 and no
// manifest is pushed; an intact archive uploads each blob once and then
// pushes.
func TestImportInPlaceUploadTampered(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	arch := exportTo(t, filepath.Join(dir, "a.tar"), a)
	var mu sync.Mutex
	var pushed, uploaded []string
	d := uploadLog(&pushed, &uploaded, &mu)
	push, marked := d.Push, 0
	d.Push = func(ref string, it *Item) error {
		for _, b := range it.Manifest.Blobs {
			if it.Uploaded(b.Digest) { // the pusher skips it
				marked++
			}
		}
		return push(ref, it)
	}
	if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 1 || len(uploaded) != 1 || marked != 1 { // the layer; the root config is read with the manifests
		t.Fatalf("pushed %v, uploaded %v, %d marked uploaded", pushed, uploaded, marked)
	}
	flipIn(t, arch, "layer a")
	pushed, uploaded = nil, nil
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: uploadLog(&pushed, &uploaded, &mu), Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(err.Error(), "content has digest") || len(pushed) > 0 || len(uploaded) > 0 {
		t.Fatalf("%v, pushed %v, uploaded %v", err, pushed, uploaded)
	}
}

// An import interrupted during the uploads stops with "interrupted" and
// pushes no manifest.
func TestImportInPlaceUploadCancelled(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var pushed, uploaded []string
	d := uploadLog(&pushed, &uploaded, &mu)
	inner := d.Upload
	d.Upload = func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
		cancel() // Ctrl-C while the first blob uploads
		return inner(ref, b, open)
	}
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard, Ctx: ctx})
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "interrupted") || len(pushed) > 0 || len(uploaded) > 0 {
		t.Fatalf("%v, pushed %v, uploaded %v", err, pushed, uploaded)
	}
}

// A registry error during the uploads ends the import with it, and no
// manifest is pushed.
func TestImportInPlaceUploadRegistryError(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	var pushed []string
	d := pushLog(&pushed)
	d.Upload = func(string, bundle.Blob, func() (io.ReadCloser, error)) error {
		return exit.New(exit.Network, "the registry refused the upload")
	}
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.Network || len(pushed) > 0 {
		t.Fatalf("%v, pushed %v", err, pushed)
	}
}

// FuzzLocate: reading an archive in place (the structural pass, then the
// ct verify checks on each bundle laid out over it, with the content
// hashed in place) never panics and classifies every rejection with a
// reader code, as staging does; what it accepts, staging accepts.
func FuzzLocate(f *testing.F) {
	good := exportOne(f, false)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(bundletest.EditPadding(good, IndexName, 'X'))
	f.Add(good[:len(good)-512])
	f.Add(append(bytes.Clone(good), make([]byte, 512)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		heads, err := ReadHeads(r, "fuzz.tar")
		if err == nil && !heads.Zstd {
			r.Seek(0, io.SeekStart)
			var st *Staged
			if st, err = StageWith(r, "fuzz.tar", "", StageOptions{Heads: heads, Locate: true}); err == nil {
				res := make([]BundleResult, len(st.Items))
				for i := range res {
					res[i].Valid = true
				}
				var failed error
				_, err = verifyAllInPlace(context.Background(), st.Items, res, verify.Options{}, false, false, nil,
					func(i int, vr *verify.Report, e error) { failed = e })
				if err == nil {
					err = failed
				}
				if err == nil {
					if _, serr := Stage(bytes.NewReader(data), "fuzz.tar", t.TempDir()); serr != nil {
						t.Fatalf("accepted in place, refused staged: %v", serr)
					}
				}
			}
		}
		if err == nil {
			return
		}
		switch c := exit.CodeOf(err); c {
		case exit.Malformed, exit.HashMismatch, exit.IO:
		default:
			t.Fatalf("code %d: %v", c, err)
		}
	})
}
