// Package witnessserver is ct-witness: a C2SP tlog-witness that cosigns a
// log's checkpoints once it has checked them consistent with what it saw
// before, keeping that state in sqlite (docs/witness.md).
//
// It embeds github.com/transparency-dev/witness with its sqlite
// persistence and serves only POST /add-checkpoint, on 127.0.0.1 unless
// told otherwise, with every request bounded (body, timeouts, requests in
// flight).
package witnessserver
