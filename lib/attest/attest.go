package attest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// Constants of attestations.md §2 and §3.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PayloadType   = "application/vnd.in-toto+json"
	// MessageDomain begins the message CT-SIG-02 and CT-SIG-03 sign.
	MessageDomain = "CT-DSSE-V1"
	// MLDSAContext is the FIPS 204 context string of every ML-DSA-87
	// signature over an attestation.
	MLDSAContext = "cerro-torre-dsse"
	// KeyIDPrefix begins the keyid of a CT-SIG-02 and CT-SIG-03 signature.
	KeyIDPrefix = "ct:"
	// MaxEnvelope bounds one envelope (bundle.MaxEnvelopeSize).
	MaxEnvelope = bundle.MaxEnvelopeSize
	// MaxSubjectName bounds the subject's name.
	MaxSubjectName = 1024
)

// Statement is an in-toto Statement v1 as ct writes it: one subject, the
// bundle's image.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject names the image by name and digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Envelope is a DSSE v1 envelope with exactly one signature.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is DSSE v1's pre-authentication encoding:
//
//	"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// with LEN the length in bytes as ASCII decimal without leading zeros.
func PAE(payloadType string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteByte(' ')
	b.Write(body)
	return b.Bytes()
}

// Message returns the bytes a signature of suite by the key with
// fingerprint fp over an envelope signs (attestations.md §3.2): the PAE
// itself for CT-SIG-01, and for CT-SIG-02 and CT-SIG-03
//
//	"CT-DSSE-V1" || 0x00 || suite || 0x00 || fp (32 bytes) || PAE
func Message(suite string, fp keys.Fingerprint, pae []byte) []byte {
	if suite == keys.SuiteEd25519 {
		return pae
	}
	m := make([]byte, 0, len(MessageDomain)+2+len(suite)+len(fp)+len(pae))
	m = append(m, MessageDomain...)
	m = append(m, 0)
	m = append(m, suite...)
	m = append(m, 0)
	m = append(m, fp[:]...)
	return append(m, pae...)
}

// KeyID is the DSSE keyid of a signature by pub: empty for CT-SIG-01 (so
// that standard DSSE and Sigstore verifiers, which match keyids, accept
// it), "ct:SUITE:FINGERPRINT" for the other suites.
func KeyID(suite string, fp keys.Fingerprint) string {
	if suite == keys.SuiteEd25519 {
		return ""
	}
	return KeyIDPrefix + suite + ":" + fp.String()
}

// NewStatement returns the statement about the root image of m with the
// given predicate (a JSON object, compacted) and type.
func NewStatement(m *bundle.Manifest, predicateType string, predicate []byte) (*Statement, error) {
	if !bundle.ValidPredicateType(predicateType) {
		return nil, exit.New(exit.Usage, "predicate type %q is not 1 to %d printable ASCII characters without spaces", predicateType, bundle.MaxPredicateTypeLen).
			WithHint("use a URI such as https://slsa.dev/provenance/v1")
	}
	if err := bundle.StrictJSON(predicate); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the predicate is not JSON that reads one way")
	}
	var c bytes.Buffer
	if err := json.Compact(&c, predicate); err != nil || c.Len() == 0 || c.Bytes()[0] != '{' {
		return nil, exit.New(exit.Malformed, "the predicate is not a JSON object")
	}
	if err := CheckPredicate(predicateType, c.Bytes()); err != nil {
		return nil, err
	}
	hexd := m.Image.Digest[len("sha256:"):]
	return &Statement{Type: StatementType, Subject: []Subject{{Name: m.Package.Name, Digest: map[string]string{"sha256": hexd}}},
		PredicateType: predicateType, Predicate: c.Bytes()}, nil
}

