package canon

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// precheck does the byte-level checks shared by CheckTOML and
// CanonicalizeTOML: size, BOM, UTF-8 and NUL.
func precheck(data []byte) error {
	if len(data) > MaxDocument {
		return errAt(lineAt(data, MaxDocument), "document is larger than %d bytes", MaxDocument)
	}
	if bytes.HasPrefix(data, []byte(bomUTF8)) {
		return errAt(1, "byte order mark (U+FEFF) is not allowed")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return errAt(lineAt(data, i), "NUL byte is not allowed")
	}
	if err := checkNesting(data); err != nil {
		return err
	}
	if !utf8.Valid(data) {
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return errAt(lineAt(data, i), "invalid UTF-8")
			}
			i += n
		}
	}
	return nil
}

// CheckTOML returns nil if and only if data is exactly canonical TOML
// (docs/spec/canonical.md). Otherwise the error names the first offending
// line: byte-level faults get a precise message, anything else
// "line N: not canonical: want …, have …".
func CheckTOML(data []byte) error {
	if err := precheck(data); err != nil {
		return err
	}
	if len(data) == 0 {
		return errAt(1, "empty document")
	}
	// Byte-level checks, line by line.
	line, start, blank := 1, 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\r':
			return errAt(line, "carriage return (CR) is not allowed; lines end with LF only")
		case c == '\t':
			return errAt(line, "TAB is not allowed")
		case c < 0x20 && c != '\n' || c == 0x7f:
			return errAt(line, "control character U+%04X is not allowed", c)
		case c == '\n':
			l := data[start:i]
			switch {
			case len(l) == 0 && line == 1:
				return errAt(line, "blank line at the start of the document")
			case len(l) == 0 && blank:
				return errAt(line, "more than one blank line")
			case len(l) == 0 && i == len(data)-1:
				return errAt(line, "blank line at the end of the document; it must end with exactly one LF")
			case len(l) > 0 && l[len(l)-1] == ' ':
				return errAt(line, "trailing whitespace")
			case len(l) > 0 && l[0] == ' ':
				return errAt(line, "indentation is not allowed")
			case len(l) > 0 && l[0] == '#':
				return errAt(line, "comments are not allowed")
			}
			blank = len(l) == 0
			line++
			start = i + 1
		}
	}
	if data[len(data)-1] != '\n' {
		return errAt(line, "missing final LF")
	}
	doc, err := parse(data)
	if err != nil {
		return err
	}
	e := newEmitter()
	encErr := e.encode(doc)
	out := e.buf.Bytes()
	if encErr != nil {
		var ce *Error
		if !errors.As(encErr, &ce) || ce.Line == 0 {
			return encErr
		}
		// The lines written before the failure correspond to the input's
		// lines if the input is canonical up to there.
		if n, want, have := firstDiff(out, data, ce.Line-1); n > 0 {
			return notCanonical(n, want, have)
		}
		return ce
	}
	if !bytes.Equal(out, data) {
		n, want, have := firstDiff(out, data, -1)
		return notCanonical(n, want, have)
	}
	return nil
}

func notCanonical(n int, want, have string) error {
	return errAt(n, "not canonical: want %s, have %s", want, have)
}

// firstDiff compares the lines of want and have and returns the 1-based
// number of the first that differs, or 0; limit ≥ 0 compares only that many.
func firstDiff(want, have []byte, limit int) (int, string, string) {
	wl := strings.Split(string(want), "\n")
	hl := strings.Split(string(have), "\n")
	// Both end with "\n": drop the empty string after it.
	if len(wl) > 0 && wl[len(wl)-1] == "" {
		wl = wl[:len(wl)-1]
	}
	if len(hl) > 0 && hl[len(hl)-1] == "" {
		hl = hl[:len(hl)-1]
	}
	for i := 0; limit < 0 || i < limit; i++ {
		if i >= len(wl) && i >= len(hl) {
			return 0, "", ""
		}
		switch {
		case i >= len(wl):
			return i + 1, eofMarker, strconv.Quote(hl[i])
		case i >= len(hl):
			return i + 1, strconv.Quote(wl[i]), eofMarker
		case wl[i] != hl[i]:
			return i + 1, strconv.Quote(wl[i]), strconv.Quote(hl[i])
		}
	}
	return 0, "", ""
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// tomlLine extracts the line number from a BurntSushi error.
func tomlLine(err error) int {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		if pe.Position.Line > 0 {
			return pe.Position.Line
		}
		return pe.Line
	}
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func tomlMessage(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return strings.TrimPrefix(err.Error(), "toml: ")
}

// parse decodes data with BurntSushi/toml into the generic data model.
func parse(data []byte) (doc map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, errAt(1, "invalid TOML: %v", r)
		}
	}()
	doc = map[string]any{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		l := tomlLine(err)
		if l == 0 {
			l = 1
		}
		return nil, &Error{Line: l, Msg: "invalid TOML: " + tomlMessage(err), Err: err}
	}
	return doc, nil
}

