package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SkopeoBinEnv overrides the skopeo binary (default: /usr/bin/skopeo if
// present, else "skopeo" on PATH).
const SkopeoBinEnv = "CT_TEST_SKOPEO_BIN"

// SkopeoBinary returns the skopeo binary Skopeo runs.
func SkopeoBinary() (string, error) {
	if b := os.Getenv(SkopeoBinEnv); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("harness: %s=%q: %w", SkopeoBinEnv, b, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/skopeo"); err == nil {
		return "/usr/bin/skopeo", nil
	}
	p, err := exec.LookPath("skopeo")
	if err != nil {
		return "", fmt.Errorf("harness: skopeo not found (set %s or install skopeo): %w", SkopeoBinEnv, err)
	}
	return p, nil
}

// Skopeo runs skopeo with args, isolated from the host's configuration:
//
//   - a fresh temp dir per call holds HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR,
//     DOCKER_CONFIG, REGISTRY_AUTH_FILE (an empty auth.json),
//     CONTAINERS_REGISTRIES_CONF (an empty registries.conf: no mirrors,
//     no search registries, no blocked/insecure overrides),
//     --registries.d (empty: no signature lookaside) and --tmpdir;
//   - --policy points at a policy.json with only insecureAcceptAnything
//     (equivalent to --insecure-policy, but also keeps /etc/containers out);
//   - proxies are dropped from the environment.
//
// TLS is not touched: callers pass --src-tls-verify=false /
// --dest-tls-verify=false / --tls-verify=false for the plain-HTTP
// 127.0.0.1 registry (see Push, Archives, InspectRaw).
// On failure the error holds the command line and combined output.
func Skopeo(args ...string) ([]byte, error) {
	bin, err := SkopeoBinary()
	if err != nil {
		return nil, err
	}
	sandbox, err := os.MkdirTemp("", "ct-skopeo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(sandbox)

	home := filepath.Join(sandbox, "home")
	runtime := filepath.Join(sandbox, "run")
	regd := filepath.Join(sandbox, "registries.d")
	tmp := filepath.Join(sandbox, "tmp")
	for _, d := range []string{home, runtime, regd, tmp, filepath.Join(home, ".config"), filepath.Join(home, ".docker")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	policy := filepath.Join(sandbox, "policy.json")
	regconf := filepath.Join(sandbox, "registries.conf")
	auth := filepath.Join(sandbox, "auth.json")
	for name, content := range map[string]string{
		policy:  `{"default":[{"type":"insecureAcceptAnything"}]}` + "\n",
		regconf: "unqualified-search-registries = []\n",
		auth:    `{"auths":{}}` + "\n",
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			return nil, err
		}
	}

	full := append([]string{"--policy", policy, "--registries.d", regd, "--tmpdir", tmp}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = append(filteredEnv(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR="+runtime,
		"DOCKER_CONFIG="+filepath.Join(home, ".docker"),
		"REGISTRY_AUTH_FILE="+auth,
		"CONTAINERS_REGISTRIES_CONF="+regconf,
		"CONTAINERS_CONF="+filepath.Join(sandbox, "containers.conf"), // absent: defaults only
		"TMPDIR="+tmp,
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("harness: %s %s: %w\n%s", bin, strings.Join(args, " "), err, out.String())
	}
	return out.Bytes(), nil
}

// filteredEnv is os.Environ minus anything that could point skopeo at host
// config, credentials or a network proxy.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE",
			"CONTAINERS_REGISTRIES_CONF", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "TMPDIR",
			"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// RegistryRef returns "docker://ADDR/test/TAG:TAG", the reference Push uses.
func RegistryRef(reg *Registry, tag string) string {
	return "docker://" + reg.Addr + "/test/" + tag + ":" + tag
}

// InspectRaw returns the raw manifest skopeo fetches for ref; for docker://
// refs it adds --tls-verify=false (harness registries are plain HTTP).
func InspectRaw(ref string) ([]byte, error) {
	args := []string{"inspect", "--raw"}
	if strings.HasPrefix(ref, "docker://") {
		args = append(args, "--tls-verify=false")
	}
	args = append(args, ref)
	return Skopeo(args...)
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Push copies every tag of the layout at layoutDir to reg as
// ADDR/test/TAG:TAG with
//
//	skopeo copy --all --preserve-digests --dest-tls-verify=false oci:DIR:TAG docker://ADDR/test/TAG:TAG
//
// and then checks that `skopeo inspect --raw` of the pushed tag hashes to
// the expected root digest (and, for indexes, that every child manifest is
// served by digest with the same bytes).
//
// skopeo 1.9.3 findings (verified by harness_test.go):
//   - multi, index, zstd: the command above preserves every digest; the
//     tar+zstd layer is copied as-is (no recompression, no refusal).
//   - docker: `oci:DIR:docker` fails with `no descriptor found for reference
//     "docker"`, because containers/image (v5.23, in skopeo 1.9.3) skips
//     index.json entries whose mediaType is not the OCI manifest type.
//     No copy flag changes that, and --format would convert (new digest).
//     Push therefore stages that image's exact bytes (manifest + blobs from
//     the layout) as a `dir:` transport directory and runs the same copy
//     command from `dir:STAGED`; the digest is preserved.
func Push(reg *Registry, layoutDir string, images map[string]ImageInfo) error {
	abs, err := filepath.Abs(layoutDir)
	if err != nil {
		return err
	}
	if strings.Contains(abs, ":") {
		return fmt.Errorf("harness: layout path %q contains ':' which oci: references cannot express", abs)
	}
	for _, tag := range SortedTags(images) {
		want := images[tag]
		dst := RegistryRef(reg, tag)
		src := "oci:" + abs + ":" + tag
		if isDockerMediaType(want.MediaType) {
			// skopeo 1.9.3's oci: transport only considers index.json
			// descriptors with mediaType application/vnd.oci.image.manifest.v1+json
			// and fails with `no descriptor found for reference "docker"`.
			// Stage the same bytes in skopeo's dir: transport instead.
			staged, err := os.MkdirTemp("", "ct-dir-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(staged)
			if err := stageDirTransport(abs, want.Digest, staged); err != nil {
				return err
			}
			src = "dir:" + staged
		}
		if _, err := Skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--quiet",
			src, dst); err != nil {
			return err
		}
		raw, err := InspectRaw(dst)
		if err != nil {
			return err
		}
		if got := digestOf(raw); got != want.Digest {
			return fmt.Errorf("harness: %s: registry serves root %s, layout has %s (skopeo changed the manifest)\n%s",
				dst, got, want.Digest, raw)
		}
		var m struct {
			MediaType string `json:"mediaType"`
			Manifests []struct {
				Digest string `json:"digest"`
			} `json:"manifests"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("harness: %s: parse manifest: %w", dst, err)
		}
		if m.MediaType != want.MediaType {
			return fmt.Errorf("harness: %s: media type %q, want %q", dst, m.MediaType, want.MediaType)
		}
		for _, child := range m.Manifests {
			ref := "docker://" + reg.Addr + "/test/" + tag + "@" + child.Digest
			craw, err := InspectRaw(ref)
			if err != nil {
				return err
			}
			if got := digestOf(craw); got != child.Digest {
				return fmt.Errorf("harness: %s: served bytes hash to %s", ref, got)
			}
		}
	}
	return nil
}

// Archives copies test/multi:multi from reg into outDir as
//
//	oci-archive:OUT/multi.oci.tar:multi             (with --preserve-digests: same format, same bytes)
//	docker-archive:OUT/multi.docker.tar:test/multi:multi
//
// and returns both paths. The docker-archive copy necessarily converts the
// OCI manifest to Docker form, so its digests differ from the registry's.
func Archives(reg *Registry, outDir string) (ociArchive, dockerArchive string, err error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", "", err
	}
	src := RegistryRef(reg, TagMulti)
	ociArchive = filepath.Join(abs, "multi.oci.tar")
	dockerArchive = filepath.Join(abs, "multi.docker.tar")
	if _, err := Skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--quiet",
		src, "oci-archive:"+ociArchive+":multi"); err != nil {
		return "", "", err
	}
	if _, err := Skopeo("copy", "--src-tls-verify=false", "--quiet",
		src, "docker-archive:"+dockerArchive+":test/multi:multi"); err != nil {
		return "", "", err
	}
	return ociArchive, dockerArchive, nil
}

func isDockerMediaType(mt string) bool {
	return strings.HasPrefix(mt, "application/vnd.docker.")
}

// stageDirTransport writes the image whose manifest digest is digest from
// the OCI layout at layoutDir into dst in skopeo's dir: transport format
// (version 1.1: manifest.json, one file per blob named by its hex digest).
// Only single-image manifests are supported.
func stageDirTransport(layoutDir, digest, dst string) error {
	blob := func(d string) string {
		return filepath.Join(layoutDir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
	}
	if !strings.HasPrefix(digest, "sha256:") {
		return fmt.Errorf("harness: unsupported digest %q", digest)
	}
	raw, err := os.ReadFile(blob(digest))
	if err != nil {
		return err
	}
	var m struct {
		Config struct {
			Digest string `json:"digest"`
		} `json:"config"`
		Layers []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("harness: parse manifest %s: %w", digest, err)
	}
	if err := os.WriteFile(filepath.Join(dst, "manifest.json"), raw, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "version"), []byte("Directory Transport Version: 1.1\n"), 0o644); err != nil {
		return err
	}
	digests := []string{m.Config.Digest}
	for _, l := range m.Layers {
		digests = append(digests, l.Digest)
	}
	for _, d := range digests {
		if !strings.HasPrefix(d, "sha256:") {
			return fmt.Errorf("harness: unsupported blob digest %q", d)
		}
		b, err := os.ReadFile(blob(d))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, strings.TrimPrefix(d, "sha256:")), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