// Encode returns the statement's payload bytes.
func (s *Statement) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode the statement")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Sign signs the statement payload with k and returns the envelope's exact
// bytes. Signing is deterministic in every suite, and the signature is
// verified before it is returned.
func Sign(k *keys.PrivateKey, payload []byte) ([]byte, error) {
	msg := Message(k.Suite(), k.Fingerprint(), PAE(PayloadType, payload))
	raw, err := k.SignMessage(msg, MLDSAContext)
	if err != nil {
		return nil, err
	}
	env := Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []Signature{{KeyID: KeyID(k.Suite(), k.Fingerprint()), Sig: base64.StdEncoding.EncodeToString(raw)}}}
	out, err := encodeEnvelope(&env)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxEnvelope {
		return nil, exit.New(exit.Usage, "the envelope would be %d bytes, over the %d-byte limit", len(out), MaxEnvelope).
			WithHint("a predicate must be smaller than about 12 MiB")
	}
	p, err := ParseEnvelope(out)
	if err == nil {
		err = VerifyParsed(p, k.Public())
	}
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "an attestation just signed does not verify")
	}
	return out, nil
}

func encodeEnvelope(env *Envelope) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode the envelope")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Parsed is an envelope that parsed by attestations.md §2.3.
type Parsed struct {
	Envelope  Envelope
	Payload   []byte // decoded
	Sig       []byte // decoded
	Statement Statement
}

func malformed(format string, args ...any) *exit.Error {
	return exit.New(exit.Malformed, format, args...)
}

// Parse parses envelope bytes strictly (attestations.md §2.3): the exact
// encoding a writer emits, one signature, standard base64, and a statement
// that parses. It checks form only; Verify checks the signature.
func Parse(data []byte) (*Parsed, error) {
	p, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	st, err := ParseStatement(p.Payload)
	if err != nil {
		return nil, err
	}
	p.Statement = *st
	return p, nil
}

// ParseEnvelope parses the envelope alone (attestations.md §2.2, §2.3),
// leaving Statement empty: Sign uses it to check the signature over any
// payload it was given.
func ParseEnvelope(data []byte) (*Parsed, error) {
	if len(data) > MaxEnvelope {
		return nil, malformed("envelope of %d bytes is over the %d-byte limit", len(data), MaxEnvelope)
	}
	if err := bundle.StrictJSON(data); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the envelope is not JSON that reads one way")
	}
	var p Parsed
	if err := decodeStrict(data, &p.Envelope); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a DSSE envelope")
	}
	if re, err := encodeEnvelope(&p.Envelope); err != nil || !bytes.Equal(re, data) {
		return nil, malformed("the envelope is not in the one encoding a writer emits (member order payloadType, payload, signatures; no whitespace)")
	}
	e := &p.Envelope
	if e.PayloadType != PayloadType {
		return nil, malformed("payloadType is %q, not %q", e.PayloadType, PayloadType)
	}
	if len(e.Signatures) != 1 {
		return nil, malformed("the envelope has %d signatures; a ct attestation has exactly one", len(e.Signatures))
	}
	var err error
	if p.Payload, err = stdBase64(e.Payload); err != nil {
		return nil, malformed("payload is not standard base64 with padding: %v", err)
	}
	if p.Sig, err = stdBase64(e.Signatures[0].Sig); err != nil {
		return nil, malformed("sig is not standard base64 with padding: %v", err)
	}
	return &p, nil
}

func stdBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return nil, fmt.Errorf("not the canonical spelling")
	}
	return b, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// ParseStatement parses a statement payload strictly (attestations.md §2.1).
