package logclient

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

func TestResolveWatched(t *testing.T) {
	alice, err := keys.Generate("CT-SIG-01", "alice")
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	s, err := keys.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Import(alice.Public()); err != nil {
		t.Fatal(err)
	}
	pub, err := keys.EncodePublic(alice.Public())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alice.pub")
	if err := os.WriteFile(file, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	priv, err := keys.EncodePrivateUnencrypted(alice)
	if err != nil {
		t.Fatal(err)
	}
	privFile := filepath.Join(t.TempDir(), "alice.key")
	if err := os.WriteFile(privFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	fp := alice.Fingerprint()
	for _, c := range []struct {
		spec, store string
		key         bool
	}{
		{fp.String(), store, true},   // a fingerprint the store knows
		{fp.Display(), empty, false}, // a fingerprint only
		{"alice", store, true},       // a store name
		{file, empty, true},          // a public key file
		{privFile, empty, true},      // a private key file: its public key, no passphrase
	} {
		w, err := ResolveWatched(c.spec, c.store)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if w.Fingerprint != fp || (w.Key != nil) != c.key || (w.Key != nil && !w.Key.Equal(alice.Public())) {
			t.Fatalf("%s: %+v", c.spec, w)
		}
	}
	if _, err := ResolveWatched("bob", store); exit.CodeOf(err) == exit.OK {
		t.Fatal("an unknown name resolved")
	}
}

func TestMonitorStateLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockState(dir, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockState(dir, testOrigin); exit.CodeOf(err) != exit.IO {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := lockState(dir, testOrigin)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}
