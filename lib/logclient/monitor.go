package logclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/tlog"
)

// MonitorSchema is the kind of the report ct log monitor --json prints.
const MonitorSchema = "ct.log-monitor/1"

// The exit codes of ct log monitor (log.md, "Monitoring"). They are the
// monitor's own: a report, not a failure of ct. 10, 11 and 12 are the
// suite's (lib/exit) and come with an error instead of a report.
const (
	MonitorOK           = 0 // nothing to report
	MonitorSigned       = 1 // a watched key signed something new
	MonitorInconsistent = 2 // the log forked or showed data its checkpoints do not commit to
	MonitorUnwitnessed  = 3 // the checkpoint has fewer valid cosignatures than --quorum
)

// MonitorExitText documents the exit codes for --help and the man page.
const MonitorExitText = `Exit status (ct log monitor; for cron: 2 ranks before 1, 1 before 3):
    0  nothing to report: the log is consistent with what this monitor saw before, witnessed as asked, and no watched key signed anything new
    1  a watched key signed something new: the entries are listed (index, suite, fingerprint, manifest digest)
    2  the log is inconsistent: a fork (same size, other root), a consistency proof that fails, or entries that are not the ones its checkpoint commits to; both checkpoints are kept as evidence in the state folder and the state does not advance
    3  the checkpoint has fewer valid witness cosignatures than --quorum
   10  malformed data from the log (a checkpoint that does not parse or is not signed by --log-key, an oversized or unparseable tile or entry bundle)
   11  the state folder cannot be read or written, or another run holds its lock
   12  the log cannot be reached (connection refused, timeout, HTTP error)
   64, 70  as every ct command (the exit table below)`

// DefaultMaxEntries bounds the entries one run scans; the rest is scanned
// by the next runs.
const DefaultMaxEntries = 100000

// WatchedKey is a key whose signatures the monitor reports. Key is nil
// when only the fingerprint is known: leaves carry no public key, so the
// signature can then not be checked.
type WatchedKey struct {
	Fingerprint keys.Fingerprint
	Key         *keys.PublicKey
}

// MonitorOptions says which log to follow and what to look for.
type MonitorOptions struct {
	URL        string // tlog-tiles base URL
	Origin     string // the log's origin; "" = the log key's name
	LogKey     string // the log's note verifier key
	Watch      []WatchedKey
	Witnesses  []string // cosignature/v1 verifier keys
	Quorum     int      // valid distinct cosignatures required (0: none)
	StateDir   string   // "" = DefaultStateDir()
	MaxEntries uint64   // 0 = DefaultMaxEntries
	HTTPClient *http.Client
	Now        func() time.Time
}

// MonitorReport is what a run found (ct.log-monitor/1).
type MonitorReport struct {
	Schema        string          `json:"schema"`
	Log           string          `json:"log"`
	Origin        string          `json:"origin"`
	Code          int             `json:"code"`
	Result        string          `json:"result"`
	FirstRun      bool            `json:"firstRun"`
	Checkpoint    *CheckpointInfo `json:"checkpoint"`
	Previous      *CheckpointInfo `json:"previous,omitempty"`
	Witnesses     WitnessInfo     `json:"witnesses"`
	Scanned       ScanInfo        `json:"scanned"`
	Signed        []Sighting      `json:"signed"`
	Forged        []Sighting      `json:"forged"`
	Problems      []Problem       `json:"problems"`
	StateFile     string          `json:"stateFile"`
	StateAdvanced bool            `json:"stateAdvanced"`
}

// CheckpointInfo is a checkpoint's size and root hash (base64, as in the
// checkpoint).
type CheckpointInfo struct {
	Size     uint64 `json:"size"`
	RootHash string `json:"rootHash"`
}

// WitnessInfo counts the served checkpoint's cosignatures by --witness keys.
type WitnessInfo struct {
	Quorum   int      `json:"quorum"`
	Cosigned []string `json:"cosigned"` // names of the witnesses with a valid cosignature
	Invalid  []string `json:"invalid"`  // names of --witness keys whose cosignature does not verify
}

// ScanInfo is the range of entries read in this run.
type ScanInfo struct {
	From      uint64 `json:"from"`
	To        uint64 `json:"to"` // exclusive
	Entries   uint64 `json:"entries"`
	NotCT     uint64 `json:"notCt"` // entries that are not ct leaves (skipped)
	Remaining uint64 `json:"remaining"`
}

