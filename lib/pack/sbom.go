package pack

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cerro-torre/ct/lib/attest"
	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/dispatch"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/signing"
)

// ct pack --sbom runs the ct-sbom program as a filter on the unsigned
// bundle and then signs the result, so that the SBOM attestation is signed
// by the packing key (attestations.md §9.3). ct-pack does not link syft:
// only ct-sbom does (docs/sbom.md).

// FindSBOM returns the path of the ct-sbom program: beside the running
// executable, else on PATH (as the ct front end finds commands). Missing,
// it is exit.IO naming where it looked and how to install it.
func FindSBOM() (string, error) {
	f := dispatch.NewFinder()
	if p, ok := f.Lookup("sbom"); ok {
		return p, nil
	}
	where := []string{}
	if f.ExecDir != "" {
		where = append(where, f.ExecDir)
	}
	where = append(where, "PATH")
	return "", exit.New(exit.IO, "--sbom needs the ct-sbom program, which is not installed: looked in %s", strings.Join(where, " and ")).
		WithHint("install it beside ct-pack (make install installs every ct-* program; or: go build -o DIR/ct-sbom ./ct-sbom), or pack without --sbom and run ct-sbom later: ct-pack IMG | ct-sbom | ct-sign -k KEY")
}

// writeWithSBOM writes the plan unsigned (need bytes, at the declared
// sizes) to a private temporary file, once TMPDIR has room for it and
// ct-sbom's copy, runs ct-sbom on it, and writes the result to w: signed with req.Key (which
// signs every pending attestation first), or as it is when unsigned.
func writeWithSBOM(ctx context.Context, req Request, plan *Plan, sbomPath string, need int64, w io.Writer, pw io.Writer, outErr func(error) error, res *Result) error {
	if err := plan.roomSBOM(os.TempDir(), need); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ct-pack-sbom-")
	if err != nil {
		return exit.Wrap(exit.IO, err, "cannot create a temporary folder for --sbom").WithHint("set TMPDIR to a writable folder with room for two copies of the bundle")
	}
	defer os.RemoveAll(dir)
	unsigned, withSBOM := filepath.Join(dir, "unsigned.ctp"), filepath.Join(dir, "sbom.ctp")
	f, err := os.OpenFile(unsigned, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return exit.Wrap(exit.IO, err, "cannot create a temporary file").At(unsigned)
	}
	tmpErr := func(err error) error {
		return exit.Wrap(exit.IO, err, "cannot write a temporary copy of the bundle").At(unsigned)
	}
	epoch, err := SourceDateEpoch()
	if err != nil {
		f.Close()
		return err
	}
	if holesCheap(f) {
		_, err = plan.WriteFile(ctx, f, epoch, pw, tmpErr, nil)
	} else {
		err = plan.Write(ctx, f, epoch, pw, tmpErr, nil)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = tmpErr(cerr)
	}
	if err != nil {
		return err
	}
	args := []string{unsigned, "-o", withSBOM}
	if req.Quiet {
		args = append(args, "-q")
	}
	cmd := exec.CommandContext(ctx, sbomPath, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, os.Stderr
	// The child's temporary files (ct-sbom unpacks the whole image) go into
	// this private folder, which is removed whatever happens to the child:
	// a child killed without a chance to clean up leaves nothing behind.
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	// Interrupted (Ctrl-C, SIGTERM): ask the child to stop as ct-sbom
	// stops on SIGTERM, and kill it only if it does not.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return exit.Wrap(exit.IO, ctx.Err(), "interrupted")
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			code := exit.Code(ee.ExitCode())
			if exit.Lookup(code).Name == "unknown" {
				code = exit.Internal
			}
			return exit.New(code, "ct-sbom (%s) failed with exit code %d; its message is above", sbomPath, ee.ExitCode())
		}
		return exit.Wrap(exit.IO, err, "cannot run ct-sbom").At(sbomPath)
	}
	in, err := os.Open(withSBOM)
	if err != nil {
		return exit.Wrap(exit.IO, err, "cannot open the bundle ct-sbom wrote").At(withSBOM)
	}
	defer in.Close()
	if req.Key == nil {
		br, err := bundle.NewReader(in, withSBOM)
		if err != nil {
			return err
		}
		res.Manifest = br.Manifest()
		for _, b := range res.Manifest.Blobs {
			if b.Role == bundle.RolePending && !res.has(b.Digest) {
				res.Attestations = append(res.Attestations, Attested{Digest: b.Digest, PredicateType: attest.TypeSPDX, Pending: true})
			}
		}
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			return exit.Wrap(exit.IO, err, "cannot read the bundle ct-sbom wrote").At(withSBOM)
		}
		if _, err := io.Copy(w, in); err != nil {
			return outErr(err)
		}
		return nil
	}
	signed, err := signing.SignBundle(in, "the bundle ct-sbom wrote", func() (io.ReadCloser, error) { return os.Open(withSBOM) }, w, req.Key, outErr)
	if err != nil {
		return err
	}
	res.Manifest = signed.Manifest
	for _, r := range signed.Signed { // the SBOM: the provenance was signed when attached
		res.Attestations = append(res.Attestations, Attested{Digest: r.Digest, PredicateType: r.PredicateType})
	}
	return nil
}

func (r *Result) has(digest string) bool {
	for _, a := range r.Attestations {
		if a.Digest == digest {
			return true
		}
	}
	return false
}
