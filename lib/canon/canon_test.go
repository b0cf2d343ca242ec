package canon

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
)

func TestCheckLineNumbers(t *testing.T) {
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"a = 1\nb = 2\nc = 3", 3, "missing final LF"},
		{"a = 1\nb = 2 \n", 2, "trailing whitespace"},
		{"a = 1\n\tb = 2\n", 2, "TAB"},
		{"a = 1\nb = 2\r\n", 2, "carriage return"},
		{"a = 1\nb = \"\x01\"\n", 2, "control character U+0001"},
		{"a = 1\nb = \"\x7f\"\n", 2, "control character U+007F"},
		{"a = 1\nb = 2\n\n", 3, "blank line at the end"},
		{"a = 1\n\n\n[t]\n", 3, "more than one blank line"},
		{"a = 1\nb = 1.5\n", 2, "floating-point"},
		{"a = 1\nc = 2\nb = 3\n", 2, `not canonical: want "b = 3", have "c = 2"`},
		{"a = 1\n\n[t]\nx = 9007199254740992\n", 4, "outside"},
		{"a = 1\n\n[t]\nx = 1\nx = 2\n", 5, "already been defined"},
		{"a = 1\nb = \"e\u0301\"\n", 2, "NFC"},
		{"a = 1\n\n[[t]]\nx = 1\n\n[[t]]\nx = 1979-05-27\n", 7, "date"},
		{"a = 1\nb = 2\n", 0, ""},
	}
	for _, c := range cases {
		err := CheckTOML([]byte(c.in))
		if c.line == 0 {
			if err != nil {
				t.Errorf("CheckTOML(%q) = %v, want nil", c.in, err)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("CheckTOML(%q) = %v, want *Error", c.in, err)
			continue
		}
		if ce.Line != c.line || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("CheckTOML(%q) = %v (line %d), want line %d and %q", c.in, err, ce.Line, c.line, c.msg)
		}
		if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("CheckTOML(%q): exit code %d", c.in, exit.CodeOf(err))
		}
	}
}

func TestCanonicalizeLineNumbers(t *testing.T) {
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"# c\nz = 1\n\n[t]\nx = { y = 1.5 }\n", 5, "floating-point"},
		{"# c\r\nz = 1\r\n\r\n[t]\r\nx = 2021-01-01\r\n", 5, "date"},
		{"z = 1\n[a]\nb = \"e\u0301\"\n", 3, "NFC"},
		{"z = 1\n\n\n\"a b\" = 1\n", 4, "invalid key"},
	}
	for _, c := range cases {
		_, err := CanonicalizeTOML([]byte(c.in))
		var ce *Error
		if !errors.As(err, &ce) || ce.Line != c.line || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("CanonicalizeTOML(%q) = %v, want line %d and %q", c.in, err, c.line, c.msg)
		}
	}
}

func TestEncodeTOML(t *testing.T) {
	doc := map[string]any{
		"name":   "x",
		"n":      int(3),
		"u":      uint16(7),
		"tags":   []string{"b", "a"},
		"nums":   []int64{1, -2},
		"flags":  []any{true},
		"empty":  []any{},
		"noaot":  []map[string]any{},
		"table":  map[string]any{"k": int32(-1)},
		"aot":    []map[string]any{{"i": 1}, {}},
		"inline": []any{map[string]any{"j": "v"}},
	}
	got, err := EncodeTOML(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `empty = []
flags = [true]
n = 3
name = "x"
nums = [1, -2]
tags = ["b", "a"]
u = 7

[[aot]]
i = 1

[[aot]]

[[inline]]
j = "v"

[table]
k = -1
`
	if string(got) != want {
		t.Errorf("EncodeTOML:\n%s\nwant:\n%s", got, want)
	}
	if err := CheckTOML(got); err != nil {
		t.Errorf("CheckTOML(EncodeTOML(...)): %v", err)
	}
	for _, bad := range []map[string]any{
		{"f": 1.5},
		{"t": time.Now()},
		{"n": nil},
		{"big": uint64(1 << 60)},
		{"nul": "a\x00b"},
		{"a": []any{[]any{1}}},
		{"a": []any{1, "x"}},
		{"bad key": 1},
		{"s": "\xff"},
		{},
	} {
		if out, err := EncodeTOML(bad); err == nil {
			t.Errorf("EncodeTOML(%v) = %q, want error", bad, out)
		} else if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("EncodeTOML(%v): exit code %d", bad, exit.CodeOf(err))
		}
	}
}

