package sig

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

var manifest = []byte("format = 1\n\n[package]\nname = \"demo\"\nversion = \"1\"\n")

func seed(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func fixedKey(t testing.TB, suite string, start byte) *keys.PrivateKey {
	t.Helper()
	k, err := keys.NewPrivateKeyFromSeed(suite, "test-"+strings.ToLower(suite), seed(keys.LookupSuite(suite).Seed, start))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func wantCode(t *testing.T, err error, code exit.Code, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %d (%s)", code, substr)
	}
	if c := exit.CodeOf(err); c != code {
		t.Fatalf("code %d, want %d: %v", c, code, err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

func TestRegistryMatchesKeys(t *testing.T) {
	if len(Suites) != len(keys.Suites) {
		t.Fatal("registries differ")
	}
	defaults := 0
	for i, s := range Suites {
		ks := keys.Suites[i]
		if s.ID != ks.ID || s.PublicKeySize != ks.PublicKey {
			t.Fatalf("%+v vs %+v", s, ks)
		}
		if s.Default {
			defaults++
		}
	}
	if defaults != 1 || !LookupSuite("CT-SIG-01").Default {
		t.Fatal("CT-SIG-01 must be the one default")
	}
	want := map[string][2]int{"CT-SIG-01": {32, 64}, "CT-SIG-02": {32 + 2592, 64 + 4627}, "CT-SIG-03": {2592, 4627}}
	for id, w := range want {
		s := LookupSuite(id)
		if s.PublicKeySize != w[0] || s.SignatureSize != w[1] {
			t.Errorf("%s sizes %d %d", id, s.PublicKeySize, s.SignatureSize)
		}
	}
}

func TestMessageBytes(t *testing.T) {
	var fp keys.Fingerprint
	var d Digest
	for i := range fp {
		fp[i] = byte(i)
		d[i] = byte(0xff - i)
	}
	m := Message("CT-SIG-02", fp, d)
	want := append([]byte("CT-SIG-V1\x00CT-SIG-02\x00"), fp[:]...)
	want = append(want, d[:]...)
	if !bytes.Equal(m, want) || len(m) != 84 {
		t.Fatalf("%x", m)
	}
}

func TestRoundTripAndDeterminism(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, 0)
		e, err := Sign(k, manifest)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(e, k.Public(), manifest); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		e2, _ := Sign(k, manifest)
		if !e.Equal(e2) {
			t.Fatalf("%s: signing is not deterministic", s.ID)
		}
		name, data, err := EncodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		if name != "signatures/"+k.Fingerprint().String()+".sig" || name != e.Name() {
			t.Fatal(name)
		}
		if err := canon.CheckTOML(data); err != nil {
			t.Fatal(err)
		}
		_, data2, _ := EncodeEntry(e2)
		if !bytes.Equal(data, data2) {
			t.Fatal("entry bytes differ")
		}
		p, err := ParseEntry(name, data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.ID, err, data)
		}
		if !p.Equal(e) {
			t.Fatal("parse changed the entry")
		}
		if err := Verify(p, k.Public(), manifest); err != nil {
			t.Fatal(err)
		}
	}
}

// flips returns bit positions to flip in a buffer of n bytes: every bit of
// the first 72 bytes and of the last 8, and ~200 spread over the rest.
func flips(n int) []int {
	var out []int
	total := n * 8
	if n <= 128 {
		for i := range total {
			out = append(out, i)
		}
		return out
	}
	for i := range 72 * 8 {
		out = append(out, i)
	}
	for i := (n - 8) * 8; i < total; i++ {
		out = append(out, i)
	}
	step := (total - 80*8) / 200
	for i := 72 * 8; i < (n-8)*8; i += step {
		out = append(out, i+(i/step)%8)
	}
	return out
}

func TestBitFlipsInSignature(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, 0)
		e, _ := Sign(k, manifest)
		positions := flips(len(e.Signature))
		if s.ID == keys.SuiteEd25519 && len(positions) != 512 {
			t.Fatal("not every bit of the Ed25519 signature")
		}
		for _, bit := range positions {
			f := *e
			f.Signature = bytes.Clone(e.Signature)
			f.Signature[bit/8] ^= 1 << (bit % 8)
			if err := Verify(&f, k.Public(), manifest); exit.CodeOf(err) != exit.SignatureInvalid {
				t.Fatalf("%s: bit %d flipped still verifies: %v", s.ID, bit, err)
			}
		}
	}
}

