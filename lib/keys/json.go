package keys

// The JSON documents of ct keygen and ct key (docs/json/README.md): each
// starts with "schema", uses camelCase, names a key as {keyId, suite,
// fingerprint} (docs/cli.md) and has no null list. Their JSON Schemas are
// docs/json/ct.keygen.schema.json and docs/json/ct.key.*.schema.json.

// KeyRef is the "key" member of every ct JSON document: keyId is the
// name this machine knows the key by (its id in the store or file).
type KeyRef struct {
	KeyID       string `json:"keyId"`
	Suite       string `json:"suite"`
	Fingerprint string `json:"fingerprint"` // text form, 64 hex digits
}

// RefOf returns the JSON name of p.
func RefOf(p *PublicKey) KeyRef {
	return KeyRef{KeyID: p.id, Suite: p.suite, Fingerprint: p.fp.String()}
}

// ListedKey is one key of ct.key.list/1.
type ListedKey struct {
	Key                KeyRef `json:"key"`
	FingerprintDisplay string `json:"fingerprintDisplay"`
	Own                bool   `json:"own"`
	Trusted            bool   `json:"trusted"`
	Default            bool   `json:"default"`
	Encrypted          bool   `json:"encrypted"`
	Path               string `json:"path"`
}

// ListDoc is ct key list --json.
type ListDoc struct {
	Schema string      `json:"schema"` // "ct.key.list/1"
	Store  string      `json:"store"`
	Keys   []ListedKey `json:"keys"`
}

// NewListDoc makes the ct.key.list/1 document of entries (never a null list).
func NewListDoc(store string, entries []*KeyEntry) *ListDoc {
	d := &ListDoc{Schema: "ct.key.list/1", Store: store, Keys: make([]ListedKey, 0, len(entries))}
	for _, e := range entries {
		d.Keys = append(d.Keys, ListedKey{Key: RefOf(e.Key), FingerprintDisplay: e.Key.fp.Display(),
			Own: e.Own, Trusted: e.Trusted, Default: e.Default, Encrypted: e.Encrypted, Path: e.Path})
	}
	return d
}

// InfoDoc is ct key info --json.
type InfoDoc struct {
	Schema             string   `json:"schema"` // "ct.key.info/1"
	Key                KeyRef   `json:"key"`
	FingerprintDisplay string   `json:"fingerprintDisplay"`
	Algorithm          string   `json:"algorithm"`
	PublicKeySize      int      `json:"publicKeySize"`
	File               string   `json:"file"` // "private" or "public"
	Path               string   `json:"path"`
	Own                bool     `json:"own"`
	Trusted            bool     `json:"trusted"`
	Default            bool     `json:"default"`
	Encrypted          bool     `json:"encrypted"`
	KDF                *KDFInfo `json:"kdf,omitempty"`
}

// NewInfoDoc makes the ct.key.info/1 document of d.
func NewInfoDoc(d *KeyDetails) *InfoDoc {
	return &InfoDoc{Schema: "ct.key.info/1", Key: RefOf(d.Key), FingerprintDisplay: d.FingerprintDisplay,
		Algorithm: d.Algorithm, PublicKeySize: d.PublicKeySize, File: d.File, Path: d.Path,
		Own: d.Own, Trusted: d.Trusted, Default: d.Default, Encrypted: d.Encrypted, KDF: d.KDF}
}
