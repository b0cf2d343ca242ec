// Package source turns a `ct pack` SOURCE string into go-containerregistry
// objects: Parse reads the string (registry reference, oci:DIR, oci-archive:FILE
// or docker-archive:FILE) without I/O, Open resolves it to a Root — the root
// manifest's descriptor plus a v1.ImageIndex or v1.Image — and SelectPlatform
// picks one platform's image from an index.
//
// In oci:DIR[:NAME] and oci-archive:FILE[:NAME], NAME is the image's
// org.opencontainers.image.ref.name: a tag, or NAME:VERSION as ct import
// --to oci: writes. Paths and names may both hold ':', so Parse takes the
// longest path and Open the longest path that exists (see parseLayout).
//
// Invariants:
//
//   - No recompression. Layer.Compressed returns exactly the bytes stored in
//     the source, and Root.Descriptor is the source's own root manifest
//     (the registry's, or the OCI layout's index.json entry). The only
//     exception is docker-archive, which stores no manifest: there an OCI
//     manifest is synthesized deterministically (same bytes on every run)
//     around the stored config and layer files, unless the archive carries
//     an OCI layout with a matching manifest (Docker ≥ 25), which is used.
//   - Streaming. Blobs are never read into memory whole; archives are never
//     extracted: their tar headers are scanned once and members are served
//     through io.SectionReader. Manifests, index.json, manifest.json and
//     oci-layout are read whole but bounded to 4 MiB, configs to 8 MiB; more
//     is exit.Malformed. Local blobs are checked against their descriptor's
//     size on open and digest at EOF (exit.Malformed on mismatch).
//   - Plain HTTP only to loopback. ggcr would speak plain HTTP to RFC 1918
//     addresses too; every registry transport is wrapped by a RoundTripper
//     that refuses http:// requests to hosts other than localhost, 127.0.0.0/8
//     and ::1 before sending anything, unless Options.InsecureRegistry.
//   - Every error is an *exit.Error with Where naming the source and a Hint:
//     exit.Usage for bad SOURCE strings and ambiguous selections, exit.IO for
//     unreadable local files and missing tags, exit.Malformed for corrupt
//     layouts and archives, exit.Network for registry failures. Errors met
//     later while streaming registry blobs are classified by the wrappers Open
//     returns; ClassifyError does the same for any other error.
//   - Hostile input never panics: entry counts, index depth, layer counts and
//     link hops are bounded, names with ".." or absolute paths are refused.
package source
