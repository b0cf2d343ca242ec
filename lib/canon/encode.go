package canon

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the canonical data model (docs/spec/canonical.md).
const (
	MaxDocument  = 1 << 20         // bytes in a document, TOML or JSON
	MaxDepth     = 8               // nesting depth of tables (the root is 0, [a] is 1; canonical.md §6)
	MaxJSONDepth = 16              // objects and arrays open at once in canonical JSON (canonical.md §8)
	MaxKeys      = 10000           // keys in a document, all tables counted
	MaxString    = 4096            // bytes in one string value
	MaxArray     = 4096            // elements in one array of scalars
	MaxKeyLen    = 64              // bytes in one key
	MaxInt       = 1<<53 - 1       // largest integer
	MinInt       = -(1<<53 - 1)    // smallest integer
	maxUint      = uint64(MaxInt)  //
	bomUTF8      = "\xef\xbb\xbf"  //
	eofMarker    = "(end of file)" //
)

// EncodeTOML returns the canonical TOML form of doc.
//
// Values may be string, bool, any Go integer kind, map[string]any (a table),
// []map[string]any (an array of tables; omitted when empty), or a slice of
// scalars of one type ([]any, []string, []int64, ...). A []any whose elements
// are all tables is an array of tables. Anything else (floats, times, nil,
// nested arrays, ...) is an error.
func EncodeTOML(doc map[string]any) ([]byte, error) {
	e := newEmitter()
	if err := e.encode(doc); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

type emitter struct {
	buf   bytes.Buffer
	lines int            // complete lines written
	keys  int            // keys seen
	first map[string]int // dotted path (no indices) → first line it appears on
	path  []string       // key path, without array indices
	disp  []string       // key path for messages, with array indices
}

func newEmitter() *emitter { return &emitter{first: map[string]int{}} }

// encode emits the whole document. On error, e.buf holds the complete lines
// written before the offending one, and the error's Line is the line (of the
// output) it would have been on; callers that compare with an input replace
// it by an input line.
func (e *emitter) encode(doc map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Line: e.lines + 1, Key: strings.Join(e.disp, "."), Msg: fmt.Sprintf("cannot encode value: %v", r)}
		}
	}()
	if doc == nil {
		return &Error{Msg: "document is nil"}
	}
	if err := e.table(doc, false); err != nil {
		return err
	}
	if e.buf.Len() == 0 {
		return &Error{Line: 1, Msg: "empty document: a canonical document has at least one key or table"}
	}
	if e.buf.Len() > MaxDocument {
		return &Error{Line: 1, Msg: fmt.Sprintf("canonical form is larger than %d bytes", MaxDocument)}
	}
	return nil
}

func (e *emitter) fail(format string, args ...any) *Error {
	return &Error{Line: e.lines + 1, Key: strings.Join(e.disp, "."), Msg: fmt.Sprintf(format, args...)}
}

// failHeader is fail for a header line, which follows a blank line.
func (e *emitter) failHeader(format string, args ...any) *Error {
	err := e.fail(format, args...)
	if e.buf.Len() > 0 {
		err.Line++
	}
	return err
}

type kind int

const (
	kScalar kind = iota // scalar or array of scalars, or something invalid
	kTable
	kArrayOfTables
)

// classify tells tables and arrays of tables from values; it converts tables
// to map[string]any and arrays of tables to []map[string]any.
func classify(v any) (kind, map[string]any, []map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		return kTable, x, nil
	case []map[string]any:
		return kArrayOfTables, nil, x
	case string, bool, int64, int, nil, float64, time.Time:
		return kScalar, nil, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return kScalar, nil, nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = it.Value().Interface()
		}
		return kTable, m, nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() || rv.Len() == 0 {
			if rv.Type().Elem().Kind() == reflect.Map {
				return kArrayOfTables, nil, nil
			}
			return kScalar, nil, nil
		}
		ts := make([]map[string]any, rv.Len())
		for i := range rv.Len() {
			k, m, _ := classify(rv.Index(i).Interface())
			if k != kTable {
				return kScalar, nil, nil
			}
			ts[i] = m
		}
		return kArrayOfTables, nil, ts
	}
	return kScalar, nil, nil
}

func (e *emitter) push(key, disp string) {
	e.path = append(e.path, key)
	e.disp = append(e.disp, disp)
}

func (e *emitter) pop() {
	e.path = e.path[:len(e.path)-1]
	e.disp = e.disp[:len(e.disp)-1]
}

func (e *emitter) note() {
	p := strings.Join(e.path, ".")
	if _, ok := e.first[p]; !ok {
		e.first[p] = e.lines + 1
	}
}

func (e *emitter) line(s string) {
	e.buf.WriteString(s)
	e.buf.WriteByte('\n')
	e.lines++
}

// header writes a blank line (unless at the start) and a table header.
func (e *emitter) header(aot bool) {
	if e.buf.Len() > 0 {
		e.line("")
	}
	e.note()
	p := strings.Join(e.path, ".")
	if aot {
		e.line("[[" + p + "]]")
	} else {
		e.line("[" + p + "]")
	}
}

