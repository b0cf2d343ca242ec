package logserver

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// checkpointReader reads the checkpoint a storage holds (Tessera's MySQL
// storage has one; the POSIX one is the file DIR/checkpoint).
type checkpointReader interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
}

// readStoredCheckpoint returns the checkpoint the storage already holds,
// nil for a new log.
func readStoredCheckpoint(ctx context.Context, c Config, d any) ([]byte, string, error) {
	if c.Storage == "" || c.Storage == StoragePOSIX {
		p := filepath.Join(c.Dir, "checkpoint")
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, p, nil
		}
		if err != nil {
			return nil, p, exit.Wrap(exit.IO, err, "cannot read the log's checkpoint").At(p)
		}
		return b, p, nil
	}
	r, ok := d.(checkpointReader)
	if !ok {
		return nil, "", nil
	}
	b, err := r.ReadCheckpoint(ctx)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(b) == 0) {
		return nil, "the MySQL log", nil
	}
	if err != nil {
		return nil, "the MySQL log", exit.Wrap(exit.IO, err, "cannot read the log's checkpoint")
	}
	return b, "the MySQL log", nil
}

// checkStoredCheckpoint refuses to go on with a log whose stored checkpoint
// is of another origin or not signed by the configured key: Tessera would
// silently publish the existing tree under the new origin or key, and every
// witness and monitor that knows the log would then see checkpoints it
// cannot verify (docs/log-server.md, keys). The key is compared by signing
// the stored checkpoint's body again: Ed25519 signatures are deterministic
// (RFC 8032), so the same key gives the same signature bytes, and the
// public key need not be known here.
func checkStoredCheckpoint(raw []byte, where, origin string, s note.Signer) error {
	hint := "a log keeps its origin and key for life: start it with the --origin and --key it was created with, or give a new log a new --dir (or database)"
	n, err := note.Open(raw, note.VerifierList())
	var unv *note.UnverifiedNoteError
	if errors.As(err, &unv) {
		n, err = unv.Note, nil
	}
	if err != nil {
		return exit.Wrap(exit.Malformed, err, "the log's stored checkpoint is not a signed note").At(where).
			WithHint("the log's storage is damaged: restore it from a backup; do not serve it as it is")
	}
	first, _, _ := strings.Cut(n.Text, "\n")
	if first != origin {
		return exit.New(exit.Usage, "the log here has origin %q, not --origin %q", termsafe.Escape(first), termsafe.Escape(origin)).At(where).
			WithHint("%s", hint)
	}
	var stored *note.Signature
	for i, sg := range n.UnverifiedSigs {
		if sg.Name == origin {
			stored = &n.UnverifiedSigs[i]
			break
		}
	}
	if stored == nil {
		return exit.New(exit.Malformed, "the log's stored checkpoint has no signature by a key named %q", termsafe.Escape(origin)).At(where).
			WithHint("the log's storage is damaged: restore it from a backup; do not serve it as it is")
	}
	mine, err := note.Sign(&note.Note{Text: n.Text}, s)
	if err != nil {
		return exit.Wrap(exit.Internal, err, "cannot sign with the log key")
	}
	again, err := note.Open(mine, note.VerifierList())
	if errors.As(err, &unv) {
		again, err = unv.Note, nil
	}
	if err != nil || len(again.UnverifiedSigs) != 1 {
		return exit.New(exit.Internal, "cannot read back a checkpoint signed with the log key")
	}
	if stored.Hash != s.KeyHash() || !bytes.Equal([]byte(stored.Base64), []byte(again.UnverifiedSigs[0].Base64)) {
		return exit.New(exit.Usage, "--key is not the key this log's checkpoints are signed with (stored checkpoint: key hash %08x; --key: %08x)", stored.Hash, s.KeyHash()).At(where).
			WithHint("%s; a log that changes its key breaks every witness, monitor and policy that trusts it", hint)
	}
	return nil
}