// Sighting is a log entry by a watched fingerprint.
type Sighting struct {
	Index          uint64 `json:"index"`
	Suite          string `json:"suite"`
	Fingerprint    string `json:"fingerprint"`
	KeyID          string `json:"keyId,omitempty"`
	ManifestDigest string `json:"manifestDigest"`
	// Signature is "verified" (the watched public key verifies it),
	// "unchecked" (only the fingerprint is known) or "invalid" (it does
	// not verify: listed under forged).
	Signature string `json:"signature"`
	Problem   string `json:"problem,omitempty"`
}

// Problem is something wrong with the log.
type Problem struct {
	Kind     string   `json:"kind"` // fork, inconsistent, entries-mismatch, under-quorum
	Message  string   `json:"message"`
	Evidence []string `json:"evidence"`
}

var resultNames = map[int]string{
	MonitorOK:           "ok",
	MonitorSigned:       "signed",
	MonitorInconsistent: "inconsistent",
	MonitorUnwitnessed:  "unwitnessed",
}

// tileSource remembers the first read error, which the Tessera client
// code reports only as text.
type tileSource struct {
	f   *fetcher
	err error
}

func (t *tileSource) read(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
	b, err := t.f.ReadTile(ctx, l, i, p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return b, err
}

// fail classifies err from client code that used t.
func (t *tileSource) fail(err error, what string) *exit.Error {
	if t.err != nil {
		e := classify(t.err, what)
		t.err = nil
		return e
	}
	return classify(err, what)
}

type monitor struct {
	o       MonitorOptions
	f       *fetcher
	tiles   *tileSource
	logV    note.Verifier
	ws      []note.Verifier
	watch   map[keys.Fingerprint]WatchedKey
	rep     *MonitorReport
	now     time.Time
	dir     string
	maxScan uint64
}

// Monitor runs one round of ct log monitor: fetch and verify the log's
// checkpoint, check it is consistent with the one stored by the last run,
// scan the new entries for watched fingerprints, and store the new state.
// The report's Code is the monitor exit status (0-3); an error (10, 11,
// 12, 64) means the round could not be made, and nothing was stored.
func Monitor(ctx context.Context, o MonitorOptions) (*MonitorReport, error) {
	m := &monitor{o: o, watch: map[keys.Fingerprint]WatchedKey{}}
	if err := m.setup(); err != nil {
		return nil, err
	}
	if err := m.run(ctx); err != nil {
		return nil, err
	}
	return m.rep, nil
}

func (m *monitor) setup() error {
	o := &m.o
	// Each key may be given as a file holding it (--print-vkey > log.vkey).
	k, err := tlog.VKeyArg(o.LogKey, "log")
	if err != nil {
		return err
	}
	o.LogKey = k
	if o.Witnesses, err = vkeyArgs(o.Witnesses, "witness"); err != nil {
		return err
	}
	v, err := note.NewVerifier(o.LogKey)
	if err != nil {
		return exit.Wrap(exit.Usage, err, "--log-key %q is not a note verifier key", termsafe.Escape(o.LogKey)).
			WithHint("give the log's public key as ct-log serve prints it: ORIGIN+HASH+BASE64")
	}
	m.logV = v
	if o.Origin == "" {
		o.Origin = v.Name()
	}
	if v.Name() != o.Origin {
		return exit.New(exit.Usage, "--log-key is named %q, but --origin is %q", termsafe.Escape(v.Name()), termsafe.Escape(o.Origin)).
			WithHint("a log's key is named after its origin (tlog-checkpoint); check both")
	}
	seen := map[string]bool{}
	for _, w := range o.Witnesses {
		wv, err := f_note.NewVerifierForCosignatureV1(w)
		if err != nil {
			return exit.Wrap(exit.Usage, err, "--witness %q is not a cosignature/v1 verifier key", termsafe.Escape(w)).
				WithHint("give a witness's key as ct-witness prints it: NAME+HASH+BASE64 (algorithm 0x04)")
		}
		id := fmt.Sprintf("%s+%08x", wv.Name(), wv.KeyHash())
		if seen[id] || seen[wv.Name()] {
			return exit.New(exit.Usage, "--witness %q is given twice", termsafe.Escape(wv.Name())).
				WithHint("each witness counts once toward --quorum")
		}
		seen[id], seen[wv.Name()] = true, true
		m.ws = append(m.ws, wv)
	}
	if o.Quorum < 0 || o.Quorum > len(m.ws) {
		return exit.New(exit.Usage, "--quorum %d, but %d --witness keys are given", o.Quorum, len(m.ws)).
			WithHint("the quorum counts distinct --witness keys: give at least that many")
	}
	if len(o.Watch) == 0 {
		return exit.New(exit.Usage, "no --key to watch").WithHint("name the keys whose signatures to report with --key (fingerprint, public key file or key store name)")
	}
	for _, w := range o.Watch {
		m.watch[w.Fingerprint] = w
	}
	m.f, err = newFetcher(o.URL, o.HTTPClient)
	if err != nil {
		return err
	}
	m.tiles = &tileSource{f: m.f}
	m.dir = o.StateDir
	if m.dir == "" {
		if m.dir, err = DefaultStateDir(); err != nil {
			return err
		}
	}
	m.now = time.Now()
	if o.Now != nil {
		m.now = o.Now()
	}
	m.maxScan = o.MaxEntries
	if m.maxScan == 0 {
		m.maxScan = DefaultMaxEntries
	}
	m.rep = &MonitorReport{
		Schema:    MonitorSchema,
		Log:       m.f.root.String(),
		Origin:    o.Origin,
		Witnesses: WitnessInfo{Quorum: o.Quorum, Cosigned: []string{}, Invalid: []string{}},
		Signed:    []Sighting{},
		Forged:    []Sighting{},
		Problems:  []Problem{},
		StateFile: statePath(m.dir, o.Origin),
	}
	return nil
}

func info(cp *f_log.Checkpoint) *CheckpointInfo {
	return &CheckpointInfo{Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash)}
}

