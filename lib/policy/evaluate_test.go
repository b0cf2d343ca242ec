package policy

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// signer returns a valid signature by a trusted key named id of suite.
func signer(id, suite string) Signature {
	return Signature{KeyID: id, Fingerprint: keys.ComputeFingerprint(suite, []byte(id)), Suite: suite,
		Valid: true, Trusted: true, TrustSource: "trust store"}
}

var (
	alice = signer("alice", keys.SuiteEd25519)
	bob   = signer("bob", keys.SuiteHybrid)
	carol = signer("carol", keys.SuiteMLDSA87)
	rel1  = signer("release-1", keys.SuiteEd25519)
	rel2  = signer("release-2", keys.SuiteMLDSA87)
)

const dgB = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

var (
	hub   = bundle.Source{Reference: "nginx:1.27", Transport: "docker", Registry: "docker.io", Repository: "library/nginx", Tag: "1.27"}
	local = bundle.Source{Reference: "oci:./hello:1.0", Transport: "oci", Tag: "1.0"}
)

func manifest(name string, src bundle.Source, image string) *bundle.Manifest {
	return &bundle.Manifest{Format: 1, Package: bundle.Package{Name: name, Version: "1"}, Source: src, Image: bundle.Image{Digest: image}}
}

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse([]byte(s), "p.json")
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	nginx := manifest("nginx", hub, dgA)
	for _, tc := range []struct {
		name   string
		policy string
		in     Input
		code   exit.Code
		rule   string // the first failed rule, or a rule whose check must exist
		detail string // a substring of that check's detail
	}{
		// No constraint.
		{"empty policy", `{"version":1}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "signers.threshold", "1 of 1 required signers: alice ("},
		{"empty policy no signature", `{"version":1}`, Input{Manifest: nginx}, exit.PolicyRejected, "signers.threshold", "0 of 1 required signers"},
		{"untrusted does not count", `{"version":1}`, Input{Manifest: nginx, Signatures: []Signature{{KeyID: "x", Valid: true}}}, exit.PolicyRejected, "signers.threshold", "x (0000:0000:0000:0000) (key not trusted)"},
		{"invalid does not count", `{"version":1}`, Input{Manifest: nginx, Signatures: []Signature{{KeyID: "x", Trusted: true}}}, exit.PolicyRejected, "signers.threshold", "(invalid signature)"},

		// signers.allowed
		{"allowed by glob", `{"version":1,"signers":{"allowed":["release-*"]}}`, Input{Manifest: nginx, Signatures: []Signature{rel1}}, exit.OK, "signers.allowed", "every valid trusted signer is allowed"},
		{"allowed glob misses", `{"version":1,"signers":{"allowed":["release-*"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "signers.threshold", "alice (" + alice.Fingerprint.Short() + ") (not in signers.allowed)"},
		{"allowed by fingerprint", `{"version":1,"signers":{"allowed":["` + alice.Fingerprint.String() + `"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "signers.threshold", "1 of 1"},
		{"allowed by display fingerprint", `{"version":1,"signers":{"allowed":["` + strings.ToUpper(alice.Fingerprint.Display()) + `"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "signers.threshold", "1 of 1"},
		{"fingerprint pattern ignores id", `{"version":1,"signers":{"allowed":["` + alice.Fingerprint.String() + `"]}}`, Input{Manifest: nginx, Signatures: []Signature{{KeyID: "alice", Fingerprint: bob.Fingerprint, Suite: bob.Suite, Valid: true, Trusted: true}}}, exit.PolicyRejected, "signers.threshold", "not in signers.allowed"},
		{"id glob needs an id", `{"version":1,"signers":{"allowed":["*"]}}`, Input{Manifest: nginx, Signatures: []Signature{{Fingerprint: bob.Fingerprint, Suite: bob.Suite, Valid: true, Trusted: true}}}, exit.PolicyRejected, "signers.threshold", "not in signers.allowed"},

		// signers.denied
		{"denied ignored, others count", `{"version":1,"signers":{"denied":["bob"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice, bob}}, exit.OK, "signers.denied", "ignored the signatures of denied signers: bob ("},
		{"denied alone", `{"version":1,"signers":{"denied":["bob"]}}`, Input{Manifest: nginx, Signatures: []Signature{bob}}, exit.PolicyRejected, "signers.threshold", "bob (" + bob.Fingerprint.Short() + ") (denied by signers.denied)"},
		{"denied wins over allowed", `{"version":1,"signers":{"allowed":["release-*"],"denied":["` + rel1.Fingerprint.Display() + `"]}}`, Input{Manifest: nginx, Signatures: []Signature{rel1}}, exit.PolicyRejected, "signers.threshold", "release-1 (" + rel1.Fingerprint.Short() + ") (denied by signers.denied)"},
		{"denied not present", `{"version":1,"signers":{"denied":["bob"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "signers.denied", "no denied signer signed"},

		// signers.threshold
		{"threshold met", `{"version":1,"signers":{"threshold":2}}`, Input{Manifest: nginx, Signatures: []Signature{alice, bob}}, exit.OK, "signers.threshold", "2 of 2 required signers: alice"},
		{"threshold missed", `{"version":1,"signers":{"threshold":2}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "signers.threshold", "1 of 2 required signers: alice ("},
		{"threshold distinct fingerprints", `{"version":1,"signers":{"threshold":2}}`, Input{Manifest: nginx, Signatures: []Signature{alice, alice}}, exit.PolicyRejected, "signers.threshold", "(signed more than once; counted once)"},
		{"threshold same key two ids", `{"version":1,"signers":{"threshold":2}}`, Input{Manifest: nginx, Signatures: []Signature{alice, {KeyID: "alias", Fingerprint: alice.Fingerprint, Suite: alice.Suite, Valid: true, Trusted: true}}}, exit.PolicyRejected, "signers.threshold", "1 of 2"},
		{"threshold 3 of 4", `{"version":1,"signers":{"threshold":3}}`, Input{Manifest: nginx, Signatures: []Signature{alice, bob, carol, rel1}}, exit.OK, "signers.threshold", "4 of 3"},

		// suites.allowed
		{"suite allowed", `{"version":1,"suites":{"allowed":["CT-SIG-02","CT-SIG-03"]}}`, Input{Manifest: nginx, Signatures: []Signature{bob}}, exit.OK, "suites.allowed", "every remaining signature uses an allowed suite"},
		{"suite not allowed", `{"version":1,"suites":{"allowed":["CT-SIG-02","CT-SIG-03"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "signers.threshold", "alice (" + alice.Fingerprint.Short() + ") (suite CT-SIG-01 not in suites.allowed)"},
		{"suite drops below threshold", `{"version":1,"signers":{"threshold":2},"suites":{"allowed":["CT-SIG-03"]}}`, Input{Manifest: nginx, Signatures: []Signature{carol, alice, bob}}, exit.PolicyRejected, "signers.threshold", "1 of 2 required signers: carol"},
		{"suite check reports", `{"version":1,"suites":{"allowed":["CT-SIG-03"]}}`, Input{Manifest: nginx, Signatures: []Signature{carol, alice}}, exit.OK, "suites.allowed", "ignored signatures whose suite is not one of CT-SIG-03: alice ("},

		// registries
		{"registry allowed", `{"version":1,"registries":{"allowed":["docker.io/library/*"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "registries.allowed", `source docker.io/library/nginx matches allowed pattern "docker.io/library/*"`},
		{"registry not allowed", `{"version":1,"registries":{"allowed":["ghcr.io/*"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.allowed", `source docker.io/library/nginx matches none of the allowed patterns "ghcr.io/*"`},
		{"registry blocked", `{"version":1,"registries":{"blocked":["docker.io/library/nginx"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.blocked", `matches blocked pattern "docker.io/library/nginx"`},
		{"registry blocked wins", `{"version":1,"registries":{"allowed":["*"],"blocked":["docker.io/*"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.blocked", `matches blocked pattern "docker.io/*"`},
		{"registry not blocked", `{"version":1,"registries":{"blocked":["ghcr.io/*"]}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "registries.blocked", "matches no blocked pattern"},
		{"local rejected by allowed", `{"version":1,"registries":{"allowed":["*"]}}`, Input{Manifest: manifest("hello", local, dgA), Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.allowed", "source oci:./hello:1.0 matches none"},
		{"local allowed by transport", `{"version":1,"registries":{"allowed":["oci:*"]}}`, Input{Manifest: manifest("hello", local, dgA), Signatures: []Signature{alice}}, exit.OK, "registries.allowed", `matches allowed pattern "oci:*"`},
		{"local blocked by transport", `{"version":1,"registries":{"blocked":["oci:*"]}}`, Input{Manifest: manifest("hello", local, dgA), Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.blocked", `"oci:*"`},

		// pin
		{"not pinned", `{"version":1,"pin":{"redis":{"digest":"` + dgB + `"}}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "pin", `package "nginx" is not pinned`},
		{"pin digest ok", `{"version":1,"pin":{"nginx":{"digest":"` + dgA + `"}}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.OK, "pin.nginx.digest", "image digest is " + dgA},
		{"pin digest differs", `{"version":1,"pin":{"nginx":{"digest":"` + dgB + `"}}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "pin.nginx.digest", "image digest is " + dgA + ", the pin requires " + dgB},
		{"pin manifest digest ok", `{"version":1,"pin":{"nginx":{"manifest_digest":"` + dgB + `"}}}`, Input{Manifest: nginx, ManifestDigest: dgB, Signatures: []Signature{alice}}, exit.OK, "pin.nginx.manifest_digest", "manifest digest is " + dgB},
		{"pin manifest digest differs", `{"version":1,"pin":{"nginx":{"manifest_digest":"` + dgB + `"}}}`, Input{Manifest: nginx, ManifestDigest: dgA, Signatures: []Signature{alice}}, exit.PolicyRejected, "pin.nginx.manifest_digest", "the pin requires " + dgB},
		{"pin signers ok", `{"version":1,"pin":{"nginx":{"signers":["alice","` + bob.Fingerprint.String() + `"]}}}`, Input{Manifest: nginx, Signatures: []Signature{alice, bob}}, exit.OK, "pin.nginx.signers", "every pinned signer signed"},
		{"pin signer missing", `{"version":1,"pin":{"nginx":{"signers":["alice","bob"]}}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "pin.nginx.signers", `pinned signer(s) "bob"`},
		{"pin signer denied", `{"version":1,"signers":{"denied":["bob"]},"pin":{"nginx":{"signers":["bob"]}}}`, Input{Manifest: nginx, Signatures: []Signature{alice, bob}}, exit.PolicyRejected, "pin.nginx.signers", `"bob"`},
		{"pin signer invalid", `{"version":1,"pin":{"nginx":{"signers":["bob"]}}}`, Input{Manifest: nginx, Signatures: []Signature{alice, {KeyID: "bob", Fingerprint: bob.Fingerprint, Suite: bob.Suite, Trusted: true}}}, exit.PolicyRejected, "pin.nginx.signers", `"bob"`},
		{"pin nested name", `{"version":1,"pin":{"acme/app":{"digest":"` + dgB + `"}}}`, Input{Manifest: manifest("acme/app", hub, dgA), Signatures: []Signature{alice}}, exit.PolicyRejected, "pin.acme/app.digest", "the pin requires"},

		// require_attestations
		{"attestations", `{"version":1,"require_attestations":["slsa-provenance"]}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.MissingAttestation, "require_attestations", "https://slsa.dev/provenance/v1: the bundle has no attestation of this type"},
		{"attestation present", `{"version":1,"require_attestations":["slsa-provenance"]}`, Input{Manifest: nginx, Signatures: []Signature{alice},
			Attestations: []Attestation{{PredicateType: "https://slsa.dev/provenance/v1", KeyID: "alice", Fingerprint: alice.Fingerprint, Suite: alice.Suite, Valid: true, Trusted: true}}}, exit.OK, "require_attestations", "required attestations present: https://slsa.dev/provenance/v1 by alice"},
		{"attestation by the wrong signer", `{"version":1,"require_attestations":[{"type":"slsa-provenance","signers":["ci-*"]}]}`, Input{Manifest: nginx, Signatures: []Signature{alice},
			Attestations: []Attestation{{PredicateType: "https://slsa.dev/provenance/v1", KeyID: "alice", Fingerprint: alice.Fingerprint, Suite: alice.Suite, Valid: true, Trusted: true}}}, exit.MissingAttestation, "require_attestations", "not one of the required signers ci-*"},
		{"attestation untrusted", `{"version":1,"require_attestations":["spdx"]}`, Input{Manifest: nginx, Signatures: []Signature{alice},
			Attestations: []Attestation{{PredicateType: "https://spdx.dev/Document", Fingerprint: alice.Fingerprint, Suite: alice.Suite, Valid: true}}}, exit.MissingAttestation, "require_attestations", "key not trusted"},
		{"policy rejection wins over attestations", `{"version":1,"require_attestations":["sbom"],"signers":{"threshold":2}}`, Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "signers.threshold", "1 of 2"},

		// Combinations.
		{"enterprise ok", string(Example()), Input{Manifest: manifest("nginx", hub, exampleDigest), Signatures: []Signature{rel1, secteam}},
			exit.OK, "pin.nginx.signers", "every pinned signer signed"},
		{"enterprise pin digest", string(Example()), Input{Manifest: manifest("nginx", hub, dgB), Signatures: []Signature{rel1, secteam}},
			exit.PolicyRejected, "pin.nginx.digest", "the pin requires " + exampleDigest},
		{"enterprise pinned signer missing", string(Example()), Input{Manifest: manifest("nginx", hub, exampleDigest), Signatures: []Signature{rel1, rel2}},
			exit.PolicyRejected, "pin.nginx.signers", `pinned signer(s) "5041f11e`},
		{"enterprise denied release", string(Example()), Input{Manifest: manifest("redis", hub, dgA), Signatures: []Signature{signer("release-2019", keys.SuiteEd25519), secteam}},
			exit.PolicyRejected, "signers.threshold", "1 of 2 required signers: secteam ("},
		{"enterprise busybox blocked", string(Example()), Input{Manifest: manifest("busybox", bundle.Source{Transport: "docker", Registry: "docker.io", Repository: "library/busybox"}, dgA), Signatures: []Signature{rel1, secteam}},
			exit.PolicyRejected, "registries.blocked", `"docker.io/library/busybox"`},
		{"enterprise oci layout", string(Example()), Input{Manifest: manifest("hello", local, dgA), Signatures: []Signature{rel1, secteam}},
			exit.PolicyRejected, "registries.allowed", "source oci:./hello:1.0 matches none"},
		{"post-quantum two of three", `{"version":1,"signers":{"allowed":["release-*","bob"],"threshold":2},"suites":{"allowed":["CT-SIG-02","CT-SIG-03"]}}`,
			Input{Manifest: nginx, Signatures: []Signature{rel1, rel2, bob}}, exit.OK, "signers.threshold", "2 of 2 required signers: release-2 (" + rel2.Fingerprint.Short() + "), bob (" + bob.Fingerprint.Short() + "); not counted: release-1 (" + rel1.Fingerprint.Short() + ") (suite CT-SIG-01 not in suites.allowed)"},
		{"everything fails, first reported", `{"version":1,"registries":{"blocked":["docker.io/*"]},"signers":{"threshold":2},"pin":{"nginx":{"digest":"` + dgB + `"}}}`,
			Input{Manifest: nginx, Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.blocked", "docker.io/library/nginx"},
		{"nil manifest", `{"version":1,"registries":{"allowed":["*"]}}`, Input{Signatures: []Signature{alice}}, exit.PolicyRejected, "registries.allowed", "matches none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.policy).Evaluate(tc.in)
			if r.Code != tc.code || r.OK != (tc.code == exit.OK) {
				t.Fatalf("code %d ok %v, want %d\n%s", r.Code, r.OK, tc.code, dump(r))
			}
			var c *Check
			for i := range r.Checks {
				if tc.code != exit.OK && !r.Checks[i].OK || tc.code == exit.OK && r.Checks[i].Rule == tc.rule {
					c = &r.Checks[i]
					break
				}
			}
			if c == nil || c.Rule != tc.rule {
				t.Fatalf("no check %s as expected\n%s", tc.rule, dump(r))
			}
			if !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", c.Detail, tc.detail)
			}
			err := r.Error()
			if tc.code == exit.OK {
				if err != nil {
					t.Errorf("Error() = %v for an accepted bundle", err)
				}
				return
			}
			xe, ok := err.(*exit.Error)
			if !ok || xe.Code != tc.code || xe.Where != "policy p.json, rule "+tc.rule || xe.Msg != c.Detail || xe.Hint == "" {
				t.Errorf("Error() = %#v", err)
			}
		})
	}
}

const exampleDigest = "sha256:0b8e3c6a1f2d4e5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"

// secteam holds the fingerprint the example policy allows and pins.
var secteam = Signature{KeyID: "secteam", Fingerprint: mustFP(fpA), Suite: keys.SuiteHybrid, Valid: true, Trusted: true}

func mustFP(s string) keys.Fingerprint {
	f, err := keys.ParseFingerprint(s)
	if err != nil {
		panic(err)
	}
	return f
}

func dump(r *Result) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("  " + c.Rule + " ok=" + map[bool]string{true: "yes", false: "no"}[c.OK] + ": " + c.Detail + "\n")
	}
	return b.String()
}

func TestChecksOnlyForSetRules(t *testing.T) {
	r := mustParse(t, `{"version":1}`).Evaluate(Input{Manifest: manifest("nginx", hub, dgA), Signatures: []Signature{alice}})
	if len(r.Checks) != 1 || r.Checks[0].Rule != "signers.threshold" {
		t.Fatalf("checks of an empty policy:\n%s", dump(r))
	}
	r = mustParse(t, string(Example())).Evaluate(Input{Manifest: manifest("redis", hub, dgA), Signatures: []Signature{rel1, rel2}})
	var rules []string
	for _, c := range r.Checks {
		rules = append(rules, c.Rule)
	}
	want := "registries.blocked registries.allowed signers.denied signers.allowed signers.threshold pin"
	if strings.Join(rules, " ") != want || !r.OK {
		t.Fatalf("rules %q, want %q\n%s", rules, want, dump(r))
	}
}

func TestSourceMatches(t *testing.T) {
	docker := func(registry, repo string) bundle.Source {
		return bundle.Source{Transport: "docker", Registry: registry, Repository: repo, Reference: registry + "/" + repo}
	}
	for _, tc := range []struct {
		pattern string
		src     bundle.Source
		want    bool
	}{
		{"docker.io/library/*", docker("docker.io", "library/nginx"), true},
		{"docker.io/library/*", docker("docker.io", "library/team/nginx"), true}, // a final * matches any depth
		{"docker.io/library/*", docker("docker.io", "library"), false},
		{"docker.io/library/*", docker("docker.io", "bitnami/nginx"), false},
		{"docker.io/library/*", docker("index.docker.io", "library/nginx"), false},
		{"*.internal.example/*", docker("reg.internal.example", "app"), true},
		{"*.internal.example/*", docker("reg.internal.example", "team/app"), true},
		{"*.internal.example/*", docker("a.b.internal.example", "app"), true},
		{"*.internal.example/*", docker("internal.example", "app"), false},
		{"*.internal.example/*", docker("reg.internal.example:5000", "app"), false},
		{"*.internal.example/*", docker("evil.example", "x.internal.example/app"), false},
		{"*.internal.example:*/*", docker("reg.internal.example:5000", "app"), true},
		{"docker.io/library/nginx", docker("docker.io", "library/nginx"), true},
		{"docker.io/library/nginx", docker("docker.io", "library/nginx/x"), false},
		{"docker.io/*/nginx", docker("docker.io", "library/nginx"), true},
		{"docker.io/*/nginx", docker("docker.io", "a/b/nginx"), false},
		{"docker.io/library/ngin?", docker("docker.io", "library/nginx"), true},
		{"docker.io/library/nginx*", docker("docker.io", "library/nginx/x"), false}, // only a whole * segment spans segments
		{"ghcr.io/[a-c]*/*", docker("ghcr.io", "acme/app"), true},
		{"ghcr.io/[a-c]*/*", docker("ghcr.io", "zeta/app"), false},
		{"*", docker("docker.io", "library/nginx"), true},
		{"*", local, false},
		{"*/*", docker("docker.io", "library/nginx"), true},
		{"oci:*", local, true},
		{"oci-archive:*", local, false},
		{"oci:*", bundle.Source{Transport: "oci", Reference: "/srv/x"}, true},
		{"docker-archive:*", bundle.Source{Transport: "docker-archive", Reference: "docker-archive:x.tar:a:b"}, true},
		{"oci:*", docker("oci", "x"), false},
	} {
		if got := sourceMatches(tc.pattern, tc.src); got != tc.want {
			t.Errorf("%q vs %s: %v, want %v", tc.pattern, Subject(tc.src), got, tc.want)
		}
	}
}
