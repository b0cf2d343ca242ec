// Package explain renders a verification report (lib/verify) for a person:
// what the bundle holds, where it came from, who signed it and whether they
// are trusted, the policy outcome, and the verdict with the exit code ct
// verify gives. It only formats: every fact comes from the report.
//
// Every string that came from the bundle (package, source, tool, media
// types, platforms, a signature entry's key_id label, error text quoting
// them) and from files (paths, policy names) is passed through
// termsafe.Escape, so a hostile bundle cannot drive the terminal. Signers
// are named by the verifier's name for their key and their fingerprint; the
// entry's key_id is shown only as the signer's unverified claim.
package explain

import (
	"fmt"
	"github.com/cerro-torre/ct/lib/human"
	"io"
	"strings"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/termsafe"
	"github.com/cerro-torre/ct/lib/verify"
)

// Options selects the detail shown.
type Options struct {
	Layers  bool // list every blob
	Signers bool // full signer details
	// Attestations lists every attestation (type, signer, verdict).
	Attestations bool
	Color        bool // ANSI colour for the marks and the verdict
}

func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// esc is termsafe.Escape: every string from the bundle or a file goes
// through it before it is printed. escMsg, termsafe.EscapeControls, is for
// prose that may hold %q-quoted parts (errors, policy details, hints): it
// escapes control characters without doubling the quotes' backslashes.
var esc, escMsg = termsafe.Escape, termsafe.EscapeControls

