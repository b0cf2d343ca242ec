package logserver

import (
	"io"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/cerro-torre/ct/lib/termsafe"
)

var klogMu sync.Mutex

// LibraryLogTo sends what Tessera reports through klog to w instead of
// standard error: its warnings and errors (a witness that cannot be
// reached, a checkpoint that could not be published), one line each with
// control characters escaped (they can quote what a witness answered), and
// prefixed "ct-log: tessera: ". Its informational lines ("Initializing
// directory…", "Failed to fetch old checkpoint" on every new log) are
// dropped: ct-log says what it starts itself. A process-wide setting.
func LibraryLogTo(w io.Writer) {
	klogMu.Lock()
	defer klogMu.Unlock()
	klog.SetLoggerWithOptions(logr.Discard(), klog.WriteKlogBuffer(func(b []byte) {
		if len(b) == 0 || b[0] == 'I' { // klog's header starts with the severity: I, W, E, F
			return
		}
		var out strings.Builder
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			out.WriteString("ct-log: tessera: " + termsafe.EscapeControls(l) + "\n")
		}
		io.WriteString(w, out.String())
	}))
}
