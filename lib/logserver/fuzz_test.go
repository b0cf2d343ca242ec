package logserver

import (
	"strings"
	"testing"

	f_note "github.com/transparency-dev/formats/note"

	"github.com/cerro-torre/ct/lib/exit"
)

// FuzzParseWitness: a --witness value never panics, fails only as a usage
// error, and what is accepted is a cosignature/v1 key and an http(s) URL
// with a host, that together spell the value back.
func FuzzParseWitness(f *testing.F) {
	const vk = "w1.example+3b2dfa16+BOUqlQhd9SfyJ9Q5dUuAU76xyk/Gmb4Y0oEKYM9A7a1h"
	for _, s := range []string{vk + "=http://127.0.0.1:8081", vk + "=https://w.example/path?q=1", vk + "=ftp://x",
		"=http://127.0.0.1", vk, vk + "=http://", "a+b+c=http://h", vk + "=http://h=https://i",
		"w1.example+3b2dfa16+AeUqlQhd9SfyJ9Q5dUuAU76xyk/Gmb4Y0oEKYM9A7a1h=http://h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWitness(s)
		if err != nil {
			if exit.CodeOf(err) != exit.Usage {
				t.Fatalf("error of code %d: %v", exit.CodeOf(err), err)
			}
			return
		}
		if _, err := f_note.NewVerifierForCosignatureV1(w.VKey); err != nil || checkWitnessVKey(w.VKey) != nil {
			t.Fatalf("accepted key %q: %v", w.VKey, err)
		}
		if (w.URL.Scheme != "http" && w.URL.Scheme != "https") || w.URL.Host == "" {
			t.Fatalf("accepted URL %q", w.URL)
		}
		if !strings.HasPrefix(s, w.VKey+"=") {
			t.Fatalf("%q split as key %q", s, w.VKey)
		}
	})
}
