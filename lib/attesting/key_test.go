package attesting

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestLoadKeyPending(t *testing.T) {
	k, err := LoadKey(context.Background(), "", "")
	if err != nil || k != nil {
		t.Fatalf("no -k, no passphrase file: got key %v, error %v; want a pending attestation (nil, nil)", k, err)
	}
}

func TestLoadKeyPassphraseWithoutKey(t *testing.T) {
	k, err := LoadKey(context.Background(), "", filepath.Join(t.TempDir(), "pass"))
	var e *exit.Error
	if !errors.As(err, &e) || e.Code != exit.Usage || k != nil {
		t.Fatalf("--passphrase-file without -k: got key %v, error %v; want a usage error", k, err)
	}
}
