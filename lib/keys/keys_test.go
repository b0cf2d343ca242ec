package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// fastKDF keeps tests quick: the smallest parameters a reader accepts.
var fastKDF = KDFParams{MemoryKiB: MinMemoryKiB, Passes: 1, Parallelism: 1}

func seed(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func fixedKey(t testing.TB, suite, id string) *PrivateKey {
	t.Helper()
	k, err := NewPrivateKeyFromSeed(suite, id, seed(LookupSuite(suite).Seed, 0))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pass(s string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(s), nil }
}

func wantCode(t *testing.T, err error, code exit.Code, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %d (%s)", code, substr)
	}
	if c := exit.CodeOf(err); c != code {
		t.Fatalf("code %d, want %d: %v", c, code, err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

func TestDefaultsAreStrong(t *testing.T) {
	if DefaultKDF.MemoryKiB < 64<<10 || DefaultKDF.Passes < 3 || DefaultKDF.Parallelism < 1 {
		t.Fatalf("weak default KDF %v", DefaultKDF)
	}
	if err := DefaultKDF.Check(); err != nil {
		t.Fatal(err)
	}
	if DefaultSuite != SuiteEd25519 {
		t.Fatal("default suite is not CT-SIG-01")
	}
}

func TestKDFBounds(t *testing.T) {
	for _, p := range []KDFParams{
		{MinMemoryKiB - 1, 1, 1}, {MaxMemoryKiB + 1, 1, 1}, {MinMemoryKiB, 0, 1},
		{MinMemoryKiB, 17, 1}, {MinMemoryKiB, 1, 0}, {MinMemoryKiB, 1, 17},
	} {
		if err := p.Check(); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%v: %v", p, err)
		}
	}
	k := fixedKey(t, SuiteEd25519, "a")
	if _, err := EncodePrivate(k, []byte("x"), KDFParams{1024, 1, 1}); exit.CodeOf(err) != exit.Usage {
		t.Fatalf("encode with tiny memory: %v", err)
	}
}

func TestSuites(t *testing.T) {
	for in, want := range map[string]string{"": "CT-SIG-01", "CT-SIG-01": "CT-SIG-01", "CT-SIG-02": "CT-SIG-02", "CT-SIG-03": "CT-SIG-03"} {
		if got, err := ParseSuite(in); err != nil || got != want {
			t.Errorf("ParseSuite(%q) = %q, %v", in, got, err)
		}
	}
	// Only the ids policy.json accepts; a near miss names the id meant.
	for in, want := range map[string]string{"ct-sig-02": "CT-SIG-02", "ML-DSA-87": "CT-SIG-03", "ed25519": "CT-SIG-01", "Hybrid": "CT-SIG-02"} {
		_, err := ParseSuite(in)
		wantCode(t, err, exit.Usage, "unknown signature suite")
		if h := exit.HintOf(err); !strings.HasPrefix(h, "write "+want+": ") {
			t.Errorf("ParseSuite(%q) hint %q, want one naming %s", in, h, want)
		}
	}
	_, err := ParseSuite("rsa")
	wantCode(t, err, exit.Usage, `unknown signature suite "rsa"`)
	_, err = Generate("CT-SIG-04", "a")
	wantCode(t, err, exit.Usage, "unknown signature suite")
	for _, s := range Suites {
		k, err := Generate(s.ID, "gen")
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Public().Bytes()) != s.PublicKey || len(k.Seed()) != s.Seed {
			t.Fatalf("%s: sizes %d %d", s.ID, len(k.Public().Bytes()), len(k.Seed()))
		}
		k2, err := NewPrivateKeyFromSeed(s.ID, "gen", k.Seed())
		if err != nil || !k2.Public().Equal(k.Public()) {
			t.Fatalf("%s: seed does not reproduce the key", s.ID)
		}
	}
}

func TestIDs(t *testing.T) {
	for _, id := range []string{"a", "Alice.2024_ci-key", strings.Repeat("x", 64), "0"} {
		if err := CheckID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", ".hidden", "-x", "_x", "a/b", "a b", "..", strings.Repeat("x", 65), "é"} {
		if err := CheckID(id); exit.CodeOf(err) != exit.Usage {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestFingerprint(t *testing.T) {
	k := fixedKey(t, SuiteEd25519, "a")
	fp := k.Fingerprint()
	if len(fp.String()) != 64 || len(fp.Display()) != 79 || strings.Count(fp.Display(), ":") != 15 {
		t.Fatalf("forms %q %q", fp, fp.Display())
	}
	if fp.Short() != fp.Display()[:19] {
		t.Fatalf("short %q", fp.Short())
	}
	for _, s := range []string{fp.String(), fp.Display(), strings.ToUpper(fp.String()), strings.ToUpper(fp.Display())} {
		got, err := ParseFingerprint(s)
		if err != nil || got != fp {
			t.Errorf("ParseFingerprint(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{fp.String()[:63], fp.String() + "0", "ab:" + fp.String()[2:], fp.Display() + ":", " " + fp.String(), fp.String()[:62] + "zz", ""} {
		if _, err := ParseFingerprint(s); exit.CodeOf(err) != exit.Usage {
			t.Errorf("ParseFingerprint(%q) accepted", s)
		}
	}
	for _, s := range []string{fp.String()[:16], fp.Display()[:19], fp.Display()[:21]} {
		if p, ok := FingerprintPrefix(s); !ok || !fp.HasPrefix(p) {
			t.Errorf("prefix %q: %q %v", s, p, ok)
		}
	}
	if _, ok := FingerprintPrefix(fp.String()[:15]); ok {
		t.Error("15-digit prefix accepted")
	}
	// The fingerprint binds the suite: the Ed25519 half of a hybrid key has
	// another fingerprint as a CT-SIG-01 key.
	h := fixedKey(t, SuiteHybrid, "h")
	alone, _ := NewPublicKey("a", SuiteEd25519, h.Public().Bytes()[:32])
	if alone.Fingerprint() == h.Fingerprint() {
		t.Fatal("suite not bound")
	}
	if alone.Fingerprint() != fp {
		t.Fatal("same Ed25519 key, different fingerprint")
	}
}

func TestPublicRoundTrip(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, "id-"+strings.ToLower(s.ID))
		data, err := EncodePublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		if err := canon.CheckTOML(data); err != nil {
			t.Fatal(err)
		}
		p, err := DecodePublic(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.ID, err, data)
		}
		if !p.Equal(k.Public()) || p.ID() != k.ID() {
			t.Fatal("round trip changed the key")
		}
	}
}

func TestDecodePublicRejects(t *testing.T) {
	k := fixedKey(t, SuiteEd25519, "alice")
	good, _ := EncodePublic(k.Public())
	repl := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	fp := k.Fingerprint().String()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"fingerprint", repl(fp[:4], "0000"), "does not match"},
		{"suite", repl("CT-SIG-01", "CT-SIG-03"), "public key is 32 bytes"},
		{"unknown suite", repl("CT-SIG-01", "CT-SIG-09"), "unknown signature suite"},
		{"format", repl("format = 1", "format = 2"), "unknown key file format 2"},
		{"type", repl("ct-public-key", "ct-other"), "type"},
		{"id", repl(`id = "alice"`, `id = "../x"`), "invalid key id"},
		{"extra", append(bytes.Clone(good), "zz = 1\n"...), "not a valid public key file"},
		{"noncanonical", append([]byte("# hi\n"), good...), "not a valid public key file"},
		{"big", bytes.Repeat([]byte("a"), MaxKeyFileSize+1), "limit"},
		{"empty", nil, "not a valid public key file"},
	}
	for _, c := range cases {
		_, err := DecodePublic(c.data)
		wantCode(t, err, exit.Malformed, c.want)
	}
}

func TestPrivateRoundTrip(t *testing.T) {
	for _, s := range Suites {
		k := fixedKey(t, s.ID, "k")
		enc, err := EncodePrivate(k, []byte("correct horse"), fastKDF)
		if err != nil {
			t.Fatal(err)
		}
		if err := canon.CheckTOML(enc); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(enc, []byte(b64.EncodeToString(k.Seed()))) {
			t.Fatal("seed in clear in an encrypted file")
		}
		info, err := InspectPrivate(enc)
		if err != nil || !info.Encrypted || info.KDF != fastKDF || !info.Public.Equal(k.Public()) {
			t.Fatalf("inspect: %+v %v", info, err)
		}
		called := 0
		got, err := DecodePrivate(enc, func() ([]byte, error) { called++; return []byte("correct horse"), nil })
		if err != nil || called != 1 || !bytes.Equal(got.Seed(), k.Seed()) || !got.Public().Equal(k.Public()) {
			t.Fatalf("%s: decode: %v (called %d)", s.ID, err, called)
		}
		clear, err := EncodePrivateUnencrypted(k)
		if err != nil {
			t.Fatal(err)
		}
		got, err = DecodePrivate(clear, nil)
		if err != nil || !bytes.Equal(got.Seed(), k.Seed()) {
			t.Fatalf("unencrypted: %v", err)
		}
		// Public key files must not be accepted as private keys and back.
		pub, _ := EncodePublic(k.Public())
		if _, err := DecodePrivate(pub, nil); exit.CodeOf(err) != exit.Malformed {
			t.Fatal(err)
		}
		_, err = DecodePublic(clear)
		wantCode(t, err, exit.Malformed, "private key file")
	}
}

func TestEncryptionIsFresh(t *testing.T) {
	k := fixedKey(t, SuiteEd25519, "k")
	a, _ := EncodePrivate(k, []byte("p"), fastKDF)
	b, _ := EncodePrivate(k, []byte("p"), fastKDF)
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions gave the same bytes: salt or nonce not random")
	}
	_, err := EncodePrivate(k, nil, fastKDF)
	wantCode(t, err, exit.Usage, "empty passphrase")
}

