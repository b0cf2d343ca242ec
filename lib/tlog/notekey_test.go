package tlog

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/keys"
)

// TestNoteKeyNames: log and witness keys are refused for names the note
// package cannot parse back (note.NewEd25519VerifierKey does not check),
// and every key they return parses with note.NewVerifier.
func TestNoteKeyNames(t *testing.T) {
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "n", bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "log example", "log+example", "log\nexample", "tab\there", "nul\x00"} {
		if v, err := LogVerifierKey(k.Public(), name); err == nil {
			t.Errorf("LogVerifierKey(%q) = %q", name, v)
		}
		if v, err := WitnessVerifierKey(k.Public(), name); err == nil {
			t.Errorf("WitnessVerifierKey(%q) = %q", name, v)
		}
		if _, err := LogSigner(k, name); err == nil {
			t.Errorf("LogSigner(%q) accepted", name)
		}
		if _, err := WitnessSigner(k, name); err == nil {
			t.Errorf("WitnessSigner(%q) accepted", name)
		}
	}
	for _, name := range []string{"log.example/ct", "w1.example", "ünïcode/ok"} {
		v, err := LogVerifierKey(k.Public(), name)
		if err != nil {
			t.Fatalf("LogVerifierKey(%q): %v", name, err)
		}
		if _, err := note.NewVerifier(v); err != nil {
			t.Errorf("LogVerifierKey(%q) = %q does not parse: %v", name, v, err)
		}
		w, err := WitnessVerifierKey(k.Public(), name)
		if err != nil || !strings.HasPrefix(w, name+"+") {
			t.Errorf("WitnessVerifierKey(%q) = %q, %v", name, w, err)
		}
	}
}
