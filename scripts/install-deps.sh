#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: groff, man, zsh and
# fish (man pages and shell completions), skopeo (an
# independent OCI client), the CNCF distribution registry (Debian's
# docker-registry package), and podman, umoci and oci-image-tool (the other
# OCI readers an extracted bundle must work with: tests/e2e docker_format),
# and Node with ajv (tests/tools), which checks every --json output against
# its JSON Schema in docs/json/, and mmdebstrap (a real Debian image for the
# SBOM tests).
# Idempotent; quiet when everything is present.
set -euo pipefail
need=()
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v docker-registry >/dev/null 2>&1 || command -v registry >/dev/null 2>&1 || need+=(docker-registry)
command -v tar >/dev/null 2>&1 || need+=(tar)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v oci-image-tool >/dev/null 2>&1 || need+=(oci-image-tool)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# groff checks every man page for warnings, man -l renders an installed one,
# zsh and fish parse the completion scripts (tests/install, lib/dispatch).
command -v groff >/dev/null 2>&1 || need+=(groff-base)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
# python3 (its json module) is an independent reader of the SLSA provenance
# ct pack writes (tests/e2e provenance_pack).
command -v python3 >/dev/null 2>&1 || need+=(python3)
# openssl reads the PEM keys ct key export --pem writes (tests/e2e key_export_pem).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# mmdebstrap builds the real Debian root file system of the SBOM tests
# (tests/e2e sbom_debian, bench/sbom.sh) from the Debian mirror, once: it is
# kept in ~/.cache/ct-tests (tests/harness/debian.go); dpkg-query (dpkg)
# lists its packages independently.
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
command -v dpkg-query >/dev/null 2>&1 || need+=(dpkg)
# mariadb-server: a private MariaDB that lib/logserver's MySQL test starts
# on 127.0.0.1 (mariadb-install-db + mariadbd in a temporary folder) for
# ct-log serve --storage mysql. The package may start a system service;
# the test never uses it.
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# ajv and its formats, pinned by tests/tools/package-lock.json.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/tests/tools/node_modules/.bin/ajv" ]; then
  (cd "$root/tests/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
# oras and cosign, tools we did not write: oras lists the attestations and
# copied supply-chain artifacts ct push and ct import --to docker:// attach as
# referrers (tests/e2e referrers_*); cosign verifies a signature carried
# across the gap and checks ct's Ed25519 DSSE attestations (attest_cosign,
# which fails without it). Each is skipped when present, on PATH or in
# $(go env GOPATH)/bin (where go install puts it and the e2e tests look).
# Built outside the workspace (GOWORK=off) so go.work never steers the
# build; cosign is a large module graph: minutes of CPU the first time.
gobin="$(go env GOPATH | cut -d: -f1)/bin"
if ! command -v oras >/dev/null 2>&1 && [ ! -x "$gobin/oras" ]; then
  echo "installing: oras v1.3.6 (go install)"
  GOWORK=off go install oras.land/oras/cmd/oras@v1.3.6
fi
if ! command -v cosign >/dev/null 2>&1 && [ ! -x "$gobin/cosign" ]; then
  echo "installing: cosign v2.6.5 (go install; slow the first time)"
  GOWORK=off go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
fi
# Tessera's fsck, a tool we did not write, checks a log served by ct-log
# (tests/e2e log_serve). Its binary is called fsck like util-linux's: the
# test takes the one in GOPATH/bin that has --storage_url.
if [ ! -x "$gobin/fsck" ] || ! "$gobin/fsck" --help 2>&1 | grep storage_url >/dev/null; then
  echo "installing: tessera fsck v1.0.4 (go install)"
  GOWORK=off go install github.com/transparency-dev/tessera/cmd/fsck@v1.0.4
fi
# The Debian package starts a registry service on :5000 on some systems; the
# tests start their own on a free 127.0.0.1 port, so it is not needed.
go version
skopeo --version
podman --version
umoci --version
oci-image-tool --version
node --version
PATH="$PATH:$gobin" oras version | sed -n 1p
PATH="$PATH:$gobin" cosign version 2>&1 | sed -n "s/^GitVersion: */cosign /p"
mmdebstrap --version
/usr/sbin/mariadbd --version 2>/dev/null || mariadbd --version