func ParseStatement(payload []byte) (*Statement, error) {
	if err := bundle.StrictJSON(payload); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the statement is not JSON that reads one way")
	}
	// Member names are matched exactly: encoding/json would take "_TYPE".
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "the statement is not a JSON object")
	}
	for k := range raw {
		switch k {
		case "_type", "subject", "predicateType", "predicate":
		default:
			return nil, malformed("the statement has member %q; a Statement v1 has _type, subject, predicateType, predicate", k)
		}
	}
	var subs []map[string]json.RawMessage
	if err := json.Unmarshal(raw["subject"], &subs); err != nil {
		return nil, malformed("subject is not an array of objects")
	}
	for _, sub := range subs {
		for k := range sub {
			if k != "name" && k != "digest" {
				return nil, malformed("a subject has member %q; a subject has name and digest", k)
			}
		}
	}
	var st Statement
	if err := decodeStrict(payload, &st); err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not an in-toto statement")
	}
	if st.Type != StatementType {
		return nil, malformed("_type is %q, not %q", st.Type, StatementType)
	}
	if len(st.Subject) != 1 {
		return nil, malformed("the statement has %d subjects; a ct attestation has exactly one, the image", len(st.Subject))
	}
	sub := st.Subject[0]
	if sub.Name == "" || len(sub.Name) > MaxSubjectName {
		return nil, malformed("subject name is empty or longer than %d bytes", MaxSubjectName)
	}
	if len(sub.Digest) != 1 || !validHex64(sub.Digest["sha256"]) {
		return nil, malformed("subject digest must be exactly {\"sha256\": 64 lowercase hex digits}")
	}
	if !bundle.ValidPredicateType(st.PredicateType) {
		return nil, malformed("predicateType %q is not 1 to %d printable ASCII characters", st.PredicateType, bundle.MaxPredicateTypeLen)
	}
	if len(st.Predicate) == 0 || st.Predicate[0] != '{' {
		return nil, malformed("predicate is not a JSON object")
	}
	return &st, nil
}

func validHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	b, err := hex.DecodeString(s)
	return err == nil && hex.EncodeToString(b) == s
}

// Verify parses the envelope and verifies its signature with pub
// (attestations.md §3.3): the keyid MUST be KeyID(pub), the signature of
// exactly the suite's size, and it MUST verify over Message(pub's suite,
// pub's fingerprint, PAE). Failures of form are exit.Malformed, failures of
// the signature exit.SignatureInvalid.
func Verify(data []byte, pub *keys.PublicKey) (*Parsed, error) {
	p, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return p, VerifyParsed(p, pub)
}

// VerifyParsed verifies a parsed envelope's signature with pub.
func VerifyParsed(p *Parsed, pub *keys.PublicKey) error {
	suite, fp := pub.Suite(), pub.Fingerprint()
	if got, want := p.Envelope.Signatures[0].KeyID, KeyID(suite, fp); got != want {
		return exit.New(exit.SignatureInvalid, "keyid is %q; a %s signature by key %s has keyid %q", got, suite, fp.Short(), want)
	}
	msg := Message(suite, fp, PAE(p.Envelope.PayloadType, p.Payload))
	sg := p.Sig
	edOK, mlOK := true, true
	switch suite {
	case keys.SuiteEd25519:
		edOK = len(sg) == ed25519.SignatureSize && ed25519.Verify(pub.Ed25519(), msg, sg)
	case keys.SuiteMLDSA87:
		mlOK = verifyMLDSA(pub.MLDSA87(), msg, sg)
	case keys.SuiteHybrid:
		if len(sg) != ed25519.SignatureSize+mldsa87.SignatureSize {
			return exit.New(exit.SignatureInvalid, "%s signature is %d bytes; it must be exactly %d", suite, len(sg), ed25519.SignatureSize+mldsa87.SignatureSize)
		}
		edOK = ed25519.Verify(pub.Ed25519(), msg, sg[:ed25519.SignatureSize])
		mlOK = verifyMLDSA(pub.MLDSA87(), msg, sg[ed25519.SignatureSize:])
	default:
		return exit.New(exit.SignatureInvalid, "unknown suite %q", suite)
	}
	switch {
	case edOK && mlOK:
		return nil
	case suite == keys.SuiteHybrid && !edOK && mlOK:
		return exit.New(exit.SignatureInvalid, "%s envelope signature by %s: the Ed25519 half does not verify (both are required)", suite, fp.Short())
	case suite == keys.SuiteHybrid && edOK && !mlOK:
		return exit.New(exit.SignatureInvalid, "%s envelope signature by %s: the ML-DSA-87 half does not verify (both are required)", suite, fp.Short())
	}
	return exit.New(exit.SignatureInvalid, "%s envelope signature by %s does not verify", suite, fp.Short())
}

func verifyMLDSA(pk *mldsa87.PublicKey, msg, sg []byte) (ok bool) {
	if pk == nil || len(sg) != mldsa87.SignatureSize {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return mldsa87.Verify(pk, msg, []byte(MLDSAContext), sg)
}
