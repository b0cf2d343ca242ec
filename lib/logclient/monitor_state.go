package logclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/sys/unix"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/tlog"
)

// maxStateSize bounds a state file: a checkpoint and a few lines.
const maxStateSize = 64 << 10

// DefaultStateDir is where ct log monitor keeps its state without --state:
// $XDG_STATE_HOME/cerro/monitor, else ~/.local/state/cerro/monitor.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cerro", "monitor"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", exit.Wrap(exit.IO, err, "cannot find a state folder for ct log monitor").
			WithHint("give one with --state DIR")
	}
	return filepath.Join(home, ".local", "state", "cerro", "monitor"), nil
}

// monitorState is one log's state file, <logid16>.state (TOML).
type monitorState struct {
	Format     int    `toml:"format"`
	Origin     string `toml:"origin"`
	LogKey     string `toml:"log_key"`
	Checkpoint string `toml:"checkpoint"` // the last verified checkpoint, as served (note text)
	NextIndex  uint64 `toml:"next_index"` // the first entry not scanned yet
}

func statePath(dir, origin string) string { return filepath.Join(dir, tlog.LogID(origin)+".state") }

// loadState reads the state of origin; nil, nil when there is none yet.
func loadState(dir, origin string) (*monitorState, error) {
	p := statePath(dir, origin)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the monitor state").At(p)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, maxStateSize+1)); err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the monitor state").At(p)
	}
	if b.Len() > maxStateSize {
		return nil, exit.New(exit.IO, "monitor state is over %d bytes", maxStateSize).At(p).
			WithHint("this is not a state file ct wrote; move it away to start over (the next run trusts the log's checkpoint afresh)")
	}
	s, err := parseState(b.Bytes(), origin)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "monitor state is unreadable").At(p).
			WithHint("move the file away to start over (the next run trusts the log's checkpoint afresh)")
	}
	return s, nil
}

// parseState parses a state file of origin: TOML with exactly the fields
// of monitorState, format 1, of that origin. The checkpoint in it is
// checked by the caller (against --log-key).
func parseState(data []byte, origin string) (*monitorState, error) {
	var s monitorState
	md, err := toml.Decode(string(data), &s)
	if err == nil && len(md.Undecoded()) > 0 {
		err = fmt.Errorf("unknown key %q", md.Undecoded()[0].String())
	}
	// TOML integers are int64; the decoder wraps a negative next_index
	// into a huge uint64, which saveState could not write back.
	if err == nil && s.NextIndex > math.MaxInt64 {
		err = fmt.Errorf("next_index is out of range")
	}
	if err == nil && s.Format != 1 {
		err = fmt.Errorf("format %d (this ct reads format 1)", s.Format)
	}
	if err == nil && s.Origin != origin {
		err = fmt.Errorf("it is the state of origin %q, not %q", s.Origin, origin)
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// saveState writes the state atomically (temporary file, fsync, rename).
func saveState(dir string, s *monitorState) error {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(s); err != nil {
		return exit.Wrap(exit.Internal, err, "cannot encode the monitor state")
	}
	return writeAtomic(statePath(dir, s.Origin), b.Bytes())
}

func writeAtomic(path string, data []byte) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return outfile.IOError(path, err, "cannot write the monitor state")
	}
	return f.Commit()
}

// writeEvidence keeps what proves a log misbehaved: the checkpoint stored
// from an earlier run and the one served now (both signed by the log), and
// a text saying what failed. It returns the files written.
func writeEvidence(dir, origin string, now time.Time, kind string, stored, served []byte, why string) ([]string, error) {
	base := filepath.Join(dir, fmt.Sprintf("%s.evidence.%s.%s", tlog.LogID(origin), now.UTC().Format("20060102T150405Z"), kind))
	var files []string
	write := func(name string, data []byte) error {
		if data == nil {
			return nil
		}
		if err := writeAtomic(base+name, data); err != nil {
			return err
		}
		files = append(files, base+name)
		return nil
	}
	if err := write(".stored.checkpoint", stored); err != nil {
		return files, err
	}
	if err := write(".served.checkpoint", served); err != nil {
		return files, err
	}
	if err := write(".txt", []byte(fmt.Sprintf("origin: %s\nwhen: %s\nwhat: %s\n%s\n", origin, now.UTC().Format(time.RFC3339), kind, why))); err != nil {
		return files, err
	}
	return files, nil
}

// lockState takes the exclusive lock of origin's state (flock on
// <logid16>.lock, which stays), so that two runs (cron overlapping a slow
// run) never interleave reading and writing the state. A held lock is
// exit.IO: the other run is still going.
func lockState(dir, origin string) (func(), error) {
	name := filepath.Join(dir, tlog.LogID(origin)+".lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot open the monitor's lock file").At(name)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, exit.New(exit.IO, "another ct log monitor is running on this state").At(name).
				WithHint("let it finish; if it hangs, stop it (runs are bounded by --max-entries)")
		}
		return nil, exit.Wrap(exit.IO, err, "cannot lock the monitor state").At(name)
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}
