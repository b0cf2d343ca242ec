#!/usr/bin/env bash
# The main job on the built-in sample image, with the binaries from ./bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$PATH"
work=${DEMO_DIR:-$(mktemp -d)}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "demo directory: $work"
rm -rf "$work/layout" "$work/store"
export CT_HOME="$work/store"   # a key store just for the demo
(cd "$root/tests" && go run ./cmd/mksample "$work/layout") >/dev/null
step ct help
step ct keygen --id demo --no-passphrase
step ct pack "oci:$work/layout:multi" --name sample --package-version 1.0 -o "$work/sample.ctp"
step ct pack "oci:$work/layout:multi" --name sample --package-version 1.0 -q -o "$work/again.ctp"
step cmp "$work/sample.ctp" "$work/again.ctp"
echo "same source, same bytes: $(sha256sum < "$work/sample.ctp" | cut -c1-16)…"
step ct verify "$work/sample.ctp"
step ct key export demo --public -o "$work/demo.pub"
echo "# a packager's CI with only ct-verify and the public key:"
step ct-verify "$work/sample.ctp" --no-store --key "$work/demo.pub"
step ct explain "$work/sample.ctp" --layers
step tar -tvf "$work/sample.ctp"
rm -rf "$work/extracted" && mkdir "$work/extracted" && tar -xf "$work/sample.ctp" -C "$work/extracted"
if command -v skopeo >/dev/null; then
  step skopeo inspect --raw "oci:$work/extracted:1.0"
  echo
fi
echo "# tampering is caught with a precise exit code:"
cp "$work/sample.ctp" "$work/tampered.ctp"
printf X | dd of="$work/tampered.ctp" bs=1 seek=$(( $(stat -c %s "$work/tampered.ctp") - 3000 )) conv=notrunc 2>/dev/null
set +e
ct verify "$work/tampered.ctp"; code=$?
set -e
echo "ct verify exited $code"
echo "demo finished: the bundle is $work/sample.ctp"
