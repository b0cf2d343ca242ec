package regnet

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// sizeTap records the largest slice a request body is read into.
type sizeTap struct {
	r   io.Reader
	max int
}

func (s *sizeTap) Read(p []byte) (int, error) {
	if len(p) > s.max {
		s.max = len(p)
	}
	return s.r.Read(p)
}

// upload PUTs body (of length n) through New's transport and returns the
// SHA-256 of what the server received.
func upload(t *testing.T, body io.Reader, n int64) [32]byte {
	t.Helper()
	var got [32]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		if _, err := io.Copy(h, r.Body); err != nil {
			t.Errorf("server read: %v", err)
		}
		copy(got[:], h.Sum(nil))
	}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/v2/x/blobs/uploads/1", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	resp, err := (&http.Client{Transport: New(nil, false)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return got
}

// A request body of known length is read in bodyChunk pieces (not
// io.Copy's 32 KiB), and every byte arrives.
func TestBodyGoesInBigChunks(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*bodyChunk/16+1000)
	tap := &sizeTap{r: bytes.NewReader(data)}
	got := upload(t, io.NopCloser(tap), int64(len(data)))
	if got != sha256.Sum256(data) {
		t.Fatal("the server received other bytes than were sent")
	}
	if tap.max != bodyChunk {
		t.Fatalf("body read into slices of up to %d bytes, want %d", tap.max, bodyChunk)
	}
}

// A file body still arrives whole (it takes the kernel's sendfile path).
func TestFileBodyArrives(t *testing.T) {
	data := bytes.Repeat([]byte("fedcba9876543210"), bodyChunk/16+77)
	p := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := upload(t, f, int64(len(data))); got != sha256.Sum256(data) {
		t.Fatal("the server received other bytes than were sent")
	}
}
