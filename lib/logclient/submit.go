package logclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	f_note "github.com/transparency-dev/formats/note"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

// Limits of what a log may send back (log.md): a checkpoint note and a tile
// are a few KiB; anything bigger is not a log speaking tlog-tiles.
const (
	maxResponse = 64 << 10
	// DefaultTimeout bounds the whole submission to one log (--timeout).
	DefaultTimeout = 30 * time.Second
	// DefaultPoll is how often the log's checkpoint is read while waiting.
	DefaultPoll = 200 * time.Millisecond
)

// KeyHint tells the user where a log's key comes from.
const KeyHint = "give the log's verifier key with --log-key VKEY (its operator prints it with ct-log serve --print-vkey), or a policy whose transparency section lists the log (--policy FILE)"

// Trust is what a submitter checks a log's answer against: the logs' note
// verifier keys (each named by its log's origin), the witnesses'
// cosignature/v1 verifier keys, and how many distinct witnesses must have
// cosigned the checkpoint a proof is built on.
type Trust struct {
	LogKeys   []string
	Witnesses []string
	Quorum    int
}

// Options is one submission: the logs (base URLs of the tlog-tiles and add
// API), what to trust, and how long to wait for each log.
type Options struct {
	Logs  []string
	Trust Trust
	// Paired says LogKeys[i] is the key of Logs[i] (the --log-key flags);
	// otherwise a log's origin is read from its checkpoint and its key
	// looked up by origin (a policy).
	Paired  bool
	Timeout time.Duration // per log; DefaultTimeout when 0
	Poll    time.Duration // DefaultPoll when 0
	// Client is the HTTP client (tests); nil is a bounded client that
	// follows no redirect to another host.
	Client *http.Client
	// Status receives one line per signature and log, for standard error.
	Status func(line string)
}

// Outcome is what happened to one signature in one log.
type Outcome struct {
	Fingerprint keys.Fingerprint
	Log         string // the URL
	Origin      string
	Index       uint64
	TreeSize    uint64   // of the checkpoint in the proof
	Witnesses   []string // names of the trusted witnesses that cosigned it
	Kept        bool     // the bundle already held a verifying proof: the log was not asked
}

// Result is a finished submission.
type Result struct {
	Manifest *bundle.Manifest
	Outcomes []Outcome
}

// Check refuses options that cannot work, before anything is read.
func (o *Options) Check() error {
	if len(o.Logs) == 0 {
		return exit.New(exit.Usage, "no log to submit to").WithHint("name a log with --log URL (repeatable)")
	}
	for _, l := range o.Logs {
		if _, err := logURL(l); err != nil {
			return err
		}
	}
	if len(o.Trust.LogKeys) == 0 {
		return exit.New(exit.Usage, "the log's key is not known, so its checkpoint cannot be checked").WithHint("%s", KeyHint)
	}
	if o.Paired && len(o.Trust.LogKeys) != len(o.Logs) {
		return exit.New(exit.Usage, "%d --log and %d --log-key: give each log's key, in the same order as the logs", len(o.Logs), len(o.Trust.LogKeys)).WithHint("%s", KeyHint)
	}
	seen := map[string]bool{}
	for _, w := range o.Trust.Witnesses {
		name, _, _ := strings.Cut(w, "+")
		if seen[name] {
			return exit.New(exit.Usage, "witness %q is given twice", termsafe.Escape(name)).
				WithHint("give each witness once: the quorum counts distinct witnesses, so a repeated one could never meet it")
		}
		seen[name] = true
	}
	if o.Trust.Quorum < 0 || o.Trust.Quorum > len(o.Trust.Witnesses) {
		return exit.New(exit.Usage, "a quorum of %d witnesses, but %d witness keys are given", o.Trust.Quorum, len(o.Trust.Witnesses)).
			WithHint("give each witness's cosignature key with --witness VKEY, and --quorum at most their number")
	}
	if _, err := o.trust(); err != nil {
		return err
	}
	return nil
}

