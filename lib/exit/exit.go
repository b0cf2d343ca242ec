// Package exit holds ct's exit-code contract and the one error type that
// carries a code, the place a failure happened and a hint for what to do next.
//
// Every ct-* binary maps the error it ends with to a process exit status with
// CodeOf. The table in Codes is the single source for `--help`, the man pages
// and `--json` reports, so the numbers below are a stable interface: never
// renumber one, only add.
package exit

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Code is a process exit status with a documented meaning.
type Code int

// The exit codes. Verification failures come first (1-5) in the order of
// severity a script cares about; operational failures use 10-12; 64 follows
// sysexits.h for usage errors; 130 is what a shell reports for a command
// ended by Ctrl-C (128 + SIGINT), so a script sees the same status whether ct
// stopped itself at a prompt or was killed.
const (
	OK                 Code = 0
	HashMismatch       Code = 1
	SignatureInvalid   Code = 2
	KeyNotTrusted      Code = 3
	PolicyRejected     Code = 4
	MissingAttestation Code = 5
	Malformed          Code = 10
	IO                 Code = 11
	Network            Code = 12
	Usage              Code = 64
	Internal           Code = 70
	Cancelled          Code = 130
)

// Info describes one exit code for help texts, man pages and JSON reports.
type Info struct {
	Code     Code
	Name     string // stable machine name, used in --json output
	Summary  string // one line for --help and the man page
	Examples string // what typically causes it
}

// Codes lists every exit code in ascending order.
var Codes = []Info{
	{OK, "ok", "success", "every step completed"},
	{HashMismatch, "hash-mismatch", "hash mismatch", "a blob, the manifest or the summary does not match its digest or size"},
	{SignatureInvalid, "signature-invalid", "signature invalid", "a signature does not verify, or the bundle is unsigned"},
	{KeyNotTrusted, "key-not-trusted", "key not trusted", "signatures verify but no signer is trusted"},
	{PolicyRejected, "policy-rejected", "policy rejection", "the trust policy refuses the signer, registry, suite, threshold or pin"},
	{MissingAttestation, "missing-attestation", "missing attestation", "the policy requires an attestation the bundle lacks"},
	{Malformed, "malformed", "malformed input", "not a tar, truncated, non-canonical manifest, unknown format, duplicate or unsafe entries, an image its manifest misdescribes, an invalid key file, corrupt source archive"},
	{IO, "io", "I/O error", "a file cannot be read or written, the disk is full, a local source lacks the named image"},
	{Network, "network", "network or registry error", "registry unreachable, TLS failure, authentication refused, image not found in the registry"},
	{Usage, "usage", "usage error", "unknown command, flag, transport or malformed reference"},
	{Internal, "internal", "internal error", "a bug in ct: please report it with the command line"},
	{Cancelled, "cancelled", "cancelled", "Ctrl-C or Ctrl-D at a prompt (a passphrase, a ct policy init question), or SIGINT, SIGTERM or SIGHUP while one is open or waits for the terminal"},
}

// Lookup returns the Info for c; unknown codes get a generic entry.
func Lookup(c Code) Info {
	for _, i := range Codes {
		if i.Code == c {
			return i
		}
	}
	return Info{Code: c, Name: "unknown", Summary: fmt.Sprintf("exit code %d", int(c))}
}

// Table renders the given codes (all when none are given) as an aligned
// two-column text table for --help and man pages.
func Table(codes ...Code) string {
	var b strings.Builder
	for _, i := range Codes {
		if len(codes) > 0 && !contains(codes, i.Code) {
			continue
		}
		fmt.Fprintf(&b, "  %3d  %s: %s\n", int(i.Code), i.Summary, i.Examples)
	}
	return b.String()
}

func contains(cs []Code, c Code) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// Error is a failure with an exit code, the place it happened (a bundle path,
// an entry, a digest, a key id, a file and line) and a hint for the next step.
type Error struct {
	Code  Code
	Where string // where it failed, e.g. "bundle x.ctp, entry blobs/sha256/ab…"
	Msg   string // what failed
	Hint  string // what to do next; may be empty
	Err   error  // the underlying cause; may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.cause())
	}
	return b.String()
}

// cause is the underlying error's text, without the path an *fs.PathError
// repeats when Where already names that file ("x.ctp: cannot open bundle:
// no such file or directory", not "…: open x.ctp: no such file…").
func (e *Error) cause() string {
	if pe, ok := e.Err.(*fs.PathError); ok && pe.Path != "" &&
		(e.Where == pe.Path || strings.HasSuffix(e.Where, " "+pe.Path)) {
		return pe.Err.Error()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with code c and a formatted message.
func New(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with code c that wraps err.
func Wrap(c Code, err error, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...), Err: err}
}

// At sets Where and returns e, for chaining.
func (e *Error) At(where string) *Error { e.Where = where; return e }

// WithHint sets Hint and returns e, for chaining.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// CodeOf returns the exit code for err: OK for nil, the code of the first
// *Error in the chain, and Internal for anything else (an error that was not
// classified is a bug).
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// HintOf returns the first non-empty hint in err's chain, looking into
// joined errors too (errors.Join: kong's Context.Run joins the command's
// error with its AfterRun hooks' one), in the order errors.As does.
func HintOf(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok && e.Hint != "" {
		return e.Hint
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return HintOf(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if h := HintOf(e); h != "" {
				return h
			}
		}
	}
	return ""
}
