// Package e2e drives the built ct binaries as a user would: testscript
// scenarios in testdata/*.txtar, a real CNCF distribution registry on
// 127.0.0.1 and real skopeo as an independent client. Nothing is mocked.
package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cerro-torre/ct/tests/harness"
)

// env is what every script sees, set up once in TestMain.
var env []string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "ct-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bin")
	if err := buildBinaries(bin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building binaries:", err)
		return 1
	}
	reg, err := harness.StartRegistry(filepath.Join(tmp, "registry"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting registry:", err)
		return 1
	}
	defer reg.Stop()
	lay := filepath.Join(tmp, "layout")
	imgs, err := harness.BuildImages(lay)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building images:", err)
		return 1
	}
	if err := harness.Push(reg, lay, imgs); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: pushing images:", err)
		return 1
	}
	// A second registry that requires a password, for the credential tests.
	authReg, err := harness.StartAuthRegistry(filepath.Join(tmp, "authregistry"), "ct", "secret")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the password registry:", err)
		return 1
	}
	defer authReg.Stop()
	if _, err := harness.Skopeo("copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "ct:secret",
		"oci:"+lay+":multi", "docker://"+authReg.Addr+"/private/multi:multi"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: pushing to the password registry:", err)
		return 1
	}
	ociArchive, dockerArchive, err := harness.Archives(reg, filepath.Join(tmp, "archives"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: writing archives:", err)
		return 1
	}
	env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CTBIN=" + bin,
		"REGISTRY=" + reg.Addr,
		"REGISTRYDIR=" + filepath.Join(reg.Dir, "storage"), // verifyonly.go
		"AUTHREGISTRY=" + authReg.Addr,
		"LAYOUT=" + lay,
		"OCIARCHIVE=" + ociArchive,
		"DOCKERARCHIVE=" + dockerArchive,
		"TESTPID=" + strconv.Itoa(os.Getpid()),
	}
	for _, t := range harness.Tags {
		env = append(env, "DIGEST_"+strings.ToUpper(t)+"="+imgs[t].Digest)
	}
	// The per-platform manifests of the index, for --platform checks.
	p, err := layout.FromPath(lay)
	if err == nil {
		var idx v1.ImageIndex
		if ii, e := p.ImageIndex(); e == nil {
			im, _ := ii.IndexManifest()
			for _, d := range im.Manifests {
				if d.Digest.String() == imgs[harness.TagIndex].Digest {
					idx, _ = ii.ImageIndex(d.Digest)
				}
			}
		}
		if idx != nil {
			im, _ := idx.IndexManifest()
			for _, d := range im.Manifests {
				if d.Platform != nil {
					env = append(env, "DIGEST_INDEX_"+strings.ToUpper(d.Platform.Architecture)+"="+d.Digest.String())
				}
			}
		}
	}
	return m.Run()
}

// buildBinaries builds every ct and ct-* main package of the workspace into dir.
func buildBinaries(dir string) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	cmds := []string{"./ct"}
	matches, _ := filepath.Glob(filepath.Join(root, "ct-*", "main.go"))
	for _, m := range matches {
		cmds = append(cmds, "./"+filepath.Base(filepath.Dir(m)))
	}
	args := append([]string{"build", "-trimpath", "-o", dir + "/"}, cmds...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(e *testscript.Env) error {
			e.Vars = append(e.Vars, env...)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":  cmdExits,
			"skopeo": cmdSkopeo,
			"sha256": cmdSHA256,
			// edit_test.go
			"relabel-sig":   cmdRelabelSig,
			"vector":        cmdVector,
			"hostile":       cmdHostile,
			"attest-tamper": cmdAttestTamper, // attest_test.go
			"sign-raw":      cmdSignRaw,      // pending_test.go
			// jsonschema.go
			"jsonschema": cmdJSONSchema,

			"makeinstall": cmdMakeInstall,                      // makeinstall.go
			"spdx":        cmdSPDX,                             // spdx.go
			"dsse":        cmdDSSE,                             // dsse.go
			"debian":      cmdDebian,                           // debian.go
			"uniqimage":   cmdUniqImage, "regblob": cmdRegBlob, // verifyonly.go
			"waitfile":    cmdWaitFile,    // waitfile.go
			"tlogfixture": cmdTLogFixture, // tlogfixture.go
			"add-proof":   cmdAddProof,    // addproof.go

			"tamper-proof": cmdTamperProof, // tamperproof.go
		},
		RequireExplicitExec: true,
	})
}

// exits CODE PROG ARGS… runs PROG and fails unless it exits with CODE; its
// stdout and stderr are then available to the stdout/stderr commands.
// (testscript's own `! exec` only knows zero from non-zero; our exit codes are
// a contract, so scripts assert the exact number.)
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		got = ee.ExitCode()
	default:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Logf("stderr:\n%s", ts.ReadFile("stderr"))
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// skopeo ARGS… runs the real skopeo, sandboxed from the host's config, with
// scripts pass --tls-verify=false themselves (the test registry is plain
// HTTP on 127.0.0.1) and absolute paths ($WORK/…), since skopeo does not run
// in the script's directory.
func cmdSkopeo(ts *testscript.TestScript, neg bool, args []string) {
	out, err := harness.Skopeo(args...)
	if neg {
		if err == nil {
			ts.Fatalf("skopeo unexpectedly succeeded")
		}
		return
	}
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Stdout().Write(out)
}

// sha256 FILE prints sha256:<hex> of FILE.
func cmdSHA256(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sha256 FILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	s := sha256.Sum256(b)
	fmt.Fprintf(ts.Stdout(), "sha256:%s\n", hex.EncodeToString(s[:]))
}
