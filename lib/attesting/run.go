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
	"strings"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/spool"
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
	// Make, when set, makes the predicate from the bundle itself (ct sbom)
	// instead of reading PredicateFile: it is given the bundle's bytes as
	// a section of a regular file, for positioned reads (the named input,
	// standard input redirected from a file at offset 0, or else a private
	// copy of a pipe's), after the signatures were found acceptable
	// (attestations.md §6), so that no work is done for a bundle that is
	// refused anyway.
	Make func(ctx context.Context, bundle *io.SectionReader) ([]byte, error)
	// Command names the command in hints ("ct attest" when empty).
	Command string
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
		return nil, exit.New(exit.IO, "not a regular file").At(path).
			WithHint("give --predicate a file holding one JSON object")
	}
	data, err := io.ReadAll(io.LimitReader(f, bundle.MaxStatementSize+1))
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read the predicate").At(path)
	}
	if len(data) > bundle.MaxStatementSize {
		return nil, exit.New(exit.Usage, "the predicate is over %d bytes, the most a statement may hold", bundle.MaxStatementSize).At(path).
			WithHint("a statement must fit, signed, in a %d-byte envelope: make the predicate smaller", bundle.MaxEnvelopeSize)
	}
	return data, nil
}

// Run adds the attestation. Writing to a file is atomic, and a file may be
// attested in place (Input == Output).
func Run(ctx context.Context, req Request) (*Result, error) {
	var pred []byte
	if req.Make == nil {
		var err error
		if pred, err = ReadPredicate(req.PredicateFile); err != nil {
			return nil, err
		}
	}
	cmd := req.Command
	if cmd == "" {
		cmd = "ct attest"
	}
	var added *attest.Added
	out, err := stage.Run(ctx, stage.IO{Input: req.Input, Output: req.Output, Stdin: req.Stdin, Stdout: req.Stdout, Quiet: req.Quiet,
		Verb:         "attesting",
		NamedHint:    "name a bundle (" + cmd + " … x.ctp -o y.ctp) or pipe one in (ct-pack IMG | " + strings.ReplaceAll(cmd, " ", "-") + " … | ct-sign -k KEY > x.ctp)",
		RedirectHint: "write it to a file with -o FILE.ctp, or redirect: " + cmd + " … %s > FILE.ctp"},
		func(in io.Reader, inName string, w io.Writer, werr func(error) error) error {
			// src is the bundle as a regular file, read again in place
			// with positioned reads (precheck, Make): a named file, or
			// standard input redirected from one (< FILE), never opened
			// again as /dev/stdin (which may name another file).
			var src *os.File
			if path := req.Input; path != "" && path != "-" {
				if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
					f, err := os.Open(path)
					if err != nil {
						return exit.Wrap(exit.IO, err, "cannot open bundle").At(inName)
					}
					defer f.Close()
					src = f
				}
			} else {
				src = spool.StdinFile(req.Stdin)
			}
			if src != nil {
				// A signed bundle file is refused before anything is
				// made or copied (attestations.md §6): its signatures
				// are found by seeking past the blobs.
				if err := precheck(src, inName, req.DropSignatures); err != nil {
					return err
				}
			}
			if req.Make != nil {
				if src == nil {
					// A pipe, or a FIFO or device, that cannot be read
					// again for precheck and Make: a private copy,
					// checked as it is written (lib/spool).
					f, err := spool.Copy(in, inName, "ct-attest-*.ctp")
					if err != nil {
						return err
					}
					defer f.Remove()
					if err := precheck(f.File, inName, req.DropSignatures); err != nil {
						return err
					}
					in, src = f, f.File
				}
				sr, err := section(src, inName)
				if err != nil {
					return err
				}
				if pred, err = req.Make(ctx, sr); err != nil {
					return err
				}
			}
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

// precheck reads the bundle's structure (not its content) to refuse a
// signed bundle before the predicate is made (attestations.md §6). The
// content is checked when the bundle is copied. f is read from its start
// with positioned reads: its offset does not move.
func precheck(f *os.File, name string, drop bool) error {
	sr, err := section(f, name)
	if err != nil {
		return err
	}
	br, err := bundle.NewReader(sr, name)
	if err != nil {
		return err
	}
	br.SkipContent()
	for {
		_, _, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		if err != nil {
			return br.Decide(err)
		}
	}
	sigs, err := br.Signatures()
	if err != nil {
		return err
	}
	_, _, err = attest.DropSignatures(name, sigs, br.Proofs(), drop)
	return err
}

// section returns the regular file f, from its start to its present size,
// for positioned reads.
func section(f *os.File, name string) (*io.SectionReader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, exit.Wrap(exit.IO, err, "cannot read bundle").At(name)
	}
	return io.NewSectionReader(f, 0, st.Size()), nil
}