func (o *Options) trust() (*tlog.Trust, error) {
	logs := map[string]string{}
	for _, k := range o.Trust.LogKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, exit.New(exit.Usage, "log key %q is not a note verifier key: %v", termsafe.Escape(k), err).WithHint("%s", KeyHint)
		}
		if prev, ok := logs[v.Name()]; ok && prev != k {
			return nil, exit.New(exit.Usage, "two keys for log %q", termsafe.Escape(v.Name()))
		}
		logs[v.Name()] = k
	}
	t, err := tlog.NewTrust(logs, o.Trust.Witnesses)
	if err != nil {
		return nil, exit.Wrap(exit.Usage, err, "bad log or witness key")
	}
	return t, nil
}

func logURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, exit.New(exit.Usage, "log URL %q is not an http:// or https:// base URL", termsafe.Escape(s)).
			WithHint("--log takes the log's base URL, e.g. https://log.example/ct (its /checkpoint and /add are below it)")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// Submit copies the bundle read from in (named name in messages) to out,
// adding for every signature entry a proof from every log of opt
// (log.md): it posts the signature's leaf to the log, waits for a
// checkpoint of the log that covers it and carries the required witness
// cosignatures, builds the inclusion proof and checks it with tlog.Verify
// before it is written. A proof the bundle already has for a signature and
// log that verifies and meets the quorum is kept and the log is not asked.
// Nothing but the transparency/ entries changes.
func Submit(ctx context.Context, in io.Reader, name string, out io.Writer, opt Options, outErr func(error) error) (*Result, error) {
	if err := opt.Check(); err != nil {
		return nil, err
	}
	res := &Result{}
	var manifest []byte
	m, err := bundle.RewriteProofs(in, name, out, func(_ *bundle.Manifest, mb []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		if len(old) == 0 {
			return nil, exit.New(exit.Usage, "the bundle has no signature to record in a log").At(name).
				WithHint("sign it first (ct sign -k KEY %s, or ct sign -k KEY --log URL to sign and submit at once)", name)
		}
		manifest = mb
		return old, nil
	}, func(_ *bundle.Manifest, sigs, old []bundle.Entry) ([]bundle.Entry, error) {
		proofs, outcomes, err := opt.submitAll(ctx, name, manifest, sigs, old)
		res.Outcomes = outcomes
		return proofs, err
	}, outErr)
	if err != nil {
		return nil, err
	}
	res.Manifest = m
	return res, nil
}

// job is one signature to record.
type job struct {
	entry *sig.Entry
	leaf  []byte
}

