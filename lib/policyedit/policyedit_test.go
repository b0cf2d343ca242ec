package policyedit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

const fpA = "5041f11e514d7a27be542c21097a3def2477aaa7141bd113bed307b8b3678509"

func mustParse(t *testing.T, data []byte) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(data, "policy.json")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// The canonical form of the spec's example is a fixed point, keeps every
// member and list order, and puts fields in §3 order.
func TestCanonicalRoundTrip(t *testing.T) {
	p := mustParse(t, policy.Example())
	c, err := Canonical(p, "policy.json")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Canonical(mustParse(t, c), "policy.json")
	if err != nil || !bytes.Equal(c, c2) {
		t.Fatalf("not a fixed point:\n%s\n%s", c, c2)
	}
	s := string(c)
	order := []string{`"version": 1`, `"signers"`, `"release-*"`, `"5041:f11e`, `"denied"`, `"threshold": 2`,
		`"registries"`, `"docker.io/library/*"`, `"*.internal.example/*"`, `"oci-archive:*"`, `"blocked"`, `"pin"`, `"nginx"`, `"digest"`}
	last := -1
	for _, o := range order {
		i := strings.Index(s, o)
		if i <= last {
			t.Fatalf("%s missing or out of order in\n%s", o, s)
		}
		last = i
	}
	if !strings.HasSuffix(s, "}\n") || !IsCanonical(c, mustParse(t, c)) || IsCanonical(policy.Example(), p) {
		t.Fatalf("IsCanonical is wrong")
	}
}

// An edit keeps what it does not touch: pins, attestations, denied, the
// other section, and the order of entries; the only change is one line.
func TestEditKeepsTheRest(t *testing.T) {
	src := `{"version":1,"require_attestations":["slsa-provenance"],"pin":{"b/x":{"manifest_digest":"sha256:` + strings.Repeat("a", 64) + `"},"a":{"signers":["ops"]}},
"registries":{"blocked":["docker.io/library/busybox"],"allowed":["z.example/*","a.example/*"]},"signers":{"denied":["old"],"allowed":["zed","alpha"]}}`
	p := mustParse(t, []byte(src))
	before, err := Canonical(p, "p")
	if err != nil {
		t.Fatal(err)
	}
	if !AddSigner(p, "mid-*") {
		t.Fatal("AddSigner changed nothing")
	}
	after, err := Canonical(p, "p")
	if err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, after)
	if strings.Join(q.Signers.Allowed, ",") != "zed,alpha,mid-*" || strings.Join(q.Registries.Allowed, ",") != "z.example/*,a.example/*" ||
		q.Signers.Denied[0] != "old" || q.Pin["a"].Signers[0] != "ops" || q.Pin["b/x"].ManifestDigest == "" ||
		q.RequireAttestations[0].Type != "slsa-provenance" || q.Registries.Blocked[0] != "docker.io/library/busybox" {
		t.Fatalf("lost something:\n%s", after)
	}
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(al) != len(bl)+1 {
		t.Fatalf("want exactly one added line:\n%s\n---\n%s", before, after)
	}
}

// Adding what is there changes nothing, also a fingerprint in another form.
func TestAddIdempotent(t *testing.T) {
	p := mustParse(t, []byte(`{"version":1,"signers":{"allowed":["`+fpA+`","r-*"]},"registries":{"allowed":["oci:*"]}}`))
	display, _ := keys.ParseFingerprint(fpA)
	for _, s := range []string{fpA, display.Display(), strings.ToUpper(fpA), "r-*"} {
		if AddSigner(p, s) {
			t.Errorf("AddSigner(%s) changed the policy", s)
		}
	}
	if AddRegistry(p, "oci:*") {
		t.Error("AddRegistry(oci:*) changed the policy")
	}
	if !AddRegistry(p, "oci-archive:*") || !AddSigner(p, "r-2") {
		t.Error("a new entry was not added")
	}
}

// A result lib/policy refuses is refused, with the field, and never written.
func TestRefuseInvalid(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.json")
	good := []byte("{\n  \"version\": 1\n}\n")
	if err := os.WriteFile(file, good, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(p *policy.Policy)
		want string
	}{
		{func(p *policy.Policy) { AddRegistry(p, "docker.io") }, `registries.allowed[0]: "docker.io" names no repository`},
		{func(p *policy.Policy) { AddRegistry(p, "oci:/srv/x") }, "local sources are matched by transport only"},
		{func(p *policy.Policy) { AddSigner(p, "5041f11e514d7a27") }, "fingerprint prefix"},
		{func(p *policy.Policy) { AddSigner(p, "a b") }, "neither a fingerprint nor a key id pattern"},
		{func(p *policy.Policy) { AddSigner(p, "sha256:"+fpA) }, `without "sha256:"`},
	} {
		p := mustParse(t, good)
		p.Name = file
		c.edit(p)
		err := Update(file, p)
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want exit 64 with %q", err, c.want)
		}
		if data, _ := os.ReadFile(file); !bytes.Equal(data, good) {
			t.Errorf("the file changed: %s", data)
		}
	}
	for _, o := range []Options{{Threshold: 300}, {Suites: []string{"ed25519"}}, {Registries: []string{"docker://x/y"}}} {
		if _, err := New(o, "p"); exit.CodeOf(err) != exit.Usage {
			t.Errorf("New(%+v) = %v, want exit 64", o, err)
		}
	}
}

