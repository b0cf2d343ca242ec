package logclient

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/sig"
)

// A signature that does not verify over the bundle's manifest is sent to
// no log (a log keeps what it gets for ever): exit 2 naming the entry, no
// POST /add (the output is
// staged and dropped by Run, as for any failure).
func TestSubmitRefusesInvalidSignature(t *testing.T) {
	signed := signedBundle(t, newKey(t, "alice"))
	var tampered bytes.Buffer
	var entry string
	_, err := bundle.Rewrite(bytes.NewReader(signed), "t.ctp", &tampered, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		e, err := sig.ParseEntry(old[0].Name, old[0].Data)
		if err != nil {
			return nil, err
		}
		e.Signature[0] ^= 1
		name, data, err := sig.EncodeEntry(e)
		entry = name
		return []bundle.Entry{{Name: name, Data: data}}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := startLogWithWitnesses(t, "log.test/ct", 0)
	_, _, err = submit(t, tampered.Bytes(), Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true})
	if exit.CodeOf(err) != exit.SignatureInvalid || !strings.Contains(err.Error(), entry) || exit.HintOf(err) == "" {
		t.Fatalf("tampered signature: %v (exit %d), want 2 naming %s", err, exit.CodeOf(err), entry)
	}
	if n := log.adds.Load(); n != 0 {
		t.Fatalf("the log was sent %d leaves of a signature that does not verify", n)
	}

	// The same bundle untampered is submitted.
	if _, _, err := submit(t, signed, Options{Logs: []string{log.url}, Trust: Trust{LogKeys: []string{log.vkey}}, Paired: true}); err != nil {
		t.Fatal(err)
	}
	if log.adds.Load() != 1 {
		t.Fatalf("adds: %d", log.adds.Load())
	}
}
