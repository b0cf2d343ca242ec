// Package attesting runs `ct attest`: it reads a bundle (a file or standard
// input), adds one attestation with lib/attest (signed with a key, or
// pending without one), and writes the bundle
// atomically to a file or to standard output (docs/cli.md). It is apart from
// lib/attest so that the verifier, which links lib/attest, links none of
// the key-loading and output machinery.
package attesting

import (
	"context"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/stage"
)

// Request says what to attest and where.
type Request struct {
	Input          string   // bundle path, or "" / "-" for Stdin
	Output         string   // output path, or "" / "-" for Stdout
	Stdin          *os.File //
	Stdout         *os.File //
	Key            *keys.PrivateKey
	PredicateFile  string // "-" is not allowed: standard input carries the bundle
	PredicateType  string
	DropSignatures bool
	Quiet          bool
}

// Result describes the bundle written.
type Result struct {
	Output string
	*attest.Added
}

// ReadPredicate reads a predicate file of at most the envelope limit.
func ReadPredicate(path string) ([]byte, error) {
	if path == "" || path == "-" {
		return nil, exit.New(exit.Usage, "--predicate FILE is required (standard input carries the bundle)").
			WithHint("ct attest --predicate sbom.spdx.json --type https://spdx.dev/Document -k KEY x.ctp -o y.ctp")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot open the predicate").At(path).WithHint("check the path")
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, exit.New(exit.IO, "not a regular file").At(path)
	}
	data, err := io.ReadAll(io.LimitReader(f, bundle.MaxEnvelopeSize+1))
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the predicate").At(path)
	}
	if len(data) > bundle.MaxEnvelopeSize*3/4 {
		return nil, exit.New(exit.Usage, "the predicate is %d bytes; an envelope holds at most about 12 MiB of predicate", len(data)).At(path)
	}
	return data, nil
}

// Run adds the attestation. Writing to a file is atomic, and a file may be
// attested in place (Input == Output).
func Run(ctx context.Context, req Request) (*Result, error) {
	pred, err := ReadPredicate(req.PredicateFile)
	if err != nil {
		return nil, err
	}
	var added *attest.Added
	out, err := stage.Run(ctx, stage.IO{Input: req.Input, Output: req.Output, Stdin: req.Stdin, Stdout: req.Stdout, Quiet: req.Quiet,
		Verb:         "attesting",
		NamedHint:    "name a bundle (ct attest --predicate F --type T -k KEY x.ctp -o y.ctp) or pipe one in (ct-pack IMG --no-sign | ct-attest … | ct-sign -k KEY > x.ctp)",
		RedirectHint: "write it to a file with -o FILE.ctp, or redirect: ct attest … %s > FILE.ctp"},
		func(in io.Reader, inName string, w io.Writer, werr func(error) error) error {
			var err error
			added, err = attest.AddToBundle(in, inName, w,
				attest.AddRequest{Key: req.Key, PredicateType: req.PredicateType, Predicate: pred, DropSignatures: req.DropSignatures}, werr)
			return err
		})
	if err != nil {
		return nil, err
	}
	return &Result{Output: out, Added: added}, nil
}
