#!/usr/bin/env bash
# bench/run.sh: ct-verify and ct-explain on big bundles, against the machine's
# one-stream SHA-256 limit (openssl dgst -sha256 on the same file), measured in
# the same run. See bench/README.md. Three ways in, each against openssl the
# same way: a named FILE, standard input redirected from it (< FILE: ct-verify
# reads it like the named file), and a real pipe (cat FILE | ...: one pass,
# one SHA-256 at a time, the one-stream floor).
#
# Knobs (environment):
#   BENCH_SIZES  bundle sizes, default "1GiB 4GiB"
#   BENCH_DIR    where the temporary work directory goes (default $TMPDIR or /tmp);
#                needs about 2.2 x the largest size free (layout + bundle)
#   BENCH_RUNS   timed runs per command, best one counts (default 3; explain: max(5, BENCH_RUNS))
#   BENCH_LAYERS layers per image (default 8); a second image of the same
#                size with ONE layer is measured too (verify FILE cannot hash
#                one blob in parallel: the one-stream floor)
#   BENCH_KEEP=1 keep the work directory (bundles, key) instead of deleting it
#   BENCH_TIMER=date  time with a date loop even when hyperfine is there
#
# Targets are reported as PASS/MISS; the script fails only when something does
# not work (a build, a pack, a valid bundle rejected, a tampered one accepted).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
SIZES=${BENCH_SIZES:-1GiB 4GiB}
RUNS=${BENCH_RUNS:-3}
LAYERS=${BENCH_LAYERS:-8}
EXPLAIN_RUNS=$((RUNS > 5 ? RUNS : 5))

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- tools ----------------------------------------------------------------
apt_install() { # apt_install PACKAGE: only as root, only when apt exists
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "installing $1"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; } || true
	fi
}
command -v openssl >/dev/null || apt_install openssl
command -v openssl >/dev/null || die "openssl is needed (the baseline)"
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time
[[ -x /usr/bin/time ]] || die "/usr/bin/time (Debian package time) is needed for peak RSS"
HYPERFINE=
if [[ ${BENCH_TIMER:-} != date ]] && command -v hyperfine >/dev/null && command -v jq >/dev/null; then HYPERFINE=1; fi

# --- work directory -------------------------------------------------------
BASE=${BENCH_DIR:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
W=$(mktemp -d "$BASE/ct-bench.XXXXXX")
cleanup() {
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

say "building (make build) and the generator"
make -C "$ROOT" -s build >&2
BIN=$ROOT/bin
for b in ct-pack ct-keygen ct-verify ct-explain; do [[ -x $BIN/$b ]] || die "$BIN/$b missing after make build"; done
(cd "$ROOT/tests" && go build -o "$W/mkbig" ./cmd/mkbig)
(cd "$ROOT" && go build -trimpath -ldflags='-s -w' -o "$W/ct-verify-stripped" ./ct-verify)
STRIPPED=$(stat -c %s "$W/ct-verify-stripped")

export CT_HOME=$W/home
"$BIN/ct-keygen" --id bench --no-passphrase >/dev/null 2>&1 || die "ct-keygen failed"
PUB=$CT_HOME/keys/bench.pub
[[ -f $PUB ]] || die "no public key at $PUB"
VERIFY=("$BIN/ct-verify")
VFLAGS=(--key "$PUB" --no-store -q)

# --- machine --------------------------------------------------------------
NPROC=$(nproc)
CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
SHANI=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
OSSL=$(openssl version)
GOV=$(go version | awk '{print $3}')
KERNEL=$(uname -r)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- ct-verify ct-explain lib 2>/dev/null) ]]; then REV="$REV+dirty"; fi
TIMER=$([[ -n $HYPERFINE ]] && hyperfine --version || echo "bash date loop")

# How busy the CPUs are before we start (other work on the machine makes the
# timings noisy and keeps parallel hashing from scaling).
cpu_busy() { # cpu_busy SECONDS -> percent of all CPU time not idle over that window
	local a b
	a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; printf "%.0f", (t > 0 ? 100 * (1 - (y[2] - x[2]) / t) : 0)}'
}
BUSY_START=$(cpu_busy 2)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $NPROC x $CPU (sha_ni: $SHANI), $MEM; $OSSL; $GOV; timer: $TIMER; CPU busy before start: $BUSY_START%, load average $LOAD_START"
((BUSY_START < 10)) || say "warning: the machine is not idle ($BUSY_START% busy): timings will be noisy, parallel hashing may not scale"

