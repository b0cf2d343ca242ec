// Package witnessserver is ct-witness: a C2SP tlog-witness that cosigns a
// log's checkpoints once it has checked them consistent with what it saw
// before, keeping that state in sqlite.
package witnessserver

import (
	_ "github.com/transparency-dev/witness/witness"
	_ "github.com/transparency-dev/witness/persistence/sqlite"
)
