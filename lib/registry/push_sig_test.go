package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cerro-torre/ct/lib/bundle"
	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/sig"
)

// writeParts writes p as a bundle file with the signature entries sigs.
func writeParts(t *testing.T, p Parts, sigs []bundle.Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "b.ctp")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := bundle.NewWriter(f, p.Manifest, bundle.WriterOptions{ModTime: p.ModTime})
	if err != nil {
		t.Fatal(err)
	}
	for b, ok := w.NextBlob(); ok; b, ok = w.NextBlob() {
		rc, _ := p.Open(b)
		if err := w.WriteBlob(b.Digest, rc); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteSignatures(sigs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ct push refuses an unsigned bundle unless told, and a bundle whose
// signatures do not verify always; nothing reaches the registry.
func TestPushRefusesUnverifiedSignatures(t *testing.T) {
	rec, host := newRecorder(t)
	path, _, _ := signedBundle(t)
	p := partsOf(t, path)
	ctx := context.Background()

	unsigned := writeParts(t, p, nil)
	_, err := Push(ctx, PushRequest{Bundle: unsigned, Ref: host + "/r/app:1", Quiet: true})
	if exit.CodeOf(err) != exit.SignatureInvalid || !strings.Contains(err.Error(), "unsigned") || !strings.Contains(exit.HintOf(err), "--allow-unsigned") {
		t.Fatalf("unsigned: exit %d %v", exit.CodeOf(err), err)
	}
	se, err := sig.ParseEntry(p.Signatures[0].Name, p.Signatures[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	se.Signature[3] ^= 1
	name, data, err := sig.EncodeEntry(se)
	if err != nil {
		t.Fatal(err)
	}
	forged := writeParts(t, p, []bundle.Entry{{Name: name, Data: data}})
	_, err = Push(ctx, PushRequest{Bundle: forged, Ref: host + "/r/app:1", Quiet: true, AllowUnsigned: true})
	if exit.CodeOf(err) != exit.SignatureInvalid || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("bad signature: exit %d %v", exit.CodeOf(err), err)
	}
	if n := rec.count("PUT", "") + rec.count("POST", "") + rec.count("PATCH", ""); n != 0 {
		t.Fatalf("%d writes to the registry for refused bundles", n)
	}
	if _, err := Push(ctx, PushRequest{Bundle: unsigned, Ref: host + "/r/app:1", Quiet: true, AllowUnsigned: true}); err != nil {
		t.Fatalf("--allow-unsigned: %v", err)
	}
}

func TestTermSafe(t *testing.T) {
	err := exit.New(exit.Network, "registry said \x1b[32mOK\x1b[0m").WithHint("line one\nline \x1b]0;two")
	got := TermSafe(err)
	if exit.CodeOf(got) != exit.Network || strings.ContainsRune(got.Error(), 0x1b) || strings.ContainsRune(exit.HintOf(got), 0x1b) ||
		!strings.Contains(got.Error(), `\x1b[32mOK`) || strings.Count(exit.HintOf(got), "\n") != 1 {
		t.Fatalf("%q / %q", got.Error(), exit.HintOf(got))
	}
	if TermSafe(nil) != nil {
		t.Fatal("nil")
	}
}