func TestWrongPassphraseAndTampering(t *testing.T) {
	k := fixedKey(t, SuiteHybrid, "alice")
	enc, err := EncodePrivate(k, []byte("right"), fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodePrivate(enc, pass("wrong"))
	wantCode(t, err, exit.Usage, "cannot decrypt private key alice (fingerprint "+k.Fingerprint().Display())
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Fatal("not ErrWrongPassphrase")
	}
	_, err = DecodePrivate(enc, nil)
	wantCode(t, err, exit.Usage, "encrypted and no passphrase")
	_, err = DecodePrivate(enc, func() ([]byte, error) { return nil, errors.New("no tty") })
	wantCode(t, err, exit.Usage, "no tty")

	var f privateFile
	if err := canon.UnmarshalTOML(enc, &f); err != nil {
		t.Fatal(err)
	}
	reencode := func(mut func(*privateFile)) []byte {
		g := f
		mut(&g)
		out, err := canon.MarshalTOML(&g)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Header fields are authenticated: changing one that still parses makes
	// decryption fail.
	other, _ := Generate(SuiteHybrid, "bob")
	for name, mut := range map[string]func(*privateFile){
		"id":     func(g *privateFile) { g.ID = "mallory" },
		"passes": func(g *privateFile) { g.KDFPasses = 2 },
		"public key": func(g *privateFile) {
			g.PublicKey = b64.EncodeToString(other.Public().Bytes())
			g.Fingerprint = other.Fingerprint().String()
		},
		"salt":  func(g *privateFile) { g.KDFSalt = b64.EncodeToString(make([]byte, SaltSize)) },
		"nonce": func(g *privateFile) { g.CipherNonce = b64.EncodeToString(make([]byte, 24)) },
		"ciphertext": func(g *privateFile) {
			c, _ := b64.DecodeString(g.Ciphertext)
			c[3] ^= 1
			g.Ciphertext = b64.EncodeToString(c)
		},
		"tag": func(g *privateFile) {
			c, _ := b64.DecodeString(g.Ciphertext)
			c[len(c)-1] ^= 0x80
			g.Ciphertext = b64.EncodeToString(c)
		},
		"memory":      func(g *privateFile) { g.KDFMemoryKiB++ },
		"parallelism": func(g *privateFile) { g.KDFParallelism = 2 },
	} {
		_, err := DecodePrivate(reencode(mut), pass("right"))
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	// Malformed headers are refused before the passphrase is asked for.
	never := func() ([]byte, error) { t.Fatal("passphrase asked for"); return nil, nil }
	for name, c := range map[string]struct {
		mut  func(*privateFile)
		want string
	}{
		"memory high":  {func(g *privateFile) { g.KDFMemoryKiB = MaxMemoryKiB + 1 }, "outside the accepted bounds"},
		"memory low":   {func(g *privateFile) { g.KDFMemoryKiB = MinMemoryKiB - 1 }, "outside the accepted bounds"},
		"passes":       {func(g *privateFile) { g.KDFPasses = 17 }, "outside the accepted bounds"},
		"threads":      {func(g *privateFile) { g.KDFParallelism = 0 }, "outside the accepted bounds"},
		"kdf":          {func(g *privateFile) { g.KDF = "scrypt" }, `unknown kdf "scrypt"`},
		"cipher":       {func(g *privateFile) { g.Cipher = "aes-gcm" }, `unknown cipher "aes-gcm"`},
		"salt":         {func(g *privateFile) { g.KDFSalt = "AAAA" }, "kdf_salt is 3 bytes"},
		"nonce":        {func(g *privateFile) { g.CipherNonce = "AAAA" }, "cipher_nonce is 3 bytes"},
		"short ct":     {func(g *privateFile) { g.Ciphertext = "AAAA" }, "ciphertext is 3 bytes"},
		"seed too":     {func(g *privateFile) { g.Seed = "AAAA" }, "must not hold a seed"},
		"bad base64":   {func(g *privateFile) { g.KDFSalt = "AAB=" }, "not canonical standard base64"},
		"fingerprint":  {func(g *privateFile) { g.Fingerprint = strings.Repeat("0", 64) }, "does not match"},
		"missing kdf":  {func(g *privateFile) { g.KDF = "" }, "lacks kdf"},
		"format":       {func(g *privateFile) { g.Format = 0 }, "unknown key file format 0"},
		"suite":        {func(g *privateFile) { g.Suite = "CT-SIG-01" }, "public key is 2624 bytes"},
		"unknown kind": {func(g *privateFile) { g.Type = TypePublic }, "public key file"},
	} {
		_, err := DecodePrivate(reencode(c.mut), never)
		if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestUnencryptedRejects(t *testing.T) {
	k := fixedKey(t, SuiteEd25519, "a")
	clear, _ := EncodePrivateUnencrypted(k)
	var f privateFile
	if err := canon.UnmarshalTOML(clear, &f); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		mut  func(*privateFile)
		want string
	}{
		"seed length": {func(g *privateFile) { g.Seed = b64.EncodeToString(make([]byte, 31)) }, "seed is 31 bytes"},
		"other seed":  {func(g *privateFile) { g.Seed = b64.EncodeToString(make([]byte, 32)) }, "does not give the public key"},
		"no seed":     {func(g *privateFile) { g.Seed = "" }, "lacks seed"},
		"cipher":      {func(g *privateFile) { g.Cipher = CipherXChaCha }, "cipher"},
		"kdf params":  {func(g *privateFile) { g.KDFPasses = 3 }, "no cipher_nonce"},
	} {
		g := f
		c.mut(&g)
		data, _ := canon.MarshalTOML(&g)
		_, err := DecodePrivate(data, nil)
		if exit.CodeOf(err) != exit.Malformed || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPrivateFileFormat(t *testing.T) {
	// The layout promised in keys.md §3.
	k := fixedKey(t, SuiteEd25519, "alice")
	clear, _ := EncodePrivateUnencrypted(k)
	want := "cipher = \"none\"\nfingerprint = \"" + k.Fingerprint().String() + "\"\nformat = 1\nid = \"alice\"\nkdf = \"none\"\npublic_key = \"" +
		b64.EncodeToString(k.Public().Bytes()) + "\"\nseed = \"" + b64.EncodeToString(k.Seed()) + "\"\nsuite = \"CT-SIG-01\"\ntype = \"ct-private-key\"\n"
	if string(clear) != want {
		t.Fatalf("got\n%s\nwant\n%s", clear, want)
	}
	enc, _ := encodePrivate(k, []byte("pw"), fastKDF, make([]byte, 16), make([]byte, 24))
	lines := strings.Split(strings.TrimSuffix(string(enc), "\n"), "\n")
	var keys []string
	for _, l := range lines {
		keys = append(keys, strings.SplitN(l, " = ", 2)[0])
	}
	if got := strings.Join(keys, ","); got != "cipher,cipher_nonce,ciphertext,fingerprint,format,id,kdf,kdf_memory_kib,kdf_parallelism,kdf_passes,kdf_salt,public_key,suite,type" {
		t.Fatal(got)
	}
	// The AD is the file without its ciphertext line.
	var f privateFile
	canon.UnmarshalTOML(enc, &f)
	ad, _ := additionalData(&f)
	var without []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "ciphertext = ") {
			without = append(without, l)
		}
	}
	if string(ad) != strings.Join(without, "\n")+"\n" {
		t.Fatalf("AD is not the file minus ciphertext:\n%s", ad)
	}
}

func TestPublicAccessors(t *testing.T) {
	h := fixedKey(t, SuiteHybrid, "h")
	if h.Ed25519() == nil || h.MLDSA87() == nil || h.Public().Ed25519() == nil || h.Public().MLDSA87() == nil {
		t.Fatal("hybrid lacks a half")
	}
	e := fixedKey(t, SuiteEd25519, "e")
	if e.MLDSA87() != nil || e.Public().MLDSA87() != nil {
		t.Fatal("ed25519 key has an ML-DSA half")
	}
	m := fixedKey(t, SuiteMLDSA87, "m")
	if m.Ed25519() != nil || m.Public().Ed25519() != nil {
		t.Fatal("ML-DSA key has an Ed25519 half")
	}
	p2, err := e.Public().WithID("other")
	if err != nil || p2.ID() != "other" || !p2.Equal(e.Public()) || e.Public().ID() != "e" {
		t.Fatal("WithID")
	}
}

func writeRaw(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
