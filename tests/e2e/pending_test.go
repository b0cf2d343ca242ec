package e2e

import (
	"bytes"
	"io"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/passphrase"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/signing"
)

// cmdSignRaw signs IN's manifest.toml as it is with the unencrypted private
// key file KEY and writes OUT, as a non-conforming signer would: it does
// not replace pending attestations first (attestations.md §9.3), so a
// bundle with one becomes a signed bundle that still lists it.
//
//	sign-raw IN KEY OUT
func cmdSignRaw(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: sign-raw IN KEY OUT")
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	k, err := signing.LoadKey(ts.MkAbs(args[1]), "", passphrase.Source{})
	ts.Check(err)
	br, err := bundle.NewReader(bytes.NewReader(in), args[0])
	ts.Check(err)
	var out bytes.Buffer
	bw, err := bundle.NewWriter(&out, br.Manifest(), bundle.WriterOptions{ModTime: br.ModTime()})
	ts.Check(err)
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		ts.Check(bw.WriteBlob(b.Digest, rd))
	}
	e, _, err := sig.BundleEntry(k, bw.ManifestBytes())
	ts.Check(err)
	ts.Check(bw.WriteSignatures([]bundle.Entry{e}))
	ts.Check(bw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), out.Bytes(), 0o644))
}