// problem records a misbehaviour of the log.
func (m *monitor) problem(kind, msg string, evidence []string) {
	if evidence == nil {
		evidence = []string{}
	}
	m.rep.Problems = append(m.rep.Problems, Problem{Kind: kind, Message: msg, Evidence: evidence})
}

func (m *monitor) run(ctx context.Context) error {
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return exit.Wrap(exit.IO, err, "cannot create the monitor state folder").At(m.dir)
	}
	unlock, err := lockState(m.dir, m.o.Origin)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := loadState(m.dir, m.o.Origin)
	if err != nil {
		return err
	}
	var prev *f_log.Checkpoint
	var prevRaw []byte
	if st != nil {
		prevRaw = []byte(st.Checkpoint)
		prev, _, _, err = f_log.ParseCheckpoint(prevRaw, m.o.Origin, m.logV)
		if err != nil {
			return exit.Wrap(exit.IO, err, "the checkpoint in the monitor state does not verify with --log-key").At(m.rep.StateFile).
				WithHint("if the log's key changed, move the state file away to start over; otherwise the file was altered")
		}
		if st.NextIndex > prev.Size {
			return exit.New(exit.IO, "monitor state says entry %d is next, but its checkpoint has %d entries", st.NextIndex, prev.Size).At(m.rep.StateFile).
				WithHint("the file was altered: move it away to start over")
		}
		m.rep.Previous = info(prev)
	} else {
		m.rep.FirstRun = true
		st = &monitorState{Format: 1, Origin: m.o.Origin}
	}
	st.LogKey = m.o.LogKey

	raw, err := m.f.ReadCheckpoint(ctx)
	if err != nil {
		return classify(err, "cannot read the log's checkpoint")
	}
	cp, _, _, err := f_log.ParseCheckpoint(raw, m.o.Origin, m.logV)
	if err != nil {
		return exit.Wrap(exit.Malformed, err, "the log's checkpoint does not parse or is not signed by --log-key for origin %q", termsafe.Escape(m.o.Origin)).
			At(m.f.root.JoinPath(layout.CheckpointPath).String()).
			WithHint("check --log-key and --origin; if they are right, the log (or something between it and you) serves a bad checkpoint")
	}
	m.rep.Checkpoint = info(cp)
	m.countWitnesses(raw)

	// target is the checkpoint this run scans up to and stores.
	target, targetRaw := cp, raw
	if prev != nil {
		ok, err := m.consistent(ctx, prev, prevRaw, cp, raw)
		if err != nil {
			return err
		}
		if !ok {
			return m.finish(st, nil, nil, false)
		}
		if cp.Size < prev.Size {
			// An older checkpoint (a cache, a lagging mirror), consistent
			// with the stored one: keep the stored one.
			target, targetRaw = prev, prevRaw
		}
	}

	from := st.NextIndex
	to := min(target.Size, from+m.maxScan)
	m.rep.Scanned = ScanInfo{From: from, To: to, Remaining: target.Size - to}
	signed, forged, ok, err := m.scan(ctx, target, targetRaw, from, to)
	if err != nil {
		return err
	}
	if !ok {
		return m.finish(st, nil, nil, false)
	}
	st.Checkpoint = string(targetRaw)
	st.NextIndex = to
	return m.finish(st, signed, forged, true)
}