// TestBitFlipsInMessage flips every bit of the signed message: a signature
// over the altered message must not verify as a signature over the real one.
func TestBitFlipsInMessage(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, 0)
		d := ManifestDigest(manifest)
		msg := Message(s.ID, k.Fingerprint(), d)
		pub := k.Public()
		for bit := range len(msg) * 8 {
			m := bytes.Clone(msg)
			m[bit/8] ^= 1 << (bit % 8)
			raw, err := rawSign(k, m)
			if err != nil {
				t.Fatal(err)
			}
			e := &Entry{Suite: s.ID, KeyID: k.ID(), Fingerprint: k.Fingerprint(), ManifestDigest: d, PublicKey: pub, Signature: raw}
			if err := Verify(e, pub, manifest); exit.CodeOf(err) != exit.SignatureInvalid || !strings.Contains(err.Error(), "signature by "+k.ID()) {
				t.Fatalf("%s: message bit %d flipped still verifies: %v", s.ID, bit, err)
			}
			if err := VerifySelf(e, manifest); exit.CodeOf(err) != exit.SignatureInvalid || !strings.Contains(err.Error(), "signature by key "+k.Fingerprint().Short()+` (calls itself "`+k.ID()+`")`) {
				t.Fatalf("%s: message bit %d flipped still verifies with the embedded key: %v", s.ID, bit, err)
			}
		}
	}
	// And every bit of manifest.toml matters.
	k := fixedKey(t, keys.SuiteEd25519, 0)
	e, _ := Sign(k, manifest)
	for bit := range len(manifest) * 8 {
		m := bytes.Clone(manifest)
		m[bit/8] ^= 1 << (bit % 8)
		err := Verify(e, k.Public(), m)
		wantCode(t, err, exit.SignatureInvalid, "signature covers manifest "+e.ManifestDigest.String())
	}
}

