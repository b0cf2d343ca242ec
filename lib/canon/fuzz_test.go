package canon

import (
	"bytes"
	"testing"

	"github.com/cerro-torre/ct/lib/exit"
)

func addSeeds(f *testing.F) {
	// Every vector's input. (When fuzzing, pass -fuzzminimizetime=5s or so:
	// minimizing an interesting input grown from the big vectors otherwise
	// stalls the workers for up to a minute.)
	for _, v := range loadVectors(f) {
		f.Add(v.input)
	}
	for _, s := range []string{
		"a = 1\n",
		"[a]\n",
		"[[a]]\n\n[a.b]\nx = \"\\u0001\"\n",
		"x = [{a = 1}, {}]\n",
		"a = { b = [] }\n",
		"a = \"\"\"\r\nx\r\n\"\"\"\n",
		"'a' = 'b'\n",
	} {
		f.Add([]byte(s))
	}
}

// checkErr fails the test when err is not a canon error with a line number.
func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	if exit.CodeOf(err) != exit.Malformed {
		t.Fatalf("%s: error with exit code %d: %v", what, exit.CodeOf(err), err)
	}
	if e, ok := err.(*Error); !ok || e.Line < 1 {
		t.Fatalf("%s: error without a line number: %v", what, err)
	}
}

func FuzzCheckTOML(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckTOML(data)
		if err != nil {
			checkErr(t, "CheckTOML", err)
			return
		}
		out, err := CanonicalizeTOML(data)
		if err != nil {
			t.Fatalf("CheckTOML accepted %q but CanonicalizeTOML failed: %v", data, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("CheckTOML accepted %q but CanonicalizeTOML gave %q", data, out)
		}
	})
}

func FuzzCanonicalizeTOML(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := CanonicalizeTOML(data)
		if err != nil {
			checkErr(t, "CanonicalizeTOML", err)
			return
		}
		if err := CheckTOML(out); err != nil {
			t.Fatalf("CanonicalizeTOML(%q) = %q, which CheckTOML rejects: %v", data, out, err)
		}
		again, err := CanonicalizeTOML(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("CanonicalizeTOML not idempotent on %q: %q, %v", out, again, err)
		}
	})
}
