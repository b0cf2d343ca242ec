package verify

import (
	"bytes"
	"fmt"
	"github.com/cerro-torre/ct/lib/bundle/bundletest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/sig"
)

// fixture is a real signed bundle and the keys around it.
type fixture struct {
	data    []byte
	alice   *keys.PrivateKey // signs
	mallory *keys.PrivateKey // does not
	m       *bundle.Manifest
	blobs   map[string][]byte
}

func key(t testing.TB, suite, id string, b byte) *keys.PrivateKey {
	seed := bytes.Repeat([]byte{b}, 32)
	if suite == keys.SuiteHybrid {
		seed = bytes.Repeat([]byte{b}, 64)
	}
	k, err := keys.NewPrivateKeyFromSeed(suite, id, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func image() (*bundle.Manifest, map[string][]byte) {
	blobs := map[string][]byte{}
	add := func(b []byte) string { d := bundle.Digest(b); blobs[d] = b; return d }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	l1, l2 := bytes.Repeat([]byte("first layer "), 2000), bytes.Repeat([]byte("second layer "), 3000)
	cd, d1, d2 := add(cfg), add(l1), add(l2)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d},`+
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}`,
		cd, len(cfg), d1, len(l1), d2, len(l2)))
	md := add(man)
	m := &bundle.Manifest{
		Format:  bundle.FormatVersion,
		Package: bundle.Package{Name: "web", Version: "1.0"},
		Source: bundle.Source{Reference: "registry.example/team/web:1.0", Transport: "docker", Registry: "registry.example",
			Repository: "team/web", Tag: "1.0", Digest: md},
		Image: bundle.Image{Digest: md, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(man)),
			Config: cd, Platform: "linux/amd64"},
		Tool: bundle.Tool{Name: "test", Version: "1"},
		Blobs: []bundle.Blob{
			{Digest: md, Size: int64(len(man)), MediaType: "application/vnd.oci.image.manifest.v1+json", Role: bundle.RoleManifest},
			{Digest: cd, Size: int64(len(cfg)), MediaType: "application/vnd.oci.image.config.v1+json", Role: bundle.RoleConfig},
			{Digest: d1, Size: int64(len(l1)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: bundle.RoleLayer},
			{Digest: d2, Size: int64(len(l2)), MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Role: bundle.RoleLayer},
		},
	}
	m.SortBlobs()
	return m, blobs
}