// Text writes the explanation of rep.
func Text(w io.Writer, rep *verify.Report, opts Options) {
	m := rep.Manifest
	if m == nil {
		fmt.Fprintf(w, "%s: not a readable bundle\n", esc(rep.Bundle))
		verdict(w, rep, opts.Color)
		return
	}
	// The headline says at once what was checked (issue 9): the name and
	// version are the bundle's claims, the verdict the verifier's.
	fmt.Fprintf(w, "%s %s: %s\n", esc(m.Package.Name), esc(m.Package.Version), Headline(rep))
	// Every row is escaped whole: its arguments come from the bundle.
	row := func(k, format string, a ...any) { fmt.Fprintf(w, "  %-10s %s\n", k, esc(fmt.Sprintf(format, a...))) }
	src := m.Source.Transport
	if m.Source.Registry != "" {
		src += ", registry " + m.Source.Registry + ", repository " + m.Source.Repository
	}
	row("source", "%s (%s)", m.Source.Reference, src)
	row("resolved", "%s", m.Source.Digest)
	img := m.Image.MediaType
	if m.Image.Platform != "" {
		img += ", " + m.Image.Platform
	}
	if len(m.Image.Platforms) > 0 {
		img += ", " + strings.Join(m.Image.Platforms, " ")
	}
	row("image", "%s (%s)", m.Image.Digest, img)
	if m.Image.Created != "" {
		row("created", "%s (image config)", m.Image.Created)
	}
	if m.Package.Created != "" {
		row("packed", "%s", m.Package.Created)
	}
	var total int64
	layers := 0
	for _, b := range m.Blobs {
		total += b.Size
		if b.Role == bundle.RoleLayer {
			layers++
		}
	}
	if m.Image.Config != "" {
		if c, ok := m.Blob(m.Image.Config); ok {
			row("config", "%s (%s)", c.Digest, human.Size(c.Size))
		}
	}
	row("content", "%s, %s, %s", human.Count(len(m.Blobs), "blob"), human.Size(total), human.Count(layers, "layer"))
	if len(rep.Attestations) > 0 {
		var types []string
		for _, a := range rep.Attestations {
			t := a.PredicateType
			if a.Pending {
				t += " (pending)"
			}
			types = append(types, t)
		}
		row("attested", "%s (%s; --attestations lists them)", human.Count(len(types), "attestation"), strings.Join(types, ", "))
	}
	var carried []bundle.Blob
	for _, b := range m.Blobs {
		if bundle.IsCopiedManifest(b.Role) {
			carried = append(carried, b)
		}
	}
	if len(carried) > 0 {
		row("carried", "%s of the source (its claims: covered by the signatures, not checked or trusted by ct verify)", human.Count(len(carried), "supply-chain artifact"))
	}
	row("manifest", "%s (SHA-256 of manifest.toml, what signatures cover)", rep.ManifestDigest)
	row("tool", "%s %s", m.Tool.Name, m.Tool.Version)
	if opts.Layers {
		pos := map[string]int{}
		for i, d := range rep.Layers {
			pos[d] = i + 1
		}
		fmt.Fprintln(w, "blobs")
		print := func(label string, b bundle.Blob) {
			fmt.Fprintf(w, "  %-12s %s %10s  %s\n", label, esc(b.Digest), human.Size(b.Size), esc(b.MediaType))
		}
		grouped := len(rep.Images) > 1 || len(rep.Images) == 1 && rep.Images[0].Platform != ""
		for _, b := range m.Blobs { // manifests and configs first
			if b.Role == bundle.RoleLayer || grouped && b.Role == bundle.RoleConfig {
				continue
			}
			print(b.Role, b)
		}
		switch {
		case len(rep.Images) > 1 || len(rep.Images) == 1 && rep.Images[0].Platform != "":
			// An index: each image under its platform, layers in image
			// order; a blob shared by several images is listed under each.
			for _, img := range rep.Images {
				p := img.Platform
				if p == "" {
					p = "platform not given"
				}
				fmt.Fprintf(w, "  %s (image %s, %s)\n", esc(p), esc(img.Digest), human.Count(len(img.Layers), "layer"))
				if c, ok := m.Blob(img.Config); ok {
					fmt.Fprintf(w, "  ")
					print("config", c)
				}
				for i, d := range img.Layers {
					if b, ok := m.Blob(d); ok {
						fmt.Fprintf(w, "  ")
						print(fmt.Sprintf("layer %d/%d", i+1, len(img.Layers)), b)
					}
				}
			}
		case len(rep.Layers) > 0: // an image: its layers in order, base first
			for i, d := range rep.Layers {
				if b, ok := m.Blob(d); ok {
					print(fmt.Sprintf("layer %d/%d", i+1, len(rep.Layers)), b)
				}
			}
		default: // the graph was not read intact: manifest.toml's order
			for _, b := range m.Blobs {
				if b.Role == bundle.RoleLayer {
					print("layer", b)
				}
			}
		}
	}
	fmt.Fprintln(w, "signatures")
	switch {
	case !rep.SignaturesChecked:
		fmt.Fprintln(w, "  not read: the bundle could not be read as far as its signature entries (see why below)")
	case len(rep.Signatures) == 0:
		fmt.Fprintln(w, "  none: the bundle is unsigned")
	}
	for _, s := range rep.Signatures {
		mark, state := "✓", "valid"
		if !s.Valid {
			mark, state = "✗", "INVALID"
		}
		trust := "not trusted"
		if s.Trusted {
			trust = "trusted via " + s.TrustSource
		} else if s.Valid {
			mark = "?"
		}
		// The verifier's name for the key; a key it does not trust has none.
		name := s.KeyID
		switch {
		case name != "":
		case s.Trusted: // trusted by fingerprint, named by nobody the verifier trusts
			name = "unnamed key"
		default:
			name = "unknown key"
		}
		color := map[string]string{"✓": "32", "✗": "31", "?": "33"}[mark]
		fmt.Fprintf(w, "  %s %-12s %s  %s, %s\n", paint(opts.Color, color, mark), esc(name), esc(s.Suite), state, esc(trust))
		fp := s.Display
		if !opts.Signers && len(fp) > 19 {
			fp = fp[:19] + "…"
		}
		fmt.Fprintf(w, "    fingerprint %s\n", esc(fp))
		if s.ClaimedKeyID != "" && s.ClaimedKeyID != s.KeyID {
			fmt.Fprintf(w, "    calls itself \"%s\" (the entry's key_id: unverified, never used for trust)\n", esc(s.ClaimedKeyID))
		}
		if s.Problem != "" {
			fmt.Fprintf(w, "    problem     %s\n", escMsg(s.Problem))
		}
		for _, l := range s.Logs { // log.md §5; the origin comes from the bundle
			ws := ""
			if len(l.Witnesses) > 0 {
				ws = " (" + strings.Join(l.Witnesses, ", ") + ")"
			}
			var state string
			switch l.Status {
			case verify.ProofWitnessed:
				state = fmt.Sprintf("trusted log, cosigned by %d trusted witness(es)%s", len(l.Witnesses), ws)
			case verify.ProofUnderQuorum:
				state = fmt.Sprintf("trusted log, cosigned by only %d trusted witness(es)%s: under the policy's quorum", len(l.Witnesses), ws)
			case verify.ProofUntrustedLog:
				state = "a claim: the policy does not trust this log (or its key)"
			default:
				state = "INVALID: the proof does not verify"
			}
			fmt.Fprintf(w, "    logged      \"%s\" leaf %d of %d: %s\n", esc(l.Origin), l.Index, l.TreeSize, esc(state))
		}
	}
	proofs(w, rep)
	if opts.Attestations {
		attestations(w, rep, opts)
	}
	if len(carried) > 0 {
		// referrers.md §4: copied as the source had them; ct verify
		// checks their form and that the signatures cover them, never
		// what they claim or who signed them.
		fmt.Fprintln(w, "carried claims (copied from the source by ct pack --with-referrers; not verified by ct)")
		for _, c := range rep.Carried {
			what := c.Role + " " + c.Digest
			if c.CosignTag != "" {
				what += " (tag " + c.CosignTag + ")"
			}
			if c.ArtifactType != "" { // the source's word, from the bundle
				what += " " + c.ArtifactType
			}
			fmt.Fprintf(w, "  %s\n", esc(what))
		}
	}
	if rep.Policy != "" {
		fmt.Fprintf(w, "policy %s\n", esc(rep.Policy))
		for _, c := range rep.Checks {
			if strings.HasPrefix(c.Name, "policy") {
				mark := "✓"
				if !c.OK {
					mark = "✗"
				}
				// A failed check's detail is the error: "policy FILE, rule R: …".
				fmt.Fprintf(w, "  %s %s\n", mark, escMsg(strings.TrimPrefix(c.Detail, "policy "+rep.Policy+", ")))
			}
		}
	}
	verdict(w, rep, opts.Color)
}

