package sig

import (
	"crypto/ed25519"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/cerro-torre/ct/lib/keys"
)

// Suite describes one signature suite (signatures.md §2).
type Suite struct {
	ID            string // "CT-SIG-01", …
	Algorithm     string // human name
	PublicKeySize int    // bytes of the raw public key
	SignatureSize int    // bytes of a signature: always exactly this
	Default       bool   // the suite new keys use unless told otherwise
}

// Suites is the registry: every suite this ct signs and verifies, by id.
var Suites = []Suite{
	{keys.SuiteEd25519, "Ed25519 (RFC 8032, pure)", ed25519.PublicKeySize, ed25519.SignatureSize, keys.DefaultSuite == keys.SuiteEd25519},
	{keys.SuiteHybrid, "Ed25519 and ML-DSA-87, both required", ed25519.PublicKeySize + mldsa87.PublicKeySize, ed25519.SignatureSize + mldsa87.SignatureSize, keys.DefaultSuite == keys.SuiteHybrid},
	{keys.SuiteMLDSA87, "ML-DSA-87 (FIPS 204, deterministic)", mldsa87.PublicKeySize, mldsa87.SignatureSize, keys.DefaultSuite == keys.SuiteMLDSA87},
}

// LookupSuite returns the suite with exactly this id, or nil.
func LookupSuite(id string) *Suite {
	for i := range Suites {
		if Suites[i].ID == id {
			return &Suites[i]
		}
	}
	return nil
}
