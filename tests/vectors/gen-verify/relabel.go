package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/sig"
)

// relabelVectors writes the vectors of issue 8 §1 and §2 (signatures.md
// §4.4, verify.md §3): bundles whose signature entries' key_id was rewritten
// after signing, judged with a policy (NAME.expect names it with "policy:"),
// and a bundle whose free-text fields hold terminal escape sequences.
//
// A signature entry's key_id is an unsigned label: the relabelled entries
// still verify, and a conforming verifier names the signer by its own name
// for the trusted key (alice, from trusted.pub), so no policy rule can be
// satisfied or escaped by the label.
func relabelVectors(dir string, m *bundle.Manifest, blobs map[string][]byte, alice, mallory *keys.PrivateKey) int {
	byAlice, byMallory := write(m, blobs, alice), write(m, blobs, mallory)
	policies := map[string]string{
		"relabel-allowed.json": `{"version": 1, "signers": {"allowed": ["release-*"]}}` + "\n",
		"relabel-denied.json":  `{"version": 1, "signers": {"denied": ["alice"]}}` + "\n",
		"relabel-pin.json":     `{"version": 1, "pin": {"web": {"signers": ["release-2024"]}}}` + "\n",
	}
	for name, p := range policies {
		must(os.WriteFile(filepath.Join(dir, name), []byte(p), 0o644))
	}
	hm, hblobs := image("web", "1.0")
	hm.Source.Reference = "registry.example/team/web:1.0\x1b[2K\r\x1b[32mOK web 1.0 signed by release-2024\x1b[0m"
	hm.Source.Tag = "1.0\u202e0.2"
	hm.Source.Repository = "team/web\x1b[8m" // concealed text from here on
	hm.Tool = bundle.Tool{Name: "gen-verify\x1b]0;owned\x07", Version: "1\u202ecod.exe"}

	type vec struct {
		name, expect, policy, what string
		data                       []byte
	}
	vs := []vec{
		{"relabel-valid", "valid", "", `signed by the trusted key alice, key_id rewritten to "release-2024" afterwards: a label, still valid`,
			relabel(byAlice, "release-2024")},
		{"relabel-allowed", "policy-rejected", "relabel-allowed.json", `signed by alice, key_id rewritten to "release-2024"; the policy allows only release-*`,
			relabel(byAlice, "release-2024")},
		{"relabel-denied", "policy-rejected", "relabel-denied.json", `signed by alice, key_id rewritten to "innocent"; the policy denies alice`,
			relabel(byAlice, "innocent")},
		{"relabel-pin", "policy-rejected", "relabel-pin.json", `signed by alice, key_id rewritten to "release-2024"; the policy pins web to release-2024`,
			relabel(byAlice, "release-2024")},
		{"relabel-untrusted", "key-not-trusted", "", `signed by an untrusted key whose key_id was rewritten to "alice", the trusted key's id`,
			relabel(byMallory, "alice")},
		{"hostile-text", "valid", "", "signed by alice; source and tool fields hold terminal escape sequences and bidi overrides",
			write(hm, hblobs, alice)},
	}
	for _, v := range vs {
		writeVector(dir, v.name, ".ctp", v.data, v.expect, v.what, "trusted.pub", v.policy)
	}
	return len(vs)
}

// relabel rewrites the key_id of every signature entry of the bundle (and
// the id of the public key it carries, which must equal it); nothing signed
// changes.
func relabel(data []byte, id string) []byte {
	var out bytes.Buffer
	_, err := bundle.Rewrite(bytes.NewReader(data), "relabel", &out, func(_ *bundle.Manifest, _ []byte, old []bundle.Entry) ([]bundle.Entry, error) {
		var res []bundle.Entry
		for _, o := range old {
			e, err := sig.ParseEntry(o.Name, o.Data)
			if err != nil {
				return nil, err
			}
			if e.PublicKey, err = e.PublicKey.WithID(id); err != nil {
				return nil, err
			}
			e.KeyID = id
			name, b, err := sig.EncodeEntry(e)
			if err != nil {
				return nil, err
			}
			res = append(res, bundle.Entry{Name: name, Data: b})
		}
		return res, nil
	}, nil)
	must(err)
	if bytes.Equal(out.Bytes(), data) {
		must(fmt.Errorf("relabel to %q changed nothing", id))
	}
	return out.Bytes()
}
