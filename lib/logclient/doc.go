// Package logclient talks to transparency logs for ct: it submits leaves and
// builds proof entries (ct sign --log, ct log submit), and follows a log for
// a key's owner (ct log monitor). It links HTTP code; ct-verify must not
// import it.
package logclient

import (
	_ "github.com/transparency-dev/tessera/client"
)
