package witnessserver

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

// MaxLogsFile bounds the logs file read at start.
const MaxLogsFile = 1 << 20

// Log is one log the witness cosigns for: its origin and the note verifier
// key (tlog.LogVerifierKey form) its checkpoints are signed with.
type Log struct {
	Origin   string
	Key      string
	Line     int // line of its [[log]] header in the logs file
	verifier note.Verifier
}

type logsFile struct {
	Log []struct {
		Origin string `toml:"origin"`
		Key    string `toml:"key"`
	} `toml:"log"`
}

const logsHint = `each log is a table [[log]] with origin = "ORIGIN" and key = "VKEY", the log's note verifier key ORIGIN+HASH+BASE64, as the log's operator publishes it`

// LoadLogs reads and checks the logs file at path (docs/witness.md).
func LoadLogs(path string) ([]Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read logs file").At(path)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxLogsFile+1))
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read logs file").At(path)
	}
	if len(data) > MaxLogsFile {
		return nil, exit.New(exit.Malformed, "logs file is larger than %d bytes", MaxLogsFile).At(path)
	}
	return ParseLogs(data, path)
}

// ParseLogs parses a logs file (name is used in errors): TOML within the
// canonical data model (comments and any layout allowed), only [[log]]
// tables with exactly the fields origin and key, at least one log, no
// origin twice, and every key a valid Ed25519 note verifier key whose name
// is the origin. Errors are exit.Malformed naming file:line.
func ParseLogs(data []byte, name string) ([]Log, error) {
	at := func(line int) string { return fmt.Sprintf("%s:%d", name, line) }
	if md, err := toml.Decode(string(data), &map[string]any{}); err == nil && len(md.Keys()) == 0 {
		return nil, exit.New(exit.Malformed, "no [[log]] table: the witness would cosign nothing").At(at(1)).WithHint("%s", logsHint)
	}
	if _, err := canon.CanonicalizeTOML(data); err != nil {
		line := 1
		if ce, ok := err.(*canon.Error); ok && ce.Line > 0 {
			line = ce.Line
			ce.Line = 0
		}
		return nil, exit.Wrap(exit.Malformed, err, "not a valid logs file").At(at(line)).WithHint("%s", logsHint)
	}
	var lf logsFile
	md, err := toml.Decode(string(data), &lf)
	if err != nil {
		return nil, exit.Wrap(exit.Malformed, err, "not a valid logs file").At(at(1)).WithHint("%s", logsHint)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, exit.New(exit.Malformed, "unknown field %q", k.String()).At(at(keyLine(data, k[len(k)-1]))).
			WithHint("%s; nothing else is allowed", logsHint)
	}
	heads := headerLines(data)
	if len(lf.Log) == 0 {
		return nil, exit.New(exit.Malformed, "no [[log]] table: the witness would cosign nothing").At(at(1)).WithHint("%s", logsHint)
	}
	seen := map[string]int{}
	var logs []Log
	for i, l := range lf.Log {
		line := 1
		if i < len(heads) {
			line = heads[i]
		}
		if l.Origin == "" {
			return nil, exit.New(exit.Malformed, "log %d has no origin", i+1).At(at(line)).WithHint("%s", logsHint)
		}
		if l.Key == "" {
			return nil, exit.New(exit.Malformed, "log %q has no key", l.Origin).At(at(line)).WithHint("%s", logsHint)
		}
		if strings.ContainsAny(l.Origin, "\n\r") {
			return nil, exit.New(exit.Malformed, "log %d: origin has a line break", i+1).At(at(line))
		}
		if prev, dup := seen[l.Origin]; dup {
			return nil, exit.New(exit.Malformed, "log %q is listed twice (first at line %d)", l.Origin, prev).At(at(line)).
				WithHint("keep one [[log]] table per origin")
		}
		seen[l.Origin] = line
		v, err := note.NewVerifier(l.Key)
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "log %q: key is not a note verifier key", l.Origin).At(at(line)).
				WithHint("key takes the log's note verifier key ORIGIN+HASH+BASE64 (Ed25519), as the log's operator publishes it")
		}
		if v.Name() != l.Origin {
			return nil, exit.New(exit.Malformed, "log %q: key is named %q, not the origin", l.Origin, v.Name()).At(at(line)).
				WithHint("a log's key is named after its origin; check that origin and key belong to the same log")
		}
		logs = append(logs, Log{Origin: l.Origin, Key: l.Key, Line: line, verifier: v})
	}
	return logs, nil
}

var headerRE = regexp.MustCompile(`^\s*\[\[\s*"?log"?\s*\]\]`)

// headerLines returns the lines of the [[log]] headers, in order.
func headerLines(data []byte) []int {
	var out []int
	for i, l := range strings.Split(string(data), "\n") {
		if headerRE.MatchString(l) {
			out = append(out, i+1)
		}
	}
	return out
}

// keyLine returns the first line that assigns key k or opens a table
// named k; 1 when none does.
func keyLine(data []byte, k string) int {
	q := regexp.QuoteMeta(k)
	re := regexp.MustCompile(`^\s*(\[\[?\s*)?("` + q + `"|'` + q + `'|` + q + `)\s*(=|\]|\.)`)
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 1
}

// FlagLogs turns ct-witness serve --log values into logs to witness: each
// the log's note verifier key, or a file holding it as ct-log serve
// --print-vkey writes it; the origin is the key's name (log.md §3). They
// have no line (Line 0): errors name them as --log.
func FlagLogs(args []string) ([]Log, error) {
	var logs []Log
	for _, a := range args {
		k, err := tlog.VKeyArg(a, "log")
		if err != nil {
			return nil, err
		}
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, exit.Wrap(exit.Usage, err, "--log %q is not a note verifier key", termsafe.Escape(k)).
				WithHint("%s", tlog.VKeyHint("log"))
		}
		logs = append(logs, Log{Origin: v.Name(), Key: k, verifier: v})
	}
	return logs, nil
}

// MergeLogs adds the --log logs to those of the logs file: a log given in
// both with the same key is listed once; with two keys it is refused.
func MergeLogs(file, flag []Log, logsFile string) ([]Log, error) {
	out := append([]Log(nil), file...)
	for _, l := range flag {
		dup := false
		for _, o := range out {
			if o.Origin != l.Origin {
				continue
			}
			if o.Key != l.Key {
				return nil, exit.New(exit.Usage, "log %q: --log gives key %s, but %s gives key %s", termsafe.Escape(l.Origin),
					termsafe.Escape(l.Key), o.where(logsFile), termsafe.Escape(o.Key)).WithHint("give each log once, with the key its operator prints")
			}
			dup = true
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out, nil
}

// where names where a log was configured: FILE:LINE, or --log.
func (l Log) where(logsFile string) string {
	if l.Line == 0 || logsFile == "" {
		return "--log"
	}
	return fmt.Sprintf("%s:%d", logsFile, l.Line)
}

// source says in words where a log's key came from, for errors.
func (l Log) source() string {
	if l.Line == 0 {
		return "--log"
	}
	return "the logs file"
}
