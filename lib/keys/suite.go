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
	Alias     string // short name ParseSuite suggests the id for, e.g. "ed25519"
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

// ParseSuite resolves a suite named by a user. It accepts exactly the
// suite ids policy.json accepts ("CT-SIG-01", "CT-SIG-02", "CT-SIG-03"),
// so a name that works on the command line also works in a policy; an
// empty name means DefaultSuite. Anything else is an exit.Usage error that
// lists the suites, and names the id meant when the name is one in another
// case or an algorithm alias ("ed25519", "hybrid", "ml-dsa-87").
func ParseSuite(name string) (string, error) {
	if name == "" {
		return DefaultSuite, nil
	}
	if LookupSuite(name) != nil {
		return name, nil
	}
	e := exit.New(exit.Usage, "unknown signature suite %q", name)
	if id := SuggestSuite(name); id != "" {
		return "", e.WithHint("write %s: suites are named by their id, exactly as in policy.json (%s)", id, suiteList())
	}
	return "", e.WithHint("use one of: %s", suiteList())
}

// SuggestSuite returns the suite id a user probably meant by name: the id
// in another case, or an algorithm alias; else "".
func SuggestSuite(name string) string {
	for _, s := range Suites {
		if strings.EqualFold(name, s.ID) || strings.EqualFold(name, s.Alias) || strings.EqualFold(name, s.Name) {
			return s.ID
		}
	}
	return ""
}

// SuiteList lists the suites for people: "CT-SIG-01 (Ed25519), …".
func SuiteList() string { return suiteList() }

func suiteList() string {
	var b strings.Builder
	for i, s := range Suites {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.ID + " (" + s.Name + ")")
	}
	return b.String()
}

// unknownSuite is the error for a file that names a suite this package does
// not know.
func unknownSuite(id string) *exit.Error {
	return exit.New(exit.Malformed, "unknown signature suite %q", id).WithHint("this ct knows %s; a newer ct may know more", suiteList())
}
