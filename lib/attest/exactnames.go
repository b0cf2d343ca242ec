package attest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// exactNames checks, at every level the struct type t describes, that no
// member of the JSON document p is a case variant of a member t reads
// ("BUILDTYPE" for "buildType"): encoding/json would read it as that member,
// where another reader would not (attestations.md §5: names are exact).
// Members t does not read are left alone: predicates may carry more.
func exactNames(p []byte, t reflect.Type, kind string) error {
	var v any
	if err := json.Unmarshal(p, &v); err != nil {
		return bad(kind, "not JSON: %v", err)
	}
	if path, k, want := caseVariant(v, t, ""); k != "" {
		return bad(kind, "%s: member %q is not %q (names are exact)", path, k, want)
	}
	return nil
}

func caseVariant(v any, t reflect.Type, path string) (at, got, want string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return "", "", ""
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if ft, ok := fields[k]; ok {
				if a, g, w := caseVariant(obj[k], ft, path+"."+k); g != "" {
					return a, g, w
				}
				continue
			}
			for name := range fields {
				if strings.EqualFold(name, k) {
					if path == "" {
						return "the predicate", k, name
					}
					return strings.TrimPrefix(path, "."), k, name
				}
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return "", "", ""
		}
		for i, e := range arr {
			if a, g, w := caseVariant(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); g != "" {
				return a, g, w
			}
		}
	}
	return "", "", ""
}
