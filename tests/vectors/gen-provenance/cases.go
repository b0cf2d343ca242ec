package main

import (
	"strings"
)

const epoch = "2023-11-14T22:13:20Z" // SOURCE_DATE_EPOCH=1700000000

func vectors() []vector {
	single := base("")
	created := base("2024-05-01T10:00:00Z")
	idx, conv := index(), converted()
	good := predicate(single, epoch, false, false)
	ep := []string{"epoch: 1700000000"}

	vs := []vector{
		{name: "built-single", expect: "built", reason: "one platform from a registry, SOURCE_DATE_EPOCH set: startedOn = finishedOn = the epoch",
			headers: ep, manifest: single, predicate: encode(good)},
		{name: "built-no-time", expect: "built", reason: "neither SOURCE_DATE_EPOCH nor package.created: no runDetails.metadata (never the wall clock)",
			manifest: single, predicate: encode(predicate(single, "", false, false))},
		{name: "built-package-created", expect: "built", reason: "no SOURCE_DATE_EPOCH: the times are package.created",
			manifest: created, predicate: encode(predicate(created, "2024-05-01T10:00:00Z", false, false))},
		{name: "built-epoch-over-created", expect: "built", reason: "SOURCE_DATE_EPOCH wins over package.created (ct pack sets both from it unless --created differs)",
			headers: ep, manifest: created, predicate: encode(predicate(created, epoch, false, false))},
		{name: "built-all-platforms", expect: "built", reason: "--all-platforms: platforms lists image.platforms, no platform",
			headers: append([]string{"all-platforms: true"}, ep...), manifest: idx, predicate: encode(predicate(idx, epoch, true, false))},
		{name: "built-converted", expect: "built", reason: "converted from Docker schema 2: internalParameters.dockerConversion records image.source_digest and image.digest",
			headers: ep, manifest: conv, predicate: encode(predicate(conv, epoch, false, false))},
		{name: "built-keep-docker-format", expect: "built", reason: "--keep-docker-format recorded as given",
			headers: append([]string{"keep-docker-format: true"}, ep...), manifest: single, predicate: encode(predicate(single, epoch, false, true))},

		{name: "accepted-indented", expect: "accepted", reason: "a verifier does not require canonical JSON: indentation and key order are free",
			manifest: single, predicate: indent(encode(good))},
		{name: "accepted-descriptor-fields", expect: "accepted", reason: "resolvedDependencies[0] may carry the other ResourceDescriptor fields (name, mediaType, annotations with any members)",
			manifest: single, predicate: encode(edit(edit(edit(good, "buildDefinition.resolvedDependencies.0.name", "source"),
				"buildDefinition.resolvedDependencies.0.mediaType", "application/vnd.oci.image.index.v1+json"),
				"buildDefinition.resolvedDependencies.0.annotations", obj{"anything": obj{"goes": []any{1, "x"}}}))},
		{name: "accepted-invocation-id", expect: "accepted", reason: "runDetails.metadata.invocationId is SLSA's and allowed, though ct pack writes none",
			manifest: single, predicate: encode(edit(good, "runDetails.metadata.invocationId", "run-1"))},
	}

	// bad adds a malformed vector for the single-platform manifest.
	bad := func(name, reason, field string, p []byte) {
		vs = append(vs, vector{name: "bad-" + name, expect: "malformed", reason: reason, field: field, manifest: single, predicate: p})
	}
	badOn := func(m func() vector) { vs = append(vs, m()) }

	bad("source-digest", "resolvedDependencies[0].digest.sha256 is not manifest.toml's source.digest",
		"buildDefinition.resolvedDependencies[0].digest.sha256",
		encode(edit(good, "buildDefinition.resolvedDependencies.0.digest.sha256", hexOf(digest("other")))))
	bad("source-digest-missing", "resolvedDependencies[0] has no sha256 digest",
		"buildDefinition.resolvedDependencies[0].digest.sha256",
		encode(edit(good, "buildDefinition.resolvedDependencies.0.digest", obj{})))
	bad("source-digest-prefixed", "digest values are bare hex, as in-toto DigestSet says, not sha256:…",
		"buildDefinition.resolvedDependencies[0].digest.sha256",
		encode(edit(good, "buildDefinition.resolvedDependencies.0.digest.sha256", dIndex)))
	bad("extra-digest-algorithm", "ct-pack/v1 records only sha256; another algorithm ct cannot check is refused",
		"buildDefinition.resolvedDependencies[0].digest",
		encode(edit(good, "buildDefinition.resolvedDependencies.0.digest.sha512", strings.Repeat("ab", 64))))
	bad("source-reference", "externalParameters.source is not manifest.toml's source.reference",
		"buildDefinition.externalParameters.source",
		encode(edit(good, "buildDefinition.externalParameters.source", "registry.example:5000/apps/web:2.0")))
	bad("dependency-uri", "resolvedDependencies[0].uri is not manifest.toml's source.reference",
		"buildDefinition.resolvedDependencies[0].uri",
		encode(edit(good, "buildDefinition.resolvedDependencies.0.uri", "evil.example/web:1.0")))
	bad("two-dependencies", "ct-pack/v1 has exactly one resolved dependency, the source",
		"buildDefinition.resolvedDependencies",
		encode(edit(good, "buildDefinition.resolvedDependencies", []any{
			obj{"uri": ref, "digest": obj{"sha256": hexOf(dIndex)}}, obj{"uri": "evil.example/x", "digest": obj{"sha256": hexOf(dLayer)}}})))
	bad("platform", "externalParameters.platform is not image.platform",
		"buildDefinition.externalParameters.platform",
		encode(edit(good, "buildDefinition.externalParameters.platform", "linux/arm64")))
	bad("platform-missing", "externalParameters.platform absent, but image.platform is set",
		"buildDefinition.externalParameters.platform",
		encode(edit(good, "buildDefinition.externalParameters.platform", del)))
	badOn(func() vector {
		return vector{name: "bad-platforms", expect: "malformed", reason: "externalParameters.platforms is not image.platforms (order matters: it is the index's)",
			field: "buildDefinition.externalParameters.platforms", manifest: idx,
			predicate: encode(edit(predicate(idx, epoch, true, false), "buildDefinition.externalParameters.platforms", []any{"linux/arm64/v8", "linux/amd64"}))}
	})
	badOn(func() vector {
		return vector{name: "bad-index-without-all-platforms", expect: "malformed", reason: "an index is only packed with --all-platforms",
			field: "buildDefinition.externalParameters.allPlatforms", manifest: idx, predicate: encode(predicate(idx, epoch, false, false))}
	})
	badOn(func() vector {
		return vector{name: "bad-conversion-missing", expect: "malformed", reason: "image.source_digest is set but the predicate records no conversion",
			field: "buildDefinition.internalParameters.dockerConversion", manifest: conv,
			predicate: encode(edit(predicate(conv, epoch, false, false), "buildDefinition.internalParameters.dockerConversion", del))}
	})
	badOn(func() vector {
		return vector{name: "bad-conversion-source-digest", expect: "malformed", reason: "dockerConversion.sourceDigest is not image.source_digest",
			field: "buildDefinition.internalParameters.dockerConversion.sourceDigest", manifest: conv,
			predicate: encode(edit(predicate(conv, epoch, false, false), "buildDefinition.internalParameters.dockerConversion.sourceDigest", digest("x")))}
	})
	badOn(func() vector {
		return vector{name: "bad-conversion-kept", expect: "malformed", reason: "keepDockerFormat true contradicts a recorded conversion",
			field: "buildDefinition.externalParameters.keepDockerFormat", manifest: conv, predicate: encode(predicate(conv, epoch, false, true))}
	})
	bad("conversion-spurious", "a conversion recorded for a bundle without image.source_digest",
		"buildDefinition.internalParameters.dockerConversion",
		encode(edit(good, "buildDefinition.internalParameters.dockerConversion", obj{"sourceDigest": dDocker, "digest": dManifest})))
	bad("build-type", "a buildType ct does not know: its parameters cannot be checked",
		"buildDefinition.buildType",
		encode(edit(good, "buildDefinition.buildType", "https://example.com/other-builder/v1")))
	bad("build-type-missing", "SLSA v1 requires buildType",
		"buildDefinition.buildType", encode(edit(good, "buildDefinition.buildType", del)))
	bad("build-definition-missing", "SLSA v1 requires buildDefinition",
		"buildDefinition.buildType", encode(edit(good, "buildDefinition", del)))
	bad("builder-id", "ct-pack/v1 is built by ct pack's builder id only",
		"runDetails.builder.id", encode(edit(good, "runDetails.builder.id", "https://example.com/builder")))
	bad("builder-id-missing", "SLSA v1 requires runDetails.builder.id",
		"runDetails.builder.id", encode(edit(good, "runDetails.builder.id", del)))
	bad("unknown-external-parameter", "externalParameters of ct-pack/v1 are defined by ct: an unknown one is refused",
		"buildDefinition.externalParameters", encode(edit(good, "buildDefinition.externalParameters.insecureRegistry", true)))
	bad("unknown-member", "an unknown member of the predicate is refused",
		"predicate", encode(edit(good, "extra", 1)))
	bad("case-variant-key", "member names are case-sensitive: BuildType is not buildType (encoding/json alone would read it)",
		"buildDefinition",
		[]byte(strings.Replace(string(encode(good)), `"buildType"`, `"BuildType"`, 1)))
	bad("duplicate-key", "a duplicate key is read differently by different parsers",
		"duplicate",
		[]byte(strings.Replace(string(encode(good)), `"source":"`, `"source":"evil.example/web:1.0","source":"`, 1)))
	bad("wrong-type", "externalParameters.allPlatforms must be a boolean",
		"allPlatforms",
		encode(edit(good, "buildDefinition.externalParameters.allPlatforms", "false")))
	bad("started-on", "startedOn must be an RFC 3339 timestamp",
		"runDetails.metadata.startedOn", encode(edit(good, "runDetails.metadata.startedOn", "yesterday")))
	bad("finished-before-started", "finishedOn must not be before startedOn",
		"runDetails.metadata.finishedOn", encode(edit(good, "runDetails.metadata.finishedOn", "2020-01-01T00:00:00Z")))
	bad("trailing-data", "one JSON value, nothing after it",
		"after the JSON", append(encode(good), []byte(" {}")...))
	bad("not-an-object", "the predicate is a JSON object",
		"predicate", []byte("[]"))
	// What a consistency error must quote besides the field: the
	// predicate's value and manifest.toml's.
	mentions := map[string][]string{
		"bad-source-digest":            {hexOf(digest("other")), dIndex},
		"bad-source-reference":         {"registry.example:5000/apps/web:2.0", ref},
		"bad-dependency-uri":           {"evil.example/web:1.0", ref},
		"bad-platform":                 {"linux/arm64", "linux/amd64"},
		"bad-platforms":                {"[linux/arm64/v8 linux/amd64]", "[linux/amd64 linux/arm64/v8]"},
		"bad-conversion-source-digest": {digest("x"), dDocker},
		"bad-build-type":               {"https://example.com/other-builder/v1", "https://cerro-torre.dev/ct-pack/v1"},
		"bad-builder-id":               {"https://example.com/builder", "https://cerro-torre.dev/ct-pack"},
	}
	for i := range vs {
		for _, m := range mentions[vs[i].name] {
			vs[i].headers = append(vs[i].headers, "mentions: "+m)
		}
		delete(mentions, vs[i].name)
	}
	if len(mentions) > 0 {
		panic("mentions for unknown vectors")
	}
	return vs
}

func indent(b []byte) []byte {
	var v any
	if err := jsonUnmarshal(b, &v); err != nil {
		panic(err)
	}
	return jsonIndent(v)
}