// writeBundle writes m with blobs, signed by signers.
func writeBundle(t testing.TB, m *bundle.Manifest, blobs map[string][]byte, signers ...*keys.PrivateKey) []byte {
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m, bundle.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		if err := w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	var sigs []bundle.Entry
	for _, k := range signers {
		e, _, err := sig.BundleEntry(k, w.ManifestBytes())
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, e)
	}
	if err := w.WriteSignatures(sigs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newFixture(t testing.TB) *fixture {
	m, blobs := image()
	f := &fixture{alice: key(t, keys.SuiteEd25519, "alice", 1), mallory: key(t, keys.SuiteEd25519, "mallory", 2), m: m, blobs: blobs}
	f.data = writeBundle(t, m, blobs, f.alice)
	return f
}

func (f *fixture) trust(ks ...*keys.PrivateKey) Options {
	var o Options
	for _, k := range ks {
		o.Trusted = append(o.Trusted, TrustedKey{Key: k.Public(), Source: "test " + k.ID()})
	}
	return o
}

type entry = bundletest.Entry

func entries(t testing.TB, data []byte) []entry {
	e, err := bundletest.Entries(data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func build(es []entry) []byte { return bundletest.Build(es) }

func index(es []entry, prefix string) int {
	for i, e := range es {
		if strings.HasPrefix(e.Name, prefix) {
			return i
		}
	}
	return -1
}

// The tamper suite: every exit code of the contract, each reached by a
// realistic change to a real signed bundle.
func TestTamperSuite(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	layer := f.blobs[f.m.Blobs[0].Digest]
	_ = layer
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }
	edit := func(fn func([]entry) []entry) []byte {
		c := append([]entry(nil), es...)
		return build(fn(c))
	}
	// A manifest edited consistently (summary and index re-derived) keeps
	// the format intact, so only the signature can catch it.
	forged := func() []byte {
		m, blobs := image()
		m.Package.Version = "1.0-evil"
		good := entries(t, writeBundle(t, m, blobs))
		return build(append(good, es[index(es, "signatures/"):]...))
	}
	badSig := func() []byte {
		return edit(func(c []entry) []entry {
			i := index(c, "signatures/")
			for c[i].Dir {
				i++
			}
			e, err := sig.ParseEntry(c[i].Name, c[i].Data)
			if err != nil {
				t.Fatal(err)
			}
			e.Signature[5] ^= 0x10
			_, data, err := sig.EncodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			c[i].Data = data
			return c
		})
	}
	blobEntry := index(es, "blobs/sha256/")
	for blobEntry >= 0 && es[blobEntry].Dir {
		blobEntry++
	}
	lastBlob := index(es, "signatures/") - 1

	cases := []struct {
		name string
		data []byte
		opts Options
		code exit.Code
		want string
	}{
		{"valid", f.data, f.trust(f.alice), exit.OK, ""},
		{"flipped byte in a layer", edit(func(c []entry) []entry {
			i := lastBlob
			c[i].Data = flip(c[i].Data, len(c[i].Data)/2)
			return c
		}), f.trust(f.alice), exit.HashMismatch, "content has digest"},
		{"flipped byte in manifest.toml", edit(func(c []entry) []entry {
			c[0].Data = bytes.Replace(c[0].Data, []byte(`version = "1.0"`), []byte(`version = "1.1"`), 1)
			return c
		}), f.trust(f.alice), exit.HashMismatch, "summary.json"},
		{"manifest forged consistently", forged(), f.trust(f.alice), exit.SignatureInvalid, "does not verify"},
		{"flipped bit in a signature", badSig(), f.trust(f.alice), exit.SignatureInvalid, "does not verify"},
		{"unsigned", writeBundle(t, f.m, f.blobs), f.trust(f.alice), exit.SignatureInvalid, "unsigned"},
		{"untrusted key", f.data, f.trust(f.mallory), exit.KeyNotTrusted, "no signer is trusted"},
		{"no trusted keys at all", f.data, Options{}, exit.KeyNotTrusted, "alice"},
		{"extra entry", edit(func(c []entry) []entry { return append(c, entry{Name: "README", Data: []byte("hi")}) }),
			f.trust(f.alice), exit.Malformed, "unexpected entry"},
		{"missing blob", edit(func(c []entry) []entry { return append(c[:blobEntry:blobEntry], c[blobEntry+1:]...) }),
			f.trust(f.alice), exit.Malformed, "missing blob 1 of 4"},
		{"duplicate blob", edit(func(c []entry) []entry {
			return append(append(c[:blobEntry+1:blobEntry+1], c[blobEntry]), c[blobEntry+1:]...)
		}), f.trust(f.alice), exit.Malformed, "duplicate"},
		{"../ path", edit(func(c []entry) []entry {
			return append(c, entry{Name: "signatures/../../../etc/cron.d/x", Data: []byte("x")})
		}), f.trust(f.alice), exit.Malformed, "unsafe path"},
		{"symlink entry", edit(func(c []entry) []entry { return append(c, entry{Name: "signatures/link", Link: "/etc/shadow"}) }),
			f.trust(f.alice), exit.Malformed, "link entries are not allowed"},
		{"garbage", bytes.Repeat([]byte("not a bundle "), 100), f.trust(f.alice), exit.Malformed, "not a"},
		{"empty file", nil, f.trust(f.alice), exit.Malformed, "empty input"},
		{"data after the archive", append(bytes.Clone(f.data), 'x'), f.trust(f.alice), exit.Malformed, "after the end"},
		// precedence: a wrong byte outranks an untrusted signer
		{"layer flip and untrusted", edit(func(c []entry) []entry {
			c[lastBlob].Data = flip(c[lastBlob].Data, 3)
			return c
		}), f.trust(f.mallory), exit.HashMismatch, "content has digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Verify(bytes.NewReader(c.data), "web.ctp", c.opts)
			if got := exit.Code(rep.Code); got != c.code {
				t.Fatalf("exit %d (%s), want %d: %v", got, rep.Verdict, c.code, rep.Err())
			}
			if c.code == exit.OK {
				if rep.Err() != nil || !rep.Valid {
					t.Fatal(rep.Err())
				}
				return
			}
			err := rep.Err()
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "web.ctp") {
				t.Fatalf("error %q should mention %q and the bundle", err, c.want)
			}
			if exit.HintOf(err) == "" {
				t.Fatalf("no hint for %v", err)
			}
		})
	}
}

