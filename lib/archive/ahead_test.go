package archive

import (
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// aheadLike is a RegistryDest.Ahead as lib/archive/registrydest's (which
// lib/archive cannot import: it links network code): the bundle's blobs
// of the blob API (here its config and layer) and a blob the pusher makes
// (here manifest.toml, as the bundle artifact carries it).
func aheadLike(it *Item) []AheadBlob {
	var out []AheadBlob
	for _, b := range it.Manifest.Blobs {
		if b.Role == bundle.RoleConfig || b.Role == bundle.RoleLayer {
			out = append(out, AheadBlob{Blob: b})
		}
	}
	m := it.ManifestBytes
	return append(out, AheadBlob{Blob: bundle.Blob{Digest: Digest(m), Size: int64(len(m)), MediaType: "application/vnd.cerro-torre.manifest.v1+toml"}, Data: m})
}

// With Ahead, the root config (read and hashed by the verifier) and the
// pusher's own blobs are uploaded in the same phase as the layers, each
// once and hashed as it is sent, and Push finds all of them marked
// uploaded; Push runs only after every upload ended.
func TestImportAheadUploadedWithLayers(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	var mu sync.Mutex
	var pushed, uploaded []string
	d := uploadLog(&pushed, &uploaded, &mu)
	d.Ahead = aheadLike
	push := d.Push
	var atPush []string
	var marked []string
	d.Push = func(ref string, it *Item) error {
		mu.Lock()
		atPush = append([]string(nil), uploaded...)
		mu.Unlock()
		for _, a := range aheadLike(it) {
			if it.Uploaded(a.Blob.Digest) {
				marked = append(marked, a.Blob.Digest)
			}
		}
		return push(ref, it)
	}
	if _, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 1 || len(uploaded) != 3 || len(atPush) != 3 || len(marked) != 3 {
		t.Fatalf("pushed %v, uploaded %v (%d before the push), marked %v", pushed, uploaded, len(atPush), marked)
	}
	sort.Strings(uploaded)
	for i := 1; i < len(uploaded); i++ {
		if uploaded[i] == uploaded[i-1] {
			t.Fatalf("uploaded twice: %s", uploaded[i])
		}
	}
}

// A tampered layer fails the import with 1 whatever was uploaded ahead:
// nothing is pushed (no manifest, tag or bundle artifact).
func TestImportAheadTamperedLayerPushesNothing(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	flipIn(t, arch, "layer a")
	var mu sync.Mutex
	var pushed, uploaded []string
	d := uploadLog(&pushed, &uploaded, &mu)
	d.Ahead = aheadLike
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.HashMismatch || len(pushed) > 0 {
		t.Fatalf("%v, pushed %v", err, pushed)
	}
	for _, u := range uploaded {
		if strings.HasSuffix(u, Digest([]byte("layer a"))) {
			t.Fatalf("the tampered layer was uploaded whole: %v", uploaded)
		}
	}
}

// A blob the verifier read and found matching, changed in the archive
// before it is uploaded ahead: its upload is not committed, the bundle
// fails with 1 (the archive changed) and nothing is pushed.
func TestImportAheadChangedAfterVerifyPushesNothing(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	arch := exportTo(t, filepath.Join(dir, "a.tar"), signFile(t, makeBundle(t, dir, "a", "layer a"), k))
	var mu sync.Mutex
	var pushed, uploaded []string
	d := uploadLog(&pushed, &uploaded, &mu)
	d.Ahead = aheadLike
	inner := d.Upload
	d.Upload = func(ref string, b bundle.Blob, open func() (io.ReadCloser, error)) error {
		if b.Role == bundle.RoleConfig {
			flipIn(t, arch, `{"architecture"`) // after the verifier read it
		}
		return inner(ref, b, open)
	}
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.HashMismatch || !strings.Contains(exit.HintOf(err), "changed while it was imported") || len(pushed) > 0 {
		t.Fatalf("%v (hint %q), pushed %v", err, exit.HintOf(err), pushed)
	}
	for _, u := range uploaded {
		if strings.Contains(u, "sha256:") && strings.HasSuffix(u, configDigestOf()) {
			t.Fatalf("the changed config was committed: %v", uploaded)
		}
	}
}

// Without --keep-going, a bundle refused for another reason means no
// bundle uploads anything, ahead blobs included.
func TestImportAheadRefusedImportUploadsNothing(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t, "alice")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	b := signFile(t, makeBundle(t, dir, "b", "layer b"), k)
	arch := exportTo(t, filepath.Join(dir, "ab.tar"), a, b)
	flipIn(t, arch, `"schemaVersion"`)
	var pushed []string
	d := pushLog(&pushed)
	opened := countUploads(d)
	d.Ahead = aheadLike
	_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trusting(k), Log: io.Discard})
	if exit.CodeOf(err) != exit.HashMismatch || *opened != 0 || len(pushed) != 0 {
		t.Fatalf("%v: %d uploads opened, pushed %v", err, *opened, pushed)
	}
}

// configDigestOf is the digest of the original config (makeBundleV's).
func configDigestOf() string {
	return Digest([]byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
}

// The registry connection is opened (Warm) only once signatures, trust
// and policy are decided: an untrusted archive never contacts the
// registry; a trusted one warms each repository once, before any upload.
func TestImportWarmAfterTrust(t *testing.T) {
	dir := t.TempDir()
	k, other := newKey(t, "alice"), newKey(t, "mallory")
	a := signFile(t, makeBundle(t, dir, "a", "layer a"), k)
	a2 := signFile(t, makeBundleV(t, dir, "a", "2", "layer a2"), k)
	arch := exportTo(t, filepath.Join(dir, "a.tar"), a, a2)
	// A policy part judged only once the blobs are read (here an
	// attestation the bundles lack): the policy is not decided in phase
	// 1, so nothing is warmed for a bundle that policy may still reject.
	needsAtt, err := policy.Parse([]byte(`{"version":1,"require_attestations":["https://slsa.dev/provenance/v1"]}`), "policy.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		trust  *keys.PrivateKey
		policy *policy.Policy
		code   exit.Code
		warm   int
	}{{"untrusted", other, nil, exit.KeyNotTrusted, 0}, {"trusted", k, nil, exit.OK, 2}, {"rejected after the blobs", k, needsAtt, exit.MissingAttestation, 0}} {
		var mu sync.Mutex
		var pushed, uploaded, warmed []string
		d := uploadLog(&pushed, &uploaded, &mu)
		uploadsAtWarm := -1
		d.Warm = func(ref string) {
			mu.Lock()
			warmed = append(warmed, ref)
			if uploadsAtWarm < 0 {
				uploadsAtWarm = len(uploaded)
			}
			mu.Unlock()
		}
		trust := trusting(tc.trust)
		trust.Policy = tc.policy
		_, err := Import(ImportOptions{Inputs: []string{arch}, Dest: d, Verify: true, Trust: trust, Log: io.Discard})
		if exit.CodeOf(err) != tc.code || len(warmed) != tc.warm || tc.warm > 0 && uploadsAtWarm != 0 {
			t.Fatalf("%s: %v, warmed %v (%d uploads before)", tc.name, err, warmed, uploadsAtWarm)
		}
	}
}
