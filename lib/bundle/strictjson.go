package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of an image's JSON blobs; OCI manifests
// and configs nest a few levels.
const maxJSONDepth = 64

// StrictJSON checks that b is one JSON value with no duplicate object keys
// (compared exactly and, since Go's encoding/json matches struct fields
// without regard to case, also case-insensitively) and at most 64 levels of
// nesting. A duplicate key is read differently by different parsers (the
// first or the last wins), so a blob with one does not identify one image:
// bundle.md §3 "The image graph" rejects it. Use it before decoding any
// JSON blob of the image (index, manifest, config).
func StrictJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := strictValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

func strictValue(dec *json.Decoder, depth int) error {
	t, err := dec.Token()
	if err != nil {
		return jsonErr(err)
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxJSONDepth {
		return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	switch d {
	case '[':
		for dec.More() {
			if err := strictValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]string{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return jsonErr(err)
			}
			k := t.(string)
			fk := foldName(k)
			if prev, dup := seen[fk]; dup {
				if prev == k {
					return fmt.Errorf("duplicate object key %q", k)
				}
				return fmt.Errorf("object keys %q and %q differ only in case", prev, k)
			}
			seen[fk] = k
			if err := strictValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return jsonErr(err)
	}
	return nil
}

func jsonErr(err error) error {
	if err == io.EOF {
		return errors.New("unexpected end of JSON")
	}
	return err
}

// foldName folds k as encoding/json does when it matches a key to a struct
// field: ASCII upper case, other runes to the smallest rune of their fold set.
func foldName(k string) string {
	out := make([]byte, 0, len(k))
	for i := 0; i < len(k); {
		if c := k[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(k[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// parseOCI decodes the fields the image-graph check reads from an index or
// manifest blob, after StrictJSON. Keys are matched exactly (encoding/json
// alone would also take "Layers" for "layers"), as other OCI tools read them.
func parseOCI(b []byte) (*ociManifest, error) {
	if err := StrictJSON(b); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, err
	}
	om := &ociManifest{}
	if err := exactField(top, "mediaType", &om.MediaType); err != nil {
		return nil, err
	}
	if raw, ok := top["config"]; ok && string(raw) != "null" {
		d, err := parseDescriptor(raw, "config")
		if err != nil {
			return nil, err
		}
		om.Config = &d
	}
	for _, f := range []struct {
		key string
		out *[]ociDescriptor
	}{{"layers", &om.Layers}, {"manifests", &om.Manifests}} {
		var list []json.RawMessage
		if err := exactField(top, f.key, &list); err != nil {
			return nil, err
		}
		for i, raw := range list {
			d, err := parseDescriptor(raw, fmt.Sprintf("%s[%d]", f.key, i))
			if err != nil {
				return nil, err
			}
			*f.out = append(*f.out, d)
		}
	}
	return om, nil
}

func parseDescriptor(raw json.RawMessage, where string) (ociDescriptor, error) {
	var d ociDescriptor
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return d, fmt.Errorf("%s: %w", where, err)
	}
	for _, f := range []struct {
		key string
		v   any
	}{{"mediaType", &d.MediaType}, {"digest", &d.Digest}, {"size", &d.Size}} {
		if err := exactField(obj, f.key, f.v); err != nil {
			return d, fmt.Errorf("%s: %w", where, err)
		}
	}
	return d, nil
}

func exactField(obj map[string]json.RawMessage, key string, v any) error {
	raw, ok := obj[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