# The raw one-stream SHA-256 speed, without file reading: openssl dgst reads
# 8 KiB at a time, so the dgst baseline is somewhat slower than this.
say "raw one-stream SHA-256 speed (openssl speed -evp sha256, 1 MiB blocks)"
RAW=$(openssl speed -seconds 2 -bytes 1048576 -evp sha256 2>/dev/null | awk '/^sha256/ {v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000}')
[[ -n $RAW ]] || RAW=0
# Go's own (crypto/sha256, SHA-NI when the CPU has it): ct-verify's floor.
# By CPU time, as openssl speed counts (MB/cpu-s), so that other work on
# the machine does not lower it; MB/s (wall) when that is missing.
say "raw one-stream SHA-256 speed of Go's crypto/sha256 (1 MiB writes)"
GORAW=$(cd "$ROOT/lib" && go test -run '^$' -bench '^BenchmarkSHA256OneStream$' -benchtime 2s ./readahead 2>/dev/null |
	awk '/^BenchmarkSHA256OneStream/ {for (i = 1; i <= NF; i++) { if ($(i + 1) == "MB/cpu-s") c = $i; if ($(i + 1) == "MB/s") w = $i }
		v = (c > 0) ? c : w; if (v > 0) printf "%.0f", v * 1e6}' || true)
[[ -n $GORAW ]] || GORAW=0

# --- measuring ------------------------------------------------------------
# time_once 'shell command' -> prints its wall time in seconds (hyperfine,
# which subtracts the shell's start-up, else a date loop). The command must
# exit 0: a failing verify is not a measurement.
time_once() {
	local cmd=$1
	if [[ -n $HYPERFINE ]]; then
		hyperfine --style none --runs 1 --export-json "$W/hf.json" "$cmd" >/dev/null 2>"$W/hf.err" ||
			{ cat "$W/hf.err" >&2; die "command failed: $cmd"; }
		jq -r '.results[0].mean' "$W/hf.json"
	else
		local t0 t1
		t0=$(date +%s.%N)
		bash -c "$cmd" >/dev/null 2>&1 || die "command failed: $cmd"
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" -v o="${LOOP_OVERHEAD:-0}" 'BEGIN {d = b - a - o; printf "%.6f", (d > 0 ? d : 0)}'
	fi
}
# best_times RUNS VAR1 'cmd1' VAR2 'cmd2' ...: runs the commands in interleaved
# rounds (cmd1, cmd2, ..., cmd1, cmd2, ...) so that a load burst from another
# process hits a command and its baseline alike, and sets each VAR to the
# command's best time.
best_times() {
	local runs=$1 i j t
	shift
	local -a vars=() cmds=()
	while (($#)); do vars+=("$1"); cmds+=("$2"); shift 2; done
	for j in "${!vars[@]}"; do printf -v "${vars[$j]}" '%s' ""; done
	for ((i = 0; i < runs; i++)); do
		for j in "${!vars[@]}"; do
			t=$(time_once "${cmds[$j]}")
			if [[ -z ${!vars[$j]} ]] || awk -v a="$t" -v b="${!vars[$j]}" 'BEGIN {exit !(a < b)}'; then
				printf -v "${vars[$j]}" '%s' "$t"
			fi
		done
	done
}

# Without hyperfine, subtract what the loop costs around an empty command
# (bash start-up, date), as hyperfine subtracts the shell's start-up.
if [[ -z $HYPERFINE ]]; then
	LOOP_OVERHEAD=0
	best_times 5 LOOP_OVERHEAD_T true
	LOOP_OVERHEAD=$LOOP_OVERHEAD_T
fi

# peak_rss 'shell command' -> prints the peak RSS in KiB of the command run by
# /usr/bin/time (the command itself, not a shell: redirections stay outside).
peak_rss() {
	bash -c "/usr/bin/time -f %M -o '$W/rss' $1" >/dev/null 2>&1 || die "command failed: $1"
	tail -n1 "$W/rss"
}

# q: quote for a shell command string.
q() { printf '%q' "$1"; }

ROWS=()   # metric|size|value|unit|baseline|ratio|target|result
row() { ROWS+=("$1|$2|$3|$4|$5|$6|$7|$8"); }
# judge VALUE OP LIMIT -> PASS or MISS
judge() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == "<=") ? v <= l : v < l; print ok ? "PASS" : "MISS"}'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN {printf f, v}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

