package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
)

// where names the predicate in errors.
const where = "provenance predicate (" + PredicateType + ")"

func bad(field, format string, args ...any) *exit.Error {
	return exit.New(exit.Malformed, "%s: %s", field, fmt.Sprintf(format, args...)).
		At(where).
		WithHint("the provenance does not describe this bundle, or is corrupt: repack with ct pack, or remove the attestation")
}

// Parse decodes a predicate strictly: valid JSON of at most MaxSize bytes, no
// duplicate keys at any depth (bundle.StrictJSON), and no member at any level
// this package defines that SLSA v1 or docs/spec/provenance.md does not name.
// Errors are exit.Malformed.
func Parse(predicate []byte) (*Predicate, error) {
	if len(predicate) > MaxSize {
		return nil, bad("predicate", "%d bytes, more than the %d accepted", len(predicate), MaxSize)
	}
	if err := bundle.StrictJSON(predicate); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not strict JSON").At(where)
	}
	var raw any
	if err := json.Unmarshal(predicate, &raw); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not JSON").At(where)
	}
	if err := exactKeys(raw, reflect.TypeOf(Predicate{}), ""); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not an SLSA v1 provenance predicate as ct reads it").At(where).
			WithHint("member names are case-sensitive; see docs/spec/provenance.md for the fields ct accepts")
	}
	dec := json.NewDecoder(bytes.NewReader(predicate))
	dec.DisallowUnknownFields()
	var p Predicate
	if err := dec.Decode(&p); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not an SLSA v1 provenance predicate as ct reads it").At(where).
			WithHint("see docs/spec/provenance.md for the fields ct accepts")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("predicate", "data after the JSON object")
	}
	return &p, nil
}

// Check is a verifier's consistency check of a provenance predicate against
// the bundle's manifest.toml (docs/spec/provenance.md, "Verifying"): it parses
// strictly (Parse), requires the fields SLSA v1 makes mandatory and
// buildType BuildType (otherwise the error wraps ErrUnknownBuildType), and
// requires that the predicate's claims about the source and platform are
// those of m: externalParameters.source = source.reference, exactly one
// resolvedDependencies entry for it whose sha256 is source.digest,
// platform/platforms = image.platform/image.platforms, and a Docker
// conversion recorded iff image.source_digest is. Every failure is
// exit.Malformed naming the field and both values.
func Check(predicate []byte, m *bundle.Manifest) error {
	if m == nil {
		return exit.New(exit.Internal, "provenance.Check: no manifest")
	}
	p, err := Parse(predicate)
	if err != nil {
		return err
	}
	bd, rd := p.BuildDefinition, p.RunDetails
	if bd.BuildType == "" {
		return bad("buildDefinition.buildType", "missing (SLSA v1 requires it)")
	}
	if bd.BuildType != BuildType {
		e := bad("buildDefinition.buildType", "%q is not %q, the only build type ct checks", bd.BuildType, BuildType)
		e.Err = ErrUnknownBuildType
		e.Hint = "ct checks the parameters of its own build type only; provenance from another builder is that builder's to check"
		return e
	}
	if rd.Builder.ID == "" {
		return bad("runDetails.builder.id", "missing (SLSA v1 requires it)")
	}
	if rd.Builder.ID != BuilderID {
		return bad("runDetails.builder.id", "%q, but buildType %s is built only by %q", rd.Builder.ID, BuildType, BuilderID)
	}
	ep := bd.ExternalParameters
	if ep.Source != m.Source.Reference {
		return bad("buildDefinition.externalParameters.source", "%q, but manifest.toml's source.reference is %q", ep.Source, m.Source.Reference)
	}
	if ep.Platform != m.Image.Platform {
		return bad("buildDefinition.externalParameters.platform", "%s, but manifest.toml's image.platform is %s", quote(ep.Platform), quote(m.Image.Platform))
	}
	if !slices.Equal(ep.Platforms, m.Image.Platforms) {
		return bad("buildDefinition.externalParameters.platforms", "%s, but manifest.toml's image.platforms is %s", list(ep.Platforms), list(m.Image.Platforms))
	}
	if bundle.IsIndexMediaType(m.Image.MediaType) && !ep.AllPlatforms {
		return bad("buildDefinition.externalParameters.allPlatforms", "false, but manifest.toml's image is an index (%s), which only --all-platforms packs", m.Image.MediaType)
	}
	if len(bd.ResolvedDependencies) != 1 {
		return bad("buildDefinition.resolvedDependencies", "%d entries, but ct-pack/v1 has exactly one: the source %q at %s", len(bd.ResolvedDependencies), m.Source.Reference, m.Source.Digest)
	}
	dep := bd.ResolvedDependencies[0]
	if dep.URI != m.Source.Reference {
		return bad("buildDefinition.resolvedDependencies[0].uri", "%q, but manifest.toml's source.reference is %q", dep.URI, m.Source.Reference)
	}
	got, ok := dep.Digest["sha256"]
	if !ok {
		return bad("buildDefinition.resolvedDependencies[0].digest.sha256", "missing; manifest.toml's source.digest is %s", m.Source.Digest)
	}
	if "sha256:"+got != m.Source.Digest {
		return bad("buildDefinition.resolvedDependencies[0].digest.sha256", "%s, but manifest.toml's source.digest is %s", quote(got), m.Source.Digest)
	}
	for alg := range dep.Digest {
		if alg != "sha256" {
			return bad("buildDefinition.resolvedDependencies[0].digest", "algorithm %q, but ct-pack/v1 records only sha256", alg)
		}
	}
	dc := bd.InternalParameters.DockerConversion
	switch {
	case dc == nil && m.Image.SourceDigest != "":
		return bad("buildDefinition.internalParameters.dockerConversion", "missing, but manifest.toml's image.source_digest is %s (converted from Docker)", m.Image.SourceDigest)
	case dc != nil && m.Image.SourceDigest == "":
		return bad("buildDefinition.internalParameters.dockerConversion", "present (from %s), but manifest.toml has no image.source_digest (not converted)", quote(dc.SourceDigest))
	case dc != nil && dc.SourceDigest != m.Image.SourceDigest:
		return bad("buildDefinition.internalParameters.dockerConversion.sourceDigest", "%s, but manifest.toml's image.source_digest is %s", quote(dc.SourceDigest), m.Image.SourceDigest)
	case dc != nil && dc.Digest != m.Image.Digest:
		return bad("buildDefinition.internalParameters.dockerConversion.digest", "%s, but manifest.toml's image.digest is %s", quote(dc.Digest), m.Image.Digest)
	case dc != nil && ep.KeepDockerFormat:
		return bad("buildDefinition.externalParameters.keepDockerFormat", "true, but internalParameters.dockerConversion says the image was converted")
	}
	if md := rd.Metadata; md != nil {
		var start, end time.Time
		for _, t := range []struct {
			field, v string
			to       *time.Time
		}{{"runDetails.metadata.startedOn", md.StartedOn, &start}, {"runDetails.metadata.finishedOn", md.FinishedOn, &end}} {
			if t.v == "" {
				continue
			}
			v, err := time.Parse(time.RFC3339, t.v)
			if err != nil {
				return bad(t.field, "%q is not an RFC 3339 timestamp", t.v)
			}
			*t.to = v
		}
		if !start.IsZero() && !end.IsZero() && end.Before(start) {
			return bad("runDetails.metadata.finishedOn", "%s is before startedOn %s", md.FinishedOn, md.StartedOn)
		}
	}
	return nil
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(s, " ") + "]"
}