// alarm records a fork, an inconsistency or an entries-mismatch, with the
// checkpoints as evidence in the state folder. Evidence that cannot be
// written does not hide the alarm (exit 2 outranks the I/O failure): the
// report says it was not saved (and names sizes and roots).
func (m *monitor) alarm(kind, msg string, stored, served []byte) {
	files, err := writeEvidence(m.dir, m.o.Origin, m.now, kind, stored, served, msg)
	if err != nil {
		msg += fmt.Sprintf("; the evidence could not be saved (%v): keep this report", err)
	}
	m.problem(kind, msg, files)
}

// finish sets the report's code and stores the state if advance.
func (m *monitor) finish(st *monitorState, signed, forged []Sighting, advance bool) error {
	if signed != nil {
		m.rep.Signed = signed
	}
	if forged != nil {
		m.rep.Forged = forged
	}
	if advance {
		if err := saveState(m.dir, st); err != nil {
			return err
		}
		m.rep.StateAdvanced = true
	}
	code := MonitorOK
	under := len(m.rep.Witnesses.Cosigned) < m.o.Quorum
	inconsistent := false
	for _, p := range m.rep.Problems {
		if p.Kind != "under-quorum" {
			inconsistent = true
		}
	}
	switch {
	case inconsistent:
		code = MonitorInconsistent
	case len(m.rep.Signed) > 0:
		code = MonitorSigned
	case under:
		code = MonitorUnwitnessed
	}
	m.rep.Code = code
	m.rep.Result = resultNames[code]
	return nil
}

// countWitnesses counts the valid cosignatures of distinct --witness keys
// on the served checkpoint. A cosignature that does not verify is listed
// as invalid and not counted.
func (m *monitor) countWitnesses(raw []byte) {
	for _, w := range m.ws {
		n, err := note.Open(raw, note.VerifierList(m.logV, w))
		var inv *note.InvalidSignatureError
		if errors.As(err, &inv) && inv.Name == w.Name() && inv.Hash == w.KeyHash() {
			m.rep.Witnesses.Invalid = append(m.rep.Witnesses.Invalid, w.Name())
			continue
		}
		if err != nil {
			continue
		}
		for _, s := range n.Sigs {
			if s.Name == w.Name() && s.Hash == w.KeyHash() {
				m.rep.Witnesses.Cosigned = append(m.rep.Witnesses.Cosigned, w.Name())
				break
			}
		}
	}
	sort.Strings(m.rep.Witnesses.Cosigned)
	sort.Strings(m.rep.Witnesses.Invalid)
	if got := len(m.rep.Witnesses.Cosigned); got < m.o.Quorum {
		m.problem("under-quorum", fmt.Sprintf("checkpoint of size %d has %d of the %d witness cosignatures required", m.rep.Checkpoint.Size, got, m.o.Quorum), nil)
	}
}

