package e2e

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/sig"
)

// relabel-sig IN OUT ID rewrites the key_id of every signature entry of the
// bundle IN to ID and writes the result to OUT, everything else unchanged
// (the same headers, the same mtime). No signature covers key_id, so the
// signatures still verify: this is the attack of issue 8 §1, done the way an
// attacker would, on a real signed bundle.
func cmdRelabelSig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: relabel-sig IN OUT ID")
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var out bytes.Buffer
	_, err = bundle.Rewrite(bytes.NewReader(in), args[0], &out, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		var res []bundle.Entry
		for _, o := range old {
			e, err := sig.ParseEntry(o.Name, o.Data)
			if err != nil {
				return nil, err
			}
			if e.PublicKey, err = e.PublicKey.WithID(args[2]); err != nil {
				return nil, err
			}
			e.KeyID = args[2]
			name, data, err := sig.EncodeEntry(e)
			if err != nil {
				return nil, err
			}
			res = append(res, bundle.Entry{Name: name, Data: data})
		}
		return res, nil
	}, nil)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
}

// vector NAME… copies files of the conformance vectors (tests/vectors/verify,
// made by gen-verify) into the script's directory.
func cmdVector(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: vector NAME...")
	}
	for _, n := range args {
		data, err := os.ReadFile(filepath.Join("..", "vectors", "verify", filepath.Base(n)))
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(filepath.Base(n)), data, 0o644))
	}
}