// A failed write leaves the old file and no temporary file; Write refuses
// to replace a file without force.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.json")
	p, err := New(Options{Signers: []string{"release-*"}, Threshold: 2}, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(file, p, false); err != nil {
		t.Fatal(err)
	}
	if err := Write(file, p, false); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("overwrite without force: %v", err)
	}
	old, _ := os.ReadFile(file)
	// A read-only folder: creating the temporary file fails.
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o500)
		AddSigner(p, "ci")
		err := Update(file, p)
		os.Chmod(dir, 0o700)
		if exit.CodeOf(err) != exit.IO {
			t.Fatalf("write into a read-only folder: %v", err)
		}
		if now, _ := os.ReadFile(file); !bytes.Equal(now, old) {
			t.Fatal("the file changed")
		}
	}
	// A symbolic link is followed: the file it names is replaced, the
	// link stays.
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("policy.json", link); err != nil {
		t.Fatal(err)
	}
	AddRegistry(p, "oci:*")
	if err := Update(link, p); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if data, _ := os.ReadFile(file); !bytes.Contains(data, []byte(`"oci:*"`)) {
		t.Fatalf("the linked file was not updated:\n%s", data)
	}
	// A folder in place of the file: the rename fails after the data was
	// written; the temporary file is removed.
	dfile := filepath.Join(dir, "dir.json")
	os.Mkdir(dfile, 0o700)
	if err := Update(dfile, p); exit.CodeOf(err) != exit.IO {
		t.Fatalf("write over a folder: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("left files behind: %v", names)
	}
}

func newStore(t *testing.T) (*keys.Store, *keys.PublicKey) {
	t.Helper()
	st, err := keys.OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.Generate(keys.SuiteEd25519, "release-2024")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Import(k.Public()); err != nil {
		t.Fatal(err)
	}
	return st, k.Public()
}

func TestResolveSigner(t *testing.T) {
	st, pub := newStore(t)
	fp := pub.Fingerprint()
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "r.pub")
	data, _ := keys.EncodePublic(pub)
	os.WriteFile(pubFile, data, 0o644)
	for arg, want := range map[string]string{
		pubFile:                      fp.String(),
		fp.Display():                 fp.String(),
		fp.Short():                   fp.String(), // a prefix, looked up in the store
		"release-*":                  "release-*",
		"release-2024":               "release-2024",
		strings.ToUpper(fp.String()): fp.String(),
	} {
		s, err := ResolveSigner(arg, st)
		if err != nil || s.Pattern != want {
			t.Errorf("ResolveSigner(%s) = %+v, %v; want %s", arg, s, err, want)
		}
	}
	if _, err := ResolveSigner("0000:0000:0000:0000", st); exit.CodeOf(err) != exit.Usage {
		t.Errorf("unknown prefix: %v", err)
	}
	if _, err := ResolveSigner(fp.Short(), nil); exit.CodeOf(err) != exit.Usage {
		t.Errorf("prefix without a store: %v", err)
	}
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("not a key\n"), 0o644)
	if _, err := ResolveSigner(bad, st); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("bad key file: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	st, pub := newStore(t)
	tr := LoadTrust(st)
	p := mustParse(t, []byte(`{"version":1,"signers":{"allowed":["release-*","ci","`+pub.Fingerprint().Display()+`","`+fpA+`"],"denied":["nobody"]},
"pin":{"nginx":{"signers":["ops"]}}}`))
	var rules []string
	for _, w := range tr.Warnings(p) {
		rules = append(rules, w.Rule)
	}
	if got := strings.Join(rules, " "); got != "signers.allowed[1] signers.allowed[3] pin.nginx.signers[0]" {
		t.Fatalf("warnings for %s", got)
	}
	if n := len(LoadTrust(nil).Warnings(p)); n != 5 {
		t.Fatalf("no store: %d warnings, want 5", n)
	}
}

func TestAsk(t *testing.T) {
	st, pub := newStore(t)
	var out bytes.Buffer
	// A wrong answer is explained and asked again.
	in := "release-*, " + pub.Fingerprint().Short() + "\nmany\n2\ndocker.io\ndocker.io/library/*,oci-archive:*\nCT-SIG-01\n"
	o, err := Ask(strings.NewReader(in), &out, st)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Join(o.Signers, ",") != "release-*,"+pub.Fingerprint().String() || o.Threshold != 2 ||
		strings.Join(o.Registries, ",") != "docker.io/library/*,oci-archive:*" || strings.Join(o.Suites, ",") != "CT-SIG-01" {
		t.Fatalf("options %+v", o)
	}
	for _, want := range []string{"release-2024", `"many" is not a number`, `names no repository`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Empty answers: a policy that only asks for a trusted signature.
	o, err = Ask(strings.NewReader("\n\n\n\n"), &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(o, "p")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := Canonical(p, "p"); string(c) != "{\n  \"version\": 1\n}\n" {
		t.Fatalf("empty answers give %s", c)
	}
	// End of input is a cancel.
	if _, err := Ask(strings.NewReader("release-*\n"), &out, nil); exit.CodeOf(err) != exit.Cancelled {
		t.Fatalf("EOF: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	st, _ := newStore(t)
	p := mustParse(t, policy.Example())
	s := Describe(p, false, LoadTrust(st))
	if s.Schema != ShowSchema || s.Signers.Threshold != 2 || len(s.Signers.Allowed[0].Keys) != 1 || s.Registries.AnySource ||
		len(s.Pins) != 1 || s.Pins[0].ImageDigest == "" || !s.Suites.AnySuite || len(s.Warnings) != 2 {
		t.Fatalf("%+v", s)
	}
	txt := s.Text()
	for _, want := range []string{"2 distinct signers", "key id release-*: release-2024", "docker.io/library/*", "blocked:", "nginx: image sha256:", "not in canonical form"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	// Text from the file is escaped for the terminal.
	q := mustParse(t, []byte(`{"version":1,"registries":{"allowed":["a\u009b31m/b"]}}`))
	if strings.Contains(Describe(q, true, Trust{}).Text(), "\u009b") {
		t.Fatal("escape sequence printed")
	}
}
