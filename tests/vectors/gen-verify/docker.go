package main

import (
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
)

// extraVec has vec's fields, so that vectors made here join main's list.
type extraVec struct {
	name, expect, what string
	data               []byte
}

// dockerVectors: image.source_digest (bundle.md §3.1), written when a packer
// converts a Docker schema 2 image to OCI. A verifier must accept the field,
// and reject a value that is not a sha256 digest or equals image.digest.
func dockerVectors(signer *keys.PrivateKey) []extraVec {
	const dockerDigest = "sha256:0000000000000000000000000000000000000000000000000000000000d0c4e2"
	m, blobs := image("web", "1.0")
	m.Image.SourceDigest = dockerDigest
	valid := write(m, blobs, signer)

	// forge rewrites manifest.toml (bypassing Validate) and what derives
	// from it, and signs it again: only the field's value is wrong.
	forge := func(value string) []byte {
		bad := *m
		bad.Image.SourceDigest = value
		mb, err := canon.MarshalTOML(&bad)
		must(err)
		sum, err := bundle.SummaryBytes(&bad, mb)
		must(err)
		e, _, err := sig.BundleEntry(signer, mb)
		must(err)
		es := entries(valid)
		for i := range es {
			switch {
			case es[i].Name == bundle.ManifestName:
				es[i].Data = mb
			case es[i].Name == bundle.SummaryName:
				es[i].Data = sum
			case strings.HasPrefix(es[i].Name, bundle.SignaturesDir) && !es[i].Dir:
				es[i].Name, es[i].Data = e.Name, e.Data
			}
		}
		return bundletest.Build(es)
	}
	return []extraVec{
		{"converted-from-docker", "valid", "image.source_digest records the Docker digest the image was converted from", valid},
		{"source-digest-is-image-digest", "malformed", "image.source_digest equals image.digest (re-signed)", forge(m.Image.Digest)},
		{"source-digest-not-sha256", "malformed", "image.source_digest is not a sha256 digest (re-signed)", forge("sha512:00")},
	}
}
