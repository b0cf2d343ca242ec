package verify

import (
	"bytes"
	"os"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
)

// BenchmarkLogProofs measures what transparency proofs add to ct verify
// (bench/logverify.sh, target under 1 ms): "proofs" is the added work
// alone, parsing and checking the 2 proofs of tests/vectors/verify/
// log-valid.ctp (2 logs, 3 witness cosignatures each) under log-policy.json
// (quorum 2 of 3); "with"/"without" verify the whole small bundle with and
// without them (log-missing.ctp is the same signed bundle, no proofs). It
// reports how many bytes the bundle grows per log.
func BenchmarkLogProofs(b *testing.B) {
	dir := "../../tests/vectors/verify/"
	read := func(name string) []byte {
		d, err := os.ReadFile(dir + name)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	with, without := read("log-valid.ctp"), read("log-missing.ctp")
	k, err := keys.ReadPublicFile(dir + "trusted.pub")
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Load(dir + "log-policy.json")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Trusted: []TrustedKey{{Key: k, Source: "trusted.pub"}}, Policy: pol, PolicyName: "log-policy.json"}
	noLogs := opts
	noLogs.Policy = &policy.Policy{Version: 1}

	rep := Verify(bytes.NewReader(with), "log-valid.ctp", opts)
	if !rep.Valid || len(rep.Signatures[0].Logs) != 2 {
		b.Fatalf("log-valid.ctp: %v", rep.Err())
	}
	br, err := bundle.NewReader(bytes.NewReader(with), "log-valid.ctp")
	if err != nil {
		b.Fatal(err)
	}
	for _, _, err = br.NextBlob(); err == nil; _, _, err = br.NextBlob() {
	}
	if _, err := br.Signatures(); err != nil {
		b.Fatal(err)
	}
	proofs := br.Proofs()
	perLog := float64(len(with)-len(without)) / float64(len(proofs))

	b.Run("proofs", func(b *testing.B) {
		for b.Loop() {
			r := &Report{Schema: SchemaID, Bundle: "log-valid.ctp", Signatures: append([]Signer(nil), rep.Signatures...)}
			r.Signatures[0].Logs = nil
			checkProofs(r, parseProofs(proofs), rep.sigEntries, opts)
			if len(r.errs) > 0 || len(r.Signatures[0].Logs) != 2 || r.Signatures[0].Logs[1].Status != ProofWitnessed {
				b.Fatalf("proofs: %v", r.Err())
			}
		}
		b.ReportMetric(perLog, "bundle-bytes/log")
	})
	b.Run("with", func(b *testing.B) {
		for b.Loop() {
			if r := Verify(bytes.NewReader(with), "log-valid.ctp", opts); !r.Valid {
				b.Fatal(r.Err())
			}
		}
	})
	b.Run("without", func(b *testing.B) {
		for b.Loop() {
			if r := Verify(bytes.NewReader(without), "log-missing.ctp", noLogs); !r.Valid {
				b.Fatal(r.Err())
			}
		}
	})
}
