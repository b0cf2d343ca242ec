package policyedit

import (
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/policy"
)

const (
	logA = "log-a.example+987be1f5+AduZX+JRadFByrm7upK6oB+fLh7OffTLKsBRkPN/zB+d"
	w1   = "w1.example+8c410d4b+BMBQxWN6RPqGKf/zzMziMAyzYqY9mdlfxUFFJm9DMkRa"
)

func TestAddLogAndWitness(t *testing.T) {
	p := &policy.Policy{Version: 1, Name: "p.json"}
	if ok, err := AddLog(p, "log-a.example", logA); !ok || err != nil {
		t.Fatalf("AddLog: %v %v", ok, err)
	}
	if ok, err := AddLog(p, "log-a.example", logA); ok || err != nil {
		t.Fatalf("AddLog again changed the policy: %v %v", ok, err)
	}
	if _, err := AddLog(p, "log-a.example", "log-a.example+00000000+AQ=="); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("another key for a trusted log: %v", err)
	}
	if !AddWitness(p, w1) || AddWitness(p, w1) {
		t.Fatal("AddWitness: first call must change the policy, the second must not")
	}
	p.Transparency.LogsRequired, p.Transparency.WitnessQuorum = 1, 1
	data, err := Canonical(p, "p.json")
	if err != nil {
		t.Fatal(err)
	}
	q, err := policy.Parse(data, "p.json")
	if err != nil || q.Transparency.LogsRequired != 1 || len(q.Transparency.Witnesses) != 1 {
		t.Fatalf("%v\n%s", err, data)
	}
	s := Describe(q, true, Trust{}).Text()
	if !strings.Contains(s, "each counted signature in 1 of: log-a.example (else exit 6)") || !strings.Contains(s, "1 of w1.example cosigning") {
		t.Fatalf("show:\n%s", s)
	}
	// An invalid result is refused: the quorum exceeds the witnesses.
	p.Transparency.WitnessQuorum = 2
	if _, err := Canonical(p, "p.json"); exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "witness_quorum") {
		t.Fatalf("quorum 2 of 1: %v", err)
	}
}
