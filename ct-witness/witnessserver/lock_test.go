package witnessserver

import (
	"context"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/passphrase"
)

// TestSecondWitnessSameDB: a second witness on the same state refuses to
// start while the first runs, and starts once it has stopped.
func TestSecondWitnessSameDB(t *testing.T) {
	f := newFixture(t)
	s, err := f.tryStart(t, Options{})
	must(t, err)
	s2, err := f.tryStart(t, Options{})
	if err == nil {
		s2.Shutdown(context.Background())
		s.Shutdown(context.Background())
		t.Fatal("a second witness started on the same --db")
	}
	if exit.CodeOf(err) != exit.IO || !strings.Contains(err.Error(), "in use by another ct-witness") {
		t.Fatalf("second witness: %v (exit %d)", err, exit.CodeOf(err))
	}
	must(t, s.Shutdown(context.Background()))
	f.start(t, Options{})
}

// TestLogsWithoutVerifier: logs given by a caller as plain origin and key
// (not through ParseLogs) are witnessed, not a nil verifier that panics on
// the first request; a key not named after its origin is refused at start.
func TestLogsWithoutVerifier(t *testing.T) {
	f := newFixture(t)
	signer, err := Signer(f.wKeyFile, witnessName, passphrase.Source{})
	must(t, err)
	s, err := Start(context.Background(), Options{DB: f.db, Signer: signer, Logs: []Log{{Origin: origin, Key: f.logVKey}}})
	must(t, err)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	cp := f.checkpoint(t, f.logSigner, origin, 3, tree(3, "a").Hash())
	code, body := post(t, s, addBody(0, nil, cp))
	if code != 200 {
		t.Fatalf("checkpoint of a log given without a verifier: %d %q", code, body)
	}
	f.checkCosigned(t, cp, body)

	_, err = Start(context.Background(), Options{DB: f.db + "2", Signer: signer, Logs: []Log{{Origin: "other.test/log", Key: f.logVKey}}})
	if exit.CodeOf(err) != exit.Usage {
		t.Fatalf("key named after another origin: %v", err)
	}
}
