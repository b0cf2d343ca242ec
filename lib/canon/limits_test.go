package canon

import (
	"strings"
	"testing"
)

// Canonical JSON nesting (canonical.md §8): the number of objects and arrays
// open at once; 16 is accepted, 17 rejected, by the reader and the writer.
func TestJSONDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }
	if err := CheckJSON([]byte(nest(MaxJSONDepth))); err != nil {
		t.Fatalf("depth %d: %v", MaxJSONDepth, err)
	}
	if err := CheckJSON([]byte(nest(MaxJSONDepth + 1))); err == nil || !strings.Contains(err.Error(), "nested deeper than 16") {
		t.Fatalf("depth %d: %v", MaxJSONDepth+1, err)
	}
	// Objects count as arrays do: {"a":{"a":…1…}}.
	obj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	if err := CheckJSON([]byte(obj(MaxJSONDepth))); err != nil {
		t.Fatalf("objects at depth %d: %v", MaxJSONDepth, err)
	}
	if err := CheckJSON([]byte(obj(MaxJSONDepth + 1))); err == nil {
		t.Fatal("objects at depth 17 accepted")
	}
	// Mixed: {"a":[{"b":1}]} has depth 3.
	var v any = 1
	for i := 0; i < MaxJSONDepth; i++ {
		if i%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"k": v}
		}
	}
	if _, err := JSON(v); err != nil {
		t.Fatalf("writer at depth %d: %v", MaxJSONDepth, err)
	}
	if _, err := JSON([]any{v}); err == nil {
		t.Fatal("writer accepted depth 17")
	}
	if MaxJSONDepth != 16 || MaxDocument != 1<<20 {
		t.Fatal("canonical.md §8 says 16 levels and 1 MiB")
	}
}
