// Command gen-verify writes the verifier conformance vectors in
// tests/vectors/verify: small real bundles, one per case, each with a NAME.expect file
// naming the outcome a conforming verifier reaches when it trusts only
// trusted.pub (docs/spec/verify.md):
//
//	expect: valid | hash-mismatch | signature-invalid | key-not-trusted | policy-rejected | missing-attestation | log-proof-missing | log-proof-invalid | malformed
//	code: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 10
//	case: what was done to the bundle
//	policy: a policy.json the verifier also applies (only some vectors)
//
// Keys come from fixed seeds and every bundle is deterministic, so running
// the generator again gives the same files. The expected outcomes are
// literals here, not computed by the verifier under test.
//
// Run: cd tests && go run ./vectors/gen-verify
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
)

func main() {
	dir := "vectors/verify"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	must(os.MkdirAll(dir, 0o755))
	alice := key(keys.SuiteEd25519, "alice", 1)
	mallory := key(keys.SuiteEd25519, "mallory", 2)
	pq := key(keys.SuiteHybrid, "alice-pq", 3)
	pub, err := keys.EncodePublic(alice.Public())
	must(err)
	must(os.WriteFile(filepath.Join(dir, "trusted.pub"), pub, 0o644))
	pqpub, err := keys.EncodePublic(pq.Public())
	must(err)
	must(os.WriteFile(filepath.Join(dir, "trusted-pq.pub"), pqpub, 0o644))

	m, blobs := image("web", "1.0")
	valid := write(m, blobs, alice)
	es, err := bundletest.Entries(valid)
	must(err)
	edit := func(fn func([]bundletest.Entry) []bundletest.Entry) []byte {
		return bundletest.Build(fn(bundletest.Clone(es)))
	}
	idx := func(prefix string) int {
		for i, e := range es {
			if len(e.Name) >= len(prefix) && e.Name[:len(prefix)] == prefix && !e.Dir {
				return i
			}
		}
		panic(prefix)
	}
	firstBlob, firstSig := idx("blobs/sha256/"), idx("signatures/")
	lastBlob := firstSig - 2 // the signatures/ directory entry comes first

	fm, fblobs := image("web", "1.0-evil")
	forged := bundletest.Build(append(entries(write(fm, fblobs)), es[firstSig-1:]...))

	type vec struct {
		name, expect, what string
		data               []byte
	}
	vs := []vec{
		{"valid", "valid", "a bundle signed by the trusted key", valid},
		{"valid-cosigned", "valid", "signed by the trusted key and by an untrusted one", write(m, blobs, alice, mallory)},
		{"valid-hybrid-untrusted", "key-not-trusted", "signed with CT-SIG-02 by a key that is not in trusted.pub", write(m, blobs, pq)},
		{"flipped-layer-byte", "hash-mismatch", "one byte of the last blob changed", edit(func(c []bundletest.Entry) []bundletest.Entry {
			c[lastBlob].Data = flip(c[lastBlob].Data, len(c[lastBlob].Data)/2)
			return c
		})},
		{"manifest-edited", "hash-mismatch", "manifest.toml's version changed; summary.json no longer matches", edit(func(c []bundletest.Entry) []bundletest.Entry {
			c[0].Data = bytes.Replace(c[0].Data, []byte(`version = "1.0"`), []byte(`version = "1.1"`), 1)
			return c
		})},
		{"manifest-forged", "signature-invalid", "manifest.toml and its derived files rewritten consistently; the old signature kept", forged},
		{"flipped-signature-bit", "signature-invalid", "one bit of the Ed25519 signature changed", edit(func(c []bundletest.Entry) []bundletest.Entry {
			e, err := sig.ParseEntry(c[firstSig].Name, c[firstSig].Data)
			must(err)
			e.Signature[10] ^= 0x04
			_, c[firstSig].Data, err = sig.EncodeEntry(e)
			must(err)
			return c
		})},
		{"unsigned", "signature-invalid", "no signature entry", write(m, blobs)},
		{"untrusted", "key-not-trusted", "validly signed by a key that is not in trusted.pub", write(m, blobs, mallory)},
		{"extra-entry", "malformed", "an entry not in the format appended", edit(func(c []bundletest.Entry) []bundletest.Entry {
			return append(c, bundletest.Entry{Name: "README", Data: []byte("hello")})
		})},
		{"missing-blob", "malformed", "the first blob entry removed", edit(func(c []bundletest.Entry) []bundletest.Entry {
			return append(c[:firstBlob:firstBlob], c[firstBlob+1:]...)
		})},
		{"duplicate-blob", "malformed", "the first blob entry repeated", edit(func(c []bundletest.Entry) []bundletest.Entry {
			return append(append(c[:firstBlob+1:firstBlob+1], c[firstBlob]), c[firstBlob+1:]...)
		})},
		{"path-traversal", "malformed", "an entry named signatures/../../etc/x", edit(func(c []bundletest.Entry) []bundletest.Entry {
			return append(c, bundletest.Entry{Name: "signatures/../../etc/x", Data: []byte("x")})
		})},
		{"symlink", "malformed", "a symlink entry under signatures/", edit(func(c []bundletest.Entry) []bundletest.Entry {
			return append(c, bundletest.Entry{Name: "signatures/link", Link: "/etc/shadow"})
		})},
		{"file-named-like-a-directory", "malformed", "a regular file named signatures/ carrying data", bundletest.Rename(
			bundletest.Build(append(bundletest.Clone(es[:firstSig-1]), bundletest.Entry{Name: "signatures/zzzzzzzzzz", Data: bytes.Repeat([]byte("smuggled "), 100)})),
			"signatures/zzzzzzzzzz", "signatures/")},
		{"truncated", "malformed", "the bundle cut in the middle", valid[:len(valid)/2]},
		{"trailing-data", "malformed", "bytes after the end-of-archive marker", append(bytes.Clone(valid), []byte("smuggled")...)},
		{"garbage", "malformed", "not a tar archive", bytes.Repeat([]byte("not a bundle "), 80)},
		{"empty", "malformed", "an empty file", nil},
	}
	for _, v := range specVectors(alice) { // spec.go: issue 8 §4
		vs = append(vs, vec{v.name, v.expect, v.what, v.data})
	}
	for _, v := range dockerVectors(alice) {
		vs = append(vs, vec(v))
	}
	for _, v := range strictVectors(m, blobs, alice, mallory) {
		vs = append(vs, vec(v))
	}
	for _, v := range vs {
		writeVector(dir, v.name, ".ctp", v.data, v.expect, v.what, "trusted.pub", "")
	}
	n := len(vs) + relabelVectors(dir, m, blobs, alice, mallory) // relabel.go
	n += attestVectors(dir, alice, mallory, pq)                  // attest.go
	n += referrerVectors(dir, alice)                             // referrers.go
	n += pendingVectors(dir, alice)                              // pending.go
	n += referrerReviewVectors(dir, alice)                       // referrers_review.go
	n += pendingSignVectors(dir)                                 // pendingsign.go
	n += archiveProofVectors(dir, alice)                         // archiveproofs.go: tests/vectors/archive
	n += registryProofVectors(dir, alice)                        // registryproofs.go: tests/vectors/registry
	n += logVectors(dir, m, blobs, alice, mallory)               // log.go
	n += logReviewVectors(dir, m, blobs, alice, mallory)         // logreview.go
	n += boundVectors(dir, m, blobs, alice)                      // bound.go
	fmt.Printf("wrote %d vectors to %s\n", n, dir)
}

