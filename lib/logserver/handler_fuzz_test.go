package logserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// servedPath is what the log may answer 200 for (C2SP tlog-tiles).
var servedPath = regexp.MustCompile(`^/(checkpoint|tile/[0-9]+/(x[0-9]{3}/)*[0-9]{3}(\.p/[0-9]+)?|tile/entries/(x[0-9]{3}/)*[0-9]{3}(\.p/[0-9]+)?)$`)

// FuzzHandlerGET sends GET requests for arbitrary paths to a real POSIX
// log's handler (no net/http recover): it never panics, answers 200 only
// for a tlog-tiles path, and never serves the POSIX driver's .state/ files
// or the lock file.
func FuzzHandlerGET(f *testing.F) {
	dir := f.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Dir: dir, Origin: testOrigin, Signer: mustSigner(f), CheckpointInterval: 100 * time.Millisecond, Log: io.Discard})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { cancel(); s.Wait() })
	leaf := testLeaf(f, 1)
	resp, err := http.Post("http://"+s.Addr+"/add", "application/octet-stream", bytes.NewReader(leaf))
	if err != nil {
		f.Fatal(err)
	}
	resp.Body.Close()
	treeState, err := os.ReadFile(filepath.Join(dir, ".state", "treeState"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"/checkpoint", "/tile/0/000.p/1", "/tile/entries/000.p/1", "/tile/0/x001/000", "/.state/treeState",
		"/tile/../.state/treeState", "/tile/entries/../../" + LockName, "/tile/99/000", "/tile/0/000.p/0", "/tile/0/000.p/256", "//checkpoint", "/tile/-1/000"} {
		f.Add(p)
	}
	h := s.srv.Handler
	f.Fuzz(func(t *testing.T, p string) {
		req, err := http.NewRequest(http.MethodGet, "http://log.test/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Path = "/" + strings.TrimPrefix(p, "/")
		req.RequestURI = req.URL.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			if !servedPath.MatchString(req.URL.Path) {
				t.Fatalf("200 for %q", req.URL.Path)
			}
		case 301, 307, 308, 400, 404, 405:
		default:
			t.Fatalf("%d for %q: %q", rec.Code, req.URL.Path, rec.Body.String())
		}
		if len(treeState) > 0 && bytes.Contains(rec.Body.Bytes(), treeState) {
			t.Fatalf("%q served .state/treeState", req.URL.Path)
		}
	})
}
