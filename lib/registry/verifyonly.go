package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/verify"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// downloads says whether ct fetch --verify-only downloads blob b
// (registry.md §3.1): everything the verifier reads to check the image
// graph, the claims and the attestations (indexes, manifests, configs,
// attestation manifests, envelopes and statements, copied referrer
// manifests); never a layer or a copied referrer's blob, which the
// verified manifests name by digest and size. A config over the
// metadata bound is not downloaded either (only the root image's config
// is read by the verifier, and the bundle format bounds that one).
func downloads(b bundle.Blob) bool {
	switch b.Role {
	case bundle.RoleLayer, bundle.RoleReferrerBlob:
		return false
	case bundle.RoleConfig:
		return b.Size <= bundle.MaxMetaBlobSize
	}
	return true
}

// verifyOnly checks the chosen bundle against what the registry serves
// without downloading its layers (ct fetch --verify-only, registry.md
// §3.1): it downloads every blob downloads admits, by digest, checked
// against its size and digest as it streams (a mismatch is tampering,
// exit code 1), lays them out as the bundle g would be, with the layers'
// bytes left out, and verifies that with lib/verify exactly as ct verify
// does, except that the content of the blobs left out is not hashed (the
// report says so: contentChecked false, and a skipped "layers" check).
// Nothing is written.
func verifyOnly(ctx context.Context, g *group, ch *chosen, repo name.Repository, ropts []remote.Option, classify func(error) error,
	rootRaw []byte, rootDigest string, opts verify.Options) (*FetchResult, *verify.Report, error) {
	m := g.m
	res := &FetchResult{Schema: "ct.fetch/1", Repository: repo.Name(), ImageDigest: rootDigest, ManifestDigest: bundle.Digest(g.mbytes),
		Name: m.Package.Name, Version: m.Package.Version, Signatures: []string{}, Artifacts: g.used, Ignored: orEmpty(ch.ignored),
		VerifyOnly: true, NotDownloaded: []string{}}
	if res.Artifacts == nil {
		res.Artifacts = []string{}
	}
	for _, s := range g.sigs {
		res.Signatures = append(res.Signatures, s.Name)
	}
	sort.Strings(res.Signatures)
	for _, p := range g.proofs {
		res.Proofs = append(res.Proofs, p.Name)
	}

	// The bundle's own writer lays it out (headers, padding, signature
	// and proof entries, end of archive) into lay, skipping the blobs that
	// are not downloaded: holes, so the layout is ct fetch's byte for byte.
	lay := &bundle.Layout{}
	bw, err := bundle.NewWriter(lay, m, bundle.WriterOptions{ModTime: g.mtime})
	if err != nil {
		return nil, nil, err
	}
	var skipped, skippedBytes int64
	for _, b := range m.Blobs {
		if !downloads(b) {
			if _, err := lay.Hole(bw, b.Digest); err != nil {
				return nil, nil, exit.Wrap(exit.Internal, err, "cannot lay out blob %s", b.Digest)
			}
			skipped++
			skippedBytes += b.Size
			res.NotDownloaded = append(res.NotDownloaded, b.Digest)
			continue
		}
		data, err := rootRaw, error(nil)
		switch {
		case b.Digest == bundle.EmptyDigest && b.Size == 2:
			// The OCI empty config of the attestations: its content is
			// its digest's preimage, "{}"; no round trip.
			data = []byte("{}")
		case b.Digest != rootDigest || !viaManifestAPI(b.Role):
			data, err = download(ctx, repo, b, ropts, classify)
		case int64(len(data)) != b.Size || bundle.Digest(data) != b.Digest:
			err = tampering(repo, b, data)
		}
		if err != nil {
			return res, nil, err
		}
		if b.Digest != bundle.EmptyDigest {
			res.Bytes += int64(len(data))
		}
		// Checked against b's size and digest above: not hashed again.
		if err := bw.WriteUnhashedBlob(b.Digest, bytes.NewReader(data)); err != nil {
			return nil, nil, exit.Wrap(exit.Internal, err, "cannot lay out blob %s", b.Digest)
		}
	}
	if err := bw.WriteSignatures(g.sigs); err != nil {
		return nil, nil, exit.Wrap(exit.Internal, err, "cannot lay out the signatures")
	}
	if err := bw.WriteProofs(g.proofs); err != nil {
		return nil, nil, exit.Wrap(exit.Internal, err, "cannot lay out the proofs")
	}
	if err := bw.Close(); err != nil {
		return nil, nil, exit.Wrap(exit.Internal, err, "cannot lay out the end of the bundle")
	}

	name := repo.Name() + "@" + rootDigest
	opts.SkipContent = true
	lr := lay.Reader()
	rep := verify.Verify(lr, name, opts)
	if err := lr.Err(); err != nil { // the verifier read bytes that were not downloaded: a defect here, never a pass
		return res, nil, exit.Wrap(exit.Internal, err, "verify-only: the verifier read a blob that was not downloaded")
	}
	detail := fmt.Sprintf("not downloaded (--verify-only): %d blob(s), %d bytes, named by digest and size in the verified manifests; not hashed here", skipped, skippedBytes)
	if skipped == 0 {
		detail = "not downloaded (--verify-only): none, the image has no layer"
	}
	rep.Checks = append(rep.Checks, verify.Check{Name: "layers", Skipped: true, Detail: detail})
	res.Report = rep
	if err := rep.Err(); err != nil {
		return res, rep, err
	}
	res.Verified = true
	return res, rep, nil
}

// download reads one blob by digest, bounded and checked against b.
func download(ctx context.Context, repo name.Repository, b bundle.Blob, ropts []remote.Option, classify func(error) error) ([]byte, error) {
	if viaManifestAPI(b.Role) {
		desc, err := remote.Get(repo.Digest(b.Digest), ropts...)
		if err != nil {
			return nil, classify(err)
		}
		if int64(len(desc.Manifest)) != b.Size || bundle.Digest(desc.Manifest) != b.Digest {
			return nil, tampering(repo, b, desc.Manifest)
		}
		return desc.Manifest, nil
	}
	limit := int64(bundle.MaxMetaBlobSize)
	if b.Role == bundle.RoleEnvelope || b.Role == bundle.RoleStatement {
		limit = bundle.MaxEnvelopeSize
	}
	data, err := readBlob(ctx, repo, Descriptor{MediaType: b.MediaType, Digest: b.Digest, Size: b.Size}, limit, ropts, classify)
	var ee *exit.Error
	if errors.As(err, &ee) && ee.Code == exit.HashMismatch {
		ee.Hint = tamperHint
	}
	return data, err
}

const tamperHint = "the registry serves content that differs from the signed manifest.toml; do not use this image, and push the bundle again from a verified copy"

// tampering is the error for content served for b that is not b.
func tampering(repo name.Repository, b bundle.Blob, got []byte) error {
	return exit.New(exit.HashMismatch, "tampering: the registry serves %s (%s) with digest %s and %d bytes, manifest.toml says %s and %d bytes",
		b.Digest, b.Role, bundle.Digest(got), len(got), b.Digest, b.Size).At("registry " + repo.Name() + "@" + b.Digest).WithHint(tamperHint)
}
