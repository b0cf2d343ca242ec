package provenance

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// exactKeys checks that every object member of v (JSON decoded into any) at a
// level described by a struct of t is named exactly as one of that struct's
// json tags. encoding/json matches names without regard to case, so without
// this "BuildType" would be read as buildType: a second reader would not.
func exactKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, reported by the decoder
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			sub := obj[k]
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: unknown member %q", join(path, ""), k)
			}
			if err := exactKeys(sub, ft, join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range arr {
			if err := exactKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, k string) string {
	switch {
	case path == "" && k == "":
		return "predicate"
	case path == "":
		return k
	case k == "":
		return path
	}
	return path + "." + k
}
