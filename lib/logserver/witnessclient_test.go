package logserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWitnessEndlessAnswer: a witness that answers add-checkpoint with an
// endless body does not get it read into the log's memory (Tessera reads
// the answer with io.ReadAll): the log stops reading past 64 KiB, so the
// witness cannot write more than the socket buffers hold.
func TestWitnessEndlessAnswer(t *testing.T) {
	const stream = 128 << 20 // what the witness tries to send, at most
	var written atomic.Int64
	done := make(chan struct{}, 16)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		io.Copy(io.Discard, r.Body)
		chunk := bytes.Repeat([]byte("— w1.example.test AAAA\n"), 1<<12)
		for written.Load() < stream {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer hostile.Close()
	_, wvkey := witnessKey(t)
	w, err := ParseWitness(wvkey + "=" + hostile.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := startTest(t, Config{Dir: t.TempDir(), Witnesses: []Witness{w}, Quorum: 1})
	<-done // the checkpoint published at start was pushed, and its answer refused
	if n := written.Load(); n >= 32<<20 {
		t.Fatalf("the log read %d bytes of a witness's answer", n)
	}
	// The log still serves, without the witness's cosignature.
	raw := get(t, "http://"+s.Addr+"/checkpoint", 200)
	if strings.Contains(string(raw), "w1.example.test") {
		t.Fatalf("checkpoint carries the hostile witness's lines:\n%s", raw)
	}
}

// The client Tessera's MySQL driver uses (http.DefaultClient) gets the
// witness client's redirect refusal and deadline, not only its transport:
// a witness cannot send the log's checkpoint POST elsewhere.
func TestUseAsDefault(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL)
	}))
	defer elsewhere.Close()
	redirecting := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/add-checkpoint", http.StatusTemporaryRedirect))
	defer redirecting.Close()
	var dflt http.Client
	useAsDefault(&dflt, witnessClient())
	if dflt.Timeout == 0 {
		t.Fatal("no deadline")
	}
	resp, err := dflt.Post(redirecting.URL+"/add-checkpoint", "text/plain", strings.NewReader("old 0\n\ncheckpoint"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("redirect followed: %s", resp.Status)
	}
	// A client configured elsewhere in the process is left alone.
	set := http.Client{Timeout: time.Minute}
	useAsDefault(&set, witnessClient())
	if set.Timeout != time.Minute || set.CheckRedirect != nil {
		t.Fatal("a configured client was replaced")
	}
}