type manifest struct {
	Version int      `toml:"version"`
	Name    string   `toml:"name"`
	Note    string   `toml:"note,omitempty"`
	Tags    []string `toml:"tags,omitempty"`
	Layers  []layer  `toml:"layer,omitempty"`
	Source  *source  `toml:"source,omitempty"`
}

type layer struct {
	Digest string `toml:"digest"`
	Size   int64  `toml:"size"`
}

type source struct {
	Ref string `toml:"ref"`
}

func TestMarshalTOMLOmitempty(t *testing.T) {
	m := manifest{Version: 1, Name: "demo", Layers: []layer{{"sha256:bb", 2}, {"sha256:aa", 1}}}
	got, err := MarshalTOML(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "name = \"demo\"\nversion = 1\n\n[[layer]]\ndigest = \"sha256:bb\"\nsize = 2\n\n[[layer]]\ndigest = \"sha256:aa\"\nsize = 1\n"
	if string(got) != want {
		t.Errorf("MarshalTOML = %q, want %q", got, want)
	}
	var back manifest
	if err := UnmarshalTOML(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != m.Name || len(back.Layers) != 2 || back.Layers[1].Size != 1 || back.Source != nil {
		t.Errorf("round trip: %+v", back)
	}

	type withFloat struct {
		F float64 `toml:"f"`
	}
	if _, err := MarshalTOML(withFloat{1.5}); err == nil || !strings.Contains(err.Error(), "floating-point") {
		t.Errorf("MarshalTOML(float) = %v", err)
	}
	type withTime struct {
		T time.Time `toml:"t"`
	}
	if _, err := MarshalTOML(withTime{time.Now()}); err == nil {
		t.Errorf("MarshalTOML(time) succeeded")
	}
	if _, err := MarshalTOML(map[string]any{"a": nil}); err == nil {
		t.Errorf("MarshalTOML(nil value) succeeded")
	}
}

func TestUnmarshalTOMLUnknownField(t *testing.T) {
	in := "name = \"demo\"\nversion = 1\n\n[[layer]]\ndigest = \"sha256:aa\"\nsize = 1\n\n[[layer]]\ndigest = \"sha256:bb\"\nextra = true\nsize = 2\n"
	var m manifest
	err := UnmarshalTOML([]byte(in), &m)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `unknown field "layer.extra"`) || ce.Line != 10 {
		t.Fatalf("UnmarshalTOML = %v, want line 10 unknown field \"layer.extra\"", err)
	}
	if exit.CodeOf(err) != exit.Malformed {
		t.Errorf("exit code %d", exit.CodeOf(err))
	}
	err = UnmarshalTOML([]byte("name = \"x\"\nversion = 1\n\n[other]\nk = 1\n"), &m)
	if err == nil || !strings.Contains(err.Error(), `line 4: unknown field "other"`) {
		t.Errorf("UnmarshalTOML = %v", err)
	}
	// Non-canonical input is rejected before decoding.
	if err := UnmarshalTOML([]byte("version = 1\nname = \"x\"\n"), &m); err == nil {
		t.Errorf("UnmarshalTOML accepted unsorted keys")
	}
	// Type mismatch.
	err = UnmarshalTOML([]byte("name = 1\nversion = 1\n"), &m)
	if err == nil || exit.CodeOf(err) != exit.Malformed || !strings.HasPrefix(err.Error(), "line 1: ") {
		t.Errorf("UnmarshalTOML(type mismatch) = %v", err)
	}
}

func TestJSON(t *testing.T) {
	v := map[string]any{"b": []any{int64(3), "é", true, nil}, "a": float64(2), "c": map[string]int{"y": 1, "x": -2}, "h": "<&>"}
	got, err := JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":2,"b":[3,"é",true,null],"c":{"x":-2,"y":1},"h":"<&>"}`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	if err := CheckJSON(got); err != nil {
		t.Errorf("CheckJSON(JSON(v)): %v", err)
	}
	for _, bad := range []any{1.5, int64(1 << 53), -(int64(1) << 53), uint64(1) << 63, map[string]any{"f": 0.1}, 1e300} {
		if out, err := JSON(bad); err == nil {
			t.Errorf("JSON(%v) = %s, want error", bad, out)
		} else if exit.CodeOf(err) != exit.Malformed {
			t.Errorf("JSON(%v): exit code %d", bad, exit.CodeOf(err))
		}
	}
	if _, err := JSON(int64(1<<53 - 1)); err != nil {
		t.Errorf("JSON(2^53-1): %v", err)
	}
	for _, bad := range []string{
		`{"b":1,"a":2}`,
		`{"a": 1}`,
		`{"a":1}` + "\n",
		`{"a":1.5}`,
		`{"a":1.0}`,
		`{"a":9007199254740992}`,
		`{"a":1,"a":1}`,
		`{"a":"\u0041"}`,
		`{"a":`,
		"",
		strings.Repeat(" ", MaxDocument+1),
	} {
		err := CheckJSON([]byte(bad))
		if err == nil {
			t.Errorf("CheckJSON(%.40q) = nil, want error", bad)
		} else if exit.CodeOf(err) != exit.Malformed || !strings.HasPrefix(err.Error(), "line ") {
			t.Errorf("CheckJSON(%.40q) = %v (code %d)", bad, err, exit.CodeOf(err))
		}
	}
	for _, good := range []string{`{}`, `[]`, `1`, `"x"`, `{"a":[1,{"b":null}],"b":-9007199254740991}`} {
		if err := CheckJSON([]byte(good)); err != nil {
			t.Errorf("CheckJSON(%s) = %v", good, err)
		}
	}
}

