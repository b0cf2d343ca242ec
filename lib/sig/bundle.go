package sig

import (
	"io"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
)

// BundleEntry signs manifest with k and returns the bundle entry to append.
func BundleEntry(k *keys.PrivateKey, manifest []byte) (bundle.Entry, *Entry, error) {
	e, err := Sign(k, manifest)
	if err != nil {
		return bundle.Entry{}, nil, err
	}
	name, data, err := EncodeEntry(e)
	if err != nil {
		return bundle.Entry{}, nil, err
	}
	return bundle.Entry{Name: name, Data: data}, e, nil
}

// Merge returns old with add in place of any entry of the same name (the
// same key): re-signing with a key replaces its signature, co-signing adds
// one. Every old entry must parse; a bundle with a damaged signature entry is
// not signed over.
func Merge(old []bundle.Entry, add bundle.Entry) ([]bundle.Entry, error) {
	out := []bundle.Entry{add}
	for _, o := range old {
		if _, err := ParseEntry(o.Name, o.Data); err != nil {
			return nil, err
		}
		if o.Name != add.Name {
			out = append(out, o)
		}
	}
	return out, nil
}

// SignBundle streams the bundle from in to out, checking every entry and
// blob against manifest.toml, and adds k's signature. Nothing but the
// signature entries changes. A bundle whose content does not match its
// manifest is refused (exit.HashMismatch or exit.Malformed): nothing is
// signed that ct-verify would reject for its content.
func SignBundle(in io.Reader, name string, out io.Writer, k *keys.PrivateKey, outErr func(error) error) (*bundle.Manifest, *Entry, error) {
	var made *Entry
	m, err := bundle.Rewrite(in, name, out, func(_ *bundle.Manifest, manifest []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		be, e, err := BundleEntry(k, manifest)
		if err != nil {
			return nil, err
		}
		made = e
		merged, err := Merge(old, be)
		if err != nil {
			return nil, exit.Wrap(exit.Malformed, err, "bundle %s carries a damaged signature entry", name).
				WithHint("re-create the bundle with ct pack, or ask its signer for an intact copy")
		}
		return merged, nil
	}, outErr)
	if err != nil {
		return nil, nil, err
	}
	return m, made, nil
}