func key(suite, id string, b byte) *keys.PrivateKey {
	n := 32
	if suite == keys.SuiteHybrid {
		n = 64
	}
	k, err := keys.NewPrivateKeyFromSeed(suite, id, bytes.Repeat([]byte{b}, n))
	must(err)
	return k
}

func image(name, version string) (*bundle.Manifest, map[string][]byte) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := bundle.Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","created":"2024-01-01T00:00:00Z","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	l1, l2 := bytes.Repeat([]byte("base layer "), 40), bytes.Repeat([]byte("app layer "), 60)
	cd, d1, d2 := add(cfg), add(l1), add(l2)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d},`+
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`, cd, len(cfg), d1, len(l1), d2, len(l2)))
	md := add(man)
	m := &bundle.Manifest{Format: bundle.FormatVersion, Package: bundle.Package{Name: name, Version: version},
		Source: bundle.Source{Reference: "registry.example/team/web:1.0", Transport: "docker", Registry: "registry.example",
			Repository: "team/web", Tag: "1.0", Digest: md},
		Image: bundle.Image{Digest: md, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(man)),
			Config: cd, Platform: "linux/amd64", Created: "2024-01-01T00:00:00Z"},
		Tool: bundle.Tool{Name: "gen-verify", Version: "1"},
		Blobs: []bundle.Blob{
			{Digest: md, Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: bundle.RoleManifest},
			{Digest: cd, Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: bundle.RoleConfig},
			{Digest: d1, Size: int64(len(l1)), MediaType: "application/vnd.oci.image.layer.v1.tar", Role: bundle.RoleLayer},
			{Digest: d2, Size: int64(len(l2)), MediaType: "application/vnd.oci.image.layer.v1.tar", Role: bundle.RoleLayer},
		}}
	m.SortBlobs()
	return m, blobs
}

// write writes the bundle signed by signers, without proofs.
func write(m *bundle.Manifest, blobs map[string][]byte, signers ...*keys.PrivateKey) []byte {
	return writeLogged(m, blobs, signers)
}

func entries(data []byte) []bundletest.Entry {
	es, err := bundletest.Entries(data)
	must(err)
	return es
}

func flip(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-verify:", err)
		os.Exit(1)
	}
}
