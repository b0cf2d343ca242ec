package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/logclient"
)

// Text from the log (origin, witness names, messages) reaches the terminal
// only escaped.
func TestPrintMonitorEscapes(t *testing.T) {
	r := &logclient.MonitorReport{
		Log: "http://127.0.0.1:1/", Origin: "o\x1b[31m", Code: 2, Result: "inconsistent",
		Checkpoint: &logclient.CheckpointInfo{Size: 1, RootHash: "x"},
		Witnesses:  logclient.WitnessInfo{Cosigned: []string{"w\x07"}, Invalid: []string{}},
		Forged:     []logclient.Sighting{{Index: 1, Suite: "CT-SIG-01\u202e", Problem: "bad\x1b]0;x\x07"}},
		Problems:   []logclient.Problem{{Kind: "fork", Message: "m\x1b[2J", Evidence: []string{"/s/\x1bx"}}},
		StateFile:  "/s",
	}
	var b bytes.Buffer
	printMonitor(&b, r, false)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("unescaped control characters:\n%q", out)
	}
	for _, want := range []string{`o\x1b[31m`, `w\x07`, `m\x1b[2J`, `\u202e`, "FORK: ", "result: inconsistent (exit 2); state not changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Without --witness the cosignatures are not looked at: the text says so
// rather than "0 cosigned", which reads as an unwitnessed log.
func TestPrintMonitorNoWitness(t *testing.T) {
	r := &logclient.MonitorReport{Log: "http://127.0.0.1:1/", Origin: "o", Result: "ok",
		Checkpoint: &logclient.CheckpointInfo{Size: 1, RootHash: "x"}, StateFile: "/s"}
	var b bytes.Buffer
	printMonitor(&b, r, true)
	if out := b.String(); !strings.Contains(out, "witnesses:  not checked (no --witness key given)\n") || strings.Contains(out, "0 cosigned") {
		t.Fatalf("no --witness:\n%s", out)
	}
	b.Reset()
	printMonitor(&b, r, false)
	if out := b.String(); !strings.Contains(out, "witnesses:  0 cosigned, quorum 0\n") {
		t.Fatalf("with --witness:\n%s", out)
	}
}
