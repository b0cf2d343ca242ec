package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// dsse is the testscript command for checking ct's DSSE envelopes with
// a client we did not write:
//
//	dsse cosign ARGS…                    runs cosign (below)
//	dsse extract DIR TYPE ENVELOPE SUBJECT
//	dsse flip-sig IN OUT                  see dsseLayout
func cmdDSSE(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) > 0 && args[0] == "cosign" {
		cmdCosign(ts, neg, args[1:])
		return
	}
	dsseLayout(ts, neg, args)
}

// dsse cosign ARGS… runs the real cosign (v2.6.5, scripts/install-deps.sh), found
// on PATH or in $(go env GOPATH)/bin; it fails, never skips, when cosign is
// missing, since CI installs it. cosign runs offline:
//   - SIGSTORE_REKOR_PUBLIC_KEY is set (to a file that does not exist: with
//     --insecure-ignore-tlog no Rekor key is read), which is what stops
//     cosign from fetching Sigstore's trusted root over TUF (it says
//     "Could not fetch trusted_root.json" when it tries);
//   - every proxy variable points at a closed port on 127.0.0.1 and NO_PROXY
//     is empty, so any connection it still tried would be refused;
//   - its home and TUF cache are in $WORK, so nothing of the host's is read.
//
// With `!`, cosign must run and exit non-zero.
func cmdCosign(ts *testscript.TestScript, neg bool, args []string) {
	bin, err := findCosign()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	home := ts.MkAbs(".cosign-home")
	ts.Check(os.MkdirAll(home, 0o700))
	const closed = "http://127.0.0.1:9"
	offline := map[string]string{
		"HOME":                      home,
		"TUF_ROOT":                  filepath.Join(home, "tuf"),
		"SIGSTORE_NO_CACHE":         "true",
		"SIGSTORE_REKOR_PUBLIC_KEY": filepath.Join(home, "no-rekor-key.pem"),
		"HTTPS_PROXY":               closed,
		"HTTP_PROXY":                closed,
		"ALL_PROXY":                 closed,
		"https_proxy":               closed,
		"http_proxy":                closed,
		"all_proxy":                 closed,
		"NO_PROXY":                  "",
		"no_proxy":                  "",
	}
	saved := map[string]string{}
	for k, v := range offline {
		saved[k] = ts.Getenv(k)
		ts.Setenv(k, v)
	}
	defer func() {
		for k, v := range saved {
			ts.Setenv(k, v)
		}
	}()
	err = ts.Exec(bin, args...)
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		ts.Fatalf("cosign: %v", err)
	case neg && err == nil:
		ts.Fatalf("cosign unexpectedly succeeded")
	case !neg && err != nil:
		ts.Logf("stderr:\n%s", ts.ReadFile("stderr"))
		ts.Fatalf("cosign: %v", err)
	}
}

func findCosign() (string, error) {
	if p, err := exec.LookPath("cosign"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "cosign")
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", errors.New("cosign is not on PATH nor in $(go env GOPATH)/bin: run scripts/install-deps.sh (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5)")
}

// dsse extract|flip-sig reads attestations the way a registry client does, from an
// extracted bundle (a plain OCI layout) and without ct's code:
//
//	dsse extract DIR TYPE ENVELOPE SUBJECT
//	    finds in DIR/index.json the one DSSE artifact manifest whose
//	    in-toto.io/predicate-type annotation is TYPE, and writes its envelope
//	    (the one layer) to ENVELOPE and the blob its subject names (the
//	    image manifest) to SUBJECT
//	dsse flip-sig IN OUT
//	    writes envelope IN with the lowest bit of its first signature's
//	    first byte flipped, as OUT (still valid JSON and base64)
func dsseLayout(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: dsse cosign ARGS… | dsse extract DIR TYPE ENVELOPE SUBJECT | dsse flip-sig IN OUT"
	if neg || len(args) == 0 {
		ts.Fatalf(usage)
	}
	switch {
	case args[0] == "extract" && len(args) == 5:
		env, subject := ociAttestation(ts, ts.MkAbs(args[1]), args[2])
		ts.Check(os.WriteFile(ts.MkAbs(args[3]), env, 0o644))
		ts.Check(os.WriteFile(ts.MkAbs(args[4]), subject, 0o644))
	case args[0] == "flip-sig" && len(args) == 3:
		in := ts.ReadFile(args[1])
		var env struct {
			Signatures []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		}
		ts.Check(json.Unmarshal([]byte(in), &env))
		if len(env.Signatures) == 0 {
			ts.Fatalf("%s has no signature", args[1])
		}
		old := env.Signatures[0].Sig
		sig, err := base64.StdEncoding.DecodeString(old)
		ts.Check(err)
		sig[0] ^= 1
		out := strings.Replace(in, `"sig":"`+old+`"`, `"sig":"`+base64.StdEncoding.EncodeToString(sig)+`"`, 1)
		if out == in {
			ts.Fatalf("cannot find the signature in %s", args[1])
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(out), 0o644))
	default:
		ts.Fatalf(usage)
	}
}

// ociAttestation returns the envelope of the one attestation of type typ in
// the OCI layout dir, and the blob its manifest's subject names.
func ociAttestation(ts *testscript.TestScript, dir, typ string) (envelope, subject []byte) {
	type desc struct {
		MediaType    string `json:"mediaType"`
		ArtifactType string `json:"artifactType"`
		Digest       string `json:"digest"`
	}
	blob := func(d string) []byte {
		alg, hex, ok := strings.Cut(d, ":")
		if !ok || alg != "sha256" || len(hex) != 64 || strings.ContainsAny(hex, "/.") {
			ts.Fatalf("bad digest %q", d)
		}
		b, err := os.ReadFile(filepath.Join(dir, "blobs", alg, hex))
		ts.Check(err)
		return b
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index.json"))
	ts.Check(err)
	var index struct {
		Manifests []desc `json:"manifests"`
	}
	ts.Check(json.Unmarshal(idx, &index))
	found := 0
	for _, d := range index.Manifests {
		if d.ArtifactType != "application/vnd.dsse.envelope.v1+json" {
			continue
		}
		var m struct {
			Layers      []desc            `json:"layers"`
			Subject     *desc             `json:"subject"`
			Annotations map[string]string `json:"annotations"`
		}
		ts.Check(json.Unmarshal(blob(d.Digest), &m))
		if m.Annotations["in-toto.io/predicate-type"] != typ {
			continue
		}
		if len(m.Layers) != 1 || m.Subject == nil {
			ts.Fatalf("attestation manifest %s: want one layer and a subject", d.Digest)
		}
		found++
		envelope, subject = blob(m.Layers[0].Digest), blob(m.Subject.Digest)
	}
	if found != 1 {
		ts.Fatalf("%s: %d attestations of type %s, want 1", dir, found, typ)
	}
	if !bytes.HasPrefix(envelope, []byte(`{"payloadType":"application/vnd.in-toto+json"`)) {
		ts.Fatalf("the envelope is not DSSE: %.60s", envelope)
	}
	return envelope, subject
}
