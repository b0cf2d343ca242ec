#!/usr/bin/env bash
# bench/log.sh: entries appended per second through ct-log serve (many
# concurrent POST /add, Tessera batching them) against Tessera's own
# posix-oneshot example (every entry in one batch, no HTTP) on the same
# machine, with the same leaves; prints the ratio and both peak RSS.
# Not run in CI. Knobs: BENCH_N (leaves, 4000: posix-oneshot's one batch
# must stay under Tessera's pushback of 4096), BENCH_C (concurrent requests,
# 512: at least a batch of 256, else every request waits the batch's 250 ms), BENCH_RUNS (3, best of), BENCH_INTERVAL (ct-log --checkpoint-interval,
# 1s, its default), BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_N:-4000}
C=${BENCH_C:-512}
RUNS=${BENCH_RUNS:-3}
INTERVAL=${BENCH_INTERVAL:-1s}
ORIGIN=bench.example.test/ct
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || die "/usr/bin/time (Debian package time) is needed for peak RSS"
command -v curl >/dev/null || die "curl is needed"
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/ct-bench-log.XXXXXX")
SERVER=
cleanup() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	[[ ${BENCH_KEEP:-} == 1 ]] && say "kept $W" || rm -rf "$W"
}
trap cleanup EXIT

say "building ct-log, ct-keygen and tests/cmd/logload"
(cd "$ROOT" && go build -trimpath -o "$W/bin/" ./ct-log ./ct-keygen)
(cd "$ROOT/tests" && go build -trimpath -o "$W/bin/" ./cmd/logload)
gobin="$(go env GOPATH | cut -d: -f1)/bin"
if [[ ! -x $gobin/posix-oneshot ]]; then
	say "installing Tessera's posix-oneshot v1.0.4 (go install)"
	GOWORK=off go install github.com/transparency-dev/tessera/cmd/examples/posix-oneshot@v1.0.4
fi
PATH=$W/bin:$PATH
export CT_HOME=$W/home
ct-keygen --id log1 --suite CT-SIG-01 --no-passphrase -q
logload keygen -origin "$ORIGIN" -skey "$W/oneshot.skey" -vkey "$W/oneshot.vkey"
logload gen -dir "$W/leaves" -n "$N"

now() { date +%s.%N; }

run_ctlog() { # prints "per_second rss_kib sequenced_per_second"
	local d=$W/ctlog.$1
	rm -f "$W/addr"
	# Not under /usr/bin/time, which would not pass SIGINT on: the peak
	# RSS is the kernel's VmHWM, read just before the server is stopped.
	ct-log serve --dir "$d" --key log1 --origin "$ORIGIN" \
		--addr-file "$W/addr" --checkpoint-interval "$INTERVAL" 2>"$d.err" &
	SERVER=$!
	for _ in $(seq 600); do [[ -s $W/addr ]] && break; sleep 0.05; done
	[[ -s $W/addr ]] || die "ct-log did not start: $(cat "$d.err")"
	local out
	out=$(logload add -url "http://$(cat "$W/addr")" -dir "$W/leaves" -c "$C")
	awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER/status" >"$d.rss"
	kill -INT "$SERVER"
	wait "$SERVER" || die "ct-log serve failed: $(tail -3 "$d.err")"
	SERVER=
	# Check what was measured: the log holds N entries (checkpoint line 2).
	[[ $(sed -n 2p "$d/checkpoint") == "$N" ]] || die "ct-log's checkpoint is not of size $N"
	echo "$(awk '{print $6}' <<<"$out") $(cat "$d.rss") $(awk '{print $10}' <<<"$out")"
}

run_oneshot() { # prints "per_second rss_kib"
	local d=$W/oneshot.$1 t0 t1
	t0=$(now)
	/usr/bin/time -f %M -o "$d.rss" posix-oneshot --storage_dir="$d" --entries="$W/leaves/leaf-*" \
		--private_key="$W/oneshot.skey" >"$d.out" 2>&1 || die "posix-oneshot failed: $(tail -3 "$d.out")"
	t1=$(now)
	[[ $(sed -n 2p "$d/checkpoint") == "$N" ]] || die "posix-oneshot's checkpoint is not of size $N"
	echo "$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }') $(cat "$d.rss")"
}

best_ct=0 best_os=0 rss_ct=0 rss_os=0 best_seq=0
for r in $(seq "$RUNS"); do
	say "run $r of $RUNS: $N entries"
	read -r ps rss < <(run_oneshot "$r")
	((ps > best_os)) && best_os=$ps
	((rss > rss_os)) && rss_os=$rss
	read -r ps rss seq < <(run_ctlog "$r")
	((ps > best_ct)) && best_ct=$ps
	((seq > best_seq)) && best_seq=$seq
	((rss > rss_ct)) && rss_ct=$rss
done

printf '\nentries appended per second (%d entries, best of %d; %s, %d cores)\n' "$N" "$RUNS" "$(uname -m)" "$(nproc)"
printf '  %-44s %8d /s   peak RSS %6d KiB\n' "ct-log serve (HTTP, $C concurrent, interval $INTERVAL)" "$best_ct" "$rss_ct"
printf '  %-44s %8d /s   peak RSS %6d KiB\n' "Tessera posix-oneshot (one batch, no HTTP)" "$best_os" "$rss_os"
awk -v a="$best_ct" -v b="$best_os" 'BEGIN { printf "  ratio ct-log / posix-oneshot: %.2f\n", a / b }'
printf '  (info) ct-log until every POST /add was answered (sequenced, before the checkpoint): %d /s\n' "$best_seq"