func (opt *Options) submitAll(ctx context.Context, name string, manifest []byte, sigs, old []bundle.Entry) ([]bundle.Entry, []Outcome, error) {
	trust, err := opt.trust()
	if err != nil {
		return nil, nil, err
	}
	vs, err := opt.verifiers()
	if err != nil {
		return nil, nil, err
	}
	var jobs []job
	for _, s := range sigs {
		e, err := sig.ParseEntry(s.Name, s.Data)
		if err != nil {
			return nil, nil, err
		}
		// A log keeps what it is sent for ever: a signature that does not
		// verify over this manifest (altered, or copied from another
		// bundle) is sent to none, and would only raise a false "forged"
		// alarm for its key's monitors (log.md §6.1).
		if err := sig.VerifySelf(e, manifest); err != nil {
			return nil, nil, exit.Wrap(exit.SignatureInvalid, err, "signature does not verify; nothing was sent to any log").At("bundle " + name + ", entry " + s.Name).
				WithHint("the bundle or its signature was altered after signing: fetch it again from its source, or re-sign it (ct sign -k KEY)")
		}
		leaf, err := tlog.EntryLeaf(e)
		if err != nil {
			return nil, nil, exit.Wrap(exit.Malformed, err, "cannot make the log leaf of the signature").At(s.Name)
		}
		jobs = append(jobs, job{entry: e, leaf: leaf})
	}
	existing := map[string]*tlog.Proof{} // by entry name
	for _, p := range old {
		pr, err := tlog.ParseProof(p.Name, p.Data)
		if err != nil {
			return nil, nil, err
		}
		existing[p.Name] = pr
	}
	client := opt.Client
	if client == nil {
		client = newClient()
	}
	type logRun struct {
		proofs   map[string][]byte
		outcomes []Outcome
		err      error
	}
	runs := make([]logRun, len(opt.Logs))
	// The first log to fail decides, and stops the others.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for i, l := range opt.Logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &logSubmitter{opt: opt, url: l, client: client, trust: trust, keys: vs, name: name}
			if opt.Paired {
				v, _ := note.NewVerifier(opt.Trust.LogKeys[i])
				s.origin = v.Name()
			}
			runs[i].proofs, runs[i].outcomes, runs[i].err = s.run(lctx, jobs, existing)
			if runs[i].err != nil {
				mu.Lock()
				if first == nil {
					first = runs[i].err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, exit.Wrap(exit.IO, err, "interrupted").WithHint("nothing was written; run the command again")
	}
	if first != nil {
		return nil, nil, first
	}
	var outcomes []Outcome
	all := map[string][]byte{}
	for _, p := range old {
		all[p.Name] = p.Data
	}
	for _, r := range runs {
		outcomes = append(outcomes, r.outcomes...)
		for n, d := range r.proofs {
			all[n] = d
		}
	}
	var entries []bundle.Entry
	for n, d := range all {
		entries = append(entries, bundle.Entry{Name: n, Data: d})
	}
	slices.SortFunc(entries, func(a, b bundle.Entry) int { return strings.Compare(a.Name, b.Name) })
	return bundle.KeepProofs(entries, sigs), outcomes, nil
}

// logSubmitter records the signatures in one log.
type logSubmitter struct {
	opt    *Options
	url    string
	origin string // known from a paired key, else read from the checkpoint
	client *http.Client
	trust  *tlog.Trust
	keys   *verifiers
	name   string // the bundle, for messages
	base   *url.URL
}

func (s *logSubmitter) status(format string, args ...any) {
	if s.opt.Status != nil {
		s.opt.Status(fmt.Sprintf(format, args...))
	}
}

func (s *logSubmitter) netErr(err error, format string, args ...any) *exit.Error {
	return exit.Wrap(exit.Network, err, "log %s: %s", termsafe.Escape(s.url), fmt.Sprintf(format, args...)).
		WithHint("check that the log is up and the URL is right (its /checkpoint answers), then run the command again")
}

func (s *logSubmitter) run(ctx context.Context, jobs []job, existing map[string]*tlog.Proof) (map[string][]byte, []Outcome, error) {
	timeout := s.opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s.base, _ = logURL(s.url)
	fetcher, err := client.NewHTTPFetcher(s.base, s.client)
	if err != nil {
		return nil, nil, exit.Wrap(exit.Usage, err, "log URL %s", termsafe.Escape(s.url))
	}
	if s.origin == "" {
		raw, err := fetcher.ReadCheckpoint(ctx)
		if err != nil {
			return nil, nil, s.netErr(err, "cannot read its checkpoint")
		}
		cp, err := tlog.ReadCheckpointBody(raw)
		if err != nil {
			return nil, nil, exit.Wrap(exit.Network, err, "log %s serves no valid checkpoint", termsafe.Escape(s.url))
		}
		s.origin = cp.Origin
	}
	if _, ok := s.keys.logs[s.origin]; !ok {
		return nil, nil, exit.New(exit.Usage, "log %s has origin %q, whose key is not given", termsafe.Escape(s.url), termsafe.Escape(s.origin)).WithHint("%s", KeyHint)
	}
	var outcomes []Outcome
	var todo []job
	for _, j := range jobs {
		if p, ok := existing[tlog.ProofName(j.entry.Fingerprint, s.origin)]; ok {
			r, err := tlog.Verify(p, j.leaf, s.trust)
			switch {
			case err == nil && r.LogTrusted && len(r.Witnesses) >= s.opt.Trust.Quorum:
				s.status("signature %s: already in log %s at index %d (proof kept; the log was not asked)", j.entry.Fingerprint.Short(), termsafe.Escape(s.origin), p.Index)
				outcomes = append(outcomes, Outcome{Fingerprint: j.entry.Fingerprint, Log: s.url, Origin: s.origin, Index: p.Index, TreeSize: r.Size, Witnesses: r.Witnesses, Kept: true})
				continue
			case err != nil:
				s.status("signature %s: the bundle's proof from log %s does not verify; it is replaced", j.entry.Fingerprint.Short(), termsafe.Escape(s.origin))
			case !r.LogTrusted:
				s.status("signature %s: the bundle's proof from log %s is not signed by the log key given; it is replaced", j.entry.Fingerprint.Short(), termsafe.Escape(s.origin))
			default:
				s.status("signature %s: the bundle's proof from log %s has %d of the %d witness cosignatures needed; it is replaced", j.entry.Fingerprint.Short(), termsafe.Escape(s.origin), len(r.Witnesses), s.opt.Trust.Quorum)
			}
		}
		todo = append(todo, j)
	}
	if len(todo) == 0 {
		return nil, outcomes, nil
	}
	// Post every leaf first, then wait once: one checkpoint covers them all.
	idx := make([]uint64, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, j := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx[i], errs[i] = s.add(ctx, j.leaf)
		}()
	}
	wg.Wait()
	var need uint64
	for i := range todo {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		need = max(need, idx[i]+1)
	}
	raw, size, err := s.await(ctx, fetcher, need, timeout)
	if err != nil {
		return nil, nil, err
	}
	pb, err := client.NewProofBuilder(ctx, size, fetcher.ReadTile)
	if err != nil {
		return nil, nil, s.netErr(err, "cannot read the tiles of its tree of size %d", size)
	}
	proofs := map[string][]byte{}
	for i, j := range todo {
		hashes, err := pb.InclusionProof(ctx, idx[i])
		if err != nil {
			return nil, nil, s.netErr(err, "cannot build the inclusion proof of index %d in its tree of size %d", idx[i], size)
		}
		p := &tlog.Proof{Fingerprint: j.entry.Fingerprint, Origin: s.origin, Index: idx[i], InclusionProof: hashes, Checkpoint: raw}
		r, err := tlog.Verify(p, j.leaf, s.trust)
		if err != nil {
			if e, ok := err.(*exit.Error); ok && e.Code == exit.Malformed {
				e.Code = exit.LogProofInvalid
			}
			return nil, nil, exit.Wrap(exit.CodeOf(err), err, "log %s (%s) answered with a proof that does not verify; nothing was written", termsafe.Escape(s.url), termsafe.Escape(s.origin)).
				WithHint("the log is broken or dishonest: tell its operator, and do not use it")
		}
		if !r.LogTrusted || len(r.Witnesses) < s.opt.Trust.Quorum {
			return nil, nil, exit.New(exit.Internal, "checkpoint of log %q checked before, but the proof's does not meet the trust", s.origin)
		}
		n, data, err := tlog.EncodeProof(p)
		if err != nil {
			return nil, nil, err
		}
		proofs[n] = data
		w := ""
		if len(r.Witnesses) > 0 {
			w = ", cosigned by " + termsafe.Escape(strings.Join(r.Witnesses, ", "))
		}
		s.status("signature %s: in log %s at index %d, checkpoint of size %d%s", j.entry.Fingerprint.Short(), termsafe.Escape(s.origin), idx[i], size, w)
		outcomes = append(outcomes, Outcome{Fingerprint: j.entry.Fingerprint, Log: s.url, Origin: s.origin, Index: idx[i], TreeSize: size, Witnesses: r.Witnesses})
	}
	// In the order of the signature entries (sorted by fingerprint).
	slices.SortStableFunc(outcomes, func(a, b Outcome) int { return bytes.Compare(a.Fingerprint[:], b.Fingerprint[:]) })
	return proofs, outcomes, nil
}