func TestHybridHalves(t *testing.T) {
	h := fixedKey(t, keys.SuiteHybrid, 0)
	e, _ := Sign(h, manifest)
	// One half damaged: the error names it.
	for _, c := range []struct {
		at   int
		want string
	}{{3, "the Ed25519 half does not verify"}, {100, "the ML-DSA-87 half does not verify"}} {
		f := *e
		f.Signature = bytes.Clone(e.Signature)
		f.Signature[c.at] ^= 0x10
		wantCode(t, Verify(&f, h.Public(), manifest), exit.SignatureInvalid, c.want)
	}
	f := *e
	f.Signature = bytes.Clone(e.Signature)
	f.Signature[3] ^= 1
	f.Signature[100] ^= 1
	wantCode(t, Verify(&f, h.Public(), manifest), exit.SignatureInvalid, "neither")

	// Stripping: the Ed25519 half alone, presented as CT-SIG-01 by the same
	// Ed25519 key, fails (the message names CT-SIG-02 and the hybrid key).
	edPub, err := keys.NewPublicKey("half", keys.SuiteEd25519, h.Public().Bytes()[:32])
	if err != nil {
		t.Fatal(err)
	}
	strip := &Entry{Suite: keys.SuiteEd25519, KeyID: "half", Fingerprint: edPub.Fingerprint(), ManifestDigest: e.ManifestDigest, PublicKey: edPub, Signature: e.Signature[:64]}
	wantCode(t, Verify(strip, edPub, manifest), exit.SignatureInvalid, "CT-SIG-01 (Ed25519) signature by half")
	wantCode(t, VerifySelf(strip, manifest), exit.SignatureInvalid, `CT-SIG-01 (Ed25519) signature by key `+edPub.Fingerprint().Short()+` (calls itself "half")`)
	// Even by the raw algorithm, the half signs a CT-SIG-02 message.
	if !ed25519.Verify(h.Ed25519().Public().(ed25519.PublicKey), Message(keys.SuiteHybrid, h.Fingerprint(), e.ManifestDigest), e.Signature[:64]) {
		t.Fatal("half does not verify over the hybrid message")
	}
	// The ML-DSA-87 half as CT-SIG-03.
	mlPub, _ := keys.NewPublicKey("half", keys.SuiteMLDSA87, h.Public().Bytes()[32:])
	strip3 := &Entry{Suite: keys.SuiteMLDSA87, KeyID: "half", Fingerprint: mlPub.Fingerprint(), ManifestDigest: e.ManifestDigest, PublicKey: mlPub, Signature: e.Signature[64:]}
	wantCode(t, Verify(strip3, mlPub, manifest), exit.SignatureInvalid, "CT-SIG-03 (ML-DSA-87) signature by half")
	wantCode(t, VerifySelf(strip3, manifest), exit.SignatureInvalid, `CT-SIG-03 (ML-DSA-87) signature by key `+mlPub.Fingerprint().Short()+` (calls itself "half")`)
	// Both stripped entries are well formed: only verification stops them.
	for _, st := range []*Entry{strip, strip3} {
		name, data, err := EncodeEntry(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseEntry(name, data); err != nil {
			t.Fatal(err)
		}
	}
	// A half kept under the hybrid suite: wrong length.
	for _, sg := range [][]byte{e.Signature[:64], e.Signature[64:], append(bytes.Clone(e.Signature), 0)} {
		g := *e
		g.Signature = sg
		wantCode(t, Verify(&g, h.Public(), manifest), exit.SignatureInvalid, "must be exactly 4691")
		_, _, err := EncodeEntry(&g)
		wantCode(t, err, exit.Malformed, "signature: ")
	}
}

func TestSuiteKeyMismatch(t *testing.T) {
	e1, _ := Sign(fixedKey(t, keys.SuiteEd25519, 0), manifest)
	k3 := fixedKey(t, keys.SuiteMLDSA87, 0)
	wantCode(t, Verify(e1, k3.Public(), manifest), exit.SignatureInvalid, "signature is CT-SIG-01, but key test-ct-sig-03")
	other := fixedKey(t, keys.SuiteEd25519, 0x40)
	wantCode(t, Verify(e1, other.Public(), manifest), exit.SignatureInvalid, "was made by key")
	// Relabelled entry: an Ed25519 signature claiming to be by another key,
	// carrying that key.
	f := *e1
	f.Fingerprint = other.Fingerprint()
	f.PublicKey = other.Public()
	wantCode(t, Verify(&f, other.Public(), manifest), exit.SignatureInvalid, "does not verify")
	wantCode(t, VerifySelf(&f, manifest), exit.SignatureInvalid, "does not verify")
	// Relabelled but still carrying the first key: the trusted key is not
	// the one in the entry.
	f.PublicKey = e1.PublicKey
	wantCode(t, Verify(&f, other.Public(), manifest), exit.SignatureInvalid, "signed by a different key than the trusted one")
	wantCode(t, VerifySelf(&f, manifest), exit.SignatureInvalid, "was made by key")
	_, _, err := EncodeEntry(&f)
	wantCode(t, err, exit.Malformed, "public key does not match the fingerprint")
	g := *e1
	g.Suite = "CT-SIG-77"
	wantCode(t, Verify(&g, other.Public(), manifest), exit.SignatureInvalid, "unknown signature suite")
	wantCode(t, VerifySelf(&g, manifest), exit.SignatureInvalid, "unknown signature suite")
}

// TestVerifySelf: an entry verifies with the key it carries, whoever signed
// it; trust is the caller's decision.
func TestVerifySelf(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, 0x40)
		e, _ := Sign(k, manifest)
		name, data, _ := EncodeEntry(e)
		p, err := ParseEntry(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if !p.PublicKey.Equal(k.Public()) || p.PublicKey.ID() != k.ID() {
			t.Fatalf("%s: parsed entry does not carry the signing key", s.ID)
		}
		if err := VerifySelf(p, manifest); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		// The trusted key under another id is the same key.
		renamed, _ := k.Public().WithID("renamed")
		if err := Verify(p, renamed, manifest); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		wantCode(t, VerifySelf(p, append(bytes.Clone(manifest), ' ')), exit.SignatureInvalid, "signature covers manifest")
		f := *p
		f.Signature = bytes.Clone(p.Signature)
		f.Signature[len(f.Signature)-1] ^= 0x80
		wantCode(t, VerifySelf(&f, manifest), exit.SignatureInvalid, "does not verify")
	}
	e, _ := Sign(fixedKey(t, keys.SuiteEd25519, 0), manifest)
	g := *e
	g.PublicKey = nil
	wantCode(t, VerifySelf(&g, manifest), exit.SignatureInvalid, "carries no public key")
	wantCode(t, Verify(&g, e.PublicKey, manifest), exit.SignatureInvalid, "signed by a different key than the trusted one")
	// A hand-built entry whose key is of another suite.
	g.PublicKey = fixedKey(t, keys.SuiteMLDSA87, 0).Public()
	wantCode(t, VerifySelf(&g, manifest), exit.SignatureInvalid, "signature is CT-SIG-01, but key")
}

