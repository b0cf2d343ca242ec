package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cerro-torre/ct/lib/exit"
)

// onlyReader hides every method but Read: a pipe, as the verifier read one
// before read-ahead (no seeking, no chunks).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// failAfter returns the first n bytes of data, then err.
type failAfter struct {
	data []byte
	n    int
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	m := copy(p[:min(len(p), f.n)], f.data)
	f.data, f.n = f.data[m:], f.n-m
	return m, nil
}

func reportJSON(t *testing.T, rep *Report) string {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	errs := ""
	for _, e := range append([]error{rep.Err()}, rep.Others()...) {
		if e != nil {
			errs += fmt.Sprintf("\n%d %v [%s]", exit.CodeOf(e), e, exit.HintOf(e))
		}
	}
	return string(b) + errs
}

// ct verify - (VerifyPath "-", read ahead on a second goroutine, blobs
// hashed in its buffers) gives the very report the plain one-pass Verify
// gives on the same stream: every vector, every tampered bundle, every cut,
// and a source that fails mid-stream (code 11, the source's error named).
// No goroutine is left behind.
func TestStdinReadAheadSameReport(t *testing.T) {
	base := runtime.NumGoroutine()
	f := newFixture(t)
	opts := f.trust(f.alice)
	inputs := map[string][]byte{"good": f.data}
	vecs, _ := filepath.Glob("../../tests/vectors/verify/*.ctp")
	if len(vecs) < 15 {
		t.Fatalf("%d vectors", len(vecs))
	}
	for _, v := range vecs {
		data, err := os.ReadFile(v)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(v)] = data
	}
	for cut := 0; cut < len(f.data); cut += 4099 {
		inputs[fmt.Sprintf("cut at %d", cut)] = f.data[:cut]
	}
	es := entries(t, f.data)
	for i := range es {
		if strings.HasPrefix(es[i].Name, "blobs/sha256/") && !es[i].Dir {
			c := append([]entry(nil), es...)
			c[i].Data = bytes.Clone(c[i].Data)
			c[i].Data[len(c[i].Data)/2] ^= 0x80
			inputs["flipped "+es[i].Name] = build(c)
		}
	}
	inputs["trailing byte"] = append(bytes.Clone(f.data), 0)
	for name, data := range inputs {
		want := reportJSON(t, Verify(onlyReader{bytes.NewReader(data)}, "-", opts))
		got := reportJSON(t, VerifyPath("-", opts, PathOptions{Stdin: iotest.HalfReader(bytes.NewReader(data))}))
		if got != want {
			t.Errorf("%s:\nread ahead: %s\nplain:      %s", name, got, want)
		}
	}
	boom := errors.New("input/output error")
	for at := 0; at < len(f.data); at += 3001 {
		want := Verify(onlyReader{&failAfter{f.data, at, boom}}, "-", opts)
		got := VerifyPath("-", opts, PathOptions{Stdin: &failAfter{f.data, at, boom}})
		// Within the first 512 bytes the error comes from the look at
		// the start (is it a bundle?), as it did before read-ahead.
		if g, w := reportJSON(t, got), reportJSON(t, want); at >= 512 && g != w {
			t.Errorf("error after %d bytes:\nread ahead: %s\nplain:      %s", at, g, w)
		}
		if got.Code != int(exit.IO) || !strings.Contains(got.Err().Error(), "input/output error") {
			t.Errorf("error after %d bytes: code %d, %v; want code %d naming the source's error", at, got.Code, got.Err(), exit.IO)
		}
	}
	for i := 0; i < 100000 && runtime.NumGoroutine() > base; i++ {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after verifying, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// hashAhead (VerifyFile's blob hashing) hashes exactly the source's bytes
// and returns its read error.
func TestHashAhead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 300000) // 4.8 MB: several ring turns
	for _, n := range []int{0, 1, 1 << 20, len(data)} {
		h := sha256.New()
		got, err := hashAhead(context.Background(), h, iotest.HalfReader(bytes.NewReader(data[:n])))
		if err != nil || got != int64(n) || !bytes.Equal(h.Sum(nil), sha256Of(data[:n])) {
			t.Fatalf("%d bytes: hashed %d, %v", n, got, err)
		}
	}
	boom := errors.New("disk on fire")
	h := sha256.New()
	got, err := hashAhead(context.Background(), h, &failAfter{data, 3 << 20, boom})
	if err != boom || got != 3<<20 {
		t.Fatalf("failing source: %d bytes, %v", got, err)
	}
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