// add posts one leaf to the log's /add and returns its index.
func (s *logSubmitter) add(ctx context.Context, leaf []byte) (uint64, error) {
	for {
		n, retry, err := s.addOnce(ctx, leaf)
		if retry <= 0 {
			return n, err
		}
		// 429 (pushback) and 503 (not sequenced in time) ask to come back:
		// do so until the submission's timeout, not fail at once.
		select {
		case <-ctx.Done():
			return 0, err
		case <-time.After(retry):
		}
	}
}

// maxRetryAfter caps how long one Retry-After makes a submitter wait.
const maxRetryAfter = 5 * time.Second

// retryAfter is the wait a 429 or 503 answer asks for: its Retry-After in
// seconds (at least 100 ms, at most maxRetryAfter), else 1 s.
func retryAfter(resp *http.Response) time.Duration {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0
	}
	d := time.Second
	if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	}
	return min(max(d, 100*time.Millisecond), maxRetryAfter)
}

// addOnce posts the leaf once; retry > 0 when the log asked to come back
// (err then says what it answered).
func (s *logSubmitter) addOnce(ctx context.Context, leaf []byte) (uint64, time.Duration, error) {
	u := s.base.JoinPath("add").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(leaf))
	if err != nil {
		return 0, 0, exit.Wrap(exit.Usage, err, "log URL %s", termsafe.Escape(s.url))
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, 0, s.netErr(err, "POST /add did not answer within the timeout")
		}
		return 0, 0, s.netErr(err, "POST /add failed")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return 0, 0, s.netErr(err, "reading the answer to POST /add")
	}
	if resp.StatusCode != http.StatusOK {
		retry := retryAfter(resp)
		hint := "check that the URL is a ct-log (ct-log serve) and run the command again; tell the log's operator if it persists"
		if retry > 0 {
			hint = "the log was busy until the timeout: run the command again later, or raise --timeout"
		}
		return 0, retry, exit.New(exit.Network, "log %s refused the leaf: POST /add answered %s: %s", termsafe.Escape(s.url), termsafe.Escape(resp.Status), termsafe.Escape(strings.TrimSpace(string(body)))).
			WithHint("%s", hint)
	}
	n, err := parseAddAnswer(body)
	if err != nil {
		return 0, 0, exit.New(exit.Network, "log %s answered POST /add with %q: %v", termsafe.Escape(s.url), termsafe.Escape(string(body)), err).
			WithHint("check that the URL is a ct-log (ct-log serve)")
	}
	return n, 0, nil
}

