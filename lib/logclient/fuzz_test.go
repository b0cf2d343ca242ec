package logclient

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParseAddAnswer: the answer to POST /add is accepted only in its one
// encoding ("<index>\n", no leading zero), never as the largest uint64, and
// never panics.
func FuzzParseAddAnswer(f *testing.F) {
	for _, s := range []string{"0\n", "17\n", "007\n", "17", "17\n\n", "-1\n", "+1\n", " 1\n",
		"18446744073709551614\n", "18446744073709551615\n", "18446744073709551616\n", "1e3\n", "0x10\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseAddAnswer(body)
		if err != nil {
			return
		}
		if n == math.MaxUint64 {
			t.Fatalf("accepted the largest uint64 from %q", body)
		}
		if got := fmt.Sprintf("%d\n", n); got != string(body) {
			t.Fatalf("accepted %q as %d (%q)", body, n, got)
		}
	})
}

const fuzzOrigin = "log.example/ct"

// FuzzParseState: a monitor state file parses only as format 1 of the
// expected origin with no unknown field, never panics, and what parses
// survives being written and read again unchanged (saveState's encoding).
func FuzzParseState(f *testing.F) {
	good := "format = 1\norigin = \"log.example/ct\"\nlog_key = \"log.example/ct+01234567+AQ==\"\ncheckpoint = \"log.example/ct\\n3\\nAAAA\\n\\n— log.example/ct AQ==\\n\"\nnext_index = 3\n"
	for _, s := range []string{good, good[:len(good)/2], "format = 2\norigin = \"log.example/ct\"\n",
		"format = 1\norigin = \"other.example/ct\"\n", "format = 1\norigin = \"log.example/ct\"\nextra = 1\n",
		"format = 1\norigin = \"log.example/ct\"\nnext_index = -1\n", "format = 1\norigin = \"log.example/ct\"\nnext_index = 18446744073709551615\n",
		"", "\x00", "format = 1\nformat = 1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseState(data, fuzzOrigin)
		if err != nil {
			return
		}
		if s.Format != 1 || s.Origin != fuzzOrigin {
			t.Fatalf("accepted format %d origin %q", s.Format, s.Origin)
		}
		var b bytes.Buffer
		if err := toml.NewEncoder(&b).Encode(s); err != nil {
			t.Fatalf("cannot encode an accepted state: %v", err)
		}
		again, err := parseState(b.Bytes(), fuzzOrigin)
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("state does not survive a save: %v\n%+v\n%+v\n%s", err, s, again, b.Bytes())
		}
	})
}
