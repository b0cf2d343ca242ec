package logclient

import (
	"io"

	"github.com/cerro-torre/ct/lib/bundle"
)

// Strip copies the bundle read from in to out without its transparency/
// entries (ct log strip): what is left is byte for byte the bundle as it
// was signed, before any proof was added. It returns the number of proof
// entries removed.
func Strip(in io.Reader, name string, out io.Writer, outErr func(error) error) (int, error) {
	removed := 0
	_, err := bundle.RewriteProofs(in, name, out, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		return old, nil
	}, func(_ *bundle.Manifest, _, old []bundle.Entry) ([]bundle.Entry, error) {
		removed = len(old)
		return nil, nil
	}, outErr)
	return removed, err
}