// CanonicalizeTOML returns the canonical form of any TOML document that fits
// the data model: unsorted keys, comments, inline tables, dotted keys, extra
// whitespace and blank lines, CRLF line endings, literal and multi-line
// strings, other integer notations are all accepted. String values are kept
// exactly as parsed (never normalised). Anything outside the data model is an
// error, as are a BOM, NUL bytes, invalid UTF-8 and documents larger than
// MaxDocument.
func CanonicalizeTOML(data []byte) ([]byte, error) {
	if err := precheck(data); err != nil {
		return nil, err
	}
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	e := newEmitter()
	if err := e.encode(doc); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.Line = locate(data, doc, e.path)
		}
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// UnmarshalTOML checks that data is canonical (CheckTOML) and decodes it into
// v, a pointer to a struct with toml tags. A key that v has no field for is
// an error naming it (`unknown field "x.y"`). Checking required fields is the
// caller's job.
func UnmarshalTOML(data []byte, v any) (err error) {
	if err := CheckTOML(data); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = errAt(1, "cannot decode: %v", r)
		}
	}()
	md, err := toml.Decode(string(data), v)
	if err != nil {
		l := tomlLine(err)
		if l == 0 {
			l = 1
		}
		return &Error{Line: l, Msg: "cannot decode: " + tomlMessage(err), Err: err}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		line := 1
		if doc, perr := parse(data); perr == nil {
			e := newEmitter()
			if e.encode(doc) == nil {
				if l, ok := e.first[strings.Join(und[0], ".")]; ok {
					line = l
				}
			}
		}
		return errAt(line, "unknown field %q", k)
	}
	return nil
}

// locate finds the input line of the key at path (without array indices):
// it decodes data into a type built for that path whose leaf always fails,
// so that BurntSushi reports the position of the key; failing that, the first
// line mentioning the last key.
func locate(data []byte, doc map[string]any, path []string) (line int) {
	if len(path) == 0 {
		return 1
	}
	func() {
		defer func() {
			if recover() != nil {
				line = 0
			}
		}()
		t, ok := locType(doc, path)
		if !ok {
			return
		}
		v := reflect.New(t)
		_, err := toml.Decode(string(data), v.Interface())
		if err != nil {
			line = tomlLine(err)
		}
	}()
	if line > 0 {
		return line
	}
	last := path[len(path)-1]
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, last) {
			return i + 1
		}
	}
	return 1
}

var errLocate = errors.New("located")

type locLeaf struct{}

func (*locLeaf) UnmarshalTOML(any) error { return errLocate }

func locType(v any, path []string) (reflect.Type, bool) {
	if len(path) == 0 {
		return reflect.TypeFor[locLeaf](), true
	}
	switch x := v.(type) {
	case map[string]any:
		k := path[0]
		child, ok := x[k]
		if !ok || strings.ContainsAny(k, "\",\\`") || k == "-" || k == "" {
			return nil, false
		}
		ct, ok := locType(child, path[1:])
		if !ok {
			return nil, false
		}
		return reflect.StructOf([]reflect.StructField{{
			Name: "F", Type: ct, Tag: reflect.StructTag(fmt.Sprintf(`toml:"%s"`, k)),
		}}), true
	case []map[string]any:
		for _, el := range x {
			if _, ok := el[path[0]]; ok {
				et, ok := locType(el, path)
				if !ok {
					return nil, false
				}
				return reflect.SliceOf(et), true
			}
		}
		return nil, false
	case []any:
		for _, el := range x {
			if m, ok := el.(map[string]any); ok {
				if _, ok := m[path[0]]; ok {
					et, ok := locType(m, path)
					if !ok {
						return nil, false
					}
					return reflect.SliceOf(et), true
				}
			}
		}
		return reflect.TypeFor[locLeaf](), true
	}
	return reflect.TypeFor[locLeaf](), true
}
