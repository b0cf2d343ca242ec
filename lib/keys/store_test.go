package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "cerro"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addOwn(t *testing.T, s *Store, suite, id, passphrase string) *PrivateKey {
	t.Helper()
	k, err := Generate(suite, id)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	if passphrase == "" {
		data, err = EncodePrivateUnencrypted(k)
	} else {
		data, err = EncodePrivate(k, []byte(passphrase), fastKDF)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddOwn(k, data); err != nil {
		t.Fatal(err)
	}
	return k
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestDefaultStoreDir(t *testing.T) {
	t.Setenv("CT_HOME", "/x/ct")
	t.Setenv("XDG_CONFIG_HOME", "/x/xdg")
	t.Setenv("HOME", "/x/home")
	for _, c := range []struct{ ct, xdg, want string }{
		{"/x/ct", "/x/xdg", "/x/ct"},
		{"", "/x/xdg", "/x/xdg/cerro"},
		{"", "", "/x/home/.config/cerro"},
		{"", "relative", "/x/home/.config/cerro"},
	} {
		os.Setenv("CT_HOME", c.ct)
		os.Setenv("XDG_CONFIG_HOME", c.xdg)
		if got, err := DefaultStoreDir(); err != nil || got != c.want {
			t.Errorf("%+v: %q %v", c, got, err)
		}
	}
}

func TestStoreLayoutAndModes(t *testing.T) {
	s := newStore(t)
	for _, d := range []string{s.Dir, filepath.Join(s.Dir, "keys"), filepath.Join(s.Dir, "trusted")} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("%s: mode %o", d, m)
		}
	}
	k := addOwn(t, s, SuiteEd25519, "alice", "pw")
	for _, p := range []string{"keys/alice.key", "keys/alice.pub"} {
		if m := mode(t, filepath.Join(s.Dir, p)); m != 0o600 {
			t.Errorf("%s: mode %o", p, m)
		}
	}
	pub, err := ReadPublicFile(filepath.Join(s.Dir, "keys/alice.pub"))
	if err != nil || !pub.Equal(k.Public()) {
		t.Fatal(err)
	}
	if _, err := s.SetDefault("alice"); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, s.ConfigPath()); m != 0o600 {
		t.Errorf("config mode %o", m)
	}
	ents, _ := os.ReadDir(filepath.Join(s.Dir, "keys"))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestStoreRefusesOpenPermissions(t *testing.T) {
	s := newStore(t)
	addOwn(t, s, SuiteEd25519, "alice", "")
	p := s.PrivatePath("alice")
	for _, m := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		os.Chmod(p, m)
		_, err := s.LoadPrivate("alice", nil)
		wantCode(t, err, exit.IO, "accessible by other users")
		if h := exit.HintOf(err); h != "chmod 600 "+p {
			t.Fatalf("hint %q", h)
		}
		if _, err := s.Own(); exit.CodeOf(err) != exit.IO {
			t.Fatalf("Own with mode %o: %v", m, err)
		}
		if _, err := ReadPrivateFile(p); exit.CodeOf(err) != exit.IO {
			t.Fatal(err)
		}
	}
	os.Chmod(p, 0o600)
	if _, err := s.LoadPrivate("alice", nil); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(s.Dir, "keys"), 0o777)
	_, err := OpenStore(s.Dir)
	wantCode(t, err, exit.IO, "writable by other users")
	if h := exit.HintOf(err); h != "chmod 700 "+filepath.Join(s.Dir, "keys") {
		t.Fatalf("hint %q", h)
	}
	os.Chmod(filepath.Join(s.Dir, "keys"), 0o700)
	writeRaw(t, s.ConfigPath(), []byte("color = \"never\"\n"), 0o666)
	_, err = s.Config()
	wantCode(t, err, exit.IO, "config file is writable")
}

func TestStoreFindAndDefault(t *testing.T) {
	s := newStore(t)
	_, err := s.Default()
	wantCode(t, err, exit.Usage, "no signing key")
	a := addOwn(t, s, SuiteEd25519, "alice", "pw")
	if k, err := s.Default(); err != nil || k.Public.ID() != "alice" || !k.Encrypted || !k.Own {
		t.Fatalf("single own key is the default: %+v %v", k, err)
	}
	b := addOwn(t, s, SuiteMLDSA87, "bob", "")
	_, err = s.Default()
	wantCode(t, err, exit.Usage, "no default key")
	if _, err := s.SetDefault(b.Fingerprint().Display()[:19]); err != nil {
		t.Fatal(err)
	}
	if k, err := s.Default(); err != nil || k.Public.ID() != "bob" || k.Encrypted {
		t.Fatal(err)
	}
	got, err := s.LoadPrivate("", nil)
	if err != nil || !got.Public().Equal(b.Public()) {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", a.Fingerprint().String(), a.Fingerprint().Display(), a.Fingerprint().String()[:16], strings.ToUpper(a.Fingerprint().Short())} {
		k, err := s.Find(name)
		if err != nil || !k.Public.Equal(a.Public()) {
			t.Errorf("Find(%q): %v", name, err)
		}
	}
	_, err = s.Find("carol")
	wantCode(t, err, exit.IO, `no key named "carol" in this store`)
	_, err = s.Find(strings.Repeat("f", 16))
	if err == nil && !a.Fingerprint().HasPrefix(strings.Repeat("f", 16)) {
		t.Fatal("bogus prefix found a key")
	}
	_, err = s.Find(a.Fingerprint().String()[:15])
	wantCode(t, err, exit.IO, "no key")
	_, err = s.LoadPrivate("alice", pass("nope"))
	wantCode(t, err, exit.Usage, "cannot decrypt private key alice")

	// A trusted key: found by Find, not by FindOwn or LoadPrivate.
	c, _ := Generate(SuiteHybrid, "carol")
	if err := s.Import(c.Public()); err != nil {
		t.Fatal(err)
	}
	if k, err := s.Find("carol"); err != nil || k.Own || !k.Public.Equal(c.Public()) {
		t.Fatal(err)
	}
	_, err = s.FindOwn("carol")
	wantCode(t, err, exit.IO, "no key")
	_, err = s.SetDefault("carol")
	wantCode(t, err, exit.IO, "no key")

	// Deleting the default key clears it.
	if _, err := s.DeleteOwn("bob"); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := s.Config(); cfg.DefaultKey != "" {
		t.Fatal("default not cleared")
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "keys/bob.pub")); !os.IsNotExist(err) {
		t.Fatal("bob.pub left")
	}
	// A default naming a missing key is a clear error.
	s.SaveConfig(&Config{DefaultKey: "ghost"})
	_, err = s.Default()
	wantCode(t, err, exit.Usage, `default key "ghost" does not exist`)
}