func TestEncodeEntryRejects(t *testing.T) {
	k := fixedKey(t, keys.SuiteEd25519, 0)
	e, _ := Sign(k, manifest)
	other := fixedKey(t, keys.SuiteEd25519, 0x40).Public()
	renamed, _ := k.Public().WithID("renamed")
	k3 := fixedKey(t, keys.SuiteMLDSA87, 0).Public()
	for _, c := range []struct {
		pub  *keys.PublicKey
		want string
	}{
		{nil, "lacks public_key"},
		{other, "public key does not match the fingerprint"},
		{renamed, "does not fit"},
		{k3, "does not fit"},
	} {
		f := *e
		f.PublicKey = c.pub
		_, _, err := EncodeEntry(&f)
		wantCode(t, err, exit.Malformed, c.want)
	}
}

// TestMaxEntrySize: the largest valid entry (CT-SIG-02, the longest key id)
// fits with room to spare.
func TestMaxEntrySize(t *testing.T) {
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteHybrid, strings.Repeat("x", keys.MaxIDLength), seed(64, 0))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Sign(k, manifest)
	_, data, err := EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest entry: %d bytes", len(data))
	if len(data) > MaxEntrySize*3/4 {
		t.Fatalf("largest entry is %d bytes, too close to MaxEntrySize %d", len(data), MaxEntrySize)
	}
}