// consistent checks the served checkpoint against the stored one. On a
// fork or a failing proof it keeps both as evidence and returns false.
func (m *monitor) consistent(ctx context.Context, prev *f_log.Checkpoint, prevRaw []byte, cp *f_log.Checkpoint, raw []byte) (bool, error) {
	h := rfc6962.DefaultHasher
	evidence := func(kind, msg string) (bool, error) {
		m.alarm(kind, msg, prevRaw, raw)
		return false, nil
	}
	switch {
	case cp.Size == prev.Size:
		if !bytes.Equal(cp.Hash, prev.Hash) {
			return evidence("fork", fmt.Sprintf("the log forked: two checkpoints of size %d with different roots (stored %s, served %s), both signed by the log's key",
				cp.Size, base64.StdEncoding.EncodeToString(prev.Hash), base64.StdEncoding.EncodeToString(cp.Hash)))
		}
		return true, nil
	case prev.Size == 0 || cp.Size == 0:
		if cp.Size == 0 {
			return evidence("inconsistent", fmt.Sprintf("the log serves an empty checkpoint after one of size %d", prev.Size))
		}
		return true, nil
	}
	small, large := prev, cp
	if cp.Size < prev.Size {
		small, large = cp, prev
	}
	pb, err := client.NewProofBuilder(ctx, large.Size, m.tiles.read)
	if err != nil {
		return false, m.tiles.fail(err, "cannot build a consistency proof")
	}
	p, err := pb.ConsistencyProof(ctx, small.Size, large.Size)
	if err != nil {
		what := fmt.Sprintf("cannot read the consistency proof from size %d to %d", small.Size, large.Size)
		if cp.Size < prev.Size {
			what = fmt.Sprintf("the log serves a checkpoint of size %d, older than the one of size %d it served before, and %s", cp.Size, prev.Size, what)
		}
		e := m.tiles.fail(err, what)
		if e.Code != exit.Malformed {
			return false, e
		}
		// Tiles that do not make a proof are the log's failure to prove
		// consistency: evidence, as for a proof that does not verify.
		return evidence("inconsistent", fmt.Sprintf("the log cannot prove that size %d is consistent with size %d: %v", small.Size, large.Size, err))
	}
	if err := proof.VerifyConsistency(h, small.Size, large.Size, p, small.Hash, large.Hash); err != nil {
		return evidence("inconsistent", fmt.Sprintf("the consistency proof from size %d to %d does not verify: the log rewrote its history (%s)", small.Size, large.Size, proofFailure(err)))
	}
	return true, nil
}

