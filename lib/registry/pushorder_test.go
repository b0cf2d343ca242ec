package registry

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// The tag comes last: a push is tagged only once the bundle artifact is
// in; when the registry refuses the artifact (here its referrers tag
// update), the push fails and the tag is never written.
func TestPushTagLast(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
		var mu sync.Mutex
		var puts []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
				mu.Lock()
				puts = append(puts, r.URL.Path)
				mu.Unlock()
				if refuse && strings.Contains(r.URL.Path, "/manifests/sha256-") {
					http.Error(w, `{"errors":[{"code":"DENIED","message":"no"}]}`, http.StatusBadRequest)
					return
				}
			}
			reg.ServeHTTP(w, r)
		}))
		host := strings.TrimPrefix(srv.URL, "http://")
		path, _, m := signedBundle(t)
		_, err := Push(context.Background(), PushRequest{Bundle: path, Ref: host + "/r/app:1", Quiet: true})
		srv.Close()
		tagged := false
		for _, p := range puts {
			tagged = tagged || p == "/v2/r/app/manifests/1"
		}
		if refuse {
			if err == nil || tagged {
				t.Fatalf("refused artifact: %v, manifest PUTs %v", err, puts)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(puts) < 3 || puts[0] != "/v2/r/app/manifests/"+m.Image.Digest || puts[len(puts)-1] != "/v2/r/app/manifests/1" {
			t.Fatalf("manifest PUTs %v: want the image first and the tag last", puts)
		}
	}
}

// levels: the platform manifests of an index form one level (pushed in
// parallel), the index the next, a nested index the one after.
func TestManifestLevels(t *testing.T) {
	idx := func(children ...string) []byte {
		s := `{"schemaVersion":2,"manifests":[`
		for i, c := range children {
			if i > 0 {
				s += ","
			}
			s += `{"digest":"` + c + `"}`
		}
		return []byte(s + `]}`)
	}
	man := []byte(`{"schemaVersion":2,"layers":[]}`)
	meta := map[string][]byte{"a": man, "b": man, "c": man, "i1": idx("a", "b"), "root": idx("i1", "c")}
	var order []string
	if err := postOrder("root", meta, map[string]bool{}, &order, 0); err != nil {
		t.Fatal(err)
	}
	got := levels(order, meta)
	want := [][]string{{"a", "b", "c"}, {"i1"}, {"root"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("levels %v, want %v (order %v)", got, want, order)
	}
	if got := levels([]string{"m"}, map[string][]byte{"m": man}); !reflect.DeepEqual(got, [][]string{{"m"}}) {
		t.Fatalf("one manifest: %v", got)
	}
	// Manifests with a subject (here two of one platform manifest) are
	// pushed one at a time: each updates the subject's referrers tag.
	ref := []byte(`{"schemaVersion":2,"layers":[],"subject":{"digest":"a"}}`)
	meta = map[string][]byte{"a": man, "r1": ref, "r2": ref, "b": man, "root": idx("a", "r1", "r2", "b")}
	order = nil
	if err := postOrder("root", meta, map[string]bool{}, &order, 0); err != nil {
		t.Fatal(err)
	}
	got = levels(order, meta)
	want = [][]string{{"a", "b"}, {"r1"}, {"r2"}, {"root"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("levels %v, want %v (order %v)", got, want, order)
	}
}
