// Command gen-canon writes the canonical-TOML conformance vectors in
// tests/vectors/canon (docs/spec/canonical.md). Run it from the tests module:
//
//	cd tests && go run ./vectors/gen-canon
//
// Every expected outcome and every expected canonical document below is a
// literal (or a literal built by a loop, for the big cases): nothing here
// calls the implementation, so the vectors test it instead of echoing it.
//
// Each vector is a txtar archive whose comment holds header lines
//
//	expect: canonical | canonicalizes | malformed
//	reason: <one line>
//	sha256: <hex SHA-256 of the canonical bytes>   (not for malformed)
//
// and whose files are input.toml (the raw input bytes) or input.hex (the
// input hex-encoded, when txtar or a text tool could not keep the bytes
// faithfully: CR, BOM, NUL, other controls, invalid UTF-8, no final LF),
// and canonical.toml (the expected canonical form; not for malformed).
//
// Meaning: canonical → CheckTOML accepts the input and CanonicalizeTOML
// returns it unchanged; canonicalizes → CheckTOML rejects the input and
// CanonicalizeTOML returns canonical.toml; malformed → both reject it.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
)

type vector struct {
	name   string
	expect string // canonical, canonicalizes, malformed
	reason string
	input  string
	canon  string // expected canonical bytes (canonicalizes only; canonical uses input)
}

const (
	canonical     = "canonical"
	canonicalizes = "canonicalizes"
	malformed     = "malformed"
)

func main() {
	out := flag.String("out", "vectors/canon", "directory to write the vectors to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(*out, "*.txtar"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			log.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, v := range append(vectors(), limitVectors()...) {
		if seen[v.name] {
			log.Fatalf("duplicate vector name %s", v.name)
		}
		seen[v.name] = true
		data, err := v.archive()
		if err != nil {
			log.Fatalf("%s: %v", v.name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, v.name+".txtar"), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d vectors to %s\n", len(seen), *out)
}

// needsHex reports whether s cannot be stored as a plain txtar file section.
func needsHex(s string) bool {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return true
	}
	if !utf8.ValidString(s) || strings.HasPrefix(s, "\ufeff") {
		return true
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r == 0xfeff) {
			return true
		}
	}
	return false
}

func hexLines(b []byte) []byte {
	h := hex.EncodeToString(b)
	var out strings.Builder
	for len(h) > 64 {
		out.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	if h != "" {
		out.WriteString(h + "\n")
	}
	return []byte(out.String())
}

func (v vector) archive() ([]byte, error) {
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "expect: %s\nreason: %s\n", v.expect, v.reason)
	want := v.canon
	if v.expect == canonical {
		want = v.input
	}
	a := &txtar.Archive{}
	if v.expect != malformed {
		sum := sha256.Sum256([]byte(want))
		fmt.Fprintf(&hdr, "sha256: %s\n", hex.EncodeToString(sum[:]))
		if needsHex(want) {
			return nil, fmt.Errorf("canonical.toml cannot be stored as text")
		}
	} else if v.canon != "" {
		return nil, fmt.Errorf("malformed vector with a canonical form")
	}
	a.Comment = []byte(hdr.String())
	if needsHex(v.input) {
		a.Files = append(a.Files, txtar.File{Name: "input.hex", Data: hexLines([]byte(v.input))})
	} else {
		a.Files = append(a.Files, txtar.File{Name: "input.toml", Data: []byte(v.input)})
	}
	if v.expect != malformed {
		a.Files = append(a.Files, txtar.File{Name: "canonical.toml", Data: []byte(want)})
	}
	data := txtar.Format(a)
	// The archive must give back exactly the bytes we put in.
	back := txtar.Parse(data)
	if len(back.Files) != len(a.Files) {
		return nil, fmt.Errorf("txtar round trip lost files")
	}
	for i := range a.Files {
		if back.Files[i].Name != a.Files[i].Name || !bytes.Equal(back.Files[i].Data, a.Files[i].Data) {
			return nil, fmt.Errorf("txtar round trip changed %s", a.Files[i].Name)
		}
	}
	return data, nil
}

