package e2e

import (
	"bytes"
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

// cmdAddProof adds to the signed bundle IN a well-formed transparency proof
// (bundle.md §6.1, log.md §4) of each of its signatures in the log ORIGIN,
// whose checkpoint is signed by a fixed test log key and cosigned by N
// fixed test witness keys (w1…wN), and writes OUT (which may be IN): a
// logged bundle without a log server, for the scripts that check that
// proofs travel with their bundle.
//
//	add-proof IN ORIGIN N OUT
func cmdAddProof(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: add-proof IN ORIGIN N OUT")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 0 || n > 9 {
		ts.Fatalf("add-proof: N is 0 to 9, not %q", args[2])
	}
	seed := func(b byte) *keys.PrivateKey {
		k, err := keys.NewPrivateKeyFromSeed(keys.SuiteEd25519, "test", bytes.Repeat([]byte{b}, 32))
		ts.Check(err)
		return k
	}
	var witnesses []*keys.PrivateKey
	for i := 0; i < n; i++ {
		witnesses = append(witnesses, seed(byte(0x40+i)))
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	out, err := tlogtest.AddProofFile(in, args[1], seed(0x30), witnesses...)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), out, 0o644))
}
