package main

// Archive vectors for transparency proofs (archive.md §2, §3; bundle.md
// §6.1), in tests/vectors/archive: NAME.tar with NAME.expect as for the
// bundle vectors. lib/archive's TestProofVectors checks them with ct
// verify's archive path (archive.VerifyPath).

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cerro-torre/ct/lib/archive"
	"github.com/cerro-torre/ct/lib/canon"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog/tlogtest"
)

type tarEntry struct {
	name string
	data []byte
}

func tarEntries(b []byte) []tarEntry {
	var out []tarEntry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		must(err)
		d, err := io.ReadAll(tr)
		must(err)
		out = append(out, tarEntry{h.Name, d})
	}
}

// tarBuild writes entries with the archive's headers (archive.md §1):
// regular files, mode 0644, mtime 0, long names split into the prefix.
func tarBuild(es []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(e.data)), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}))
		_, err := tw.Write(e.data)
		must(err)
	}
	must(tw.Close())
	return buf.Bytes()
}

func archiveProofVectors(dir string, alice *keys.PrivateKey) int {
	adir := filepath.Join(dir, "..", "archive")
	must(os.MkdirAll(adir, 0o755))
	pub, err := keys.EncodePublic(alice.Public())
	must(err)
	must(os.WriteFile(filepath.Join(adir, "trusted.pub"), pub, 0o644))

	logKey := key(keys.SuiteEd25519, "log", 9)
	m, blobs := image("web", "1.0")
	signed := write(m, blobs, alice)
	logged, err := tlogtest.AddProofFile(signed, "log1.example/ct", logKey)
	must(err)
	logged, err = tlogtest.AddProofFile(logged, "log2.example/ct", logKey)
	must(err)
	tmp, err := os.MkdirTemp("", "gen-verify-")
	must(err)
	defer os.RemoveAll(tmp)
	in := filepath.Join(tmp, "web.ctp")
	must(os.WriteFile(in, logged, 0o644))
	var out bytes.Buffer
	_, err = archive.Export([]string{in}, archive.ExportOptions{}, &out)
	must(err)
	valid := out.Bytes()
	es := tarEntries(valid)
	// es: ct-archive.toml, manifest, signature, proof (log a), proof (log b), blobs…
	var pi []int
	for i, e := range es {
		if strings.Contains(e.name, "/transparency/") {
			pi = append(pi, i)
		}
	}
	if len(pi) != 2 || pi[0] != 3 {
		panic("unexpected archive layout")
	}
	sigName := es[2].name
	edit := func(fn func(c []tarEntry) []tarEntry) []byte {
		return tarBuild(fn(append([]tarEntry(nil), es...)))
	}
	// index rewrites the index canonically, bypassing Validate (which
	// would refuse what the vector needs).
	index := func(c []tarEntry, fn func(b *archive.IndexBundle)) []tarEntry {
		x, _, err := archive.ReadIndex(bytes.NewReader(valid))
		must(err)
		fn(&x.Bundles[0])
		b, err := canon.MarshalTOML(x)
		must(err)
		c[0] = tarEntry{archive.IndexName, b}
		return c
	}
	fpOf := func(name string) string { // the fingerprint in an entry name
		base := name[strings.LastIndex(name, "/")+1:]
		return base[:64]
	}
	type vec struct {
		name, expect, what string
		data               []byte
	}
	mal := "malformed"
	vs := []vec{
		{"proofs-valid", "valid", "a signed bundle with proofs from two logs, exported; the proofs are carried (the log is not trusted, and nothing requires it)", valid},
		{"proof-unlisted", mal, "a proof entry the index does not list", edit(func(c []tarEntry) []tarEntry {
			return index(c, func(b *archive.IndexBundle) { b.Proofs = b.Proofs[:1] })
		})},
		{"proof-missing", mal, "the index lists a proof whose entry is removed", edit(func(c []tarEntry) []tarEntry {
			return append(c[:pi[1]:pi[1]], c[pi[1]+1:]...)
		})},
		{"proofs-out-of-order", mal, "the two proof entries swapped", edit(func(c []tarEntry) []tarEntry {
			c[pi[0]], c[pi[1]] = c[pi[1]], c[pi[0]]
			return c
		})},
		{"proofs-index-unsorted", mal, "the index's proofs array and the entries in reverse order", edit(func(c []tarEntry) []tarEntry {
			c[pi[0]], c[pi[1]] = c[pi[1]], c[pi[0]]
			return index(c, func(b *archive.IndexBundle) { b.Proofs[0], b.Proofs[1] = b.Proofs[1], b.Proofs[0] })
		})},
		{"proof-before-signature", mal, "a proof entry before the bundle's signature entry", edit(func(c []tarEntry) []tarEntry {
			c[2], c[3] = c[3], c[2]
			return c
		})},
		{"proof-duplicate", mal, "a proof listed and stored twice", edit(func(c []tarEntry) []tarEntry {
			c = index(c, func(b *archive.IndexBundle) { b.Proofs = append(b.Proofs, b.Proofs[1]) })
			return append(c[:pi[1]+1:pi[1]+1], append([]tarEntry{c[pi[1]]}, c[pi[1]+1:]...)...)
		})},
		{"proof-of-no-signature", mal, "a proof named for a fingerprint with no signature in the bundle", edit(func(c []tarEntry) []tarEntry {
			other := strings.Repeat("0", 64)
			old := c[pi[0]].name // sorted first still: 0… < any other fingerprint
			c[pi[0]].name = strings.Replace(old, fpOf(old), other, 1)
			return index(c, func(b *archive.IndexBundle) {
				b.Proofs[0] = strings.Replace(b.Proofs[0], fpOf(old), other, 1)
			})
		})},
		{"proof-bad-name", mal, "a proof named transparency/<fp>.proof (no log id)", edit(func(c []tarEntry) []tarEntry {
			fp := fpOf(sigName)
			c[pi[1]].name = strings.TrimSuffix(c[pi[1]].name, c[pi[1]].name[strings.LastIndex(c[pi[1]].name, "/")+1:]) + fp + ".proof"
			return index(c, func(b *archive.IndexBundle) { b.Proofs[1] = "transparency/" + fp + ".proof" })
		})},
		{"proof-unparseable", mal, "a proof entry whose content is not a proof (log.md §4)", edit(func(c []tarEntry) []tarEntry {
			c[pi[0]].data = []byte("not a proof\n")
			return c
		})},
		{"proof-trailing-newline", mal, "a newline appended to a proof entry", edit(func(c []tarEntry) []tarEntry {
			c[pi[0]].data = append(bytes.Clone(c[pi[0]].data), '\n')
			return c
		})},
		{"proof-too-large", mal, "a proof entry of 16,385 bytes", edit(func(c []tarEntry) []tarEntry {
			c[pi[0]].data = bytes.Repeat([]byte("x"), 16385)
			return c
		})},
	}
	for _, v := range vs {
		writeVector(adir, v.name, ".tar", v.data, v.expect, v.what, "trusted.pub", "")
	}
	return len(vs)
}
