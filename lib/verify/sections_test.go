package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// HashSections returns each section's outcome at its own position (they
// run largest first), reports a short read by N, and starts nothing once
// its context is done.
func TestHashSections(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 1<<18) // 2 MiB
	ra := bytes.NewReader(data)
	secs := []Section{{ra, 0, 10}, {ra, 100, 3 << 19}, {ra, int64(len(data)) - 5, 50}, {ra, 7, 0}}
	got := HashSections(context.Background(), secs)
	for i, s := range secs {
		end := s.Off + s.Len
		if end > int64(len(data)) {
			end = int64(len(data))
		}
		sum := sha256.Sum256(data[s.Off:end])
		want := "sha256:" + hex.EncodeToString(sum[:])
		if got[i].Err != nil || got[i].N != end-s.Off || got[i].Got != want {
			t.Fatalf("section %d: %+v, want %d bytes %s", i, got[i], end-s.Off, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i, h := range HashSections(ctx, secs) {
		if h.Err != context.Canceled || h.N != 0 {
			t.Fatalf("cancelled, section %d: %+v", i, h)
		}
	}
}
