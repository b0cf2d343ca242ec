package witnessserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/klog/v2"
)

// FuzzAddCheckpoint sends add-checkpoint requests to a real witness (sqlite
// state) straight into its handler, where a panic in the witness library
// would not be recovered: old sizes, proof lines and checkpoints signed by
// the log's key (so the library's consistency code is reached), plus raw
// bodies. It never panics and answers only tlog-witness statuses.
func FuzzAddCheckpoint(f *testing.F) {
	// The witness library logs every request through klog: a fuzz worker's
	// standard error is a pipe nobody drains while it runs, which fills up.
	LibraryLogTo(io.Discard)
	f.Cleanup(klog.ClearLogger)
	fx := newFixture(f)
	s, err := fx.tryStart(f, Options{}) // one witness for the whole run: its state accumulates
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Shutdown(context.Background()) })
	f.Add(uint64(0), uint64(3), []byte("a"), uint8(0), []byte(nil))
	f.Add(uint64(3), uint64(7), []byte("b"), uint8(3), []byte(nil))
	f.Add(uint64(7), uint64(3), []byte("c"), uint8(1), []byte(nil))
	f.Add(uint64(1<<63), uint64(1<<64-1), []byte("d"), uint8(64), []byte(nil))
	f.Add(uint64(0), uint64(0), []byte(nil), uint8(0), []byte("old 1\nAAAA\n\nlog.test/ct\n1\nAAAA\n\n— x AAAA\n"))
	f.Fuzz(func(t *testing.T, old, size uint64, seed []byte, nproof uint8, raw []byte) {
		var body []byte
		if raw != nil {
			body = raw
		} else {
			root := sha256.Sum256(seed)
			cp := fx.checkpoint(t, fx.logSigner, origin, size, root[:])
			var b bytes.Buffer
			fmt.Fprintf(&b, "old %d\n", old)
			for i := 0; i < int(nproof); i++ {
				h := sha256.Sum256(append(seed, byte(i)))
				b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
			}
			b.WriteString("\n")
			b.Write(cp)
			body = b.Bytes()
		}
		rec := httptest.NewRecorder()
		s.addCheckpoint(rec, httptest.NewRequest(http.MethodPost, "/add-checkpoint", bytes.NewReader(body)))
		switch rec.Code {
		case 200, 400, 403, 404, 409, 413, 422, 429:
		default:
			t.Fatalf("answer %d %q to %q", rec.Code, rec.Body.String(), body)
		}
	})
}
