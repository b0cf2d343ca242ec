package archive

import (
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Two archives that both carry a blob (here a layer two bundles share):
// each bundle is laid out over its own archive's copy, so each copy is
// hashed. Hashing one copy per digest let bundle a, over a damaged copy,
// pass unread (VALID in a dry run) on the strength of b's intact copy,
// and failed b for a's damage when the order was the other way.
func TestImportInPlaceSameBlobTwoArchives(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "shared layer"), k)
	b := signFile(t, makeBundle(t, dir, "b", "shared layer"), k)
	archA := exportTo(t, filepath.Join(dir, "a.tar"), a)
	archB := exportTo(t, filepath.Join(dir, "b.tar"), b)
	flipIn(t, archA, "shared layer")
	for _, inputs := range [][]string{{archA, archB}, {archB, archA}} {
		for _, verifyOn := range []bool{true, false} {
			rep, err := Import(ImportOptions{Inputs: inputs, DryRun: true, KeepGoing: true, Verify: verifyOn, Trust: trusting(k), Log: io.Discard})
			if exit.CodeOf(err) != exit.HashMismatch {
				t.Fatalf("dry run %v, verify %v: %v", inputs, verifyOn, err)
			}
			for _, br := range rep.Bundles {
				if br.Valid && br.Name == "a" {
					t.Errorf("dry run %v, verify %v: bundle a reported valid over a damaged copy", inputs, verifyOn)
				}
			}
			var pushed []string
			_, err = Import(ImportOptions{Inputs: inputs, Dest: pushLog(&pushed), KeepGoing: true, Verify: verifyOn, Trust: trusting(k), Log: io.Discard})
			if exit.CodeOf(err) != exit.HashMismatch || len(pushed) != 1 || pushed[0] != "registry.invalid/mirror/b:1" {
				t.Errorf("registry %v, verify %v: %v, pushed %v", inputs, verifyOn, err, pushed)
			}
			// A registry that already has every blob: nothing is read
			// while uploading, so ct hashes each copy itself.
			pushed = nil
			d := pushLog(&pushed)
			d.Upload = func(string, bundle.Blob, func() (io.ReadCloser, error)) error { return nil }
			_, err = Import(ImportOptions{Inputs: inputs, Dest: d, KeepGoing: true, Verify: verifyOn, Trust: trusting(k), Log: io.Discard})
			if exit.CodeOf(err) != exit.HashMismatch || len(pushed) != 1 || pushed[0] != "registry.invalid/mirror/b:1" {
				t.Errorf("registry has the blobs %v, verify %v: %v, pushed %v", inputs, verifyOn, err, pushed)
			}
		}
	}
}

// Trust is decided before any upload: with an Upload set (the real
// registry path, not pushLog's), an archive signed by an untrusted key, or
// one whose manifest blob (read in the first pass) is damaged, opens no
// blob for upload and pushes nothing, without --keep-going and with it.
func TestImportInPlaceNothingUploadedBeforeTrust(t *testing.T) {
	dir := t.TempDir()
	k, other := newKey(t, "alice"), newKey(t, "mallory")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	bad := exportTo(t, filepath.Join(dir, "bad.tar"), signFile(t, makeBundle(t, dir, "b", "layer b"), k))
	flipIn(t, bad, `"schemaVersion"`) // the image manifest blob
	for _, tc := range []struct {
		name  string
		in    string
		trust *keys.PrivateKey
		code  exit.Code
	}{{"untrusted", arch, other, exit.KeyNotTrusted}, {"damaged manifest", bad, k, exit.HashMismatch}} {
		for _, keepGoing := range []bool{false, true} {
			var pushed []string
			d := pushLog(&pushed)
			opened := countUploads(d)
			_, err := Import(ImportOptions{Inputs: []string{tc.in}, Dest: d, Verify: true, KeepGoing: keepGoing, Trust: trusting(tc.trust), Log: io.Discard})
			if exit.CodeOf(err) != tc.code || *opened != 0 || len(pushed) != 0 {
				t.Fatalf("%s, keep going %v: %v (exit %d), %d uploads opened, pushed %v", tc.name, keepGoing, err, exit.CodeOf(err), *opened, pushed)
			}
		}
	}
}

// Without --keep-going, a bundle that fails a check other than its
// content (here its image manifest blob is damaged) refuses the import,
// so the other bundle uploads nothing either: no orphan blobs for an
// import already refused. With --keep-going the intact one uploads and
// is pushed.
func TestImportInPlaceRefusedImportUploadsNothing(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k)
	arch := exportTo(t, filepath.Join(dir, "ab.tar"), a, b)
	flipIn(t, arch, `"schemaVersion"`) // one bundle's image manifest blob
	for _, keepGoing := range []bool{false, true} {
		var pushed []string
		d := pushLog(&pushed)
		opened := countUploads(d)
		rep, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, KeepGoing: keepGoing, Trust: trusting(k), Log: io.Discard})
		if exit.CodeOf(err) != exit.HashMismatch {
			t.Fatalf("keep going %v: %v", keepGoing, err)
		}
		valid := 0
		for _, br := range rep.Bundles {
			if br.Valid {
				valid++
			}
		}
		if !keepGoing && (*opened != 0 || len(pushed) != 0 || valid != 1) {
			t.Fatalf("refused import: %d uploads opened, pushed %v, %d valid", *opened, pushed, valid)
		}
		if keepGoing && (*opened == 0 || len(pushed) != 1 || valid != 1) {
			t.Fatalf("keep going: %d uploads opened, pushed %v, %d valid", *opened, pushed, valid)
		}
	}
}

// A zero-byte layer read in place: hashed (to the empty digest), uploaded
// and pushed like any other; the dry run agrees.
func TestImportInPlaceZeroByteLayer(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "e.tar"), signFile(t, makeBundle(t, dir, "e", ""), k))
	if _, err := Import(ImportOptions{Inputs: []string{arch}, DryRun: true, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	var mu sync.Mutex
	var pushed, uploaded []string
	if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: uploadLog(&pushed, &uploaded, &mu), Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 1 || len(uploaded) != 1 || !strings.HasSuffix(uploaded[0], "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
		t.Fatalf("pushed %v, uploaded %v", pushed, uploaded)
	}
}

// countUploads sets d.Upload to read every blob it is given, as an
// uploader does, and returns the count of uploads opened.
func countUploads(d *RegistryDest) *int {
	var mu sync.Mutex
	opened := new(int)
	d.Upload = func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
		mu.Lock()
		*opened++
		mu.Unlock()
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}
	return opened
}