func TestErrorExitCode(t *testing.T) {
	err := error(&Error{Line: 3, Msg: "x"})
	if got := exit.CodeOf(err); got != exit.Malformed {
		t.Errorf("CodeOf = %d", got)
	}
	wrapped := exit.Wrap(exit.Malformed, err, "manifest.toml")
	if got := wrapped.Error(); got != "manifest.toml: line 3: x" {
		t.Errorf("wrapped: %q", got)
	}
}

// The example in docs/spec/canonical.md §5 must stay canonical.

func TestSpecExampleIsCanonical(t *testing.T) {
	ex := "format = 1\ntags = [\"latest\", \"v1\"]\n\n[[blob]]\ndigest = \"sha256:aa\"\nsize = 10\n\n[blob.annotations]\nk = \"v\"\n\n[[blob]]\ndigest = \"sha256:bb\"\nsize = 20\n\n[image.platform]\nos = \"linux\"\n\n[package]\nname = \"nginx\"\n"
	if err := CheckTOML([]byte(ex)); err != nil {
		t.Fatal(err)
	}
}

// The TOML parser is quadratic in nesting depth; checkNesting must reject
// deep documents before it runs (found while fuzzing: a worker stalled).
func TestDeepNestingRejectedEarly(t *testing.T) {
	n := MaxDocument / 4
	for name, in := range map[string]string{
		"dotted-key":   strings.Repeat("a.", n) + "a = 1\n",
		"header":       "[" + strings.Repeat("a.", n) + "a]\n",
		"inline-table": "a = " + strings.Repeat("{b=", n/2) + "1" + strings.Repeat("}", n/2) + "\n",
		"array":        "a = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"aot-inline":   "a = " + strings.Repeat("[{b = ", n/8) + "1" + strings.Repeat("}]", n/8) + "\n",
	} {
		for what, f := range map[string]func([]byte) error{
			"CheckTOML":        CheckTOML,
			"CanonicalizeTOML": func(b []byte) error { _, err := CanonicalizeTOML(b); return err },
		} {
			err := f([]byte(in))
			if err == nil || !strings.Contains(err.Error(), "nested deeper") || !strings.HasPrefix(err.Error(), "line 1: ") {
				t.Errorf("%s(%s) = %v", what, name, err)
			}
		}
	}
	// The deepest documents the model allows still pass.
	deep := "a = [{b = [{c = [{d = [{e = [{f = [{g = [{h = [{k = [1]}]}]}]}]}]}]}]}]\n"
	want := "[[a]]\n\n[[a.b]]\n\n[[a.b.c]]\n\n[[a.b.c.d]]\n\n[[a.b.c.d.e]]\n\n[[a.b.c.d.e.f]]\n\n[[a.b.c.d.e.f.g]]\n\n[[a.b.c.d.e.f.g.h]]\nk = [1]\n"
	if got, err := CanonicalizeTOML([]byte(deep)); err != nil || string(got) != want {
		t.Errorf("CanonicalizeTOML(deepest) = %q, %v", got, err)
	}
	if got, err := CanonicalizeTOML([]byte("a.b.c.d.e.f.g.h.k = 1\n")); err != nil || string(got) != "[a.b.c.d.e.f.g.h]\nk = 1\n" {
		t.Errorf("CanonicalizeTOML(deepest dotted) = %q, %v", got, err)
	}
}
