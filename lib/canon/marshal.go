package canon

import (
	"bytes"
	"fmt"

	"github.com/BurntSushi/toml"
)

// MarshalTOML returns the canonical TOML form of v: a map[string]any (see
// EncodeTOML) or a struct, or pointer to one, with BurntSushi/toml tags
// (`toml:"name,omitempty"`). A struct is encoded with BurntSushi/toml,
// decoded into the generic data model and emitted by EncodeTOML, so values
// outside the data model (floats, time.Time, out-of-range integers, non-NFC
// strings, ...) are errors. BurntSushi/toml leaves nil pointers and nil
// interface fields out, so those become absent keys.
func MarshalTOML(v any) (out []byte, err error) {
	if m, ok := v.(map[string]any); ok {
		return EncodeTOML(m)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{Msg: fmt.Sprintf("cannot encode %T: %v", v, r)}
		}
	}()
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("cannot encode %T: %s", v, tomlMessage(err)), Err: err}
	}
	doc := map[string]any{}
	if _, err := toml.Decode(buf.String(), &doc); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("cannot encode %T: %s", v, tomlMessage(err)), Err: err}
	}
	return EncodeTOML(doc)
}