// table emits the body of t; when header is set, the table's header line
// (aot: an array-of-tables element) comes first. The root has no header.
func (e *emitter) table(t map[string]any, aot bool) error {
	if len(e.path) > MaxDepth {
		return e.failHeader("tables nested deeper than %d levels", MaxDepth)
	}
	var vals, subs []string
	kinds := make(map[string]kind, len(t))
	tabs := make(map[string]map[string]any)
	aots := make(map[string][]map[string]any)
	for k, v := range t {
		kd, m, a := classify(v)
		kinds[k] = kd
		switch kd {
		case kScalar:
			vals = append(vals, k)
		case kTable:
			subs = append(subs, k)
			tabs[k] = m
		case kArrayOfTables:
			if len(a) > 0 {
				subs = append(subs, k)
				aots[k] = a
			} else {
				e.keys++ // an empty array of tables is a key that is omitted
			}
		}
	}
	sort.Strings(vals)
	sort.Strings(subs)
	if len(e.path) > 0 && (aot || len(vals) > 0 || len(subs) == 0) {
		e.header(aot)
	}
	for _, k := range vals {
		e.push(k, k)
		if err := e.keyValue(k, t[k]); err != nil {
			return err
		}
		e.pop()
	}
	for _, k := range subs {
		e.push(k, k)
		if err := e.checkKeyErr(k); err != nil {
			if e.buf.Len() > 0 {
				err.Line++ // the blank line before the header
			}
			return err
		}
		if kinds[k] == kTable {
			if err := e.table(tabs[k], false); err != nil {
				return err
			}
		} else {
			for i, el := range aots[k] {
				e.disp[len(e.disp)-1] = k + "[" + strconv.Itoa(i) + "]"
				if err := e.table(el, true); err != nil {
					return err
				}
			}
		}
		e.pop()
	}
	return nil
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (e *emitter) checkKey(k string) error {
	if err := e.checkKeyErr(k); err != nil {
		return err
	}
	return nil
}

func (e *emitter) checkKeyErr(k string) *Error {
	e.keys++
	if e.keys > MaxKeys {
		return e.fail("more than %d keys in the document", MaxKeys)
	}
	if !validKey(k) {
		return e.fail("invalid key: keys must match [A-Za-z0-9_-]{1,%d}", MaxKeyLen)
	}
	return nil
}

func (e *emitter) keyValue(k string, v any) error {
	if err := e.checkKey(k); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(k)
	b.WriteString(" = ")
	if err := e.value(&b, v); err != nil {
		return err
	}
	e.note()
	e.line(b.String())
	return nil
}

type scalarType int

const (
	tNone scalarType = iota
	tString
	tBool
	tInt
)

func (t scalarType) String() string {
	return [...]string{"none", "string", "boolean", "integer"}[t]
}

func (e *emitter) value(b *strings.Builder, v any) error {
	if v == nil {
		return e.fail("null values are not allowed")
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k == reflect.Slice || k == reflect.Array {
		n := rv.Len()
		if n > MaxArray {
			return e.fail("array has %d elements; at most %d are allowed", n, MaxArray)
		}
		b.WriteByte('[')
		first := tNone
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			t, err := e.scalar(b, rv.Index(i).Interface(), true)
			if err != nil {
				return err
			}
			if i == 0 {
				first = t
			} else if t != first {
				return e.fail("array mixes %s and %s elements", first, t)
			}
		}
		b.WriteByte(']')
		return nil
	}
	_, err := e.scalar(b, v, false)
	return err
}

func (e *emitter) scalar(b *strings.Builder, v any, inArray bool) (scalarType, error) {
	switch x := v.(type) {
	case string:
		return tString, e.str(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
		return tBool, nil
	case time.Time:
		return tNone, e.fail("date and time values are not allowed")
	case nil:
		return tNone, e.fail("null values are not allowed")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		if i > MaxInt || i < MinInt {
			return tNone, e.fail("integer %d is outside ±(2^53−1)", i)
		}
		b.WriteString(strconv.FormatInt(i, 10))
		return tInt, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > maxUint {
			return tNone, e.fail("integer %d is outside ±(2^53−1)", u)
		}
		b.WriteString(strconv.FormatUint(u, 10))
		return tInt, nil
	case reflect.String:
		return tString, e.str(b, rv.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(rv.Bool()))
		return tBool, nil
	case reflect.Float32, reflect.Float64:
		return tNone, e.fail("floating-point values are not allowed")
	case reflect.Slice, reflect.Array:
		if inArray {
			return tNone, e.fail("nested arrays are not allowed")
		}
	case reflect.Map:
		if inArray {
			return tNone, e.fail("array mixes tables and other values")
		}
	}
	return tNone, e.fail("unsupported value of type %T", v)
}

func (e *emitter) str(b *strings.Builder, s string) error {
	if len(s) > MaxString {
		return e.fail("string is %d bytes long; at most %d are allowed", len(s), MaxString)
	}
	if !utf8.ValidString(s) {
		return e.fail("string is not valid UTF-8")
	}
	if !norm.NFC.IsNormalString(s) {
		return e.fail("string is not in Unicode normalization form C (NFC)")
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0:
			return e.fail("string contains U+0000 (NUL)")
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return nil
}
