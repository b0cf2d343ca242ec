// Package logserver is ct-log serve: a Tessera transparency log whose
// entries are ct leaves (lib/tlog), served as C2SP tlog-tiles with an add
// endpoint (docs/spec/log.md, docs/log-server.md).
//
// The HTTP surface is exactly:
//
//	POST /add                  one encoded leaf; 200 "<index>\n" once sequenced
//	GET  /checkpoint           the latest signed (and cosigned) checkpoint
//	GET  /tile/<L>/<N>[.p/<W>] a Merkle tile
//	GET  /tile/entries/<N>[.p/<W>] an entry bundle
//
// Everything is read through Tessera's LogReader, for the POSIX directory
// as for MySQL, so the POSIX driver's private .state/ folder is never
// reachable. Every request is bounded: body size (tlog.MaxLeafSize), the
// server's header/read/write/idle timeouts, a per-request deadline and a
// limit on requests in flight (429 beyond it, as for Tessera's pushback).
package logserver
