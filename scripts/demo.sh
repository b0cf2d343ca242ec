#!/usr/bin/env bash
# The main job on the built-in sample image, with the binaries from ./bin.
# Steps that later releases add (keygen, sign, verify, explain) join here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$PATH"
work=${DEMO_DIR:-$(mktemp -d)}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "demo directory: $work"
rm -rf "$work/layout"
(cd "$root/tests" && go run ./cmd/mksample "$work/layout") >/dev/null
step ct help
step ct pack "oci:$work/layout:multi" --name sample --version 1.0 -o "$work/sample.ctp"
step ct pack "oci:$work/layout:multi" --name sample --version 1.0 -q -o "$work/again.ctp"
step cmp "$work/sample.ctp" "$work/again.ctp"
echo "same source, same bytes: $(sha256sum < "$work/sample.ctp" | cut -c1-16)…"
step tar -tvf "$work/sample.ctp"
step tar -xOf "$work/sample.ctp" manifest.toml
rm -rf "$work/extracted" && mkdir "$work/extracted" && tar -xf "$work/sample.ctp" -C "$work/extracted"
if command -v skopeo >/dev/null; then
  step skopeo inspect --raw "oci:$work/extracted:1.0"
  echo
fi
echo "demo finished: the bundle is $work/sample.ctp"
