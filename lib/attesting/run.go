// Package attesting runs `ct attest`: it reads a bundle (a file or standard
// input), adds one signed attestation with lib/attest, and writes the bundle
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
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/progress"
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
	var in io.Reader = req.Stdin
	inName := "-"
	var size int64 = -1
	if req.Input != "" && req.Input != "-" {
		f, err := os.Open(req.Input)
		if err != nil {
			return nil, exit.Wrap(exit.IO, err, "cannot open bundle").At(req.Input).WithHint("check the path")
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in, inName = f, req.Input
	} else if progress.IsTerminal(req.Stdin) {
		return nil, exit.New(exit.Usage, "no bundle given and standard input is a terminal").
			WithHint("name a bundle (ct attest --predicate F --type T -k KEY x.ctp -o y.ctp) or pipe one in (ct-pack IMG --no-sign | ct-attest … | ct-sign -k KEY > x.ctp)")
	}
	toStdout := req.Output == "" || req.Output == "-"
	if toStdout && progress.IsTerminal(req.Stdout) {
		return nil, exit.New(exit.Usage, "refusing to write a bundle to a terminal").
			WithHint("write it to a file with -o FILE.ctp, or redirect: ct attest … %s > FILE.ctp", req.Input)
	}
	var out io.Writer = req.Stdout
	outName := "standard output"
	var of *outfile.File
	if !toStdout {
		if of, err = outfile.Create(req.Output); err != nil {
			return nil, err
		}
		defer of.Abort()
		out, outName = of, req.Output
	}
	bar := progress.New(size, "attesting", req.Quiet || size < 0)
	added, err := attest.AddToBundle(bar.Reader(ctxReader{ctx, in}), inName, out,
		attest.AddRequest{Key: req.Key, PredicateType: req.PredicateType, Predicate: pred, DropSignatures: req.DropSignatures},
		func(err error) error { return outfile.IOError(outName, err, "cannot write bundle") })
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if of != nil {
		if err := of.Commit(); err != nil {
			return nil, err
		}
	}
	return &Result{Output: outName, Added: added}, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, exit.Wrap(exit.IO, err, "interrupted")
	}
	return c.r.Read(p)
}
