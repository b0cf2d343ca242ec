package logclient

import (
	"context"
	"github.com/cerro-torre/ct/lib/policy"
	"io"
	"os"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/outfile"
	"github.com/cerro-torre/ct/lib/spool"
	"github.com/cerro-torre/ct/lib/stage"
	"github.com/cerro-torre/ct/lib/tlog"
)

// Flags are the submission flags shared by ct log submit and ct sign --log
// (docs/cli.md): the logs, whom to trust, and how long to wait.
type Flags struct {
	Log     []string      `name:"log" sep:"none" placeholder:"URL" help:"A log to record the signatures in: its base URL (repeatable: every signature goes to every log)."`
	LogKey  []string      `name:"log-key" sep:"none" placeholder:"VKEY" help:"The log's note verifier key, or a file holding it (its operator prints it: ct-log serve --print-vkey > log.vkey), one per --log, in the same order."`
	Witness []string      `name:"witness" sep:"none" placeholder:"VKEY" help:"A witness's cosignature/v1 verifier key, or a file holding it (ct-witness serve --print-vkey; the key alone, not ct-log serve's VKEY=URL), repeatable: its cosignatures count toward --quorum."`
	Quorum  int           `name:"quorum" default:"-1" placeholder:"N" help:"Wait for a checkpoint cosigned by N of the --witness keys (default: all of them; 0 waits for the log's signature only)."`
	Policy  string        `name:"policy" placeholder:"FILE" help:"Take the log keys, witness keys and quorum from the transparency section of this policy.json instead."`
	Timeout time.Duration `name:"timeout" default:"30s" placeholder:"DURATION" help:"How long to wait for each log's witnessed checkpoint before giving up (exit 12)."`
}

// Options turns the flags into submission options: the keys from the flags
// or from the policy (not both).
func (f *Flags) Options() (Options, error) {
	o := Options{Logs: f.Log, Timeout: f.Timeout}
	if f.Policy != "" {
		if len(f.LogKey) > 0 || len(f.Witness) > 0 || f.Quorum >= 0 {
			return o, exit.New(exit.Usage, "--policy and --log-key/--witness/--quorum both given").
				WithHint("take the keys from the policy, or give them as flags, not both")
		}
		t, err := PolicyTrust(f.Policy)
		if err != nil {
			return o, err
		}
		o.Trust = t
		// One log, and the policy trusts one: no need to ask the log its
		// origin (so that submitting again asks it nothing).
		o.Paired = len(t.LogKeys) == 1 && len(f.Log) == 1
	} else {
		logKeys, err := vkeyArgs(f.LogKey, "log")
		if err != nil {
			return o, err
		}
		witnesses, err := vkeyArgs(f.Witness, "witness")
		if err != nil {
			return o, err
		}
		o.Trust = Trust{LogKeys: logKeys, Witnesses: witnesses, Quorum: f.Quorum}
		if f.Quorum < 0 {
			o.Trust.Quorum = len(f.Witness)
		}
		o.Paired = true
	}
	return o, o.Check()
}