func vectors() []vector {
	var vs []vector
	ok := func(name, reason, in string) {
		vs = append(vs, vector{name: "ok-" + name, expect: canonical, reason: reason, input: in})
	}
	fix := func(name, reason, in, want string) {
		vs = append(vs, vector{name: "fix-" + name, expect: canonicalizes, reason: reason, input: in, canon: want})
	}
	bad := func(name, reason, in string) {
		vs = append(vs, vector{name: "bad-" + name, expect: malformed, reason: reason, input: in})
	}

	// ---- canonical ----
	ok("scalars", "every scalar type, keys sorted bytewise",
		"bool-f = false\n"+
			"bool-t = true\n"+
			"int-max = 9007199254740991\n"+
			"int-min = -9007199254740991\n"+
			"int-neg = -42\n"+
			"int-zero = 0\n"+
			"str = \"hello\"\n"+
			"str-empty = \"\"\n")
	ok("key-order-bytewise", "bytewise key order: digits < uppercase < underscore < lowercase, '-' first",
		"-x = 1\n0 = 2\nA = 3\nB_ = 4\n_a = 5\na = 6\na-b = 7\na_b = 8\nab = 9\nb = 10\n")
	ok("escapes", "the fixed escape set: \\\" \\\\ \\n \\t and \\u00XX (uppercase) for other C0 controls and DEL",
		`s = "quote \" backslash \\ lf \n tab \t soh \u0001 bs \u0008 ff \u000C cr \u000D us \u001F del \u007F"`+"\n")
	ok("non-ascii-nfc", "non-ASCII NFC text is written literally",
		"name = \"Cerro Torre – Patagonia: ñandú, café, 日本語, 🏔\"\n")
	ok("c1-literal", "C1 controls and U+2028 are written literally",
		"s = \"nel \u0085 ls \u2028 end\"\n")
	ok("nested-tables", "sub-tables after scalar keys, full dotted headers, implicit parent tables have no header",
		"version = 1\n\n[a]\nx = 1\n\n[a.b]\ny = \"z\"\n\n[a.b.c]\nz = true\n\n[d.e]\nf = 2\n")
	ok("array-of-tables", "arrays of tables with nested tables and nested arrays of tables",
		"name = \"bundle\"\n\n"+
			"[[layer]]\ndigest = \"sha256:aa\"\nsize = 10\n\n"+
			"[layer.annotations]\nk = \"v\"\n\n"+
			"[[layer]]\ndigest = \"sha256:bb\"\nsize = 20\n\n"+
			"[[layer.files]]\npath = \"/a\"\n\n"+
			"[[layer.files]]\npath = \"/b\"\n\n"+
			"[meta]\nx = 1\n")
	ok("aot-empty-element", "an empty array-of-tables element is just its header",
		"[[a]]\n\n[[a]]\nx = 1\n\n[[a]]\n")
	ok("empty-table", "an empty table is emitted as just its header line",
		"a = 1\n\n[empty]\n\n[full]\nx = 1\n")
	ok("only-empty-table", "a document that starts with a header has no blank line first",
		"[empty]\n")
	ok("arrays", "inline arrays of one scalar type, \", \" separator, [] when empty",
		"a = []\nb = [\"x\", \"y\"]\nc = [true, false]\nd = [-1, 0, 1]\n")
	ok("depth-8", "tables nested 8 deep are allowed",
		"[a.b.c.d.e.f.g.h]\nk = 1\n")
	ok("string-4096", "a string of exactly 4096 bytes is allowed",
		"s = \""+strings.Repeat("x", 4096)+"\"\n")
	ok("key-64", "a key of exactly 64 bytes is allowed",
		strings.Repeat("k", 64)+" = 1\n")
	{
		var b strings.Builder
		b.WriteString("a = [")
		for i := range 4096 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d", i)
		}
		b.WriteString("]\n")
		ok("array-4096", "an array of exactly 4096 elements is allowed", b.String())
	}
	{
		var b strings.Builder
		for i := range 10000 {
			fmt.Fprintf(&b, "k%05d = %d\n", i, i)
		}
		ok("keys-10000", "exactly 10000 keys are allowed", b.String())
	}

	// ---- canonicalizes: CheckTOML rejects, CanonicalizeTOML fixes ----
	fix("unsorted-keys", "keys out of bytewise order are sorted",
		"b = 1\na = 2\n", "a = 2\nb = 1\n")
	fix("unsorted-tables", "tables out of order are sorted",
		"[z]\nk = 1\n\n[a]\nk = 2\n", "[a]\nk = 2\n\n[z]\nk = 1\n")
	fix("scalar-after-table", "a super-table defined after its sub-table is moved before it",
		"[a.b]\nx = 1\n[a]\ny = 2\n", "[a]\ny = 2\n\n[a.b]\nx = 1\n")
	fix("crlf", "CRLF line endings become LF",
		"a = 1\r\n\r\n[t]\r\nb = \"x\"\r\n", "a = 1\n\n[t]\nb = \"x\"\n")
	fix("comments", "comments are dropped",
		"# top\na = 1 # trailing\n# end\n", "a = 1\n")
	fix("inline-table", "an inline table becomes a [table]",
		"t = { b = 2, a = 1 }\n", "[t]\na = 1\nb = 2\n")
	fix("inline-array-of-tables", "an array of inline tables becomes an array of tables",
		"x = [{a = 1}, {a = 2, b = { c = true }}]\n", "[[x]]\na = 1\n\n[[x]]\na = 2\n\n[x.b]\nc = true\n")
	fix("extra-spaces", "extra spaces, indentation and tabs around tokens are dropped",
		"a   =    1\n  b\t= \"x\"  \n", "a = 1\nb = \"x\"\n")
	fix("literal-string", "a literal string becomes a basic string",
		"a = 'C:\\path \"q\"'\n", "a = \"C:\\\\path \\\"q\\\"\"\n")
	fix("multiline-string", "a multi-line string becomes one basic string with \\n",
		"s = \"\"\"\nline1\nline2\"\"\"\n", "s = \"line1\\nline2\"\n")
	fix("dotted-keys", "dotted keys become tables",
		"a.b.c = 1\na.d = 2\n", "[a]\nd = 2\n\n[a.b]\nc = 1\n")
	fix("quoted-bare-key", "a quoted key that is a valid bare key is unquoted",
		"\"a\" = 1\n", "a = 1\n")
	fix("blank-lines", "extra blank lines are dropped",
		"\n\na = 1\n\n\nb = 2\n\n[t]\n\n\nc = 3\n", "a = 1\nb = 2\n\n[t]\nc = 3\n")
	fix("missing-blank-line", "a blank line is added before each header",
		"a = 1\n[t]\nc = 3\n", "a = 1\n\n[t]\nc = 3\n")
	fix("missing-final-lf", "a missing final LF is added",
		"a = 1", "a = 1\n")
	fix("two-final-lf", "a second final LF is dropped",
		"a = 1\n\n", "a = 1\n")
	fix("integer-forms", "hex, octal, binary, underscores, + and -0 become plain base 10",
		"a = 0x1F\nb = 0o17\nc = 0b101\nd = 1_000\ne = +5\nf = -0\n",
		"a = 31\nb = 15\nc = 5\nd = 1000\ne = 5\nf = 0\n")
	fix("escape-forms", "\\u0041, \\b, \\f, \\U and escaped non-ASCII become the canonical escapes or literals",
		"s = \"\\u0041\\b\\f\\U0001F3D4\\u00E9\"\n", "s = \"A\\u0008\\u000C🏔é\"\n")
	fix("literal-tab-in-string", "a literal TAB inside a string becomes \\t",
		"s = \"a\tb\"\n", "s = \"a\\tb\"\n")
	fix("array-layout", "multi-line arrays, trailing commas and comments in arrays are normalised",
		"a = [\n  1,2 ,\n  3, # c\n]\n", "a = [1, 2, 3]\n")
	fix("redundant-header", "a header of a table with only sub-tables is dropped",
		"[a]\n[a.b]\nx = 1\n", "[a.b]\nx = 1\n")
	fix("trailing-space", "trailing whitespace is dropped",
		"a = 1 \n", "a = 1\n")

	// ---- malformed: both reject ----
	bad("bom", "a UTF-8 byte order mark is rejected, never skipped",
		"\ufeffa = 1\n")
	bad("utf16-bom", "a UTF-16 byte order mark is not UTF-8",
		"\xff\xfea\x00 \x00=\x00 \x001\x00\n\x00")
	bad("nul-in-string", "a NUL byte is rejected",
		"a = \"x\x00y\"\n")
	bad("escaped-nul", "U+0000 is rejected even when escaped",
		"a = \"x\\u0000y\"\n")
	bad("invalid-utf8", "invalid UTF-8 is rejected",
		"a = \"\xc3\x28\"\n")
	bad("bare-cr", "a CR that is not part of CRLF is rejected",
		"a = 1\rb = 2\n")
	bad("duplicate-key", "a key defined twice is rejected",
		"a = 1\na = 2\n")
	bad("duplicate-table", "a table defined twice is rejected",
		"[a]\nx = 1\n\n[a]\ny = 2\n")
	bad("non-nfc", "a string not in NFC is rejected, not normalised",
		"a = \"cafe\u0301\"\n")
	bad("non-nfc-escaped", "a string whose escapes decode to non-NFC is rejected",
		"a = \"cafe\\u0301\"\n")
	bad("float", "floats are rejected",
		"a = 1.5\n")
	bad("float-integral", "an integral float is still a float",
		"a = 1.0\n")
	bad("float-exp", "floats with exponents are rejected",
		"a = 1e3\n")
	bad("inf", "inf is rejected",
		"a = inf\n")
	bad("nan", "nan is rejected",
		"a = nan\n")
	bad("int-2p53", "2^53 is outside ±(2^53−1)",
		"a = 9007199254740992\n")
	bad("int-neg-2p53", "−2^53 is outside ±(2^53−1)",
		"a = -9007199254740992\n")
	bad("int-beyond-int64", "an integer beyond int64 is rejected",
		"a = 99999999999999999999\n")
	bad("int-leading-zero", "leading zeros are invalid TOML",
		"a = 01\n")
	bad("datetime", "offset date-times are rejected",
		"a = 1979-05-27T07:32:00Z\n")
	bad("local-date", "local dates are rejected",
		"a = 1979-05-27\n")
	bad("local-time", "local times are rejected",
		"a = 07:32:00\n")
	bad("date-in-array", "dates inside arrays are rejected",
		"a = [1979-05-27]\n")
	bad("depth-9", "tables nested 9 deep are rejected",
		"[a.b.c.d.e.f.g.h.i]\nk = 1\n")
	bad("depth-9-inline", "depth counts inline tables too",
		"a.b.c.d.e.f.g.h = { i = { k = 1 } }\n")
	bad("string-5000", "a 5000-byte string exceeds 4096 bytes",
		"s = \""+strings.Repeat("x", 5000)+"\"\n")
	bad("mixed-array", "arrays mix no types",
		"a = [1, \"x\"]\n")
	bad("mixed-array-tables", "an array mixing inline tables and scalars is rejected",
		"a = [{x = 1}, 2]\n")
	bad("nested-array", "nested arrays are rejected",
		"a = [[1, 2], [3]]\n")
	bad("array-4097", "arrays hold at most 4096 elements",
		"a = ["+strings.Repeat("0, ", 4096)+"0]\n")
	bad("quoted-key", "keys that are not bare keys are rejected",
		"\"a b\" = 1\n")
	bad("empty-key", "the empty key is rejected",
		"\"\" = 1\n")
	bad("key-65", "keys hold at most 64 bytes",
		strings.Repeat("k", 65)+" = 1\n")
	bad("unicode-key", "non-ASCII keys are rejected",
		"\"ключ\" = 1\n")
	bad("quoted-table-key", "table names must be bare keys too",
		"[\"a.b\"]\nx = 1\n")
	{
		var b strings.Builder
		for i := range 10001 {
			fmt.Fprintf(&b, "k%05d = %d\n", i, i)
		}
		bad("keys-10001", "at most 10000 keys", b.String())
	}
	{
		head := "a = 1\n# "
		b := head + strings.Repeat("x", 2<<20-len(head)-1) + "\n"
		bad("size-2mib", "documents hold at most 1 MiB (this one is 2 MiB)", b)
	}
	bad("empty", "an empty file is not a document",
		"")
	bad("only-comment", "a document with no keys is rejected",
		"# nothing\n")
	bad("syntax", "invalid TOML is rejected",
		"a = \n")
	bad("unterminated-string", "invalid TOML is rejected",
		"a = \"x\n")
	return vs
}
