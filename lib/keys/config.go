package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/exit"
)

// MaxConfigSize bounds config.toml.
const MaxConfigSize = 64 << 10

// Config is config.toml in the store (keys.md §5). Empty fields are unset.
type Config struct {
	DefaultKey string `toml:"default_key,omitempty"` // id of an own key
	Policy     string `toml:"policy,omitempty"`      // default policy file; relative to the store
	Output     string `toml:"output,omitempty"`      // "text" or "json"
	Color      string `toml:"color,omitempty"`       // "auto", "always" or "never"
}

// The settings config.toml may hold, and the values allowed for each (nil:
// any string that passes the check in ParseConfig).
var configKeys = map[string][]string{
	"default_key": nil,
	"policy":      nil,
	"output":      {"text", "json"},
	"color":       {"auto", "always", "never"},
}

func configKeyList() string {
	ks := make([]string, 0, len(configKeys))
	for k := range configKeys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// ParseConfig parses config.toml: any valid TOML (comments and any key order
// are fine, since people edit it), holding only the settings above, each a
// string with an allowed value. Every error is exit.Usage with Where
// "name:line".
func ParseConfig(data []byte, name string) (*Config, error) {
	bad := func(line int, format string, args ...any) *exit.Error {
		return exit.New(exit.Usage, format, args...).At(fmt.Sprintf("%s:%d", name, line))
	}
	if len(data) > MaxConfigSize {
		return nil, bad(1, "config file is larger than %d bytes", MaxConfigSize)
	}
	var doc map[string]any
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("invalid TOML: %v", r)
			}
		}()
		_, err = toml.Decode(string(data), &doc)
		return err
	}()
	if err != nil {
		line := 1
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line = max(pe.Position.Line, pe.Line, 1)
			return nil, bad(line, "invalid TOML: %s", pe.Message)
		}
		return nil, bad(line, "%v", err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	// Report the problem that comes first in the file.
	sort.Slice(keys, func(i, j int) bool {
		li, lj := keyLine(data, keys[i]), keyLine(data, keys[j])
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	c := &Config{}
	for _, k := range keys {
		line := keyLine(data, k)
		allowed, known := configKeys[k]
		if !known {
			return nil, bad(line, "unknown setting %q", k).WithHint("config.toml may set %s", configKeyList())
		}
		v, ok := doc[k].(string)
		if !ok {
			return nil, bad(line, "%s must be a string", k)
		}
		if allowed != nil && !contains(allowed, v) {
			return nil, bad(line, "%s = %q is not allowed", k, v).WithHint("use one of: %s", strings.Join(allowed, ", "))
		}
		switch k {
		case "default_key":
			if CheckID(v) != nil {
				return nil, bad(line, "default_key = %q is not a key id", v).
					WithHint("a key id is 1 to 64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit")
			}
			c.DefaultKey = v
		case "policy":
			if v == "" || strings.ContainsRune(v, 0) {
				return nil, bad(line, "policy must be a file path")
			}
			c.Policy = v
		case "output":
			c.Output = v
		case "color":
			c.Color = v
		}
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// keyLine finds the line on which top-level key k is first set or opened
// as a table, or 1.
func keyLine(data []byte, k string) int {
	q := regexp.QuoteMeta(k)
	re := regexp.MustCompile(`^[ \t]*(\[\[?[ \t]*)?(` + q + `|"` + q + `"|'` + q + `')[ \t]*[=.\]]`)
	for i, l := range bytes.Split(data, []byte("\n")) {
		if re.Match(l) {
			return i + 1
		}
	}
	return 1
}

// Encode returns c as canonical TOML (empty when nothing is set).
func (c *Config) Encode() ([]byte, error) {
	if *c == (Config{}) {
		return nil, nil
	}
	out, err := canon.MarshalTOML(c)
	if err != nil {
		return nil, exit.Wrap(exit.Internal, err, "cannot encode config.toml")
	}
	return out, nil
}

// ConfigPath is the store's config.toml.
func (s *Store) ConfigPath() string { return filepath.Join(s.Dir, ConfigFile) }

// PolicyPath returns the configured default policy file, resolved against
// the store folder when relative, or "" when none is set.
func (s *Store) PolicyPath(c *Config) string {
	if c.Policy == "" || filepath.IsAbs(c.Policy) {
		return c.Policy
	}
	return filepath.Join(s.Dir, c.Policy)
}

// Config reads config.toml; a missing file is an empty Config. A file that
// other users can write is refused (exit.IO with the chmod that fixes it).
func (s *Store) Config() (*Config, error) {
	p := s.ConfigPath()
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, ioErr(p, err, "cannot read")
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, exit.New(exit.IO, "config file is writable by other users (mode %04o)", fi.Mode().Perm()).At(p).
			WithHint("chmod 600 %s", p)
	}
	data, err := readFile(p, MaxConfigSize, false)
	if err != nil {
		return nil, err
	}
	return ParseConfig(data, p)
}

// SaveConfig writes config.toml atomically (mode 0600) in canonical form;
// comments in the old file are not kept.
func (s *Store) SaveConfig(c *Config) error {
	data, err := c.Encode()
	if err != nil {
		return err
	}
	// Check what we write as a reader would.
	if _, err := ParseConfig(data, s.ConfigPath()); err != nil {
		return err
	}
	return writeFile(s.ConfigPath(), data)
}
