package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
)

func noteKeys(t *testing.T) (logA, logB, w1, w2 string) {
	k := func(b byte) *keys.PublicKey {
		pk, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "k", bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return pk.Public()
	}
	var err error
	must := func(s string, e error) string {
		if e != nil {
			err = e
		}
		return s
	}
	logA = must(tlog.LogVerifierKey(k(1), "log-a.example"))
	logB = must(tlog.LogVerifierKey(k(2), "log-b.example"))
	w1 = must(tlog.WitnessVerifierKey(k(3), "w1"))
	w2 = must(tlog.WitnessVerifierKey(k(4), "w2"))
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestParseTransparency(t *testing.T) {
	logA, logB, w1, w2 := noteKeys(t)
	in := fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q},{"key":%q,"origin":"log-b.example"}],
"witnesses":[{"key":%q},{"key":%q}],"logs_required":2,"witness_quorum":1}}`, logA, logB, w1, w2)
	p, err := Parse([]byte(in), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &Transparency{Logs: []Log{{"log-a.example", logA}, {"log-b.example", logB}}, Witnesses: []Witness{{w1}, {w2}},
		LogsRequired: 2, WitnessQuorum: 1}
	if !reflect.DeepEqual(p.Transparency, want) {
		t.Fatalf("got %+v, want %+v", p.Transparency, want)
	}
	if tr, err := p.Transparency.Trust(); err != nil || tr == nil {
		t.Fatalf("Trust: %v", err)
	}
	// Marshalling gives a file that parses back to an equal policy.
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(out, "p.json")
	if err != nil || !reflect.DeepEqual(q, p) {
		t.Fatalf("round trip: %v\n%s", err, out)
	}
	// logs_required 0 without a quorum: trust only, so nothing is judged
	// after a bundle's head (ct import may connect to the registry early);
	// logs_required 2 is judged with the proofs, after the blobs.
	if p.HeadsDecide() {
		t.Error("HeadsDecide with logs_required 2")
	}
	p0, err := Parse([]byte(fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q}],"logs_required":0}}`, logA)), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	if !p0.HeadsDecide() {
		t.Error("no HeadsDecide with logs_required 0: it rejects nothing")
	}

	for _, tc := range []struct{ name, in, where, msg string }{
		{"unknown field", `{"version":1,"transparency":{"logs_required":0,"quorum":1}}`, "1:48", "transparency.quorum: unknown field"},
		{"required missing", `{"version":1,"transparency":{}}`, "1:29", "transparency.logs_required: missing"},
		{"required over logs", `{"version":1,"transparency":{"logs_required":1}}`, "1:46", "only 0 logs are trusted"},
		{"quorum over witnesses", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q}],"logs_required":1,"witness_quorum":1}}`, logA), "1:", "only 0 witnesses"},
		{"quorum without logs", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q}],"logs_required":0,"witness_quorum":1}}`, w1), "1:", "logs_required is 0"},
		{"duplicate origin", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q},{"origin":"log-a.example","key":%q}],"logs_required":1}}`, logA, logA), "1:", "listed twice"},
		{"key of other origin", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-b.example","key":%q}],"logs_required":1}}`, logA), "1:", "named after its origin"},
		{"log key not a key", `{"version":1,"transparency":{"logs":[{"origin":"o","key":"nope"}],"logs_required":1}}`, "1:", "not a note verifier key"},
		{"log key is a witness key", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"w2","key":%q}],"logs_required":0}}`, w2), "1:", "is a witness's cosignature/v1 verifier key"},
		{"witness key is a log key", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q}],"logs_required":0}}`, logA), "1:", "not a cosignature/v1"},
		{"witness twice", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q},{"key":%q}],"logs_required":0}}`, w2, w2), "1:", "listed twice"},
		{"witness key under two names", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q},{"key":%q}],"logs_required":0}}`, w2, witnessKey(t, 4, "w2b")), "1:", "same public key"},
		{"witness key hash wrong", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q}],"logs_required":0}}`, strings.Replace(w2, "w2+", "w2b+", 1)), "1:", "key hash"},
		{"log key as a witness", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q}],"witnesses":[{"key":%q}],"logs_required":0}}`, logA, witnessKey(t, 1, "w-self")), "1:", "same public key"},
		{"quorum over witness names", fmt.Sprintf(`{"version":1,"transparency":{"logs":[{"origin":"log-a.example","key":%q}],"witnesses":[{"key":%q},{"key":%q}],"logs_required":1,"witness_quorum":2}}`, logA, w2, witnessKey(t, 5, "w2")), "1:", "only 1 witnesses are trusted"},
		{"witness unknown field", fmt.Sprintf(`{"version":1,"transparency":{"witnesses":[{"key":%q,"name":"w"}],"logs_required":0}}`, w2), "1:", "witnesses[0].name: unknown field"},
		{"log missing key", `{"version":1,"transparency":{"logs":[{"origin":"o"}],"logs_required":1}}`, "1:", "logs[0].key: missing"},
		{"logs not array", `{"version":1,"transparency":{"logs":{},"logs_required":1}}`, "1:", "expected an array"},
		{"negative", `{"version":1,"transparency":{"logs_required":-1}}`, "1:", "not a non-negative integer"},
		{"witness not an object", `{"version":1,"transparency":{"witnesses":["w"],"logs_required":0}}`, "1:43", "transparency.witnesses[0]: expected an object, got a string"},
		{"too many witnesses", manyWitnesses(t, MaxLogs+1), "1:", "transparency.witnesses: more than 64 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "p.json")
			e, ok := err.(*exit.Error)
			if !ok || e.Code != exit.Usage || !strings.HasPrefix(e.Where, "p.json:"+tc.where) || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("got %v (%#v), want p.json:%s… %q", err, err, tc.where, tc.msg)
			}
		})
	}
}

// manyWitnesses is a policy that trusts n distinct witnesses.
func manyWitnesses(t *testing.T, n int) string {
	var ws []string
	for i := range n {
		ws = append(ws, fmt.Sprintf(`{"key":%q}`, witnessKey(t, byte(10+i), fmt.Sprintf("w%d", i))))
	}
	return `{"version":1,"transparency":{"witnesses":[` + strings.Join(ws, ",") + `],"logs_required":0}}`
}

// witnessKey is the witness vkey named name of noteKeys' seed b (1 is
// log-a.example's key).
func witnessKey(t *testing.T, b byte, name string) string {
	pk, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "k", bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	w, err := tlog.WitnessVerifierKey(pk.Public(), name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