// attestations lists every attestation the verifier checked
// (attestations.md §7): type, signer, verdict.
func attestations(w io.Writer, rep *verify.Report, opts Options) {
	fmt.Fprintln(w, "attestations")
	n := 0
	for _, b := range rep.Manifest.Blobs {
		if b.Role == bundle.RoleAttestation || b.Role == bundle.RolePending {
			n++
		}
	}
	switch {
	case n == 0:
		fmt.Fprintln(w, "  none")
	case len(rep.Attestations) == 0:
		fmt.Fprintf(w, "  %s not checked: the image graph could not be read intact (see below)\n", human.Count(n, "attestation"))
	}
	for _, a := range rep.Attestations {
		if a.Pending {
			mark, state := "…", "pending: signed by the next ct sign"
			if a.Review != nil && a.Review.Unchecked {
				state = "pending: a claim ct cannot check, signed only by ct sign --sign-pending"
			}
			if a.Problem != "" {
				mark, state = "✗", "pending, INVALID"
			}
			fmt.Fprintf(w, "  %s %s\n", paint(opts.Color, map[string]string{"…": "33", "✗": "31"}[mark], mark), esc(a.PredicateType))
			fmt.Fprintf(w, "    not signed  %s\n", state)
			if a.Review != nil && a.Problem == "" {
				fmt.Fprintf(w, "    claims      %s\n", esc(a.Review.Summary))
			}
			fmt.Fprintf(w, "    artifact    %s (statement %s)\n", esc(a.Digest), esc(a.Statement))
			if a.Problem != "" {
				fmt.Fprintf(w, "    problem     %s\n", escMsg(a.Problem))
			}
			continue
		}
		mark, state := "✓", "valid"
		switch {
		case !a.Valid:
			mark, state = "✗", "INVALID"
		case !a.Trusted:
			mark, state = "?", "valid, signer not trusted"
		default:
			state = "valid, trusted via " + a.TrustSource
		}
		color := map[string]string{"✓": "32", "✗": "31", "?": "33"}[mark]
		fmt.Fprintf(w, "  %s %s\n", paint(opts.Color, color, mark), esc(a.PredicateType))
		fmt.Fprintf(w, "    signed by   %s: %s\n", esc(a.Signer()), esc(state))
		fmt.Fprintf(w, "    artifact    %s (envelope %s)\n", esc(a.Digest), esc(a.Envelope))
		if a.Problem != "" {
			fmt.Fprintf(w, "    problem     %s\n", escMsg(a.Problem))
		}
	}
}

