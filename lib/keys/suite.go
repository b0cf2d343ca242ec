package keys

import (
	"crypto/ed25519"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/cerro-torre/ct/lib/exit"
)

// Suite identifiers (docs/spec/signatures.md §2). A key belongs to exactly
// one suite, and so does every signature it makes.
const (
	SuiteEd25519 = "CT-SIG-01" // Ed25519
	SuiteHybrid  = "CT-SIG-02" // Ed25519 and ML-DSA-87, both required
	SuiteMLDSA87 = "CT-SIG-03" // ML-DSA-87

	// DefaultSuite is the suite new keys use unless told otherwise.
	DefaultSuite = SuiteEd25519
)

// SuiteInfo describes the key material of one suite.
type SuiteInfo struct {
	ID        string // e.g. "CT-SIG-01"
	Name      string // human name of the algorithm(s)
	Alias     string // short name accepted by ParseSuite, e.g. "ed25519"
	PublicKey int    // public key size in bytes
	Seed      int    // size in bytes of the secret seed stored in key files
}

// Suites lists every suite this package knows, in id order.
var Suites = []SuiteInfo{
	{SuiteEd25519, "Ed25519", "ed25519", ed25519.PublicKeySize, ed25519.SeedSize},
	{SuiteHybrid, "Ed25519 + ML-DSA-87", "hybrid", ed25519.PublicKeySize + mldsa87.PublicKeySize, ed25519.SeedSize + mldsa87.SeedSize},
	{SuiteMLDSA87, "ML-DSA-87", "ml-dsa-87", mldsa87.PublicKeySize, mldsa87.SeedSize},
}

// LookupSuite returns the suite with exactly this id, or nil.
func LookupSuite(id string) *SuiteInfo {
	for i := range Suites {
		if Suites[i].ID == id {
			return &Suites[i]
		}
	}
	return nil
}

// ParseSuite resolves a suite named by a user: the id in any case
// ("ct-sig-02") or the alias ("ed25519", "hybrid", "ml-dsa-87"). An empty
// name means DefaultSuite. Anything else is an exit.Usage error that lists
// the known suites.
func ParseSuite(name string) (string, error) {
	if name == "" {
		return DefaultSuite, nil
	}
	for _, s := range Suites {
		if strings.EqualFold(name, s.ID) || strings.EqualFold(name, s.Alias) {
			return s.ID, nil
		}
	}
	return "", exit.New(exit.Usage, "unknown signature suite %q", name).WithHint("use one of: %s", suiteList())
}

func suiteList() string {
	var b strings.Builder
	for i, s := range Suites {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.ID + " (" + s.Alias + ")")
	}
	return b.String()
}

// unknownSuite is the error for a file that names a suite this package does
// not know.
func unknownSuite(id string) *exit.Error {
	return exit.New(exit.Malformed, "unknown signature suite %q", id).WithHint("this ct knows %s; a newer ct may know more", suiteList())
}
