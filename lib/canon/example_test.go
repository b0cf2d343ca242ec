package canon_test

import (
	"fmt"

	"github.com/cerro-torre/ct/lib/canon"
)

func ExampleMarshalTOML() {
	type Layer struct {
		Digest string `toml:"digest"`
		Size   int64  `toml:"size"`
	}
	type Manifest struct {
		Version int      `toml:"version"`
		Name    string   `toml:"name"`
		Note    string   `toml:"note,omitempty"`
		Tags    []string `toml:"tags,omitempty"`
		Layers  []Layer  `toml:"layer"`
	}
	out, err := canon.MarshalTOML(Manifest{
		Version: 1,
		Name:    "demo",
		Tags:    []string{"latest", "v1"},
		Layers:  []Layer{{Digest: "sha256:ab", Size: 42}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	fmt.Println(canon.CheckTOML(out))
	// Output:
	// name = "demo"
	// tags = ["latest", "v1"]
	// version = 1
	//
	// [[layer]]
	// digest = "sha256:ab"
	// size = 42
	// <nil>
}