// Truncating a signed bundle anywhere never yields success, and always a
// defined code.
func TestTruncation(t *testing.T) {
	f := newFixture(t)
	for cut := 0; cut < len(f.data)-1024; cut += 509 {
		rep := Verify(bytes.NewReader(f.data[:cut]), "web.ctp", f.trust(f.alice))
		if rep.Valid || (exit.Code(rep.Code) != exit.Malformed && exit.Code(rep.Code) != exit.HashMismatch) {
			t.Fatalf("cut at %d: code %d: %v", cut, rep.Code, rep.Err())
		}
	}
}

// Every check runs: two damaged layers are both reported.
func TestAllChecksRun(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	n := 0
	for i := range es {
		if strings.HasPrefix(es[i].Name, "blobs/sha256/") && !es[i].Dir && len(es[i].Data) > 10000 {
			es[i].Data = bytes.Clone(es[i].Data)
			es[i].Data[100] ^= 1
			n++
		}
	}
	rep := Verify(bytes.NewReader(build(es)), "web.ctp", f.trust(f.alice))
	if exit.Code(rep.Code) != exit.HashMismatch || len(rep.Others()) != n-1 || n != 2 {
		t.Fatalf("code %d, %d other failures, %d damaged: %v", rep.Code, len(rep.Others()), n, rep.Err())
	}
}

func TestPolicyRules(t *testing.T) {
	f := newFixture(t)
	fp := f.alice.Fingerprint()
	for _, c := range []struct {
		name, policy string
		code         exit.Code
	}{
		{"empty policy", `{"version":1}`, exit.OK},
		{"signer allowed", `{"version":1,"signers":{"allowed":["ali*"]}}`, exit.OK},
		{"signer not allowed", `{"version":1,"signers":{"allowed":["bob"]}}`, exit.PolicyRejected},
		{"signer denied", `{"version":1,"signers":{"denied":["` + fp.String() + `"]}}`, exit.PolicyRejected},
		{"threshold", `{"version":1,"signers":{"threshold":2}}`, exit.PolicyRejected},
		{"registry allowed", `{"version":1,"registries":{"allowed":["registry.example/team/*"]}}`, exit.OK},
		{"registry not allowed", `{"version":1,"registries":{"allowed":["docker.io/library/*"]}}`, exit.PolicyRejected},
		{"registry blocked", `{"version":1,"registries":{"blocked":["*.example/*"]}}`, exit.PolicyRejected},
		{"suite not allowed", `{"version":1,"suites":{"allowed":["CT-SIG-02","CT-SIG-03"]}}`, exit.PolicyRejected},
		{"pin digest", `{"version":1,"pin":{"web":{"digest":"sha256:` + strings.Repeat("0", 64) + `"}}}`, exit.PolicyRejected},
		{"pin digest ok", `{"version":1,"pin":{"web":{"digest":"` + f.m.Image.Digest + `"}}}`, exit.OK},
		{"pin manifest digest", `{"version":1,"pin":{"web":{"manifest_digest":"sha256:` + strings.Repeat("1", 64) + `"}}}`, exit.PolicyRejected},
		{"pin signers", `{"version":1,"pin":{"web":{"signers":["bob"]}}}`, exit.PolicyRejected},
		{"pin signers ok", `{"version":1,"pin":{"web":{"signers":["` + fp.String() + `"]}}}`, exit.OK},
		{"pin other package", `{"version":1,"pin":{"api":{"signers":["bob"]}}}`, exit.OK},
		{"attestation required", `{"version":1,"require_attestations":["slsa-provenance"]}`, exit.MissingAttestation},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(c.policy), "p.json")
			if err != nil {
				t.Fatal(err)
			}
			opts := f.trust(f.alice)
			opts.Policy, opts.PolicyName = p, "p.json"
			rep := Verify(bytes.NewReader(f.data), "web.ctp", opts)
			if exit.Code(rep.Code) != c.code {
				t.Fatalf("code %d, want %d: %v", rep.Code, c.code, rep.Err())
			}
			if c.code != exit.OK && !strings.Contains(rep.Err().Error(), "p.json") {
				t.Fatalf("error does not name the policy: %v", rep.Err())
			}
		})
	}
}

