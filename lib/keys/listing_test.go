package keys

import (
	"fmt"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestListLookupDescribe(t *testing.T) {
	s := newStore(t)
	es, err := s.List()
	if err != nil || len(es) != 0 {
		t.Fatalf("empty store: %v %v", es, err)
	}
	a := addOwn(t, s, SuiteEd25519, "alice", "")
	addOwn(t, s, SuiteEd25519, "zed", "pw")
	b := fixedKey(t, SuiteEd25519, "bob").Public()
	if err := s.Import(b); err != nil {
		t.Fatal(err)
	}
	if err := s.Import(a.Public()); err != nil { // own key also trusted under its id
		t.Fatal(err)
	}
	if _, err := s.SetDefault("zed"); err != nil {
		t.Fatal(err)
	}
	es, err = s.List()
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, e := range es {
		got += fmt.Sprintf("%s own=%v trusted=%v default=%v enc=%v;", e.ID, e.Own, e.Trusted, e.Default, e.Encrypted)
	}
	want := "alice own=true trusted=true default=false enc=false;zed own=true trusted=false default=true enc=true;bob own=false trusted=true default=false enc=false;"
	if got != want {
		t.Fatalf("List:\n got %s\nwant %s", got, want)
	}

	_, err = s.Lookup("nobody")
	wantCode(t, err, exit.IO, "no key named")
	_, err = s.Lookup("0000000000000000")
	wantCode(t, err, exit.IO, "no key named")
	k, err := s.Lookup(b.Fingerprint().Display()[:19])
	if err != nil || k.Public.ID() != "bob" {
		t.Fatalf("Lookup by prefix: %v %v", k, err)
	}

	d, err := s.Describe("zed")
	if err != nil {
		t.Fatal(err)
	}
	if d.File != "private" || !d.Encrypted || d.KDF == nil || d.KDF.MemoryKiB != fastKDF.MemoryKiB || !d.Default || d.Algorithm != "Ed25519" || d.PublicKeySize != 32 {
		t.Fatalf("Describe(zed) = %+v", d)
	}
	d, err = DescribeFile(s.PrivatePath("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Own || d.File != "private" || d.Encrypted {
		t.Fatalf("DescribeFile = %+v", d)
	}
	if err := s.Mark(d); err != nil || !d.Own || !d.Trusted || d.Default {
		t.Fatalf("Mark = %+v %v", d, err)
	}

	cleared, err := s.Delete(mustLookup(t, s, "zed"))
	if err != nil || !cleared {
		t.Fatalf("Delete(zed) = %v %v", cleared, err)
	}
	cleared, err = s.Delete(mustLookup(t, s, "bob"))
	if err != nil || cleared {
		t.Fatalf("Delete(bob) = %v %v", cleared, err)
	}
	if es, _ = s.List(); len(es) != 1 || es[0].ID != "alice" || !es[0].Default {
		t.Fatalf("after delete: %+v", es)
	}
}

func mustLookup(t *testing.T, s *Store, name string) *StoredKey {
	t.Helper()
	k, err := s.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestImportData(t *testing.T) {
	s := newStore(t)
	k := fixedKey(t, SuiteEd25519, "bob")
	pub, _ := EncodePublic(k.Public())
	r, err := s.ImportData(pub, "f", "")
	if err != nil || r.Unchanged || r.Entry.ID != "bob" {
		t.Fatalf("import: %+v %v", r, err)
	}
	if r, err = s.ImportData(pub, "f", ""); err != nil || !r.Unchanged {
		t.Fatalf("re-import: %+v %v", r, err)
	}
	other, _ := EncodePublic(fixedKey(t, SuiteMLDSA87, "bob").Public())
	_, err = s.ImportData(other, "g", "")
	wantCode(t, err, exit.Usage, "already bound to a trusted key")
	if r, err = s.ImportData(other, "g", "bob2"); err != nil || r.Entry.ID != "bob2" {
		t.Fatalf("--id: %+v %v", r, err)
	}
	_, err = s.ImportData(pub, "f", "bob3")
	wantCode(t, err, exit.Usage, `already trusted as "bob"`)
	priv, _ := EncodePrivateUnencrypted(k)
	_, err = s.ImportData(priv, "p", "")
	wantCode(t, err, exit.Malformed, "this is a private key file")
	_, err = s.ImportData([]byte("junk"), "j", "")
	wantCode(t, err, exit.Malformed, "")
}