func TestImport(t *testing.T) {
	s := newStore(t)
	a := addOwn(t, s, SuiteEd25519, "alice", "")
	b, _ := Generate(SuiteEd25519, "bob")
	if err := s.Import(b.Public()); err != nil {
		t.Fatal(err)
	}
	if err := s.Import(b.Public()); err != nil {
		t.Fatalf("re-import of the same key: %v", err)
	}
	if m := mode(t, filepath.Join(s.Dir, "trusted/bob.pub")); m != 0o600 {
		t.Errorf("mode %o", m)
	}
	// An id bound to another key, trusted or own, is refused.
	b2, _ := Generate(SuiteEd25519, "bob")
	err := s.Import(b2.Public())
	wantCode(t, err, exit.Usage, `key id "bob" is already bound to another key`)
	a2, _ := Generate(SuiteEd25519, "alice")
	err = s.Import(a2.Public())
	wantCode(t, err, exit.Usage, `key id "alice" is already bound to another key`)
	// The same key under a second trusted id is refused.
	b3, _ := b.Public().WithID("bobby")
	err = s.Import(b3)
	wantCode(t, err, exit.Usage, `already in the store as "bob"`)
	// One's own public key may be trusted under its own id.
	if err := s.Import(a.Public()); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Find("alice"); !k.Own {
		t.Fatal("own key not preferred")
	}
	// AddOwn refuses an id used by a trusted key.
	c, _ := Generate(SuiteEd25519, "bob")
	data, _ := EncodePrivateUnencrypted(c)
	err = s.AddOwn(c, data)
	wantCode(t, err, exit.Usage, "already bound")
	tr, err := s.Trusted()
	if err != nil || len(tr) != 2 || tr[0].Public.ID() != "alice" || tr[1].Public.ID() != "bob" {
		t.Fatalf("%v %v", tr, err)
	}
	if _, err := s.Untrust("bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.Import(b2.Public()); err != nil {
		t.Fatalf("id free again after untrust: %v", err)
	}
}

func TestStoreRejectsMisnamedAndBadFiles(t *testing.T) {
	s := newStore(t)
	b, _ := Generate(SuiteEd25519, "bob")
	pub, _ := EncodePublic(b.Public())
	writeRaw(t, filepath.Join(s.Dir, "trusted/robert.pub"), pub, 0o600)
	_, err := s.Trusted()
	wantCode(t, err, exit.Malformed, `file holds key "bob", not "robert"`)
	os.Remove(filepath.Join(s.Dir, "trusted/robert.pub"))
	writeRaw(t, filepath.Join(s.Dir, "trusted/bad.pub"), []byte("garbage"), 0o600)
	_, err = s.Trusted()
	wantCode(t, err, exit.Malformed, "bad.pub")
	os.Remove(filepath.Join(s.Dir, "trusted/bad.pub"))
	// An id on two different keys (placed by hand) is ambiguous.
	a := addOwn(t, s, SuiteEd25519, "dup", "")
	d2, _ := Generate(SuiteEd25519, "dup")
	dp, _ := EncodePublic(d2.Public())
	writeRaw(t, filepath.Join(s.Dir, "trusted/dup.pub"), dp, 0o600)
	_, err = s.Find("dup")
	wantCode(t, err, exit.Usage, `key id "dup" names two different keys`)
	if k, err := s.Find(a.Fingerprint().String()); err != nil || !k.Own {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(s.Dir, "trusted/dup.pub"))
	// Files that are not named <id>.pub are ignored.
	writeRaw(t, filepath.Join(s.Dir, "trusted/.bob.pub.tmp-1"), []byte("x"), 0o600)
	writeRaw(t, filepath.Join(s.Dir, "trusted/notes.txt"), []byte("x"), 0o600)
	if tr, err := s.Trusted(); err != nil || len(tr) != 0 {
		t.Fatal(tr, err)
	}
}