// parseAddAnswer parses the body of a 200 answer to POST /add: the entry's
// index in decimal without leading zeros, and a newline (log.md §6). The
// largest uint64 is refused: no tree holds an entry there, and the size a
// submitter then waits for (index+1) would wrap to 0.
func parseAddAnswer(body []byte) (uint64, error) {
	line, ok := strings.CutSuffix(string(body), "\n")
	n, err := strconv.ParseUint(line, 10, 64)
	if !ok || err != nil || (len(line) > 1 && line[0] == '0') {
		return 0, errors.New("not an index")
	}
	if n == math.MaxUint64 {
		return 0, errors.New("an index no tree can hold")
	}
	return n, nil
}

// await polls the checkpoint until one of size >= need, signed by the log's
// key, carries the quorum of witness cosignatures.
func (s *logSubmitter) await(ctx context.Context, f *client.HTTPFetcher, need uint64, timeout time.Duration) ([]byte, uint64, error) {
	poll := s.opt.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	last := "no checkpoint"
	for {
		raw, err := f.ReadCheckpoint(ctx)
		if err == nil {
			size, witnesses, err := s.checkCheckpoint(raw)
			if err != nil {
				return nil, 0, err
			}
			if size >= need && len(witnesses) >= s.opt.Trust.Quorum {
				return raw, size, nil
			}
			last = fmt.Sprintf("a checkpoint of size %d cosigned by %d trusted witness(es)", size, len(witnesses))
			if len(witnesses) > 0 {
				last += " (" + termsafe.Escape(strings.Join(witnesses, ", ")) + ")"
			}
		} else if ctx.Err() == nil {
			last = "an error reading the checkpoint: " + termsafe.Escape(err.Error())
		}
		select {
		case <-ctx.Done():
			return nil, 0, exit.New(exit.Network, "log %s (%s): waited %s for a checkpoint of size %d or more cosigned by %d of the %d trusted witnesses; last seen: %s",
				termsafe.Escape(s.url), termsafe.Escape(s.origin), timeout, need, s.opt.Trust.Quorum, len(s.opt.Trust.Witnesses), last).
				WithHint("the signatures are in the log but no proof was written; run the command again later (submitting a signature twice is harmless), raise --timeout, or ask the log's operator whether its witnesses are up")
		case <-time.After(poll):
		}
	}
}

