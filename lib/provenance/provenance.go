// Package provenance writes and checks the SLSA v1 provenance predicate
// (https://slsa.dev/provenance/v1) that ct pack produces for a bundle
// (docs/spec/provenance.md).
//
// The predicate is built only from manifest.toml and the packer's options,
// never from the host: no wall clock, host name, user or path enters it, so
// the same inputs and SOURCE_DATE_EPOCH give the same bytes. It is plain
// structs and encoding/json (canonical via lib/canon), without in-toto or
// protobuf libraries, so that a verifier stays small.
//
// This package knows nothing about in-toto Statements or DSSE envelopes: the
// attestation layer wraps Build's output as the predicate of a Statement with
// predicateType PredicateType, and hands a decoded predicate to Check.
package provenance

import (
	"errors"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// Identifiers. They are URIs that name things; nothing is fetched from them.
const (
	// PredicateType is the in-toto predicateType of SLSA provenance v1.
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType is the buildType of what ct pack does; its parameters are
	// defined in docs/spec/provenance.md. A new, incompatible meaning gets
	// a new version (/v2), never a changed /v1.
	BuildType = "https://cerro-torre.dev/ct-pack/v1"
	// BuilderID is runDetails.builder.id: ct pack run by whoever holds the
	// signing key (the builder is the packer's machine, vouched for by the
	// attestation's signer, not by a hosted build service).
	BuilderID = "https://cerro-torre.dev/ct-pack"
)

// MaxSize bounds a predicate Check accepts.
const MaxSize = 1 << 20

// ErrUnknownBuildType is wrapped by Check's error when the predicate's
// buildType is not BuildType: SLSA provenance from another builder, which
// Check does not understand (its parameters are that builder's).
var ErrUnknownBuildType = errors.New("unknown buildType")

// Options are what Build needs besides the manifest.
type Options struct {
	// Time is startedOn and finishedOn: SOURCE_DATE_EPOCH when set. When
	// zero, package.created is used; when that is empty too, the metadata
	// carries no times. Never the wall clock.
	Time time.Time
	// AllPlatforms and KeepDockerFormat are the --all-platforms and
	// --keep-docker-format flags as given.
	AllPlatforms     bool
	KeepDockerFormat bool
}

// Predicate is the SLSA v1 provenance predicate as ct writes and reads it.
type Predicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is SLSA's buildDefinition.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ExternalParameters   `json:"externalParameters"`
	InternalParameters   InternalParameters   `json:"internalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies"`
}

// ExternalParameters are the parameters of BuildType the user controls.
type ExternalParameters struct {
	Source           string   `json:"source"`              // source.reference
	Platform         string   `json:"platform,omitempty"`  // image.platform (one image)
	Platforms        []string `json:"platforms,omitempty"` // image.platforms (an index)
	AllPlatforms     bool     `json:"allPlatforms"`        // --all-platforms
	KeepDockerFormat bool     `json:"keepDockerFormat"`    // --keep-docker-format
}

// InternalParameters are set by ct itself.
type InternalParameters struct {
	Tool    string `json:"tool"`    // tool.name
	Version string `json:"version"` // tool.version
	// DockerConversion is present when the packer converted the root from
	// Docker schema 2 to OCI.
	DockerConversion *DockerConversion `json:"dockerConversion,omitempty"`
}

// DockerConversion records a converted root: image.source_digest before,
// image.digest after.
type DockerConversion struct {
	SourceDigest string `json:"sourceDigest"`
	Digest       string `json:"digest"`
}

// ResourceDescriptor is the in-toto ResourceDescriptor (the fields ct
// accepts: every field the v1 specification defines).
type ResourceDescriptor struct {
	URI              string            `json:"uri,omitempty"`
	Digest           map[string]string `json:"digest,omitempty"`
	Name             string            `json:"name,omitempty"`
	DownloadLocation string            `json:"downloadLocation,omitempty"`
	MediaType        string            `json:"mediaType,omitempty"`
	Content          []byte            `json:"content,omitempty"`
	Annotations      map[string]any    `json:"annotations,omitempty"`
}

// RunDetails is SLSA's runDetails.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *Metadata            `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder is SLSA's runDetails.builder.
type Builder struct {
	ID                  string               `json:"id"`
	Version             map[string]string    `json:"version,omitempty"`
	BuilderDependencies []ResourceDescriptor `json:"builderDependencies,omitempty"`
}

// Metadata is SLSA's runDetails.metadata.
type Metadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// New returns the predicate for the bundle m describes.
func New(m *bundle.Manifest, opts Options) (*Predicate, error) {
	if m == nil {
		return nil, exit.New(exit.Internal, "provenance: no manifest")
	}
	hex, ok := sha256Hex(m.Source.Digest)
	if !ok {
		return nil, exit.New(exit.Malformed, "source.digest %q is not a sha256 digest", m.Source.Digest).At("manifest.toml")
	}
	if m.Source.Reference == "" {
		return nil, exit.New(exit.Malformed, "source.reference is empty").At("manifest.toml")
	}
	p := &Predicate{
		BuildDefinition: BuildDefinition{
			BuildType: BuildType,
			ExternalParameters: ExternalParameters{
				Source:           m.Source.Reference,
				Platform:         m.Image.Platform,
				Platforms:        append([]string(nil), m.Image.Platforms...),
				AllPlatforms:     opts.AllPlatforms,
				KeepDockerFormat: opts.KeepDockerFormat,
			},
			InternalParameters: InternalParameters{Tool: m.Tool.Name, Version: m.Tool.Version},
			ResolvedDependencies: []ResourceDescriptor{{
				URI:    m.Source.Reference,
				Digest: map[string]string{"sha256": hex},
			}},
		},
		RunDetails: RunDetails{Builder: Builder{ID: BuilderID}},
	}
	if m.Image.SourceDigest != "" {
		p.BuildDefinition.InternalParameters.DockerConversion = &DockerConversion{SourceDigest: m.Image.SourceDigest, Digest: m.Image.Digest}
	}
	if m.Tool.Version != "" {
		p.RunDetails.Builder.Version = map[string]string{"ct": m.Tool.Version}
	}
	ts := ""
	switch {
	case !opts.Time.IsZero():
		ts = opts.Time.UTC().Format(time.RFC3339)
	case m.Package.Created != "":
		ts = m.Package.Created
	}
	if ts != "" {
		p.RunDetails.Metadata = &Metadata{StartedOn: ts, FinishedOn: ts}
	}
	return p, nil
}

// Build returns the canonical JSON (RFC 8785) of the predicate for the
// bundle m describes: the same m and opts give the same bytes.
func Build(m *bundle.Manifest, opts Options) ([]byte, error) {
	p, err := New(m, opts)
	if err != nil {
		return nil, err
	}
	b, err := canon.JSON(p)
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "provenance: cannot encode the predicate")
	}
	return b, nil
}

func sha256Hex(d string) (string, bool) {
	if !bundle.ValidDigest(d) {
		return "", false
	}
	return d[len("sha256:"):], true
}