flip_byte() { # flip_byte FILE OFFSET: xor the byte with 0xff in place
	local b
	b=$(dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tu1 | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

# --- per size -------------------------------------------------------------
for SIZE in $SIZES; do
	lc=$(echo "$SIZE" | tr 'A-Z' 'a-z')
	LAYOUT=$W/big-$lc
	CTP=$W/big-$lc.ctp
	say "[$SIZE] generating a $LAYERS-layer OCI layout"
	t0=$(date +%s.%N)
	"$W/mkbig" -size "$SIZE" -layers "$LAYERS" -out "$LAYOUT" -q
	t1=$(date +%s.%N)
	GEN=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	say "[$SIZE] packing and signing (ct-pack -k bench)"
	t0=$(date +%s.%N)
	"$BIN/ct-pack" "oci:$LAYOUT:big" -k bench -o "$CTP" 2>/dev/null || die "ct-pack failed on $LAYOUT"
	t1=$(date +%s.%N)
	PACK=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	rm -rf "$LAYOUT"
	sync # let the writeback of the new bundle finish before anything is timed
	BYTES=$(stat -c %s "$CTP")
	MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.0f", b / 1e6}')

	say "[$SIZE] sanity: the bundle verifies, a tampered one does not"
	cat "$CTP" >/dev/null # warm the page cache
	"${VERIFY[@]}" "$CTP" "${VFLAGS[@]}" || die "ct-verify rejects the fresh bundle $CTP (exit $?)"
	"${VERIFY[@]}" - "${VFLAGS[@]}" <"$CTP" || die "ct-verify - rejects the fresh bundle on stdin (exit $?)"
	cat "$CTP" | "${VERIFY[@]}" - "${VFLAGS[@]}" || die "ct-verify - rejects the fresh bundle through a pipe (exit $?)"
	MID=$((BYTES / 2))
	flip_byte "$CTP" "$MID"
	rc=0; "${VERIFY[@]}" "$CTP" "${VFLAGS[@]}" 2>/dev/null || rc=$?
	[[ $rc == 1 ]] || die "ct-verify on a bundle with byte $MID flipped exits $rc, want 1"
	rc=0; "${VERIFY[@]}" - "${VFLAGS[@]}" <"$CTP" 2>/dev/null || rc=$?
	[[ $rc == 1 ]] || die "ct-verify - on a bundle with byte $MID flipped exits $rc, want 1"
	rc=0; cat "$CTP" | "${VERIFY[@]}" - "${VFLAGS[@]}" 2>/dev/null || rc=$?
	[[ $rc == 1 ]] || die "cat FILE | ct-verify - on a bundle with byte $MID flipped exits $rc, want 1"
	flip_byte "$CTP" "$MID"
	"${VERIFY[@]}" "$CTP" "${VFLAGS[@]}" || die "the restored bundle does not verify"

	F=$(q "$CTP")
	V="$(q "$BIN/ct-verify") --key $(q "$PUB") --no-store -q"
	say "[$SIZE] timing, best of $RUNS: openssl file, ct-verify file, openssl stdin, ct-verify stdin"
	cat "$CTP" >/dev/null
	best_times "$RUNS" OS_FILE "openssl dgst -sha256 $F" CT_FILE "$V $F" \
		OS_STDIN "openssl dgst -sha256 < $F" CT_STDIN "$V - < $F"
	say "[$SIZE] timing, best of $RUNS: the same through a pipe (cat FILE | ...)"
	best_times "$RUNS" OS_PIPE "cat $F | openssl dgst -sha256" CT_PIPE "cat $F | $V -"
	say "[$SIZE] peak RSS"
	RSS_FILE=$(peak_rss "$V $F")
	RSS_STDIN=$(peak_rss "$V - < $F")
	RSS_PIPE=$(peak_rss "$V - < <(cat $F)") # a pipe; time(1) measures ct-verify, not cat
	say "[$SIZE] ct-explain, best of $EXPLAIN_RUNS"
	best_times "$EXPLAIN_RUNS" EXPL "$(q "$BIN/ct-explain") $F"

	r=$(div "$CT_FILE" "$OS_FILE")
	row "verify file" "$SIZE" "$(fmt "$CT_FILE" %.3f)" s "openssl dgst file $(fmt "$OS_FILE" %.3f) s" "$r" "ratio <= 0.5" "$(judge "$r" "<=" 0.5)"
	r=$(div "$CT_STDIN" "$OS_STDIN")
	row "verify stdin" "$SIZE" "$(fmt "$CT_STDIN" %.3f)" s "openssl dgst stdin $(fmt "$OS_STDIN" %.3f) s" "$r" "ratio <= 0.75" "$(judge "$r" "<=" 0.75)"
	r=$(div "$CT_PIPE" "$OS_PIPE")
	row "verify pipe" "$SIZE" "$(fmt "$CT_PIPE" %.3f)" s "cat FILE into openssl $(fmt "$OS_PIPE" %.3f) s" "$r" "ratio <= 0.75" "$(judge "$r" "<=" 0.75)"
	row "verify file throughput (info)" "$SIZE" "$(awk -v b="$BYTES" -v t="$CT_FILE" 'BEGIN {printf "%.0f", b / t / 1e6}')" MB/s \
		"openssl $(awk -v b="$BYTES" -v t="$OS_FILE" 'BEGIN {printf "%.0f", b / t / 1e6}') MB/s" "-" "-" "info"
	if [[ $RAW != 0 ]]; then
		h=$(awk -v b="$BYTES" -v r="$RAW" 'BEGIN {printf "%.3f", b / r}')
		row "verify file vs raw hash (info)" "$SIZE" "$(fmt "$CT_FILE" %.3f)" s "raw SHA-256 $h s" "$(div "$CT_FILE" "$h")" "-" "info"
		row "verify stdin vs raw hash (info)" "$SIZE" "$(fmt "$CT_STDIN" %.3f)" s "raw SHA-256 $h s" "$(div "$CT_STDIN" "$h")" "-" "info"
	fi
	if [[ $GORAW != 0 ]]; then
		h=$(awk -v b="$BYTES" -v r="$GORAW" 'BEGIN {printf "%.3f", b / r}')
		row "verify stdin vs Go raw hash (info)" "$SIZE" "$(fmt "$CT_STDIN" %.3f)" s "Go SHA-256 $h s" "$(div "$CT_STDIN" "$h")" "-" "info"
		row "Go raw hash vs openssl stdin (info)" "$SIZE" "$h" s "openssl dgst stdin $(fmt "$OS_STDIN" %.3f) s" "$(div "$h" "$OS_STDIN")" "-" "info"
		row "verify pipe vs Go raw hash (info)" "$SIZE" "$(fmt "$CT_PIPE" %.3f)" s "Go SHA-256 $h s" "$(div "$CT_PIPE" "$h")" "-" "info"
		row "Go raw hash vs openssl pipe (info)" "$SIZE" "$h" s "cat FILE into openssl $(fmt "$OS_PIPE" %.3f) s" "$(div "$h" "$OS_PIPE")" "-" "info"
	fi
	v=$(awk -v k="$RSS_FILE" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS verify file" "$SIZE" "$v" MiB "-" "-" "< 64 MiB" "$(judge "$v" "<" 64)"
	v=$(awk -v k="$RSS_STDIN" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS verify stdin" "$SIZE" "$v" MiB "-" "-" "< 64 MiB" "$(judge "$v" "<" 64)"
	v=$(awk -v k="$RSS_PIPE" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS verify pipe" "$SIZE" "$v" MiB "-" "-" "< 64 MiB" "$(judge "$v" "<" 64)"
	v=$(fmt "$EXPL" %.4f)
	row "explain" "$SIZE" "$v" s "-" "-" "< 0.1 s" "$(judge "$v" "<" 0.1)"
	row "generate layout (info)" "$SIZE" "$GEN" s "-" "-" "-" "info"
	row "pack+sign (info)" "$SIZE" "$PACK" s "-" "-" "-" "info"
	say "[$SIZE] done ($MB MB bundle)"
	[[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$CTP"

	# One big layer: VerifyFile cannot hash a single blob in parallel, so
	# this is one stream, read ahead (pread overlapping SHA-256).
	LAYOUT1=$W/one-$lc
	CTP1=$W/one-$lc.ctp
	say "[$SIZE] generating and packing a 1-layer image"
	"$W/mkbig" -size "$SIZE" -layers 1 -out "$LAYOUT1" -q
	"$BIN/ct-pack" "oci:$LAYOUT1:big" -k bench -o "$CTP1" 2>/dev/null || die "ct-pack failed on $LAYOUT1"
	rm -rf "$LAYOUT1"
	sync
	"${VERIFY[@]}" "$CTP1" "${VFLAGS[@]}" || die "ct-verify rejects the fresh 1-layer bundle $CTP1 (exit $?)"
	BYTES1=$(stat -c %s "$CTP1")
	MID=$((BYTES1 / 2))
	flip_byte "$CTP1" "$MID"
	rc=0; "${VERIFY[@]}" "$CTP1" "${VFLAGS[@]}" 2>/dev/null || rc=$?
	[[ $rc == 1 ]] || die "ct-verify on the 1-layer bundle with byte $MID flipped exits $rc, want 1"
	flip_byte "$CTP1" "$MID"
	F1=$(q "$CTP1")
	say "[$SIZE] timing, best of $RUNS: openssl file, ct-verify file, openssl stdin, ct-verify stdin (1 layer)"
	cat "$CTP1" >/dev/null
	best_times "$RUNS" OS_FILE1 "openssl dgst -sha256 $F1" CT_FILE1 "$V $F1" \
		OS_STDIN1 "openssl dgst -sha256 < $F1" CT_STDIN1 "$V - < $F1"
	RSS_FILE1=$(peak_rss "$V $F1")
	RSS_STDIN1=$(peak_rss "$V - < $F1")
	r=$(div "$CT_FILE1" "$OS_FILE1")
	row "verify file, 1 layer" "$SIZE" "$(fmt "$CT_FILE1" %.3f)" s "openssl dgst file $(fmt "$OS_FILE1" %.3f) s" "$r" "ratio <= 0.7" "$(judge "$r" "<=" 0.7)"
	r=$(div "$CT_STDIN1" "$OS_STDIN1")
	row "verify stdin, 1 layer (info)" "$SIZE" "$(fmt "$CT_STDIN1" %.3f)" s "openssl dgst stdin $(fmt "$OS_STDIN1" %.3f) s" "$r" "-" "info"
	if [[ $GORAW != 0 ]]; then
		h=$(awk -v b="$BYTES1" -v r="$GORAW" 'BEGIN {printf "%.3f", b / r}')
		row "verify file, 1 layer vs Go raw hash (info)" "$SIZE" "$(fmt "$CT_FILE1" %.3f)" s "Go SHA-256 $h s" "$(div "$CT_FILE1" "$h")" "-" "info"
		row "Go raw hash vs openssl file (info)" "$SIZE" "$h" s "openssl dgst file $(fmt "$OS_FILE1" %.3f) s" "$(div "$h" "$OS_FILE1")" "-" "info"
	fi
	v=$(awk -v k="$RSS_FILE1" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS verify file, 1 layer" "$SIZE" "$v" MiB "-" "-" "< 64 MiB" "$(judge "$v" "<" 64)"
	v=$(awk -v k="$RSS_STDIN1" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS verify stdin, 1 layer" "$SIZE" "$v" MiB "-" "-" "< 64 MiB" "$(judge "$v" "<" 64)"
	[[ ${BENCH_KEEP:-0} == 1 ]] || rm -f "$CTP1"
done
row "raw SHA-256, one stream (info)" "-" "$(awk -v r="$RAW" 'BEGIN {printf "%.0f", r / 1e6}')" MB/s "openssl speed, 1 MiB blocks, by CPU time" "-" "-" "info"
row "raw SHA-256 of Go, one stream (info)" "-" "$(awk -v r="$GORAW" 'BEGIN {printf "%.0f", r / 1e6}')" MB/s "crypto/sha256, 1 MiB writes, by CPU time" "-" "-" "info"
v=$(awk -v b="$STRIPPED" 'BEGIN {printf "%.2f", b / 1048576}')
row "ct-verify stripped size" "-" "$v" MiB "-" "-" "< 8 MiB" "$(judge "$v" "<" 8)"

# --- report ---------------------------------------------------------------
BUSY_END=$(cpu_busy 2)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
report_text() {
	echo "ct bench, $DATE, ct $REV"
	echo "machine: $NPROC x $CPU (sha_ni: $SHANI), $MEM, Linux $KERNEL"
	echo "baseline: $OSSL; $GOV; timer: $TIMER; best of $RUNS interleaved rounds (explain: $EXPLAIN_RUNS)"
	echo "CPU busy (other processes, over 2 s): $BUSY_START% before, $BUSY_END% after (above ~10% the numbers are noisy)"
	echo "load average (1, 5, 15 min): $LOAD_START before, $LOAD_END after"
	echo
	{
		echo "metric|size|value|unit|baseline|ratio|target|result"
		for r in "${ROWS[@]}"; do echo "$r"; done
	} | awk -F'|' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
		END { for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= 8; i++) line = line sprintf(i < 8 ? "%-" w[i] "s  " : "%s", c[r, i])
			print line
			if (r == 1) { line = ""; for (i = 1; i <= 8; i++) { s = ""; for (k = 0; k < w[i]; k++) s = s "-"; line = line s (i < 8 ? "  " : "") } print line }
		} }'
}
json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk '{printf "\"%s\"", $0}'; }
json_num_or_str() { if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf '%s' "$1"; else json_str "$1"; fi; }
report_json() {
	printf '{\n  "date": %s,\n  "revision": %s,\n' "$(json_str "$DATE")" "$(json_str "$REV")"
	printf '  "machine": {"nproc": %s, "cpu": %s, "sha_ni": %s, "memory": %s, "kernel": %s},\n' \
		"$NPROC" "$(json_str "$CPU")" "$([[ $SHANI == yes ]] && echo true || echo false)" "$(json_str "$MEM")" "$(json_str "$KERNEL")"
	printf '  "cpu_busy_percent": {"before": %s, "after": %s},\n' "$BUSY_START" "$BUSY_END"
	printf '  "load_average": {"before": %s, "after": %s},\n' "$(json_str "$LOAD_START")" "$(json_str "$LOAD_END")"
	printf '  "raw_sha256_bytes_per_second": %s,\n' "$RAW"
	printf '  "go_raw_sha256_bytes_per_second": %s,\n' "$GORAW"
	printf '  "openssl": %s,\n  "go": %s,\n  "timer": %s,\n  "runs": %s,\n  "explain_runs": %s,\n  "results": [\n' \
		"$(json_str "$OSSL")" "$(json_str "$GOV")" "$(json_str "$TIMER")" "$RUNS" "$EXPLAIN_RUNS"
	local i=0 n=${#ROWS[@]} m s v u b r t x
	for row in "${ROWS[@]}"; do
		IFS='|' read -r m s v u b r t x <<<"$row"
		i=$((i + 1))
		printf '    {"metric": %s, "size": %s, "value": %s, "unit": %s, "baseline": %s, "ratio": %s, "target": %s, "result": %s}%s\n' \
			"$(json_str "$m")" "$(json_str "$s")" "$(json_num_or_str "$v")" "$(json_str "$u")" \
			"$([[ $b == - ]] && echo null || json_str "$b")" "$([[ $r == - ]] && echo null || json_num_or_str "$r")" \
			"$([[ $t == - ]] && echo null || json_str "$t")" "$(json_str "$x")" "$([[ $i -lt $n ]] && echo , || true)"
	done
	printf '  ]\n}\n'
}

mkdir -p "$OUT"
report_text | tee "$OUT/results.txt"
report_json >"$OUT/results.json"
if command -v jq >/dev/null; then jq -e . "$OUT/results.json" >/dev/null || die "results.json is not valid JSON"; fi
say "wrote $OUT/results.json and $OUT/results.txt (${SECONDS}s in all)"