// FuzzVerify: any byte string in, a defined exit code out, never a panic.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.data)
	f.Add(fx.data[:2048])
	f.Add([]byte{})
	es := entries(f, fx.data)
	f.Add(build(es[:len(es)-1]))
	vecs, _ := filepath.Glob("../../tests/vectors/verify/*.ctp")
	for _, v := range vecs {
		if data, err := os.ReadFile(v); err == nil {
			f.Add(data)
		}
	}
	opts := fx.trust(fx.alice)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := Verify(bytes.NewReader(data), "fuzz.ctp", opts)
		consistent(t, "fuzz", rep) // the report never contradicts itself
		switch exit.Code(rep.Code) {
		case exit.OK, exit.HashMismatch, exit.SignatureInvalid, exit.KeyNotTrusted, exit.Malformed, exit.LogProofInvalid:
		default:
			t.Fatalf("undefined outcome %d: %v", rep.Code, rep.Err())
		}
		if rep.Valid && !bytes.Equal(data, fx.data) && len(rep.Signatures) == 0 {
			t.Fatal("accepted an unsigned bundle")
		}
		for _, s := range rep.Signatures { // names come from the verifier, never the entry
			if s.Trusted && s.KeyID != fx.alice.ID() || !s.Trusted && s.KeyID != "" {
				t.Fatalf("signer named %q (trusted %v, claims %q)", s.KeyID, s.Trusted, s.ClaimedKeyID)
			}
		}
		for _, a := range rep.Attestations { // the same for attestation signers
			if a.Trusted && a.Key.KeyID != fx.alice.ID() || !a.Trusted && a.Key.KeyID != "" {
				t.Fatalf("attestation signer named %q (trusted %v)", a.Key.KeyID, a.Trusted)
			}
		}
	})
}

// VerifyFile (parallel hashing with positioned reads) reaches the same
// verdict as the one-pass Verify on every tampered bundle.
func TestVerifyFileAgrees(t *testing.T) {
	f := newFixture(t)
	es := entries(t, f.data)
	var variants [][]byte
	variants = append(variants, f.data, f.data[:len(f.data)/2], nil)
	for i := range es {
		if strings.HasPrefix(es[i].Name, "blobs/sha256/") && !es[i].Dir {
			c := append([]entry(nil), es...)
			c[i].Data = bytes.Clone(c[i].Data)
			c[i].Data[len(c[i].Data)-1] ^= 0x80
			variants = append(variants, build(c))
		}
	}
	for n, data := range variants {
		p := t.TempDir() + "/b.ctp"
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		a := Verify(bytes.NewReader(data), "b.ctp", f.trust(f.alice))
		b := VerifyFile(file, "b.ctp", f.trust(f.alice))
		file.Close()
		if a.Code != b.Code || len(a.Others()) != len(b.Others()) || !b.ContentChecked {
			t.Errorf("variant %d: Verify code %d (%v), VerifyFile code %d (%v)", n, a.Code, a.Err(), b.Code, b.Err())
		}
	}
}

// The report lists the layers in image order (base first), not in the
// digest order of manifest.toml, so explain can say "layer 2/2".
func TestLayerOrder(t *testing.T) {
	f := newFixture(t)
	rep := Verify(bytes.NewReader(f.data), "web.ctp", f.trust(f.alice))
	first := bundle.Digest(bytes.Repeat([]byte("first layer "), 2000))
	second := bundle.Digest(bytes.Repeat([]byte("second layer "), 3000))
	if len(rep.Layers) != 2 || rep.Layers[0] != first || rep.Layers[1] != second {
		t.Fatalf("layers %v, want [%s %s]", rep.Layers, first, second)
	}
}
