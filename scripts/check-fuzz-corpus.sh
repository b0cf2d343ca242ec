#!/usr/bin/env bash
# Fails when a committed fuzz input would not be replayed by `go test`: every
# folder PKG/testdata/fuzz/NAME must belong to a `func NAME(f *testing.F)` in
# PKG's tests (a renamed or deleted target would otherwise drop its findings
# silently), and every file in it must be a Go fuzz corpus file.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r d; do
  pkg=${d%/testdata/fuzz/*}
  name=${d##*/}
  if ! grep -qs "^func $name(" "$pkg"/*_test.go; then
    echo "$d: no fuzz target $name in $pkg, so go test does not replay these inputs"
    bad=1
  fi
  for f in "$d"/*; do
    [ -f "$f" ] || continue
    if [ "$(head -n 1 "$f")" != "go test fuzz v1" ]; then
      echo "$f: not a Go fuzz corpus file (first line must be 'go test fuzz v1')"
      bad=1
    fi
  done
done < <(find . -path ./bin -prune -o -type d -path '*/testdata/fuzz/*' -not -path '*/testdata/fuzz/*/*' -print | sed 's|^\./||' | sort)
exit $bad
