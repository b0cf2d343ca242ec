package keys

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func pp(s string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(s), nil } }

func noPass() ([]byte, error) { return nil, errors.New("asked for a passphrase") }

func TestCheckNewPassphrase(t *testing.T) {
	for p, ok := range map[string]bool{"": false, "x": false, "elevenchars": false, "twelve chars": true,
		"ñññññññññññ": false, "ññññññññññññ": true, "correct horse battery staple": true} {
		err := CheckNewPassphrase([]byte(p))
		if (err == nil) != ok {
			t.Errorf("CheckNewPassphrase(%q) = %v, want ok=%v", p, err, ok)
		}
		if err != nil && exit.CodeOf(err) != exit.Usage {
			t.Errorf("CheckNewPassphrase(%q): code %d", p, exit.CodeOf(err))
		}
	}
	wantCode(t, CheckNewPassphrase([]byte("x")), exit.Usage, "is 1 character; a new key's passphrase needs at least 12")
}

func TestChangePassphrase(t *testing.T) {
	s := newStore(t)
	k := addOwn(t, s, SuiteEd25519, "alice", "old passphrase")
	path := s.PrivatePath("alice")
	before, _ := os.ReadFile(path)

	// A wrong old passphrase, or a new one too short, changes nothing; the
	// new one is not asked for before the old one opened the key.
	_, err := s.ChangePassphrase("alice", pp("wrong passphrase"), noPass, fastKDF)
	wantCode(t, err, exit.Usage, "cannot decrypt private key alice")
	_, err = s.ChangePassphrase("alice", pp("old passphrase"), pp("short"), fastKDF)
	wantCode(t, err, exit.Usage, "needs at least 12")
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused change rewrote the key file")
	}

	// old -> new: the new one opens it, the old one no longer does.
	r, err := s.ChangePassphrase("alice", pp("old passphrase"), pp("a new passphrase"), fastKDF)
	if err != nil || !r.Encrypted || r.Key.Public.ID() != "alice" {
		t.Fatalf("%+v, %v", r, err)
	}
	if mode(t, path) != 0o600 {
		t.Fatalf("mode %o after the change", mode(t, path))
	}
	if _, err := s.LoadPrivate("alice", pp("old passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase still opens the key: %v", err)
	}
	got, err := s.LoadPrivate("alice", pp("a new passphrase"))
	if err != nil || !got.Public().Equal(k.Public()) {
		t.Fatalf("new passphrase: %v", err)
	}

	// to no passphrase (nil) and back; an unencrypted key never asks for the old one
	if r, err = s.ChangePassphrase("alice", pp("a new passphrase"), pp(""), fastKDF); err == nil {
		t.Fatal("an empty new passphrase was accepted")
	}
	if r, err = s.ChangePassphrase("alice", pp("a new passphrase"), func() ([]byte, error) { return nil, nil }, fastKDF); err != nil || r.Encrypted {
		t.Fatalf("to unencrypted: %+v %v", r, err)
	}
	if got, err := s.LoadPrivate("alice", noPass); err != nil || !got.Public().Equal(k.Public()) {
		t.Fatalf("unencrypted key: %v", err)
	}
	if r, err = s.ChangePassphrase("alice", noPass, pp("third passphrase"), fastKDF); err != nil || !r.Encrypted {
		t.Fatalf("from unencrypted: %+v %v", r, err)
	}
	if _, err := s.LoadPrivate("alice", pp("third passphrase")); err != nil {
		t.Fatal(err)
	}
	// no temporary file is left behind
	ents, _ := os.ReadDir(filepath.Join(s.Dir, OwnDir))
	for _, e := range ents {
		if strings.Contains(e.Name(), "tmp") {
			t.Fatalf("left %s", e.Name())
		}
	}

	// a trusted key has no passphrase to change
	pub, _ := Generate(SuiteEd25519, "bob")
	if err := s.Import(pub.Public()); err != nil {
		t.Fatal(err)
	}
	_, err = s.ChangePassphrase("bob", noPass, noPass, fastKDF)
	wantCode(t, err, exit.IO, `no key named "bob" in this store`)
}

// Read-only commands (ct key list, info, export, ct sign) create nothing.
func TestOpenStoreReadOnlyCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cerro")
	s, err := OpenStoreReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.List()
	if err != nil || len(es) != 0 {
		t.Fatalf("%v %v", es, err)
	}
	if _, err := s.Default(); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("default key of an empty store: %v", err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the store was created: %v", err)
	}
	doc, _ := json.Marshal(NewListDoc(dir, es))
	if !strings.Contains(string(doc), `"keys":[]`) || !strings.HasPrefix(string(doc), `{"schema":"ct.key.list/1",`) {
		t.Fatalf("%s", doc)
	}
	// a folder others can write is refused even read-only
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	_, err = OpenStoreReadOnly(dir)
	wantCode(t, err, exit.IO, "writable by other users")
}

func TestIsKeyPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("release.key", nil, 0o600)
	os.Mkdir("release", 0o700)
	for name, want := range map[string]bool{"release.key": true, "./x.key": true, "sub/x": true, "/abs": true,
		"release": false, "alice": false, "6e33ce9e16e33e7d": false} {
		if got := IsKeyPath(name); got != want {
			t.Errorf("IsKeyPath(%q) = %v", name, got)
		}
	}
}
