package pack

import (
	"github.com/cerro-torre/ct/lib/keys"
)

// Report is ct pack's --json document (docs/json/pack.schema.json).
type Report struct {
	Schema         string       `json:"schema"` // "ct.pack/1"
	Bundle         string       `json:"bundle"` // the output path, or "-"
	Bytes          int64        `json:"bytes"`
	Name           string       `json:"name"`
	Version        string       `json:"version"`
	ManifestDigest string       `json:"manifestDigest"`
	ImageDigest    string       `json:"imageDigest"`
	SourceDigest   string       `json:"sourceDigest,omitempty"` // set when the image was converted
	MediaType      string       `json:"mediaType"`
	Platform       string       `json:"platform,omitempty"`
	Platforms      []string     `json:"platforms"`
	Blobs          int          `json:"blobs"`
	Source         ReportSource `json:"source"`
	Signed         bool         `json:"signed"`
	Key            *KeyReport   `json:"key,omitempty"` // absent when unsigned
	Notes          []string     `json:"notes"`         // what stderr's notes say
	// Provenance is the file the SLSA provenance predicate was written to
	// (--provenance-out); absent without it.
	Provenance string `json:"provenance,omitempty"`
	// Referrers is what --with-referrers copied and skipped; absent without it.
	Referrers *Referrers `json:"referrers,omitempty"`
	// Attestations are those ct pack added (never null).
	Attestations []Attested `json:"attestations"`
}

// ReportSource is where the image came from (manifest.toml's [source]).
type ReportSource struct {
	Reference  string `json:"reference"`
	Transport  string `json:"transport"`
	Registry   string `json:"registry,omitempty"`
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest"`
}

// KeyReport names a key as docs/cli.md's vocabulary does.
type KeyReport struct {
	KeyID       string `json:"keyId"`
	Suite       string `json:"suite"`
	Fingerprint string `json:"fingerprint"`
}

// NewReport describes a packed bundle; key is nil for an unsigned one.
func NewReport(res *Result, key *keys.PrivateKey) *Report {
	m := res.Manifest
	r := &Report{Schema: "ct.pack/1", Bundle: res.Path, Bytes: res.Bytes, Name: m.Package.Name, Version: m.Package.Version,
		ManifestDigest: res.ManifestDigest, ImageDigest: m.Image.Digest, SourceDigest: m.Image.SourceDigest,
		MediaType: m.Image.MediaType, Platform: m.Image.Platform, Platforms: append([]string{}, m.Image.Platforms...),
		Blobs: len(m.Blobs), Notes: []string{}, Provenance: res.Provenance, Referrers: res.Referrers,
		Source: ReportSource{Reference: m.Source.Reference, Transport: m.Source.Transport, Registry: m.Source.Registry,
			Repository: m.Source.Repository, Tag: m.Source.Tag, Digest: m.Source.Digest}}
	r.Attestations = append([]Attested{}, res.Attestations...)
	if key != nil {
		r.Signed = true
		r.Key = &KeyReport{KeyID: key.ID(), Suite: key.Suite(), Fingerprint: key.Fingerprint().String()}
	}
	if res.NameNote != "" {
		r.Notes = append(r.Notes, res.NameNote)
	}
	if n := FormatNote(m); n != "" {
		r.Notes = append(r.Notes, n)
	}
	return r
}
