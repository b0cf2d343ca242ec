package logserver

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
)

// TestRestartOtherKeyOrOrigin: a log directory holding a checkpoint is
// served only with the origin and key that signed it; another key or
// origin is refused before anything is written, naming what differs.
func TestRestartOtherKeyOrOrigin(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Dir: dir, Origin: testOrigin, Signer: mustSigner(t), CheckpointInterval: 100 * time.Millisecond, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, "http://"+s.Addr+"/", [][]byte{testLeaf(t, 1)})
	cancel()
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	cpPath := filepath.Join(dir, "checkpoint")
	before, err := os.ReadFile(cpPath)
	if err != nil {
		t.Fatal(err)
	}

	other, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log2", bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := tlog.LogSigner(other, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	sameKeyOtherOrigin, err := tlog.LogSigner(mustKey(t), "other.example/log")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Dir: dir, Origin: testOrigin, Signer: otherKey}, "--key is not the key this log's checkpoints are signed with"},
		{Config{Dir: dir, Origin: "other.example/log", Signer: sameKeyOtherOrigin}, `has origin "log.example.test/ct", not --origin "other.example/log"`},
	} {
		c.cfg.Log = io.Discard
		c.cfg.CheckpointInterval = 100 * time.Millisecond
		s, err := Start(context.Background(), c.cfg)
		if err == nil {
			time.Sleep(200 * time.Millisecond) // let it publish, to show what it would do
			s.Close()
			s.Wait()
			t.Errorf("%s: started", c.want)
			continue
		}
		if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "checkpoint") {
			t.Errorf("%q: %v (exit %d)", c.want, err, exit.CodeOf(err))
		}
		if h := exit.HintOf(err); !strings.Contains(h, "keeps its origin and key") {
			t.Errorf("%q: hint %q", c.want, h)
		}
	}
	if after, _ := os.ReadFile(cpPath); !bytes.Equal(before, after) {
		t.Errorf("a refused start changed the checkpoint:\n%s\nto\n%s", before, after)
	}

	// A damaged checkpoint is refused too.
	if err := os.WriteFile(cpPath, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Config{Dir: dir, Origin: testOrigin, Signer: mustSigner(t), Log: io.Discard}); exit.CodeOf(err) != exit.Malformed {
		t.Errorf("damaged checkpoint: %v (exit %d)", err, exit.CodeOf(err))
	}
	// And the right key and origin still serve the log.
	if err := os.WriteFile(cpPath, before, 0o644); err != nil {
		t.Fatal(err)
	}
	startTest(t, Config{Dir: dir})
}

func mustKey(t *testing.T) *keys.PrivateKey {
	t.Helper()
	k, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log", bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