// checkCheckpoint checks a checkpoint the log serves: its origin, its
// signature by the log's trusted key (a bad one is exit 7), and returns its
// size and the trusted witnesses that cosigned it.
func (s *logSubmitter) checkCheckpoint(raw []byte) (uint64, []string, error) {
	cp, err := tlog.ReadCheckpointBody(raw)
	if err != nil {
		return 0, nil, exit.Wrap(exit.LogProofInvalid, err, "log %s serves a checkpoint that is not a checkpoint", termsafe.Escape(s.url))
	}
	if cp.Origin != s.origin {
		return 0, nil, exit.New(exit.LogProofInvalid, "log %s serves a checkpoint of origin %q, but its key is for %q", termsafe.Escape(s.url), termsafe.Escape(cp.Origin), termsafe.Escape(s.origin)).
			WithHint("check that --log and --log-key name the same log, in the same order")
	}
	witnesses, err := s.keys.cosigned(s.origin, raw)
	if err != nil {
		return 0, nil, exit.Wrap(exit.LogProofInvalid, err, "log %s (%s): its checkpoint does not verify", termsafe.Escape(s.url), termsafe.Escape(s.origin)).
			WithHint("the log is broken or dishonest, or --log-key is not its key: check the key with the log's operator")
	}
	return cp.Size, witnesses, nil
}

// newClient is the HTTP client of a submission: bounded answers, and no
// redirect to another host (a log's tiles and add endpoint live together).
func newClient() *http.Client {
	return &http.Client{
		Transport:     BoundedTransport(http.DefaultTransport, maxResponse),
		CheckRedirect: sameHostRedirect,
	}
}

// sameHostRedirect follows at most 2 redirects, and none to another host
// or scheme: a log's tiles, checkpoint and add endpoint live together, and
// a hostile log must not make ct send requests elsewhere (an internal
// address of the client's network, say).
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return fmt.Errorf("redirect to another host (%s) refused", req.URL.Redacted())
	}
	return nil
}

// verifiers are the note verifiers of the trusted logs and witnesses, to
// check a checkpoint before a proof is built on it.
type verifiers struct {
	logs      map[string]note.Verifier
	witnesses []note.Verifier
}

func (o *Options) verifiers() (*verifiers, error) {
	vs := &verifiers{logs: map[string]note.Verifier{}}
	for _, k := range o.Trust.LogKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, exit.New(exit.Usage, "log key %q is not a note verifier key: %v", termsafe.Escape(k), err).WithHint("%s", KeyHint)
		}
		vs.logs[v.Name()] = v
	}
	for _, k := range o.Trust.Witnesses {
		v, err := f_note.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, exit.New(exit.Usage, "witness key %q is not a cosignature/v1 verifier key: %v", termsafe.Escape(k), err)
		}
		vs.witnesses = append(vs.witnesses, v)
	}
	return vs, nil
}

// cosigned checks that raw is signed by the trusted key of origin and
// returns the names of the trusted witnesses whose cosignatures on it
// verify. A signature by a trusted key that does not verify is an error.
func (vs *verifiers) cosigned(origin string, raw []byte) ([]string, error) {
	lv := vs.logs[origin]
	n, err := note.Open(raw, note.VerifierList(append([]note.Verifier{lv}, vs.witnesses...)...))
	if err != nil {
		return nil, err
	}
	logSigned := false
	var names []string
	for _, s := range n.Sigs {
		if s.Name == lv.Name() && s.Hash == lv.KeyHash() {
			logSigned = true
			continue
		}
		for _, w := range vs.witnesses {
			if s.Name == w.Name() && s.Hash == w.KeyHash() && !slices.Contains(names, w.Name()) {
				names = append(names, w.Name())
			}
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("not signed by the log's key %s+%08x", lv.Name(), lv.KeyHash())
	}
	slices.Sort(names)
	return names, nil
}
