package source

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registryText is a registry's error response told in words: what the
// registry said and its details, without Go's rendering of them
// ("map[Tag:bookworm]") and without the request URL (the message's "where"
// names the image). It unwraps to the transport error, so classification
// by code still works.
type registryText struct {
	te    *transport.Error
	known string // the message's "where": details it already names are not repeated
}

func (r registryText) Unwrap() error { return r.te }

func (r registryText) Error() string {
	var parts []string
	for _, d := range r.te.Errors {
		msg := strings.TrimSpace(d.Message)
		if msg == "" {
			msg = strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " "))
		}
		if det := detailText(d.Detail, r.known); det != "" {
			msg += " (" + det + ")"
		}
		parts = append(parts, msg)
	}
	status := fmt.Sprintf("HTTP %d", r.te.StatusCode)
	if t := http.StatusText(r.te.StatusCode); t != "" {
		status += " " + t
	}
	if len(parts) == 0 {
		return "the registry answered " + status
	}
	return "the registry said: " + strings.Join(parts, "; ") + " (" + status + ")"
}

// detailText renders a diagnostic's free-form detail: "tag bookworm" for
// {"Tag":"bookworm"}, the value for a string, nothing for what it cannot
// show briefly or what known (the message's "where") already says.
func detailText(d any, known string) string {
	switch v := d.(type) {
	case nil:
		return ""
	case string:
		if strings.Contains(known, v) {
			return ""
		}
		return bound(v)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			switch x := v[k].(type) {
			case string:
				if x != "" && !strings.Contains(known, x) {
					out = append(out, strings.ToLower(k)+" "+bound(x))
				}
			case float64, bool:
				out = append(out, fmt.Sprintf("%s %v", strings.ToLower(k), x))
			}
		}
		return strings.Join(out, ", ")
	}
	return ""
}

// bound cuts s at 200 bytes for a message.
func bound(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// refReason says why s is not a registry reference, in words: ggcr's
// ParseReference says only "could not parse reference"; its tag and digest
// parsers know the reason.
func refReason(s string) string {
	var err error
	if strings.Contains(s, "@") {
		_, err = name.NewDigest(s)
	} else {
		_, err = name.NewTag(s)
	}
	if err == nil {
		return "not a valid reference"
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "repository can only contain"):
		return fmt.Sprintf("repository %q: only lowercase letters, digits and _ - . / are allowed", after(msg))
	case strings.HasPrefix(msg, "tag can only contain"):
		return fmt.Sprintf("tag %q: only letters, digits and _ - . are allowed", after(msg))
	case strings.HasPrefix(msg, "could not parse reference"):
		return "not a valid reference"
	}
	return msg
}

// after returns what follows ggcr's "…characters `…`: " prefix.
func after(msg string) string {
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// netText is a network failure told briefly: "connection refused", "no
// such host", without Go's request URLs (the message's where
// names the registry). It unwraps to the original error.
type netText struct {
	msg string
	err error
}

func (n netText) Error() string { return n.msg }
func (n netText) Unwrap() error { return n.err }

// netReason returns err told briefly, or err itself when it has no
// well-known cause.
func netReason(err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return netText{"no such host " + dnsErr.Name, err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return netText{"connection refused", err}
	case errors.Is(err, syscall.ECONNRESET):
		return netText{"connection reset", err}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return netText{"host unreachable", err}
	case errors.Is(err, syscall.ENETUNREACH):
		return netText{"network unreachable", err}
	}
	return err
}

// IsNotFound reports whether a registry said there is no such manifest
// (404, or the MANIFEST_UNKNOWN error code): ct pack --with-referrers and
// ct push both ask whether a tag or manifest exists.
func IsNotFound(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return true
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode {
				return true
			}
		}
	}
	return false
}
