package canon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gowebpki/jcs"
)

// JSON returns the canonical JSON form of v: RFC 8785 (JCS), produced by
// encoding/json and github.com/gowebpki/jcs, restricted to integers within
// ±(2^53−1). A float that is not an integer, or an integer out of that range,
// is an error, as is a result larger than MaxDocument.
func JSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Msg: "cannot encode JSON: " + err.Error(), Err: err}
	}
	if err := checkJSONValues(raw); err != nil {
		return nil, err
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, &Error{Msg: "cannot canonicalize JSON: " + err.Error(), Err: err}
	}
	if len(out) > MaxDocument {
		return nil, &Error{Msg: fmt.Sprintf("canonical JSON is larger than %d bytes", MaxDocument)}
	}
	return out, nil
}

// CheckJSON returns nil if and only if data is canonical JSON: at most
// MaxDocument bytes, no duplicate object keys, integers only within
// ±(2^53−1), and byte-for-byte equal to its RFC 8785 (JCS) form.
func CheckJSON(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Line: 1, Msg: fmt.Sprintf("invalid JSON: %v", r)}
		}
	}()
	if len(data) > MaxDocument {
		return &Error{Line: lineAt(data, MaxDocument), Msg: fmt.Sprintf("document is larger than %d bytes", MaxDocument)}
	}
	if !json.Valid(data) {
		var x any
		jerr := json.Unmarshal(data, &x)
		line := 1
		if se, ok := jerr.(*json.SyntaxError); ok {
			line = lineAt(data, int(se.Offset))
		}
		msg := "invalid JSON"
		if jerr != nil {
			msg += ": " + jerr.Error()
		}
		return &Error{Line: line, Msg: msg, Err: jerr}
	}
	if err := checkJSONValues(data); err != nil {
		return err
	}
	out, err := jcs.Transform(data)
	if err != nil {
		return &Error{Line: 1, Msg: "cannot canonicalize JSON: " + err.Error(), Err: err}
	}
	if !bytes.Equal(out, data) {
		i := 0
		for i < len(out) && i < len(data) && out[i] == data[i] {
			i++
		}
		return &Error{Line: lineAt(data, i), Msg: fmt.Sprintf("not canonical JSON: first difference at byte offset %d", i)}
	}
	return nil
}

// checkJSONValues walks valid JSON and rejects duplicate keys, non-integer
// numbers, integers outside ±(2^53−1) and nesting deeper than MaxJSONDepth
// (the number of objects and arrays open at once: `{"a":[1]}` has depth 2).
func checkJSONValues(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next token in an object is a key
	}
	var stack []*frame
	fail := func(format string, args ...any) error {
		return &Error{Line: lineAt(data, int(dec.InputOffset())), Msg: fmt.Sprintf(format, args...)}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail("invalid JSON: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fail("duplicate object key %q", k)
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if top != nil && top.obj {
			top.key = true
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				stack = append(stack, &frame{})
			}
			if len(stack) > MaxJSONDepth {
				return fail("objects and arrays nested deeper than %d levels", MaxJSONDepth)
			}
			switch t {
			case ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].key = true
				}
			}
		case json.Number:
			s := string(t)
			if strings.ContainsAny(s, ".eE") {
				f, err := strconv.ParseFloat(s, 64)
				if err == nil && (f > MaxInt || f < MinInt) {
					return fail("integer %s is outside ±(2^53−1)", s)
				}
				if err != nil || f != float64(int64(f)) {
					return fail("number %s is not an integer; floats are not allowed", s)
				}
				continue
			}
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil || i > MaxInt || i < MinInt {
				return fail("integer %s is outside ±(2^53−1)", s)
			}
		}
	}
}
