package logserver

import (
	"strings"
	"testing"
)

func TestWitnessSummary(t *testing.T) {
	if got := witnessSummary(Config{}); got != ", no witnesses" {
		t.Errorf("no witnesses: %q", got)
	}
	_, wv := witnessKey(t)
	w, err := ParseWitness(wv + "=http://127.0.0.1:8081")
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := strings.Cut(wv, "+")
	one := name + " at http://127.0.0.1:8081"
	for _, c := range []struct {
		quorum int
		want   string
	}{
		{1, ", witnesses " + one + ", " + one + " (waits for 1 of 2)"},
		{0, ", witnesses " + one + ", " + one + " (waits for 2 of 2)"},
	} {
		if got := witnessSummary(Config{Witnesses: []Witness{w, w}, Quorum: c.quorum}); got != c.want {
			t.Errorf("quorum %d: got %q, want %q", c.quorum, got, c.want)
		}
	}
}
