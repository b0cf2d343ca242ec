// Package logserver is ct-log: a Tessera transparency log served as C2SP
// tlog-tiles, with an add endpoint for ct leaves (docs/spec/log.md).
package logserver

import (
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/transparency-dev/tessera"
	_ "github.com/transparency-dev/tessera/storage/mysql"
	_ "github.com/transparency-dev/tessera/storage/posix"
)
