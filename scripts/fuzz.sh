#!/usr/bin/env bash
# Explores: runs every Fuzz* target of every module in the workspace for a
# while (default 10s each) on new random inputs. This is `make fuzz`, for
# developers; CI never runs it, because a run can fail on a finding that has
# nothing to do with the change under test. CI (`make test`) replays instead:
# plain `go test` runs each target over its seed corpus (f.Add) and every
# committed finding in the package's testdata/fuzz/FuzzX/, and nothing else.
#
# A failing input is written to PKG/testdata/fuzz/FuzzX/HASH. Fix the bug and
# commit that file with the fix: from then on `make test` replays it. The
# script goes on with the other targets and lists every finding at the end.
#
# Go 1.26's fuzz coordinator can fail a run with a bare "context deadline
# exceeded" when -fuzztime expires while a worker is busy (golang/go#75804,
# fixed in Go 1.27): no input is at fault and none is written. Such a run is
# reported as a flake; a run that writes a failing input, panics or fails a
# check counts as a finding.
set -euo pipefail
t=${1:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
modules=$(go work edit -json | sed -n 's/^[[:space:]]*"DiskPath": "\(.*\)"[,]*$/\1/p')
flakes=0
failed=()
for m in $modules; do
  for pkg in $(cd "$m" && go list ./...); do
    dir=$(cd "$m" && go list -f '{{.Dir}}' "$pkg")
    for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
      echo "fuzz $pkg $f ($t)"
      log=$(mktemp)
      if ! (cd "$m" && go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" -fuzzminimizetime=2s "$pkg") >"$log" 2>&1; then
        if grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
          echo "  flake: the fuzz deadline race of Go 1.26 (golang/go#75804); no failing input"
          flakes=$((flakes + 1))
        else
          cat "$log"
          written=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$log" | head -1)
          if [ -n "$written" ]; then
            failed+=("${dir#"$root"/}/$written ($pkg $f)")
          else
            failed+=("$pkg $f (no input written: see the log above)")
          fi
        fi
      fi
      rm -f "$log"
    done
  done
done
echo "fuzz done ($flakes deadline flakes ignored)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings (fix each and commit its input as a regression test; 'go test' replays it):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
