package logserver

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunLibraryLog: ct-log serve (Run) sends Tessera's klog warnings to
// its log, escaped and prefixed, drops klog's informational chatter, and
// says itself that it starts a new log.
func TestRunLibraryLog(t *testing.T) {
	t.Cleanup(klog.ClearLogger)
	var out syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Dir: t.TempDir(), Origin: testOrigin, Signer: mustSigner(t), CheckpointInterval: 100 * time.Millisecond, Log: &out})
	}()
	for !strings.Contains(out.String(), "ct-log: serving") {
		select {
		case err := <-done:
			t.Fatalf("Run ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	klog.Warningf("witness answered \x1b[31mred")
	klog.Infof("informational chatter")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log(got)
	if !strings.Contains(got, "starting a new, empty log "+testOrigin) {
		t.Errorf("no line about the new log:\n%s", got)
	}
	if !strings.Contains(got, "ct-log: tessera: W") || !strings.Contains(got, "witness answered ") || strings.Contains(got, "\x1b") {
		t.Errorf("klog warning not in the log, or not escaped:\n%q", got)
	}
	if strings.Contains(got, "chatter") || strings.Contains(got, "Initializing directory") {
		t.Errorf("klog info lines not dropped:\n%s", got)
	}
}
