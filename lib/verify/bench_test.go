package verify

import (
	"os"
	"testing"
)

// BenchmarkVerifyBundle verifies the bundle named by $CT_BENCH_BUNDLE (no
// trusted key: the content is checked all the same), from the file and as
// a stream, for profiles of where the time goes:
//
//	CT_BENCH_BUNDLE=/tmp/big.ctp go test -run '^$' -bench VerifyBundle/stdin -benchtime 3x -cpuprofile cpu.out ./verify
func BenchmarkVerifyBundle(b *testing.B) {
	path := os.Getenv("CT_BENCH_BUNDLE")
	if path == "" {
		b.Skip("set CT_BENCH_BUNDLE to a bundle file")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, verify func(f *os.File) *Report) {
		b.SetBytes(st.Size())
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			rep := verify(f)
			f.Close()
			for _, c := range rep.Checks {
				if !c.OK && c.Name != "trust" && c.Name != "signatures" {
					b.Fatalf("%s: %s", c.Name, c.Detail)
				}
			}
		}
	}
	b.Run("file", func(b *testing.B) {
		run(b, func(f *os.File) *Report { return VerifyPath(f.Name(), Options{}, PathOptions{}) })
	})
	b.Run("stdin", func(b *testing.B) {
		run(b, func(f *os.File) *Report { return VerifyPath("-", Options{}, PathOptions{Stdin: onlyReader{f}}) })
	})
}
