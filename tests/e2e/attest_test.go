package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/lib/bundle"
)

// attest-tamper IN OUT OLD NEW changes the statement inside the first
// attestation's envelope of bundle IN (OLD replaced by NEW in its payload,
// the signature kept) and
// writes OUT, an unsigned bundle in which manifest.toml, the attestation
// manifest and the derived files are rewritten to match: what someone who
// may sign bundles but not attestations could make. Sign OUT and verify it:
// the envelope signature decides (attestations.md §7 step 2).
func cmdAttestTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: attest-tamper IN OUT OLD NEW")
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	br, err := bundle.NewReader(bytes.NewReader(in), args[0])
	ts.Check(err)
	blobs := map[string][]byte{}
	for {
		b, rd, err := br.NextBlob()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		blobs[b.Digest], err = io.ReadAll(rd)
		ts.Check(err)
	}
	atts := br.Attestations()
	if len(atts) == 0 {
		ts.Fatalf("%s has no attestation", args[0])
	}
	// The first attestation whose statement contains OLD (ct pack's own
	// provenance may come first).
	var a bundle.Attestation
	var env map[string]any
	var payload []byte
	found := false
	for _, c := range atts {
		if c.Pending {
			continue
		}
		env = nil
		ts.Check(json.Unmarshal(c.EnvelopeData, &env))
		payload, err = base64.StdEncoding.DecodeString(env["payload"].(string))
		ts.Check(err)
		if bytes.Contains(payload, []byte(args[2])) {
			a, found = c, true
			break
		}
	}
	if !found {
		ts.Fatalf("no signed attestation's statement contains %q", args[2])
	}
	payload = bytes.Replace(payload, []byte(args[2]), []byte(args[3]), 1)
	tampered := bytes.Replace(a.EnvelopeData, []byte(env["payload"].(string)), []byte(base64.StdEncoding.EncodeToString(payload)), 1)
	m := *br.Manifest()
	m.Blobs = nil
	for _, b := range br.Manifest().Blobs {
		if b.Digest != a.Digest && b.Digest != a.Envelope.Digest {
			m.Blobs = append(m.Blobs, b)
		}
	}
	am, err := bundle.AttestationManifest(&m, bundle.Digest(tampered), int64(len(tampered)), a.PredicateType,
		bundle.AttestationSigner{Suite: a.SignerSuite, Fingerprint: a.SignerFP, PublicKey: a.SignerKey})
	ts.Check(err)
	m2, err := bundle.AddAttestation(&m, tampered, am)
	ts.Check(err)
	blobs[bundle.Digest(tampered)], blobs[bundle.Digest(am)] = tampered, am
	var out bytes.Buffer
	w, err := bundle.NewWriter(&out, m2, bundle.WriterOptions{ModTime: br.ModTime()})
	ts.Check(err)
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		ts.Check(w.WriteBlob(b.Digest, bytes.NewReader(blobs[b.Digest])))
	}
	ts.Check(w.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
}