// scan reads entries [from, to) of the tree cp, checks that they are the
// entries cp commits to, and returns the watched sightings. ok is false
// when the entries do not match cp (a problem is recorded).
//
// What is checked: the leaf hashes of the entries read are appended to the
// compact range of [0, from) built from the log's tiles; the root of the
// resulting tree of size to must equal cp's root (to == cp.Size) or be
// consistent with it by a consistency proof from to to cp.Size. So a log
// that serves entry bundles other than those its checkpoint commits to
// (hiding or replacing an entry) is caught, for every entry scanned, not
// only for the matching ones.
func (m *monitor) scan(ctx context.Context, cp *f_log.Checkpoint, cpRaw []byte, from, to uint64) (signed, forged []Sighting, ok bool, err error) {
	signed, forged = []Sighting{}, []Sighting{}
	if from >= to {
		return signed, forged, true, nil
	}
	mismatch := func(msg string) ([]Sighting, []Sighting, bool, error) {
		m.alarm("entries-mismatch", msg, nil, cpRaw)
		return nil, nil, false, nil
	}
	hashes := make([][]byte, 0, to-from)
	for k := from / layout.EntryBundleWidth; k*layout.EntryBundleWidth < to; k++ {
		p := layout.PartialTileSize(0, k, cp.Size)
		raw, err := m.f.ReadEntryBundle(ctx, k, p)
		if err != nil {
			return nil, nil, false, classify(err, fmt.Sprintf("cannot read entry bundle %d", k))
		}
		var eb api.EntryBundle
		if err := eb.UnmarshalText(raw); err != nil {
			return nil, nil, false, exit.Wrap(exit.Malformed, err, "entry bundle %d does not parse", k).At(m.f.root.JoinPath(layout.EntriesPath(k, p)).String())
		}
		want := int(p)
		if p == 0 {
			want = layout.EntryBundleWidth
		}
		if len(eb.Entries) != want {
			return mismatch(fmt.Sprintf("entry bundle %d has %d entries; the checkpoint of size %d needs %d there", k, len(eb.Entries), cp.Size, want))
		}
		for j, e := range eb.Entries {
			idx := k*layout.EntryBundleWidth + uint64(j)
			if idx < from || idx >= to {
				continue
			}
			hashes = append(hashes, rfc6962.DefaultHasher.HashLeaf(e))
			m.rep.Scanned.Entries++
			s, bad, skip := m.look(idx, e)
			switch {
			case skip:
				m.rep.Scanned.NotCT++
			case s == nil:
			case bad:
				forged = append(forged, *s)
			default:
				signed = append(signed, *s)
			}
		}
	}
	// Rebuild the tree of size to and check it against cp.
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	var r *compact.Range
	if from == 0 {
		r = rf.NewEmptyRange(0)
	} else {
		nodes, err := client.FetchRangeNodes(ctx, from, m.tiles.read)
		if err != nil {
			e := m.tiles.fail(err, fmt.Sprintf("cannot read the tree nodes before entry %d", from))
			if e.Code != exit.Malformed {
				return nil, nil, false, e
			}
			return mismatch(fmt.Sprintf("the log's tiles do not give the tree before entry %d: %v", from, err))
		}
		if r, err = rf.NewRange(0, from, nodes); err != nil {
			return mismatch(fmt.Sprintf("the log's tiles do not give the tree before entry %d: %v", from, err))
		}
	}
	for _, h := range hashes {
		if err := r.Append(h, nil); err != nil {
			return nil, nil, false, exit.Wrap(exit.Internal, err, "cannot rebuild the tree")
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, nil, false, exit.Wrap(exit.Internal, err, "cannot rebuild the tree")
	}
	if to == cp.Size {
		if !bytes.Equal(root, cp.Hash) {
			return mismatch(fmt.Sprintf("entries %d to %d the log serves do not hash to the root of its checkpoint of size %d: the log shows other entries than it commits to", from, to-1, cp.Size))
		}
	} else {
		pb, err := client.NewProofBuilder(ctx, cp.Size, m.tiles.read)
		var p [][]byte
		if err == nil {
			p, err = pb.ConsistencyProof(ctx, to, cp.Size)
		}
		if err != nil {
			e := m.tiles.fail(err, fmt.Sprintf("cannot read the consistency proof from size %d to %d", to, cp.Size))
			if e.Code != exit.Malformed {
				return nil, nil, false, e
			}
			return mismatch(fmt.Sprintf("the log cannot prove entries %d to %d are in its checkpoint of size %d: %v", from, to-1, cp.Size, err))
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, to, cp.Size, p, root, cp.Hash); err != nil {
			return mismatch(fmt.Sprintf("entries %d to %d the log serves are not the ones its checkpoint of size %d commits to: %s", from, to-1, cp.Size, proofFailure(err)))
		}
	}
	return signed, forged, true, nil
}

// look parses entry idx and returns a sighting when its fingerprint is
// watched; bad when the watched public key does not verify its signature;
// skip when it is not a ct leaf.
func (m *monitor) look(idx uint64, data []byte) (s *Sighting, bad, skip bool) {
	l, err := tlog.ParseLeaf(data)
	if err != nil {
		return nil, false, true
	}
	w, ok := m.watch[keys.Fingerprint(l.Fingerprint)]
	if !ok {
		return nil, false, false
	}
	s = &Sighting{
		Index:          idx,
		Suite:          l.Suite,
		Fingerprint:    hex.EncodeToString(l.Fingerprint[:]),
		ManifestDigest: sig.Digest(l.ManifestDigest).String(),
		Signature:      "unchecked",
	}
	if w.Key == nil {
		return s, false, false
	}
	s.KeyID = w.Key.ID()
	e := &sig.Entry{Suite: l.Suite, KeyID: w.Key.ID(), Fingerprint: keys.Fingerprint(l.Fingerprint), ManifestDigest: sig.Digest(l.ManifestDigest), Signature: l.Signature}
	if err := sig.VerifyDigest(e, w.Key); err != nil {
		s.Signature = "invalid"
		var xe *exit.Error
		if errors.As(err, &xe) {
			s.Problem = xe.Msg
		} else {
			s.Problem = err.Error()
		}
		return s, true, false
	}
	s.Signature = "verified"
	return s, false, false
}

// proofFailure says in one line why a Merkle proof did not verify: the
// merkle library's RootMismatchError prints both roots as lists of decimal
// bytes over several lines; the monitor shows roots in base64 as the
// checkpoints do.
func proofFailure(err error) string {
	var rm proof.RootMismatchError
	if errors.As(err, &rm) {
		return fmt.Sprintf("it leads to root %s, not %s", base64.StdEncoding.EncodeToString(rm.CalculatedRoot), base64.StdEncoding.EncodeToString(rm.ExpectedRoot))
	}
	return err.Error()
}
