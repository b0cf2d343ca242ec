package sbom

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// gunzip inflates gzip layers to the same bytes as go-containerregistry,
// leaves every other layer to it, and fails on a broken stream.
func TestGunzip(t *testing.T) {
	data := bytes.Repeat([]byte("ct-sbom layer bytes "), 200000) // 4 MB: several pgzip blocks
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data[:len(data)/2])
	zw.Close()
	zw = gzip.NewWriter(&gz) // a second member, as some tools write
	zw.Write(data[len(data)/2:])
	zw.Close()
	zs, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zstdBytes := zs.EncodeAll(data, nil)

	rc, err := gunzip(static.NewLayer(gz.Bytes(), types.OCILayer))
	if err != nil || rc == nil {
		t.Fatalf("gzip layer: %v, %v", rc, err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("gzip layer: %d bytes, %v; want the %d bytes written", len(got), err, len(data))
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}

	for name, b := range map[string][]byte{"zstd": zstdBytes, "uncompressed": data, "empty": nil} {
		rc, err := gunzip(static.NewLayer(b, types.OCILayer))
		if rc != nil || err != nil {
			t.Errorf("%s layer: %v, %v; want nil, nil (go-containerregistry's reader)", name, rc, err)
		}
	}

	broken := bytes.Clone(gz.Bytes())
	for i := 100; i < 200; i++ {
		broken[i] ^= 0xff
	}
	rc, err = gunzip(static.NewLayer(broken, types.OCILayer))
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if err == nil {
		t.Fatal("a broken gzip stream inflated without an error")
	}
}
