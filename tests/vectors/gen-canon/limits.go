package main

import (
	"fmt"
	"strings"
)

// limitVectors pin down how canonical.md §6 counts nesting depth and keys,
// at the limit and one past it: array-of-tables elements are tables of
// their own depth, and keys whose values are tables or arrays of tables
// count once in the table that holds them.
func limitVectors() []vector {
	var vs []vector
	ok := func(name, reason, in string) {
		vs = append(vs, vector{name: "ok-" + name, expect: canonical, reason: reason, input: in})
	}
	bad := func(name, reason, in string) {
		vs = append(vs, vector{name: "bad-" + name, expect: malformed, reason: reason, input: in})
	}
	ok("depth-8-array-of-tables", "an array-of-tables element at path a.b.c.d.e.f.g.h has depth 8",
		"[[a.b.c.d.e.f.g.h]]\nk = 1\n")
	bad("depth-9-array-of-tables", "an array-of-tables element at path a.b.c.d.e.f.g.h.i has depth 9",
		"[[a.b.c.d.e.f.g.h.i]]\nk = 1\n")
	ok("depth-8-array-of-tables-below-elements", "arrays of tables add no level of their own: [[a]] elements down to depth 8",
		"[[a]]\n\n[[a.b]]\n\n[[a.b.c]]\n\n[[a.b.c.d]]\n\n[[a.b.c.d.e]]\n\n[[a.b.c.d.e.f]]\n\n[[a.b.c.d.e.f.g]]\n\n[[a.b.c.d.e.f.g.h]]\nk = 1\n")
	scalars := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "k%05d = %d\n", i, i)
		}
		return b.String()
	}
	// 9998 scalars + t (a table key in the root) + x (in t) = 10000 keys.
	ok("keys-10000-with-table-key", "a key whose value is a table counts: 9998 + t + t.x = 10000 keys",
		scalars(9998)+"\n[t]\nx = 1\n")
	bad("keys-10001-with-table-key", "a key whose value is a table counts: 9999 + t + t.x = 10001 keys",
		scalars(9999)+"\n[t]\nx = 1\n")
	aot := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "[[a]]\nx = %d\n", i)
		}
		return b.String()
	}
	// The key a once, then each element's x: 1 + 9999 = 10000 keys.
	ok("keys-10000-array-of-tables", "an array of tables is one key, each element's keys count: 1 + 9999 = 10000",
		aot(9999))
	bad("keys-10001-array-of-tables", "an array of tables is one key, each element's keys count: 1 + 10000 = 10001",
		aot(10000))
	return vs
}
