package signing

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// vectors is tests/vectors/verify, written by tests/vectors/gen-verify.
var vectors = filepath.Join("..", "..", "tests", "vectors", "verify")

// alice is the generator's trusted key (gen-verify main.go: seed 32 × 0x01).
func alice(t *testing.T) *keys.PrivateKey {
	k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "alice", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSignPendingFileAndStream signs the pending-unsigned vector from a
// file (read twice) and as a stream (spooled): both give the
// pending-signed-by-ct-sign vector byte for byte, with one attestation
// signed (attestations.md §9.3).
func TestSignPendingFileAndStream(t *testing.T) {
	in := filepath.Join(vectors, "pending-unsigned.ctp")
	want, err := os.ReadFile(filepath.Join(vectors, "pending-signed-by-ct-sign.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	reopen := func() (io.ReadCloser, error) { return os.Open(in) }
	for name, ro := range map[string]func() (io.ReadCloser, error){"file": reopen, "stream": nil} {
		var out bytes.Buffer
		// The vector's provenance names another build type: a claim ct
		// sign signs only when asked (attestations.md §9.5).
		res, err := SignBundleWith(bytes.NewReader(data), in, ro, &out, alice(t), nil, Options{SignPending: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Attested != 1 || res.Manifest.HasPending() {
			t.Errorf("%s: %d attestations signed, pending left: %v", name, res.Attested, res.Manifest.HasPending())
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: the signed bundle differs from the vector", name)
		}
		if _, _, err := bundle.Check(bytes.NewReader(out.Bytes()), name); err != nil {
			t.Errorf("%s: the signed bundle does not read: %v", name, err)
		}
	}
}

// TestSignPendingRefused: a pending attestation that does not hold is not
// signed (malformed), and a bundle signed over a pending one is malformed
// for the signer too.
func TestSignPendingRefused(t *testing.T) {
	for _, v := range []string{"pending-other-subject", "pending-statement-whitespace", "pending-signed"} {
		data, err := os.ReadFile(filepath.Join(vectors, v+".ctp"))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = SignBundle(bytes.NewReader(data), v, nil, &out, alice(t), nil)
		if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("%s: got %v (code %d), want malformed", v, err, exit.CodeOf(err))
		}
	}
}

// TestSignPendingChangedBetweenPasses: a file that changes between the two
// reads is refused, not signed.
func TestSignPendingChangedBetweenPasses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "pending-unsigned.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join(vectors, "valid.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	reopen := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(other)), nil }
	var out bytes.Buffer
	_, err = SignBundleWith(bytes.NewReader(data), "x.ctp", reopen, &out, alice(t), nil, Options{SignPending: true})
	if exit.CodeOf(err) != exit.IO {
		t.Fatalf("got %v, want an I/O error saying the bundle changed", err)
	}
}
