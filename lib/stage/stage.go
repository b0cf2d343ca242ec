// Package stage is the shell of a pipeline stage that rewrites a bundle:
// ct sign and ct attest read a bundle from a file or standard input and
// write the result atomically to a file or to standard output
// (docs/cli.md, "Streams"). The shell owns what every such stage must get
// right the same way: refusing a terminal on either side, an atomic output
// file (a file may be rewritten in place), a progress bar on a terminal for
// a file input, and stopping on Ctrl-C or SIGTERM so that the partial
// output is removed.
package stage

import (
	"context"
	"io"
	"os"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/progress"
	"github.com/cerro-torre/ct/lib/spool"
)

// IO says where a stage reads and writes.
type IO struct {
	Input  string   // bundle path, or "" / "-" for Stdin
	Output string   // output path, or "" / "-" for Stdout
	Stdin  *os.File //
	Stdout *os.File //
	Quiet  bool     // no progress bar
	// Verb labels the progress bar ("signing").
	Verb string
	// NamedHint and RedirectHint are the hints for a terminal on standard
	// input and on standard output; RedirectHint may hold one %s, the input.
	NamedHint, RedirectHint string
}

// Rewrite is the stage's work: read the bundle in (named inName in
// messages), write the new one to out, and report write errors through
// werr, which names the output.
type Rewrite func(in io.Reader, inName string, out io.Writer, werr func(error) error) error

// Run runs rw between the stage's input and output and returns the output's
// name ("standard output" or the path). The output file appears only when
// rw succeeds.
func Run(ctx context.Context, s IO, rw Rewrite) (string, error) {
	var in io.Reader = s.Stdin
	inName := "-"
	var size int64 = -1
	var inStat os.FileInfo // the input's, to refuse writing it to itself
	if s.Input != "" && s.Input != "-" {
		f, err := os.Open(s.Input)
		if err != nil {
			return "", exit.Wrap(exit.IO, err, "cannot open bundle").At(s.Input).WithHint("check the path")
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size, inStat = st.Size(), st
		}
		in, inName = f, s.Input
	} else if progress.IsTerminal(s.Stdin) {
		return "", exit.New(exit.Usage, "no bundle given and standard input is a terminal").WithHint("%s", s.NamedHint)
	} else if f := spool.StdinFile(s.Stdin); f != nil {
		// < FILE: read like the named file, with positioned reads (the
		// descriptor's offset is shared with whoever else holds it).
		if st, err := f.Stat(); err == nil {
			size, inStat = st.Size(), st
			in = io.NewSectionReader(f, 0, size)
		}
	} else if s.Stdin != nil {
		inStat, _ = s.Stdin.Stat()
	}
	toStdout := s.Output == "" || s.Output == "-"
	if toStdout && progress.IsTerminal(s.Stdout) {
		return "", exit.New(exit.Usage, "refusing to write a bundle to a terminal").WithHint(s.RedirectHint, s.Input)
	}
	// ct sign - < x.ctp >> x.ctp would read what it appends, and > x.ctp
	// has emptied the input before ct runs: either way say so before a
	// byte is written. The same for -o naming a descriptor that is the
	// input file (-o /dev/stdout >> x.ctp), written in place like standard
	// output (lib/outfile).
	sameAsInput := func(out *os.File, what string) error {
		if out == nil || inStat == nil || !inStat.Mode().IsRegular() {
			return nil
		}
		if st, err := out.Stat(); err != nil || !os.SameFile(inStat, st) {
			return nil
		}
		hint := "write to another file, or rewrite the bundle in place with -o FILE (it is replaced only when complete)"
		if inStat.Size() == 0 {
			hint = "a shell's > FILE empties FILE before ct runs: get the bundle again, then " + hint
		}
		return exit.New(exit.Usage, "%s is the input bundle itself", what).At(inName).WithHint("%s", hint)
	}
	if toStdout {
		if err := sameAsInput(s.Stdout, "standard output"); err != nil {
			return "", err
		}
	}
	var out io.Writer = s.Stdout
	outName := "standard output"
	var of *outfile.File
	if !toStdout {
		var err error
		if of, err = outfile.Create(s.Output); err != nil {
			return "", err
		}
		defer of.Abort()
		if !of.Regular() {
			if err := sameAsInput(of.File, s.Output); err != nil {
				return "", err
			}
			// -o /dev/stdout (or /dev/stderr, /dev/tty) on a terminal, as
			// standard output on one above.
			if progress.IsTerminal(of.File) {
				return "", exit.New(exit.Usage, "refusing to write a bundle to a terminal (%s)", s.Output).WithHint(s.RedirectHint, s.Input)
			}
		}
		out, outName = of, s.Output
	}
	bar := progress.New(size, s.Verb, s.Quiet || size < 0)
	err := rw(bar.Reader(ctxReader{ctx, in}), inName, out, func(err error) error {
		return outfile.IOError(outName, err, "cannot write bundle")
	})
	bar.Finish()
	if err != nil {
		return "", err
	}
	// rw may have read from somewhere other than in (ct sbom spools
	// standard input to a file and reads that), so a Ctrl-C it never saw
	// still keeps the output from appearing.
	if err := ctx.Err(); err != nil {
		return "", exit.Wrap(exit.IO, err, "interrupted").At(outName).WithHint("nothing was written; run the command again")
	}
	if of != nil {
		if err := of.Commit(); err != nil {
			return "", err
		}
	}
	return outName, nil
}

// ctxReader stops reading when ctx is done (Ctrl-C), so that the deferred
// clean-up removes a partial output file.
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