// vkeyArgs resolves --log-key or --witness values: each a key, or a file
// holding one (tlog.VKeyArg), as --print-vkey writes it.
func vkeyArgs(args []string, what string) ([]string, error) {
	var out []string
	for _, a := range args {
		k, err := tlog.VKeyArg(a, what)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// PolicyTrust reads the transparency section of a policy.json (policy.md):
// the trusted logs' keys, the witnesses' keys and the witness quorum.
func PolicyTrust(path string) (Trust, error) {
	// The same parser as ct verify's (lib/policy, policy.md §4.6), so a
	// policy submit accepts is one verify reads the same way.
	p, err := policy.Load(path)
	if err != nil {
		return Trust{}, err
	}
	if p.Transparency == nil || len(p.Transparency.Logs) == 0 {
		return Trust{}, exit.New(exit.Usage, "the policy has no transparency section listing logs").At(path).WithHint("%s", KeyHint)
	}
	var t Trust
	for _, l := range p.Transparency.Logs {
		t.LogKeys = append(t.LogKeys, l.Key)
	}
	for _, w := range p.Transparency.Witnesses {
		t.Witnesses = append(t.Witnesses, w.Key)
	}
	t.Quorum = p.Transparency.WitnessQuorum
	return t, nil
}

// Request is one ct log submit (or ct log strip) run.
type Request struct {
	Input  string   // bundle path, or "" / "-" for Stdin
	Output string   // output path, or "" / "-" for Stdout
	Stdin  *os.File //
	Stdout *os.File //
	Quiet  bool
}

// io is the stage shell of a request.
func (r Request) io(verb, named, redirect string) stage.IO {
	return stage.IO{Input: r.Input, Output: r.Output, Stdin: r.Stdin, Stdout: r.Stdout, Quiet: r.Quiet,
		Verb: verb, NamedHint: named, RedirectHint: redirect}
}

// Run submits the bundle of req (Submit) and writes the result atomically
// to the output file (which may be the input) or, once complete, to
// standard output: a failed submission writes nothing.
func Run(ctx context.Context, req Request, opt Options) (*Result, string, error) {
	if err := opt.Check(); err != nil {
		return nil, "", err
	}
	var res *Result
	out, err := stage.Run(ctx, req.io("submitting",
		"name a bundle (ct log submit app.ctp --log URL …) or pipe one in (ct log submit - --log URL … < a.ctp > b.ctp)",
		"write it to a file with -o FILE.ctp, or redirect: ct log submit %s … > FILE.ctp"),
		func(in io.Reader, inName string, w io.Writer, werr func(error) error) error {
			return Spooled(w, inName, werr, func(w io.Writer) error {
				var err error
				res, err = Submit(ctx, in, inName, w, opt, werr)
				return err
			})
		})
	return res, out, err
}

// Spooled runs write into w, except that when w is not a file it writes to
// a temporary file first and copies it to w only when write succeeds: a
// failure that comes after the blobs (a log that is down) writes nothing to
// a pipe either. The file is made once the bundle's head is written, if
// TMPDIR has room for what its manifest.toml declares (lib/spool); name
// names the bundle in messages.
func Spooled(w io.Writer, name string, werr func(error) error, write func(io.Writer) error) error {
	if f, ok := w.(*outfile.File); ok && f.Regular() {
		return write(w) // appears only on success
	}
	// Standard output, or -o naming a FIFO or device (written in place):
	// spool, so that a reader sees a whole bundle or nothing.
	d := spool.NewDeferred(name, "ct-log-*.ctp", "write to a file with -o")
	defer d.Remove()
	if err := write(d); err != nil {
		return err
	}
	tmp, err := d.File()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return werr(err)
	}
	return nil
}

// StripRun removes the transparency/ entries of the bundle of req.
func StripRun(ctx context.Context, req Request) (int, string, error) {
	var n int
	out, err := stage.Run(ctx, req.io("stripping",
		"name a bundle (ct log strip app.ctp) or pipe one in (ct log strip - < a.ctp > b.ctp)",
		"write it to a file with -o FILE.ctp, or redirect: ct log strip %s > FILE.ctp"),
		func(in io.Reader, inName string, w io.Writer, werr func(error) error) error {
			var err error
			n, err = Strip(in, inName, w, werr)
			return err
		})
	return n, out, err
}

// SubmitDocument is the ct.log-submit/1 report (docs/json/log-submit.schema.json).
type SubmitDocument struct {
	Schema string        `json:"schema"`
	Bundle string        `json:"bundle"` // the output's path, or "-"
	Proofs []ProofReport `json:"proofs"`
}

// ProofReport is one signature in one log.
type ProofReport struct {
	Fingerprint string   `json:"fingerprint"`
	Log         string   `json:"log"`
	Origin      string   `json:"origin"`
	Index       uint64   `json:"index"`
	TreeSize    uint64   `json:"treeSize"`
	Witnesses   []string `json:"witnesses"`
	Kept        bool     `json:"kept"`
}

// SubmitDoc is the report of res, written to bundle.
func SubmitDoc(bundle string, res *Result) SubmitDocument {
	d := SubmitDocument{Schema: "ct.log-submit/1", Bundle: bundle, Proofs: []ProofReport{}}
	for _, o := range res.Outcomes {
		w := o.Witnesses
		if w == nil {
			w = []string{}
		}
		d.Proofs = append(d.Proofs, ProofReport{Fingerprint: o.Fingerprint.String(), Log: o.Log, Origin: o.Origin,
			Index: o.Index, TreeSize: o.TreeSize, Witnesses: w, Kept: o.Kept})
	}
	return d
}

// Then is the step ct sign --log runs after signing (signing.Request.Then):
// it submits the signed bundle read from in and writes it with its proofs
// to out (through a temporary file when out is not an output file, so that
// a failed submission writes nothing); res receives the result.
func Then(ctx context.Context, opt Options, res *Result) func(in io.Reader, name string, out io.Writer, werr func(error) error) error {
	return func(in io.Reader, name string, out io.Writer, werr func(error) error) error {
		return Spooled(out, name, werr, func(w io.Writer) error {
			r, err := Submit(ctx, in, name, w, opt, werr)
			if r != nil {
				*res = *r
			}
			return err
		})
	}
}
