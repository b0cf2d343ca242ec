package verify

import (
	"bytes"
	"encoding/json"
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

// relabel returns data with the key_id of every signature entry rewritten to
// id: the attack of issue 8 §1. No signature covers key_id, so the entries
// still verify.
func relabel(t testing.TB, data []byte, id string) []byte {
	t.Helper()
	var out bytes.Buffer
	_, err := bundle.Rewrite(bytes.NewReader(data), "in.ctp", &out, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		var res []bundle.Entry
		for _, o := range old {
			e, err := sig.ParseEntry(o.Name, o.Data)
			if err != nil {
				return nil, err
			}
			if e.PublicKey, err = e.PublicKey.WithID(id); err != nil {
				return nil, err
			}
			e.KeyID = id
			name, b, err := sig.EncodeEntry(e)
			if err != nil {
				return nil, err
			}
			res = append(res, bundle.Entry{Name: name, Data: b})
		}
		return res, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out.Bytes(), data) {
		t.Fatal("relabel changed nothing")
	}
	return out.Bytes()
}

func mustPolicy(t testing.TB, s string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(s), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verifyBoth verifies data as a stream (Verify: what ct import does with the
// bundles it rebuilds from an archive) and as a file (VerifyFile: what ct
// verify and ct fetch do), and fails unless both reach code.
func verifyBoth(t *testing.T, data []byte, opts Options, code exit.Code) *Report {
	t.Helper()
	rep := Verify(bytes.NewReader(data), "relabel.ctp", opts)
	if got := exit.CodeOf(rep.Err()); got != code {
		t.Fatalf("stream: code %d, want %d: %v", got, code, rep.Err())
	}
	p := filepath.Join(t.TempDir(), "relabel.ctp")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frep := VerifyFile(f, "relabel.ctp", opts)
	if got := exit.CodeOf(frep.Err()); got != code {
		t.Fatalf("file: code %d, want %d: %v", got, code, frep.Err())
	}
	return rep
}

// TestRelabelAttack: a signature entry's key_id is the signer's unsigned
// label. Rewriting it must change no trust decision (signers.allowed,
// signers.denied, pin.NAME.signers), and every name the verifier prints for
// the signer is its own name for the key, the label appearing only as a
// quoted claim.
func TestRelabelAttack(t *testing.T) {
	f := newFixture(t)
	relabelled := relabel(t, f.data, "release-2024")
	// The bundle signed by alice (id "alice" in the verifier's store) now
	// claims to be by "release-2024".
	withPolicy := func(p string) Options {
		o := f.trust(f.alice)
		o.Policy, o.PolicyName = mustPolicy(t, p), "p.json"
		return o
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		policy string
		code   exit.Code
		want   string // in the deciding error
	}{
		{"allowed: the claim does not match", relabelled, `{"version":1,"signers":{"allowed":["release-*"]}}`,
			exit.PolicyRejected, `not counted: alice (` + f.alice.Fingerprint().Short() + `, calls itself "release-2024") (not in signers.allowed)`},
		{"allowed: control, unrelabelled", f.data, `{"version":1,"signers":{"allowed":["release-*"]}}`,
			exit.PolicyRejected, `not counted: alice (` + f.alice.Fingerprint().Short() + `) (not in signers.allowed)`},
		{"allowed: the trusted name still matches", relabelled, `{"version":1,"signers":{"allowed":["alice"]}}`, exit.OK, ""},
		{"denied: relabelling does not escape", relabel(t, f.data, "innocent"), `{"version":1,"signers":{"denied":["alice"]}}`,
			exit.PolicyRejected, `alice (` + f.alice.Fingerprint().Short() + `, calls itself "innocent") (denied by signers.denied)`},
		{"denied: a claim of a denied name denies nothing", relabel(t, f.data, "evil"), `{"version":1,"signers":{"denied":["evil"]}}`, exit.OK, ""},
		{"pin signers: the claim does not satisfy", relabelled, `{"version":1,"pin":{"web":{"signers":["release-2024"]}}}`,
			exit.PolicyRejected, `no counted signature by pinned signer(s) "release-2024"`},
		{"pin signers: the trusted name does", relabelled, `{"version":1,"pin":{"web":{"signers":["alice"]}}}`, exit.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBoth(t, tc.data, withPolicy(tc.policy), tc.code)
			if tc.want != "" && !strings.Contains(rep.Err().Error(), tc.want) {
				t.Errorf("error %q\nlacks %q", rep.Err(), tc.want)
			}
			for _, s := range rep.Signatures {
				if s.KeyID != "alice" || !s.Trusted {
					t.Errorf("signer named %q (trusted %v), want the verifier's name alice", s.KeyID, s.Trusted)
				}
			}
		})
	}

	// With no policy, the relabelled bundle is valid: key_id is a label.
	// Every human-facing name is the verifier's; the claim is quoted.
	rep := verifyBoth(t, relabelled, f.trust(f.alice), exit.OK)
	s := rep.Signatures[0]
	if s.KeyID != "alice" || s.ClaimedKeyID != "release-2024" {
		t.Errorf("KeyID %q, ClaimedKeyID %q; want alice and release-2024", s.KeyID, s.ClaimedKeyID)
	}
	if got, want := s.String(), `alice (CT-SIG-01, `+f.alice.Fingerprint().Display()+`, calls itself "release-2024")`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, c := range rep.Checks {
		if strings.Contains(c.Detail, "release-2024") && !strings.Contains(c.Detail, `calls itself "release-2024"`) {
			t.Errorf("check %s names the signer by its claim: %s", c.Name, c.Detail)
		}
	}
	// --json keeps the two apart.
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"key":{"keyId":"alice","suite":"CT-SIG-01","fingerprint":"`+f.alice.Fingerprint().String()+`"},"claimedKeyId":"release-2024"`)) {
		t.Errorf("JSON %s", js)
	}

	// Untrusted: no name at all, only the fingerprint and the quoted claim,
	// and a pattern matching the claim matches nothing.
	o := f.trust(f.mallory)
	o.Policy, o.PolicyName = mustPolicy(t, `{"version":1,"signers":{"allowed":["release-*"]}}`), "p.json"
	rep = verifyBoth(t, relabelled, o, exit.KeyNotTrusted)
	s = rep.Signatures[0]
	if s.KeyID != "" || s.Trusted {
		t.Errorf("an untrusted signer got the name %q", s.KeyID)
	}
	want := `signed by key ` + f.alice.Fingerprint().Display() + ` (CT-SIG-01, calls itself "release-2024")`
	if !strings.Contains(rep.Err().Error(), want) {
		t.Errorf("error %q\nlacks %q", rep.Err(), want)
	}
	js, _ = json.Marshal(s)
	if bytes.Contains(js, []byte(`"keyId"`)) {
		t.Errorf("an untrusted signer has a keyId in JSON: %s", js)
	}
}

// TestTrustedNameFromKeyFile: a --key file names its key by the id inside
// it (as ct key import would), whatever the bundle claims.
func TestTrustedNameFromKeyFile(t *testing.T) {
	f := newFixture(t)
	rel, err := f.alice.Public().WithID("release-2024")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.EncodePublic(rel)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "release.pub")
	if err := os.WriteFile(p, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(pol, []byte(`{"version":1,"signers":{"allowed":["release-*"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := Setup{KeyFiles: []string{p}, PolicyFile: pol, NoStore: true}.Load()
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBoth(t, f.data, opts, exit.OK) // the entry says "alice"
	if s := rep.Signatures[0]; s.KeyID != "release-2024" || s.ClaimedKeyID != "alice" || s.TrustSource != "--key "+p {
		t.Errorf("signer %+v", s)
	}
}

// TestUnnamedKey: a key trusted with an id that came with untrusted input
// (an archive's included key) is trusted by fingerprint but has no name: no
// id pattern matches it, its fingerprint does.
func TestUnnamedKey(t *testing.T) {
	f := newFixture(t)
	opts := Options{Trusted: []TrustedKey{{Key: f.alice.Public(), Source: "included in the archive", Unnamed: true}}}
	rep := verifyBoth(t, f.data, opts, exit.OK)
	if s := rep.Signatures[0]; s.KeyID != "" || !s.Trusted || s.ClaimedKeyID != "alice" {
		t.Errorf("signer %+v", s)
	}
	opts.Policy, opts.PolicyName = mustPolicy(t, `{"version":1,"signers":{"allowed":["alice"]}}`), "p.json"
	rep = verifyBoth(t, f.data, opts, exit.PolicyRejected)
	if want := f.alice.Fingerprint().Short() + ` (calls itself "alice") (not in signers.allowed)`; !strings.Contains(rep.Err().Error(), want) {
		t.Errorf("error %q\nlacks %q", rep.Err(), want)
	}
	opts.Policy = mustPolicy(t, `{"version":1,"signers":{"allowed":["`+f.alice.Fingerprint().String()+`"]}}`)
	verifyBoth(t, f.data, opts, exit.OK)
}

// TestRelabelInvalid: a signature that does not verify is named by its
// fingerprint, its key_id only as a claim, in the error and in Problem.
func TestRelabelInvalid(t *testing.T) {
	f := newFixture(t)
	var out bytes.Buffer
	_, err := bundle.Rewrite(bytes.NewReader(relabel(t, f.data, "release-2024")), "in.ctp", &out, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		e, err := sig.ParseEntry(old[0].Name, old[0].Data)
		if err != nil {
			return nil, err
		}
		e.Signature[7] ^= 0x20
		name, b, err := sig.EncodeEntry(e)
		return []bundle.Entry{{Name: name, Data: b}}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBoth(t, out.Bytes(), f.trust(f.alice), exit.SignatureInvalid)
	msg := rep.Err().Error() + "\n" + rep.Signatures[0].Problem
	if strings.Contains(strings.ReplaceAll(msg, `calls itself "release-2024"`, ""), "release-2024") {
		t.Errorf("the claim is used as a name: %s", msg)
	}
	if !strings.Contains(msg, `signature by key `+f.alice.Fingerprint().Display()+` (CT-SIG-01, calls itself "release-2024") does not verify`) {
		t.Errorf("error: %s", msg)
	}
}

// TestNameOrder: when the store and a --key file both hold the signing key
// under different ids, the store's id names it (own keys, trusted keys,
// then --key files, verify.md §1), whatever the entry claims.
func TestNameOrder(t *testing.T) {
	dir := t.TempDir()
	st, err := keys.OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := st.Create(keys.SuiteEd25519, "ci", nil, keys.DefaultKDF, false)
	if err != nil {
		t.Fatal(err)
	}
	m, blobs := image()
	data := relabel(t, writeBundle(t, m, blobs, ci), "release-2024")
	rel, err := ci.Public().WithID("release-1")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.EncodePublic(rel)
	if err != nil {
		t.Fatal(err)
	}
	kf := filepath.Join(dir, "release-1.pub")
	if err := os.WriteFile(kf, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := Setup{StoreDir: st.Dir, KeyFiles: []string{kf}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBoth(t, data, opts, exit.OK)
	if s := rep.Signatures[0]; s.KeyID != "ci" || s.TrustSource != "key store keys/ci.key" || s.ClaimedKeyID != "release-2024" {
		t.Errorf("signer %+v", s)
	}
	opts, err = Setup{StoreDir: st.Dir, KeyFiles: []string{kf}, NoStore: true}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if s := verifyBoth(t, data, opts, exit.OK).Signatures[0]; s.KeyID != "release-1" {
		t.Errorf("with --no-store: signer %+v", s)
	}
}

// TestKeyFileCannotTakeAStoreName (issue 8 review): a --key file, or a key
// carried in an archive, names itself; when that name is already the store's
// key with another fingerprint (or two such files claim one name), the key
// is still trusted, by fingerprint, but it names nothing a policy matches.
func TestKeyFileCannotTakeAStoreName(t *testing.T) {
	f := newFixture(t)
	mine := key(t, keys.SuiteEd25519, "ci", 1)     // the store's "ci"
	stranger := key(t, keys.SuiteEd25519, "ci", 2) // a key file calling itself "ci"
	data := writeBundle(t, f.m, f.blobs, stranger)
	trusted := []TrustedKey{{Key: mine.Public(), Source: "key store trusted/ci.pub", Store: true},
		{Key: stranger.Public(), Source: "--key stranger-ci.pub"}}
	NameKeys(trusted)
	if !trusted[1].Unnamed || trusted[0].Unnamed {
		t.Fatalf("after NameKeys: %+v", trusted)
	}
	opts := Options{Trusted: trusted}
	rep := verifyBoth(t, data, opts, exit.OK) // trusted by fingerprint
	if s := rep.Signatures[0]; s.KeyID != "" || !s.Trusted {
		t.Errorf("signer %+v", s)
	}
	opts.Policy, opts.PolicyName = mustPolicy(t, `{"version":1,"signers":{"allowed":["ci"]},"pin":{"`+f.m.Package.Name+`":{"signers":["ci"]}}}`), "p.json"
	verifyBoth(t, data, opts, exit.PolicyRejected)

	// Two key files claiming one name: neither is named.
	two := []TrustedKey{{Key: mine.Public(), Source: "--key a.pub"}, {Key: stranger.Public(), Source: "--key b.pub"}}
	NameKeys(two)
	if !two[0].Unnamed || !two[1].Unnamed {
		t.Fatalf("two files named ci: %+v", two)
	}
	// The store's own key given again as a file keeps its name.
	same := []TrustedKey{{Key: mine.Public(), Source: "key store", Store: true}, {Key: mine.Public(), Source: "--key ci.pub"}}
	NameKeys(same)
	if same[1].Unnamed {
		t.Fatal("the store's key given as a file lost its name")
	}
}
