package verify

import (
	"github.com/cerro-torre/ct/lib/bundle"
)

// VerifyHead runs the checks of a bundle that need only its head: the
// signatures over manifestBytes, trust and the policy (the same functions
// Verify runs after the blobs). ct import calls it on the heads of an
// archive before it stages any blob, so that an untrusted archive is
// refused before it can fill a disk; the bundle is then verified again, in
// full, with Verify. The attestations are among the blobs, so the policy's
// require_attestations is not judged here but by that full verification
// (trust before disk still holds: only trusted bundles are staged); so are
// the transparency proofs and the policy's transparency section (log.md §5),
// which are not in the heads. The report's ContentChecked is false and its
// "blobs" check absent: a valid head says nothing about the content.
func VerifyHead(name string, m *bundle.Manifest, manifestBytes []byte, entries []bundle.Entry, opts Options) *Report {
	rep := &Report{Schema: SchemaID, Bundle: name, Manifest: m}
	rep.Package, rep.Version, rep.ImageDigest = m.Package.Name, m.Package.Version, m.Image.Digest
	rep.ManifestDigest = bundle.Digest(manifestBytes)
	rep.Source, rep.Blobs = m.Source.Reference, len(m.Blobs)
	checkSignatures(rep, entries, manifestBytes, opts)
	if opts.Policy != nil {
		checkPolicy(rep, opts, true) // require_attestations: judged by Verify after staging
	}
	return rep.finish()
}