func TestParseEntryRejects(t *testing.T) {
	k := fixedKey(t, keys.SuiteEd25519, 0)
	e, _ := Sign(k, manifest)
	name, good, _ := EncodeEntry(e)
	var f entryFile
	if err := canon.UnmarshalTOML(good, &f); err != nil {
		t.Fatal(err)
	}
	enc := func(mut func(*entryFile)) []byte {
		g := f
		g.Signature = append([]string(nil), f.Signature...)
		g.PublicKey = append([]string(nil), f.PublicKey...)
		mut(&g)
		out, err := canon.MarshalTOML(&g)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pk := e.PublicKey.Bytes()
	otherPK := fixedKey(t, keys.SuiteEd25519, 0x40).Public().Bytes()
	sig63 := b64.EncodeToString(e.Signature[:63])
	sig65 := b64.EncodeToString(append(bytes.Clone(e.Signature), 0))
	cases := []struct {
		name, data, want string
	}{
		{name, "", "not a valid signature entry"},
		{"signatures/" + strings.Repeat("0", 64) + ".sig", string(good), "does not match its fingerprint"},
		{"signatures/x.sig", string(good), "is named signatures/"},
		{strings.ToUpper(name), string(good), "is named signatures/"},
		{name, string(good) + "zzz = 1\n", "unknown field"},
		{name, "# c\n" + string(good), "not a valid signature entry"},
		{name, string(enc(func(g *entryFile) { g.Format = 2 })), "unknown signature entry format 2"},
		{name, string(enc(func(g *entryFile) { g.Suite = "CT-SIG-09" })), `unknown signature suite "CT-SIG-09"`},
		{name, string(enc(func(g *entryFile) { g.Suite = "CT-SIG-03" })), "truncated signature: 64 bytes, but a CT-SIG-03 signature is exactly 4627"},
		{name, string(enc(func(g *entryFile) { g.Suite = "" })), "lacks suite"},
		{name, string(enc(func(g *entryFile) { g.KeyID = "a b" })), "not a valid key id"},
		{name, string(enc(func(g *entryFile) { g.ManifestDigest = "sha512:00" })), "manifest_digest"},
		{name, string(enc(func(g *entryFile) { g.ManifestDigest = strings.ToUpper(g.ManifestDigest) })), "manifest_digest"},
		{name, string(enc(func(g *entryFile) { g.Signature = []string{sig63} })), "truncated signature: 63 bytes"},
		{name, string(enc(func(g *entryFile) { g.Signature = []string{sig65} })), "oversized signature: 65 bytes"},
		{name, string(enc(func(g *entryFile) { g.Signature = nil })), "lacks signature"},
		{name, string(enc(func(g *entryFile) { g.Signature = []string{g.Signature[0][:40], g.Signature[0][40:]} })), "chunked base64"},
		{name, string(enc(func(g *entryFile) { g.Signature = []string{strings.TrimRight(g.Signature[0], "=")} })), "chunked base64"},
		{name, string(enc(func(g *entryFile) { g.Signature = []string{g.Signature[0], ""} })), "chunked base64"},
		{name, strings.Repeat("a", MaxEntrySize+1), "limit"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = nil })), "lacks public_key"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{b64.EncodeToString(otherPK)} })), "public key does not match the fingerprint " + e.Fingerprint.String()},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{b64.EncodeToString(pk[:31])} })), "truncated public key: 31 bytes, but a CT-SIG-01 public key is exactly 32"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{b64.EncodeToString(append(pk, 0))} })), "oversized public key: 33 bytes"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{strings.TrimRight(g.PublicKey[0], "=")} })), "public_key is not canonical chunked base64"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{g.PublicKey[0][:20], g.PublicKey[0][20:]} })), "public_key is not canonical chunked base64"},
		{name, string(enc(func(g *entryFile) { g.PublicKey = []string{} })), "public_key is not canonical chunked base64"},
	}
	for _, c := range cases {
		_, err := ParseEntry(c.name, []byte(c.data))
		wantCode(t, err, exit.Malformed, c.want)
	}
}

func TestChunking(t *testing.T) {
	for _, n := range []int{1, 64, 3071, 3072, 3073, 4627, 4691, 6144, 6145} {
		b := seed(n, 7)
		parts := canon.ChunkBase64(b)
		for i, p := range parts {
			if len(p) > ChunkLen || i < len(parts)-1 && len(p) != ChunkLen {
				t.Fatalf("%d: chunk %d is %d", n, i, len(p))
			}
		}
		got, ok := canon.UnchunkBase64(parts)
		if !ok || !bytes.Equal(got, b) {
			t.Fatalf("%d: round trip", n)
		}
	}
	e, _ := Sign(fixedKey(t, keys.SuiteHybrid, 0), manifest)
	_, data, err := EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("signature = [\"")) || bytes.Count(data, []byte(`", "`)) != 1 {
		t.Fatalf("hybrid signature is not two chunks:\n%.300s", data)
	}
	// A public key of version 1 (at most 2624 bytes, 3500 characters) is
	// one string.
	var f entryFile
	if err := canon.UnmarshalTOML(data, &f); err != nil || len(f.PublicKey) != 1 || len(f.PublicKey[0]) != 3500 {
		t.Fatalf("hybrid public key is not one chunk of 3500 characters: %v", err)
	}
}

func TestCoSigningOrder(t *testing.T) {
	a, b := fixedKey(t, keys.SuiteEd25519, 0), fixedKey(t, keys.SuiteMLDSA87, 0)
	ea, _ := Sign(a, manifest)
	eb, _ := Sign(b, manifest)
	if ea.Name() == eb.Name() {
		t.Fatal("two keys, one entry name")
	}
	// Re-signing with the same key replaces the entry: same name, same bytes.
	ea2, _ := Sign(a, manifest)
	n1, d1, _ := EncodeEntry(ea)
	n2, d2, _ := EncodeEntry(ea2)
	if n1 != n2 || !bytes.Equal(d1, d2) {
		t.Fatal("re-signing changed the entry")
	}
}
