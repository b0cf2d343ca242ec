package attest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

func testKey(t testing.TB, suite string, b byte) *keys.PrivateKey {
	n := 32
	if suite == keys.SuiteHybrid {
		n = 64
	}
	k, err := keys.NewPrivateKeyFromSeed(suite, "signer", bytes.Repeat([]byte{b}, n))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testManifest() *bundle.Manifest {
	return &bundle.Manifest{Package: bundle.Package{Name: "web", Version: "1.0"},
		Image: bundle.Image{Digest: "sha256:" + strings.Repeat("ab", 32), MediaType: bundle.MediaTypeManifest, Size: 100}}
}

const slsa = `{"buildDefinition":{"buildType":"https://cerro-torre.dev/pack/v1","externalParameters":{"source":"x"}},"runDetails":{"builder":{"id":"https://cerro-torre.dev/ct-pack"}}}`

func signed(t testing.TB, k *keys.PrivateKey) []byte {
	st, err := NewStatement(testManifest(), TypeSLSAProvenanceV1, []byte(slsa))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(k, payload)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

var suites = []string{keys.SuiteEd25519, keys.SuiteHybrid, keys.SuiteMLDSA87}

func TestSignVerifyEverySuite(t *testing.T) {
	for _, s := range suites {
		k := testKey(t, s, 1)
		env := signed(t, k)
		if again := signed(t, k); !bytes.Equal(env, again) {
			t.Errorf("%s: signing is not deterministic", s)
		}
		p, err := Verify(env, k.Public())
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if p.Statement.Subject[0].Digest["sha256"] != strings.Repeat("ab", 32) || p.Statement.PredicateType != TypeSLSAProvenanceV1 {
			t.Errorf("%s: statement %+v", s, p.Statement)
		}
		if got := p.Envelope.Signatures[0].KeyID; got != KeyID(s, k.Fingerprint()) {
			t.Errorf("%s: keyid %q", s, got)
		}
		// Another key of the same suite, and a key of another suite, fail.
		if _, err := Verify(env, testKey(t, s, 2).Public()); exit.CodeOf(err) != exit.SignatureInvalid {
			t.Errorf("%s: other key: %v", s, err)
		}
	}
}

// TestIndependentDSSE checks a CT-SIG-01 envelope the way the DSSE v1
// protocol text says, with nothing of this package: PAE(type, body) =
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, Ed25519 over it.
func TestIndependentDSSE(t *testing.T) {
	k := testKey(t, keys.SuiteEd25519, 1)
	env := signed(t, k)
	var e struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	body, _ := base64.StdEncoding.DecodeString(e.Payload)
	sg, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(e.PayloadType), e.PayloadType, len(body), body)
	// The key as a DSSE client gets it: a PEM "PUBLIC KEY" (PKIX).
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(k.Public().Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	pk, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pk.(ed25519.PublicKey), []byte(pae), sg) {
		t.Fatal("the envelope does not verify as plain DSSE with the Ed25519 key")
	}
	if e.Signatures[0].KeyID != "" || e.PayloadType != "application/vnd.in-toto+json" {
		t.Fatalf("keyid %q, payloadType %q", e.Signatures[0].KeyID, e.PayloadType)
	}
	var st map[string]any
	json.Unmarshal(body, &st)
	if st["_type"] != "https://in-toto.io/Statement/v1" {
		t.Fatalf("_type %v", st["_type"])
	}
}

func reenvelope(t testing.TB, env []byte, edit func(e *Envelope)) []byte {
	var e Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	edit(&e)
	out, err := encodeEnvelope(&e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTamper(t *testing.T) {
	for _, s := range suites {
		k := testKey(t, s, 1)
		env := signed(t, k)
		cases := map[string]struct {
			env  []byte
			code exit.Code
		}{
			"payload byte": {reenvelope(t, env, func(e *Envelope) {
				p, _ := base64.StdEncoding.DecodeString(e.Payload)
				p = bytes.Replace(p, []byte("x"), []byte("y"), 1)
				e.Payload = base64.StdEncoding.EncodeToString(p)
			}), exit.SignatureInvalid},
			"signature bit": {reenvelope(t, env, func(e *Envelope) {
				sg, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
				sg[len(sg)-1] ^= 1
				e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(sg)
			}), exit.SignatureInvalid},
			"first signature bit": {reenvelope(t, env, func(e *Envelope) {
				sg, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
				sg[0] ^= 1
				e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(sg)
			}), exit.SignatureInvalid},
			"keyid":          {reenvelope(t, env, func(e *Envelope) { e.Signatures[0].KeyID = "someone" }), exit.SignatureInvalid},
			"payloadType":    {reenvelope(t, env, func(e *Envelope) { e.PayloadType = "application/json" }), exit.Malformed},
			"two signatures": {reenvelope(t, env, func(e *Envelope) { e.Signatures = append(e.Signatures, e.Signatures[0]) }), exit.Malformed},
			"no signature":   {reenvelope(t, env, func(e *Envelope) { e.Signatures = nil }), exit.Malformed},
			"url base64": {reenvelope(t, env, func(e *Envelope) {
				p, _ := base64.StdEncoding.DecodeString(e.Payload)
				e.Payload = base64.RawURLEncoding.EncodeToString(p)
			}), exit.Malformed},
			"unknown field": {bytes.Replace(env, []byte(`{"payloadType"`), []byte(`{"x":1,"payloadType"`), 1), exit.Malformed},
			"duplicate key": {bytes.Replace(env, []byte(`{"payloadType":"application/vnd.in-toto+json"`), []byte(`{"payloadType":"application/vnd.in-toto+json","payloadType":"application/vnd.in-toto+json"`), 1), exit.Malformed},
			"case-folded":   {bytes.Replace(env, []byte(`"payload":`), []byte(`"PAYLOAD":`), 1), exit.Malformed},
			"whitespace":    {append(append([]byte{}, env...), ' '), exit.Malformed},
			"oversized":     {append(bytes.Repeat([]byte(" "), MaxEnvelope), env...), exit.Malformed},
		}
		for name, c := range cases {
			if _, err := Verify(c.env, k.Public()); exit.CodeOf(err) != c.code {
				t.Errorf("%s, %s: got %v (code %d), want code %d", s, name, err, exit.CodeOf(err), c.code)
			}
		}
	}
}

// TestHybridStripping: neither half of a CT-SIG-02 signature verifies as a
// signature of its own suite with its own key, since the message names the
// suite and the fingerprint.
func TestHybridStripping(t *testing.T) {
	h := testKey(t, keys.SuiteHybrid, 1)
	env := signed(t, h)
	seed := h.Seed()
	ed, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "half", seed[:32])
	ml, _ := keys.NewPrivateKeyFromSeed(keys.SuiteMLDSA87, "half", seed[32:])
	edEnv := reenvelope(t, env, func(e *Envelope) {
		sg, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
		e.Signatures[0] = Signature{KeyID: "", Sig: base64.StdEncoding.EncodeToString(sg[:64])}
	})
	if _, err := Verify(edEnv, ed.Public()); exit.CodeOf(err) != exit.SignatureInvalid {
		t.Errorf("the Ed25519 half alone: %v", err)
	}
	mlEnv := reenvelope(t, env, func(e *Envelope) {
		sg, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
		e.Signatures[0] = Signature{KeyID: KeyID(keys.SuiteMLDSA87, ml.Fingerprint()), Sig: base64.StdEncoding.EncodeToString(sg[64:])}
	})
	if _, err := Verify(mlEnv, ml.Public()); exit.CodeOf(err) != exit.SignatureInvalid {
		t.Errorf("the ML-DSA-87 half alone: %v", err)
	}
}

func TestStatementStrict(t *testing.T) {
	good := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"web","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],"predicateType":"x","predicate":{}}`
	if _, err := ParseStatement([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"unknown member":  strings.Replace(good, `"predicate":{}`, `"predicate":{},"extra":1`, 1),
		"case-folded":     strings.Replace(good, `"_type"`, `"_TYPE"`, 1),
		"duplicate":       strings.Replace(good, `"predicate":{}`, `"predicate":{},"predicate":{}`, 1),
		"old type":        strings.Replace(good, "Statement/v1", "Statement/v0.1", 1),
		"two subjects":    strings.Replace(good, `}}]`, `}},{"name":"b","digest":{"sha256":"`+strings.Repeat("cd", 32)+`"}}]`, 1),
		"upper hex":       strings.Replace(good, strings.Repeat("ab", 32), strings.Repeat("AB", 32), 1),
		"sha512":          strings.Replace(good, `"sha256"`, `"sha512"`, 1),
		"predicate array": strings.Replace(good, `"predicate":{}`, `"predicate":[]`, 1),
		"empty name":      strings.Replace(good, `"name":"web"`, `"name":""`, 1),
		"subject case":    strings.Replace(good, `"name":"web"`, `"NAME":"web"`, 1),
		"subject member":  strings.Replace(good, `"name":"web"`, `"name":"web","uri":"x"`, 1),
		"no subject":      strings.Replace(good, `"subject":[{"name":"web","digest":{"sha256":"`+strings.Repeat("ab", 32)+`"}}],`, ``, 1),
	} {
		if _, err := ParseStatement([]byte(bad)); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPredicates(t *testing.T) {
	spdx := `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web","documentNamespace":"https://example/x","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: ct"]},"packages":[{"SPDXID":"SPDXRef-p1","name":"bash"}]}`
	if err := CheckPredicate(TypeSPDX, []byte(spdx)); err != nil {
		t.Fatal(err)
	}
	if err := CheckPredicate(TypeSLSAProvenanceV1, []byte(slsa)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]string{
		"spdx version":   {TypeSPDX, strings.Replace(spdx, "SPDX-2.3", "SPDX-2.2", 1)},
		"spdx no ns":     {TypeSPDX, strings.Replace(spdx, `"documentNamespace":"https://example/x",`, "", 1)},
		"spdx pkg id":    {TypeSPDX, strings.Replace(spdx, "SPDXRef-p1", "p1", 1)},
		"spdx creators":  {TypeSPDX, strings.Replace(spdx, `["Tool: ct"]`, `[]`, 1)},
		"slsa buildType": {TypeSLSAProvenanceV1, strings.Replace(slsa, `"buildType":"https://cerro-torre.dev/pack/v1",`, "", 1)},
		"slsa builder":   {TypeSLSAProvenanceV1, strings.Replace(slsa, `"id":"https://cerro-torre.dev/ct-pack"`, `"id":""`, 1)},
		"slsa ext type":  {TypeSLSAProvenanceV1, strings.Replace(slsa, `{"source":"x"}`, `"x"`, 1)},
		"slsa case":      {TypeSLSAProvenanceV1, strings.Replace(slsa, `"runDetails"`, `"RunDetails"`, 1)},
	} {
		if err := CheckPredicate(c[0], []byte(c[1])); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := CheckPredicate("https://example.com/scan/v1", []byte(`{"anything":[1,2]}`)); err != nil {
		t.Errorf("unknown type: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range suites {
		f.Add(signed(f, testKey(f, s, 1)))
	}
	k := testKey(f, keys.SuiteEd25519, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if c := exit.CodeOf(err); c != exit.Malformed {
				t.Fatalf("code %d: %v", c, err)
			}
			return
		}
		// What parses re-encodes to the same bytes.
		if re, err := encodeEnvelope(&p.Envelope); err != nil || !bytes.Equal(re, data) {
			t.Fatalf("parsed but does not re-encode: %v", err)
		}
		if err := VerifyParsed(p, k.Public()); err != nil && exit.CodeOf(err) != exit.SignatureInvalid {
			t.Fatalf("verify code %d: %v", exit.CodeOf(err), err)
		}
	})
}
