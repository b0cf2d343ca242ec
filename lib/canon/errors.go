package canon

import (
	"fmt"

	"github.com/cerro-torre/ct/lib/exit"
)

// Error is a canonical-form violation. Line is the 1-based line of the input
// document it concerns, or 0 when the error is not about an input document
// (MarshalTOML, EncodeTOML, JSON). Key is the dotted key path, with array
// indices, when known.
//
// errors.As(err, &e) with e of type *exit.Error succeeds on an *Error and
// yields Code exit.Malformed, so exit.CodeOf reports 10.
type Error struct {
	Line int
	Key  string
	Msg  string
	Err  error // underlying cause, e.g. a toml.ParseError; may be nil
}

func (e *Error) Error() string {
	s := ""
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: ", e.Line)
	}
	if e.Key != "" {
		s += fmt.Sprintf("key %q: ", e.Key)
	}
	return s + e.Msg
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// As lets errors.As find an *exit.Error with Code exit.Malformed.
func (e *Error) As(target any) bool {
	if t, ok := target.(**exit.Error); ok {
		*t = &exit.Error{Code: exit.Malformed, Msg: e.Error()}
		return true
	}
	return false
}

func errAt(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}