// Headline says what was checked and what was not, and the outcome; it
// says VALID only when every check ran and passed.
func Headline(rep *verify.Report) string {
	switch {
	case rep.Valid && rep.ContentChecked:
		return "VALID: content, signatures, trust and policy checked"
	case !rep.SignaturesChecked && rep.Manifest == nil:
		return "NOT VALID (" + rep.Verdict + "): not a readable bundle; nothing else checked"
	case !rep.SignaturesChecked:
		return "NOT VALID (" + rep.Verdict + "): the bundle is truncated or malformed; its signatures could not be read"
	case rep.Valid:
		return "signatures valid and trusted, content NOT checked (use --verify)"
	case rep.ContentChecked:
		return "NOT VALID (" + rep.Verdict + ")"
	default:
		return "NOT VALID (" + rep.Verdict + "), content NOT checked (use --verify)"
	}
}

func verdict(w io.Writer, rep *verify.Report, color bool) {
	h := Headline(rep)
	switch {
	case rep.Valid && rep.ContentChecked:
		h = paint(color, "32", h)
	case rep.Valid:
		h = paint(color, "33", h)
	default:
		h = paint(color, "31", h)
	}
	fmt.Fprintf(w, "verdict %s\n", h)
	switch {
	case rep.ContentChecked || !rep.SignaturesChecked:
		fmt.Fprintf(w, "  ct verify exits %d\n", rep.Code)
	case rep.Code == 0 || rank(rep.Code) > 1:
		// Hashing could only add a hash mismatch (1), which outranks
		// every code after it (verify.md §2).
		fmt.Fprintf(w, "  ct verify exits %d if the blob content matches, 1 if it does not\n", rep.Code)
	default:
		fmt.Fprintf(w, "  ct verify exits %d\n", rep.Code)
	}
	if err := rep.Err(); err != nil {
		fmt.Fprintf(w, "  why: %s\n", escMsg(err.Error()))
		for _, c := range rep.Checks {
			if !c.OK && c.Hint != "" {
				fmt.Fprintf(w, "  next: %s\n", escMsg(c.Hint))
				break
			}
		}
	}
}

// rank is a code's place in the order of verify.md §2.
func rank(code int) int {
	switch code {
	case 10, 11:
		return 0
	case 0:
		return 99
	}
	return code
}

// proofs shows the transparency log proof entries (bundle.md §6.1) that
// could not be read. Readable ones are shown under the signature they prove
// ("logged" lines), with what the verifier's trust makes of them; an
// unreadable one proves nothing and belongs to no signer's line.
func proofs(w io.Writer, rep *verify.Report) {
	bad := 0
	for _, p := range rep.Proofs {
		if p.Error != "" {
			bad++
		}
	}
	if bad == 0 {
		return
	}
	fmt.Fprintln(w, "unreadable transparency log proofs")
	for _, p := range rep.Proofs {
		if p.Error == "" {
			continue
		}
		fp := p.Fingerprint
		if len(fp) > 16 {
			fp = fp[:16] + "…"
		}
		fmt.Fprintf(w, "  ✗ signer %s: unreadable proof entry: %s\n", esc(fp), escMsg(p.Error))
	}
}
