package e2e

import (
	"bytes"
	"encoding/base64"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/tlog"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

// cmdTamperProof forges the transparency proofs (log.md §4) of the log
// ORIGIN in the bundle IN, as an attacker who edits a logged bundle would,
// and writes OUT. Each proof entry stays well formed (canonical TOML, a
// signed note); only one bit of what it proves changes:
//
//	path        the first hash of the inclusion proof (the proof must have one)
//	root        the root hash in the checkpoint's body
//	cosig=NAME  the signature bytes of witness NAME's cosignature line
//
// It fails when the bundle has no proof of ORIGIN or the part to change is
// absent, so a script cannot "forge" nothing.
//
//	tamper-proof IN ORIGIN path|root|cosig=NAME OUT
func cmdTamperProof(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: tamper-proof IN ORIGIN path|root|cosig=NAME OUT")
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	br, err := bundle.NewReader(bytes.NewReader(in), args[0])
	ts.Check(err)
	_, err = br.Finish()
	ts.Check(err)
	var forged []bundle.Entry
	for _, e := range br.Proofs() {
		p, err := tlog.ParseProof(e.Name, e.Data)
		ts.Check(err)
		if p.Origin != args[1] {
			continue
		}
		switch what := args[2]; {
		case what == "path":
			if len(p.InclusionProof) == 0 {
				ts.Fatalf("tamper-proof: %s: the inclusion proof is empty (a tree of one leaf)", e.Name)
			}
			p.InclusionProof[0][0] ^= 1
		case what == "root":
			lines := strings.SplitN(string(p.Checkpoint), "\n", 4)
			if len(lines) < 4 {
				ts.Fatalf("tamper-proof: %s: checkpoint has no root line", e.Name)
			}
			lines[2] = flipBase64(ts, lines[2], 0)
			p.Checkpoint = []byte(strings.Join(lines, "\n"))
		case strings.HasPrefix(what, "cosig="):
			prefix := "— " + strings.TrimPrefix(what, "cosig=") + " "
			lines := strings.Split(string(p.Checkpoint), "\n")
			found := false
			for i, l := range lines {
				if strings.HasPrefix(l, prefix) {
					// key hash (4) || timestamp (8) || signature: change the signature's last byte
					lines[i] = prefix + flipBase64(ts, strings.TrimPrefix(l, prefix), -1)
					found = true
				}
			}
			if !found {
				ts.Fatalf("tamper-proof: %s: no line %q in the checkpoint", e.Name, prefix)
			}
			p.Checkpoint = []byte(strings.Join(lines, "\n"))
		default:
			ts.Fatalf("tamper-proof: %q is not path, root or cosig=NAME", what)
		}
		name, data, err := tlog.EncodeProof(p)
		ts.Check(err)
		forged = append(forged, bundle.Entry{Name: name, Data: data})
	}
	if len(forged) == 0 {
		ts.Fatalf("tamper-proof: %s has no proof of log %q", args[0], args[1])
	}
	var out bytes.Buffer
	ts.Check(tlogtest.AddProofs(bytes.NewReader(in), args[0], &out, forged...))
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), out.Bytes(), 0o644))
}

// flipBase64 flips the lowest bit of byte i (from the end when negative) of
// the standard base64 string s.
func flipBase64(ts *testscript.TestScript, s string, i int) string {
	b, err := base64.StdEncoding.DecodeString(s)
	ts.Check(err)
	if i < 0 {
		i += len(b)
	}
	if i < 0 || i >= len(b) {
		ts.Fatalf("tamper-proof: %q has no byte %d", s, i)
	}
	b[i] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}
