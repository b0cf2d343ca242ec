#!/usr/bin/env bash
# bench/logverify.sh: what transparency proofs cost ct verify (issue 11),
# measured in one run on the vectors of log.md §9. See bench/README.md
# ("log proofs").
#
#   proofs:  parsing and checking the 2 proofs of log-valid.ctp (2 logs, 3
#            witness cosignatures each, policy quorum 2 of 3): the time ct
#            verify adds; target under 1 ms
#   with / without: the whole small bundle verified with its proofs under
#            log-policy.json, and the same signed bundle without proofs
#            (info: their difference includes reading the entries)
#   bytes/log: how much the bundle grows per log (proof entry, tar header,
#            padding, the transparency/ directory entry shared out)
#
# Times are the best of BENCH_RUNS (5) go test -bench runs of
# BENCH_ITERS (500) iterations each (BenchmarkLogProofs in lib/verify).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
iters=${BENCH_ITERS:-500}
out=$(cd "$root/lib" && go test -run '^$' -bench '^BenchmarkLogProofs$' -benchtime "${iters}x" -count "$runs" ./verify)
best() { awk -v n="BenchmarkLogProofs/$1" '$1 ~ "^"n"(-[0-9]+)?$" {v=$3; if (min == "" || v < min) min = v} END {print min}' <<<"$out"; }
proofs=$(best proofs) with=$(best with) without=$(best without)
bytes=$(awk '$1 ~ /^BenchmarkLogProofs\/proofs/ {print $5; exit}' <<<"$out")
[[ -n $proofs && -n $with && -n $without && -n $bytes ]] || { echo "$out"; echo "logverify: no benchmark result" >&2; exit 1; }
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %12s %s\n' metric value target
verdict=$(awk -v p="$proofs" 'BEGIN {print (p < 1000000) ? "PASS" : "MISS"}')
printf '%-44s %9.3f ms %s\n' "2 proofs x 3 cosignatures (added by verify)" "$(awk -v p="$proofs" 'BEGIN {print p/1e6}')" "< 1 ms $verdict"
printf '%-44s %9.3f ms info\n' "verify, bundle with the 2 proofs" "$(awk -v p="$with" 'BEGIN {print p/1e6}')"
printf '%-44s %9.3f ms info\n' "verify, same bundle without proofs" "$(awk -v p="$without" 'BEGIN {print p/1e6}')"
printf '%-44s %9s B  info\n' "bundle growth per log" "$bytes"
