package registry

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/tlog"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

// loggedBundle is signedBundle with a real proof of its signature in two logs.
func loggedBundle(t *testing.T) (string, *keys.PrivateKey, *bundle.Manifest) {
	t.Helper()
	path, k, m := signedBundle(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lk, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "log", bytes.Repeat([]byte{8}, 32))
	for _, origin := range []string{"log1.example/ct", "log2.example/ct"} {
		if data, err = tlogtest.AddProofFile(data, origin, lk); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, k, m
}

// The bundle artifact carries the proofs as layers of their own media type
// (registry.md §2), and ct push then ct fetch gives back the bundle byte for
// byte with them; --verify-only reads them too. A stranger's copy of the
// artifact with a garbage proof changes nothing.
func TestPushFetchKeepsProofs(t *testing.T) {
	_, host := newRecorder(t)
	path, alice, m := loggedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	genuine := partsOf(t, path)
	if len(genuine.Proofs) != 2 {
		t.Fatalf("partsOf: %d proofs", len(genuine.Proofs))
	}
	// A stranger's copy whose first proof is garbage
	// and with an extra (well-named) garbage proof of another log.
	bad := genuine
	bad.Proofs = []bundle.Entry{{Name: genuine.Proofs[0].Name, Data: []byte("garbage")}, genuine.Proofs[1],
		{Name: bundle.ProofsDir + sigFP(genuine.Signatures[0].Name) + ".0000000000000000.proof", Data: []byte("junk")}}
	mustPushParts(t, ref, bad)

	_, reasons := fetchSame(t, ref, path, trusting(alice))
	if !strings.Contains(reasons, ".0000000000000000.proof") {
		t.Errorf("the garbage proof is not reported:\n%s", reasons)
	}
	// --verify-only lays out the same entries (proofs included) and passes.
	if _, rep, err := Fetch(ctx, FetchRequest{Ref: ref, VerifyOnly: true, Quiet: true, Verify: trusting(alice)}); err != nil {
		t.Fatalf("--verify-only: %v (%+v)", err, rep)
	}
	_ = m
}

// sigFP is the fingerprint in a signature entry name signatures/<fp>.sig.
func sigFP(name string) string {
	return strings.TrimSuffix(strings.TrimPrefix(name, bundle.SignaturesDir), ".sig")
}

// ParseArtifact's proof rules (registry.md §2).
func TestArtifactProofs(t *testing.T) {
	sigs := testSigs()
	fp := sigFP(sigs[0].Name)
	proof := func(fp, log string) bundle.Entry {
		return bundle.Entry{Name: bundle.ProofsDir + fp + "." + log + ".proof", Data: []byte("p" + log)}
	}
	good, a, err := BuildArtifact(testSubject, []byte("format = 1\n"), sigs, []bundle.Entry{proof(fp, "00000000000000b2"), proof(fp, "00000000000000a1")}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Proofs) != 2 || a.Proofs[0].Name > a.Proofs[1].Name {
		t.Fatalf("proofs %v", a.Proofs)
	}
	back, err := ParseArtifact(good, "x")
	if err != nil || len(back.Proofs) != 2 {
		t.Fatalf("parse: %v %v", back, err)
	}
	for name, ps := range map[string][]bundle.Entry{
		"no such signature": {proof(strings.Repeat("0", 64), "00000000000000a1")},
		"bad name":          {{Name: bundle.ProofsDir + fp + ".proof", Data: []byte("x")}},
		"duplicate":         {proof(fp, "00000000000000a1"), proof(fp, "00000000000000a1")},
	} {
		if _, _, err := BuildArtifact(testSubject, []byte("format = 1\n"), sigs, ps, time.Unix(0, 0)); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("build, %s: %v", name, err)
		}
	}
	s := string(good)
	i := strings.Index(s, ProofMediaType)
	j := strings.LastIndex(s, SignatureMediaType)
	if i < 0 || j < 0 || i < j {
		t.Fatalf("proof layers do not follow the signatures:\n%s", s)
	}
	big := strings.Replace(s, `"mediaType":"`+ProofMediaType+`","size":17}`, `"mediaType":"`+ProofMediaType+`","size":16385}`, 1)
	cases := map[string]string{
		"oversize proof":   big,
		"unknown type":     strings.Replace(s, ProofMediaType, "application/vnd.cerro-torre.proof.v2+toml", 1),
		"bad title":        strings.Replace(s, `"`+fp+`.00000000000000a1.proof"`, `"`+fp+`.proof"`, 1),
		"unsorted proofs":  swapFirst(s, "00000000000000a1", "00000000000000b2"),
		"proof of nothing": strings.ReplaceAll(s, fp+".00000000000000a1", strings.Repeat("0", 64)+".00000000000000a1"),
	}
	for name, c := range cases {
		if c == s {
			t.Fatalf("%s: the case changed nothing", name)
		}
		if _, err := ParseArtifact([]byte(c), "x"); exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// swapFirst exchanges the first occurrences of a and b in s.
func swapFirst(s, a, b string) string {
	s = strings.Replace(s, a, "\x00", 1)
	s = strings.Replace(s, b, a, 1)
	return strings.Replace(s, "\x00", b, 1)
}

// A stranger's copy of the genuine artifact with proofs that parse but do
// not verify (an inclusion path altered, of a log the genuine artifact also
// has, and of a log it has not) cannot change the verdict: fetch ignores
// them as it ignores signatures that do not verify (registry.md §3 step 6),
// and gives back the genuine bundle byte for byte. Before, the forged
// proofs were merged and the fetched bundle failed ct verify with 7.
func TestFetchIgnoresForgedProofs(t *testing.T) {
	_, host := newRecorder(t)
	path, alice, _ := loggedBundle(t)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	genuine := partsOf(t, path)
	forge := func(e bundle.Entry) bundle.Entry {
		p, err := tlog.ParseProof(e.Name, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		p.InclusionProof[0] = bytes.Clone(p.InclusionProof[0])
		p.InclusionProof[0][0] ^= 1
		name, data, err := tlog.EncodeProof(p)
		if err != nil {
			t.Fatal(err)
		}
		return bundle.Entry{Name: name, Data: data}
	}
	// A proof of a third log, forged.
	data, _ := os.ReadFile(path)
	lk, _ := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "log", bytes.Repeat([]byte{8}, 32))
	data, err := tlogtest.AddProofFile(data, "log3.example/ct", lk)
	if err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(t.TempDir(), "third.ctp")
	os.WriteFile(third, data, 0o644)
	var log3 bundle.Entry
	for _, e := range partsOf(t, third).Proofs {
		if strings.Contains(e.Name, tlog.LogID("log3.example/ct")) {
			log3 = forge(e)
		}
	}
	bad := genuine
	bad.Proofs = []bundle.Entry{forge(genuine.Proofs[0]), forge(genuine.Proofs[1]), log3}
	sort.Slice(bad.Proofs, func(i, j int) bool { return bad.Proofs[i].Name < bad.Proofs[j].Name })
	mustPushParts(t, ref, bad)

	_, reasons := fetchSame(t, ref, path, trusting(alice))
	if !strings.Contains(reasons, log3.Name) || !strings.Contains(reasons, "inclusion proof") {
		t.Errorf("the forged proof of log3 is not reported:\n%s", reasons)
	}
}

// A stranger's copy of the genuine artifact whose proof is the genuine
// log's, valid but with fewer witness cosignatures (under the policy's
// quorum), cannot displace the genuine witnessed proof of the same name,
// even when the copy is the artifact read first (the lowest digest among
// artifacts with as many trusted signatures): the stronger verifying proof
// wins (registry.md §3 step 6), and the fetch passes with the genuine
// proof. Before, the first artifact's proof won and the fetch failed
// with 6.
func TestFetchKeepsStrongestProof(t *testing.T) {
	_, host := newRecorder(t)
	path, alice, _ := signedBundle(t)
	signed, _ := os.ReadFile(path)
	seed := func(b byte) *keys.PrivateKey {
		k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "k", bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	lk, w1, w2 := seed(0x21), seed(0x22), seed(0x23)
	const origin = "log1.example/ct"
	strong, err := tlogtest.AddProofFile(signed, origin, lk, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := tlogtest.AddProofFile(signed, origin, lk, w1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, strong, 0o644); err != nil {
		t.Fatal(err)
	}
	weakPath := filepath.Join(t.TempDir(), "weak.ctp")
	os.WriteFile(weakPath, weak, 0o644)

	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	// Copies with other mtimes: other artifact digests, some lower than
	// the genuine one's (so read first).
	genuine := partsOf(t, path)
	for i := 1; i <= 8; i++ {
		c := partsOf(t, weakPath)
		c.ModTime = genuine.ModTime.Add(time.Duration(i) * time.Second)
		mustPushParts(t, ref, c)
	}
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil { // the tag back on the genuine one
		t.Fatal(err)
	}
	vk := func(s string, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pol, err := policy.Parse([]byte(fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":%q,"key":%q}],"witnesses":[{"key":%q},{"key":%q}],"logs_required":1,"witness_quorum":2}}`,
		origin, vk(tlog.LogVerifierKey(lk.Public(), origin)), vk(tlog.WitnessVerifierKey(w1.Public(), "w1")), vk(tlog.WitnessVerifierKey(w2.Public(), "w2")))), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	opts := trusting(alice)
	opts.Policy, opts.PolicyName = pol, "p.json"
	out := filepath.Join(t.TempDir(), "back.ctp")
	if _, rep, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out, Quiet: true, Verify: opts}); err != nil {
		t.Fatalf("fetch: %v (%+v)", err, rep)
	}
	// (The entry times may be a copy's: the mtime is not signed.)
	got, want := partsOf(t, out).Proofs, genuine.Proofs
	if len(got) != 1 || len(want) != 1 || !bytes.Equal(got[0].Data, want[0].Data) {
		t.Fatalf("the fetched proof is not the genuine witnessed one")
	}
}

// Proofs of logs the policy trusts are read before the others: a
// stranger's copies of the genuine artifact, read first, carrying 256 junk
// proof layers of made-up log ids, cannot spend the read bound
// (MaxProofReads) before the genuine proof of the trusted log is read.
// Before, the genuine proof went unread and the fetch failed with 6.
func TestFetchReadsTrustedLogProofsFirst(t *testing.T) {
	_, host := newRecorder(t)
	path, alice, _ := signedBundle(t)
	signed, _ := os.ReadFile(path)
	lk, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "k", bytes.Repeat([]byte{0x31}, 32))
	if err != nil {
		t.Fatal(err)
	}
	const origin = "log1.example/ct"
	logged, err := tlogtest.AddProofFile(signed, origin, lk)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, logged, 0o644)
	ref := host + "/r/app:1"
	ctx := context.Background()
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	genuine := partsOf(t, path)
	fp := sigFP(genuine.Signatures[0].Name)
	for i := 1; i <= 4; i++ {
		c := genuine
		c.ModTime = genuine.ModTime.Add(time.Duration(i) * time.Second)
		c.Proofs = nil
		for j := 0; j < bundle.MaxProofs; j++ {
			c.Proofs = append(c.Proofs, bundle.Entry{Name: fmt.Sprintf("%s%s.%04x%012x.proof", bundle.ProofsDir, fp, i, j), Data: []byte(fmt.Sprintf("junk %d %d", i, j))})
		}
		mustPushParts(t, ref, c)
	}
	if _, err := Push(ctx, PushRequest{Bundle: path, Ref: ref, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	lvk, err := tlog.LogVerifierKey(lk.Public(), origin)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse([]byte(fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":%q,"key":%q}],"logs_required":1}}`, origin, lvk)), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	opts := trusting(alice)
	opts.Policy, opts.PolicyName = pol, "p.json"
	out := filepath.Join(t.TempDir(), "back.ctp")
	if _, rep, err := Fetch(ctx, FetchRequest{Ref: ref, Output: out, Quiet: true, Verify: opts}); err != nil {
		t.Fatalf("fetch: %v (%+v)", err, rep)
	}
	if got := partsOf(t, out).Proofs; len(got) != 1 || !bytes.Equal(got[0].Data, genuine.Proofs[0].Data) {
		t.Fatalf("the fetched bundle lacks the genuine proof (%d proofs)", len(got))
	}
}

func TestProofCount(t *testing.T) {
	for n, want := range map[int]string{0: "", 1: ", 1 transparency proof", 3: ", 3 transparency proofs"} {
		if got := ProofCount(make([]string, n)); got != want {
			t.Errorf("ProofCount(%d) = %q, want %q", n, got, want)
		}
	}
}
