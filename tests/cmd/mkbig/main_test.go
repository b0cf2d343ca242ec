package main

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1GiB": 1 << 30, "4GiB": 4 << 30, "512MiB": 512 << 20, "1gib": 1 << 30, "1GB": 1e9,
		"1000": 1000, "10B": 10, "2K": 2048, "1.5GiB": 3 << 29, "7 MiB": 7 << 20,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1XB", "abc"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
}
