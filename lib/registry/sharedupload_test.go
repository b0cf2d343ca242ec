package registry

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/source"
)

// failingReader fails at once with err.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// Two uploads of one blob to one repository through one Session (ct
// import: two versions of an image sharing a layer) share ggcr's one
// upload per digest: the second, started while the first runs, waited
// for it and got its outcome without reading its own copy. When the
// first copy is damaged, the second must still be judged on its own
// copy (here damaged too: its own reader's error comes back, not the
// other upload's classified as a registry failure).
func TestSessionUploadsOfOneBlobEachReadTheirCopy(t *testing.T) {
	_, host := newRecorder(t)
	s := NewSession(context.Background(), source.Options{})
	uA, err := s.Uploader(host + "/r/app:1")
	if err != nil {
		t.Fatal(err)
	}
	uB, err := s.Uploader(host + "/r/app:2")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("a shared layer")
	b := bundle.Blob{Digest: bundle.Digest(data), Size: int64(len(data)), MediaType: "application/vnd.oci.image.layer.v1.tar"}
	errA, errB := errors.New("copy A does not match"), errors.New("copy B does not match")
	opened, release := make(chan struct{}), make(chan struct{})
	doneA := make(chan error)
	go func() {
		doneA <- uA.Upload(b, func() (io.ReadCloser, error) {
			close(opened)
			<-release
			return io.NopCloser(failingReader{errA}), nil
		})
	}()
	<-opened
	doneB := make(chan error)
	go func() {
		doneB <- uB.Upload(b, func() (io.ReadCloser, error) { return io.NopCloser(failingReader{errB}), nil })
	}()
	// Wait until B waits on A's upload of the digest (ggcr's per-digest
	// sync.Once), then let A fail.
	// The wait is recognised by name in the goroutine stacks; should a
	// new ggcr or Go runtime rename them, fail saying so instead of hanging
	// until the test binary's timeout (a hang guard, not a timing check).
	buf := make([]byte, 1<<20)
	for guard := time.Now().Add(2 * time.Minute); ; {
		st := string(buf[:runtime.Stack(buf, true)])
		if strings.Count(st, "remote.(*workers).Do") >= 2 && strings.Contains(st, "SemacquireMutex") {
			break
		}
		if time.Now().After(guard) {
			t.Fatalf("upload B never waited on A's upload of the digest in ggcr's remote.(*workers).Do (renamed in a new ggcr or Go?); goroutines:\n%s", st)
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-doneA; !errors.Is(err, errA) {
		t.Fatalf("A: %v, want its reader's error", err)
	}
	if err := <-doneB; !errors.Is(err, errB) {
		t.Fatalf("B: %v, want its own reader's error (%v), not A's outcome", err, errB)
	}
}
