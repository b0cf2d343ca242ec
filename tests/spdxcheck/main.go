// Command spdxcheck reads an SPDX 2.3 JSON document with spdx/tools-golang
// v0.5.7's reader, a parser we did not write, and checks what the official
// JSON schema cannot: relationship ends exist (spdxlib.ValidateDocument),
// the document describes a package, and every SPDX id matches
// ^SPDXRef-[A-Za-z0-9.-]+$ (SPDX 2.3 §3.2; the schema has no patterns).
//
// It is a module of its own, outside go.work, on purpose: ct-sbom's module
// links syft, which requires a pre-release of tools-golang, and in the
// workspace that would replace v0.5.7 here. The e2e tests build it with
// GOWORK=off.
//
// Usage: spdxcheck [-list] FILE. With -list it prints one line per package:
// NAME VERSION PURL-TYPE (the type is "-" without a package URL).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

var reID = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

func main() {
	list := flag.Bool("list", false, "print the packages")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: spdxcheck [-list] FILE")
		os.Exit(2)
	}
	if err := check(flag.Arg(0), *list); err != nil {
		fmt.Fprintln(os.Stderr, "spdxcheck:", err)
		os.Exit(1)
	}
}

func check(path string, list bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	doc, err := spdxjson.Read(f)
	if err != nil {
		return fmt.Errorf("tools-golang cannot read %s: %w", path, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		return fmt.Errorf("spdxVersion %q, want SPDX-2.3", doc.SPDXVersion)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		return fmt.Errorf("tools-golang: %w", err)
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(described) == 0 {
		return fmt.Errorf("the document describes no package (%v)", err)
	}
	// The ids as written, from the raw JSON: the reader strips SPDXRef-.
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var bad []string
	walk(raw, "", &bad)
	if len(bad) > 0 {
		return fmt.Errorf("SPDX ids not matching %s: %s", reID, strings.Join(bad, ", "))
	}
	if list {
		var lines []string
		for _, p := range doc.Packages {
			typ := "-"
			for _, r := range p.PackageExternalReferences {
				if r.RefType == "purl" {
					typ = strings.SplitN(strings.TrimPrefix(r.Locator, "pkg:"), "/", 2)[0]
				}
			}
			lines = append(lines, fmt.Sprintf("%s %s %s", p.PackageName, p.PackageVersion, typ))
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Println(l)
		}
	}
	fmt.Fprintf(os.Stderr, "spdxcheck: %s: SPDX-2.3, %d packages, %d files, %d relationships: ok\n",
		path, len(doc.Packages), len(doc.Files), len(doc.Relationships))
	return nil
}

// walk collects the values of id-valued members that are not SPDX ids.
func walk(v any, key string, bad *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walk(e, k, bad)
		}
	case []any:
		for _, e := range x {
			walk(e, key, bad)
		}
	case string:
		switch key {
		case "SPDXID", "spdxElementId", "documentDescribes", "hasFiles", "snippetFromFile":
		case "relatedSpdxElement":
			if x == "NONE" || x == "NOASSERTION" {
				return
			}
		default:
			return
		}
		if !reID.MatchString(x) {
			*bad = append(*bad, fmt.Sprintf("%s %q", key, x))
		}
	}
}
