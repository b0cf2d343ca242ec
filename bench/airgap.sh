#!/usr/bin/env bash
# bench/airgap.sh: the whole air-gap transfer of one image, source registry ->
# offline file(s) -> a fresh destination registry, with ct against skopeo and
# crane, measured in the same run. See bench/README.md ("airgap and pack").
#
#   ct:     ct pack SRC -k KEY -o big.ctp        (registry -> signed bundle)
#           ct export big.ctp -o offline.tar     (bundle -> offline archive)
#           ct import offline.tar --to docker://DST/mirror --key PUB --no-store
#   skopeo: skopeo copy docker://SRC oci:DIR:big, then oci:DIR:big -> docker://DST
#   crane:  crane pull --format oci SRC DIR, then crane push DIR DST
#
# Every push goes to a registry started fresh for that run (new storage, no
# blob present); starting it is not timed. After every push the destination's
# manifest digest must equal the source's (skopeo inspect --raw | sha256sum).
#
# Knobs (environment):
#   BENCH_SIZE   image size, default 500MB (mkbig syntax)
#   BENCH_LAYERS layers, default 8
#   BENCH_RUNS   rounds, best one counts (default 3)
#   BENCH_DIR    where the temporary work directory goes (default $TMPDIR or /tmp);
#                needs about 6 x BENCH_SIZE free
#   BENCH_KEEP=1 keep the work directory
#   BENCH_TIMER=date  time with a date loop even when hyperfine is there
#   BENCH_ONLY=pack   only the pack rows: ct pack against crane pull, and
#                against crane pull followed by sync of the files it wrote
#   CRANE        crane binary (default: crane on PATH, else installed with
#                go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
#                into the work directory)
#
# Targets are reported as PASS/MISS; the script fails only when something does
# not work (a build, a registry, a copy, a digest mismatch).
set -euo pipefail
BENCH_NAME=ct-airgap BENCH_BINS="ct-pack ct-keygen ct-export ct-import"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
export CT_HOME=$W/store
"$BIN/ct-keygen" --id bench --no-passphrase >/dev/null 2>&1 || die "ct keygen failed"
PUB=$CT_HOME/keys/bench.pub
[[ -f $PUB ]] || die "no public key at $PUB"

CTP=$W/big.ctp ARC=$W/offline.tar DIR=$W/layout-copy
C_PACK="$(q "$BIN/ct-pack") $(q "$SRC") -k bench -o $(q "$CTP") -q"
C_EXPORT="$(q "$BIN/ct-export") $(q "$CTP") -o $(q "$ARC")"
S_PULL="$(q "$SKOPEO") copy -q --insecure-policy --preserve-digests --src-tls-verify=false $(q "docker://$SRC") $(q "oci:$DIR:big")"
K_PULL="$(q "$CRANE") pull --insecure --format oci $(q "$SRC") $(q "$DIR")"
# crane does not fsync; ct pack does (temp file, fsync, rename, fsync of the
# folder). The same durability for crane: fsync every file and folder it wrote.
K_PULL_SYNC="$K_PULL && find $(q "$DIR") -exec sync {} +"
ONLY=${BENCH_ONLY:-}
[[ -z $ONLY || $ONLY == pack ]] || die "BENCH_ONLY=$ONLY: only 'pack' is known"

# one_push NAME 'command with @DST@': times the command against a fresh
# registry, checks the pushed digest, stops the registry; sets PUSH_T to the
# seconds. (Not in a $(...) subshell: the registry must be the main shell's
# child, so that the EXIT trap can stop it.)
one_push() {
	local name=$1 cmd=$2 ref t got
	rm -rf "$W/dst"
	reg_start "$W/dst"
	cmd=${cmd//@DST@/$REG_ADDR}
	ref=docker://$REG_ADDR/mirror/big:1
	t=$(time_once "$cmd")
	got=$(manifest_digest "$ref") || die "$name: nothing at $ref after: $cmd"
	[[ $got == "$WANT" ]] || die "$name: $ref is $got, the source is $WANT"
	reg_stop "$REG_PID"
	rm -rf "$W/dst"
	PUSH_T=$t
}

CT_PACK= CT_EXPORT= CT_IMPORT= CT_TOTAL= CR_PULLSYNC=
SK_PULL= SK_PUSH= SK_TOTAL= CR_PULL= CR_PUSH= CR_TOTAL= CR_TOTALSYNC=
if [[ $ONLY == pack ]]; then
	for ((r = 1; r <= RUNS; r++)); do
		rm -f "$CTP"; rm -rf "$DIR"
		a=$(time_once "$C_PACK")
		rm -f "$CTP"
		b=$(time_once "$K_PULL")
		rm -rf "$DIR"
		c=$(time_once "$K_PULL_SYNC")
		rm -rf "$DIR"
		keep_min CT_PACK "$a"; keep_min CR_PULL "$b"; keep_min CR_PULLSYNC "$c"
		say "round $r/$RUNS: ct pack $(fmt "$a" %.2f) s, crane pull $(fmt "$b" %.2f) s, crane pull + sync $(fmt "$c" %.2f) s"
	done
fi
for ((r = 1; r <= RUNS; r++)); do
	[[ $ONLY == pack ]] && break
	say "round $r/$RUNS: ct (pack, export, import --to docker://)"
	rm -f "$CTP" "$ARC"
	a=$(time_once "$C_PACK")
	b=$(time_once "$C_EXPORT")
	rm -f "$CTP" # the far side of the gap has only the archive
	one_push ct "$(q "$BIN/ct-import") $(q "$ARC") --to docker://@DST@/mirror --key $(q "$PUB") --no-store -q"
	c=$PUSH_T
	rm -f "$ARC"
	keep_min CT_PACK "$a"; keep_min CT_EXPORT "$b"; keep_min CT_IMPORT "$c"; keep_min CT_TOTAL "$(add "$(add "$a" "$b")" "$c")"
	say "  ct: pack $(fmt "$a" %.2f) s, export $(fmt "$b" %.2f) s, import $(fmt "$c" %.2f) s"

	say "round $r/$RUNS: skopeo (docker:// -> oci: -> docker://)"
	rm -rf "$DIR"
	a=$(time_once "$S_PULL")
	one_push skopeo "$(q "$SKOPEO") copy -q --insecure-policy --preserve-digests --dest-tls-verify=false $(q "oci:$DIR:big") docker://@DST@/mirror/big:1"
	b=$PUSH_T
	rm -rf "$DIR"
	keep_min SK_PULL "$a"; keep_min SK_PUSH "$b"; keep_min SK_TOTAL "$(add "$a" "$b")"
	say "  skopeo: pull $(fmt "$a" %.2f) s, push $(fmt "$b" %.2f) s"

	say "round $r/$RUNS: crane (pull --format oci, push)"
	rm -rf "$DIR"
	a=$(time_once "$K_PULL")
	one_push crane "$(q "$CRANE") push --insecure $(q "$DIR") @DST@/mirror/big:1"
	b=$PUSH_T
	rm -rf "$DIR"
	keep_min CR_PULL "$a"; keep_min CR_PUSH "$b"; keep_min CR_TOTAL "$(add "$a" "$b")"
	c=$(time_once "$K_PULL_SYNC") # the pack baseline at ct's durability
	rm -rf "$DIR"
	keep_min CR_PULLSYNC "$c"; keep_min CR_TOTALSYNC "$(add "$c" "$b")"
	say "  crane: pull $(fmt "$a" %.2f) s, push $(fmt "$b" %.2f) s, pull + sync $(fmt "$c" %.2f) s"
done

# Peak RSS of the ct steps (one more, untimed, run each).
say "peak RSS of ct pack, export, import"
peak_rss() { # peak_rss 'shell command' -> KiB
	bash -c "/usr/bin/time -f %M -o '$W/rss' $1" >/dev/null 2>"$W/rss.err" || { cat "$W/rss.err" >&2; die "command failed: $1"; }
	tail -n1 "$W/rss"
}
RSS_PACK=$(peak_rss "$C_PACK")
RSS_EXPORT=null RSS_IMPORT=null
if [[ $ONLY != pack ]]; then
	RSS_EXPORT=$(peak_rss "$C_EXPORT")
	rm -f "$CTP"
	rm -rf "$W/dst"; reg_start "$W/dst"
	RSS_IMPORT=$(peak_rss "$(q "$BIN/ct-import") $(q "$ARC") --to docker://$REG_ADDR/mirror --key $(q "$PUB") --no-store -q")
	reg_stop "$REG_PID"; rm -rf "$W/dst" "$ARC"
fi
rm -f "$CTP"

MBs() { awk -v b="$BYTES" -v t="$1" 'BEGIN {printf "%.0f", b / t / 1e6}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
r=$(div "$CT_PACK" "$CR_PULLSYNC")
row "registry -> file: ct pack vs crane pull + sync" "$(fmt "$CT_PACK" %.3f)" s "crane pull + sync $(fmt "$CR_PULLSYNC" %.3f) s" "$r" "ratio <= 1.0" "$(judge "$r" "<=" 1.0)"
row "registry -> file: ct pack vs crane pull (info)" "$(fmt "$CT_PACK" %.3f)" s "crane pull $(fmt "$CR_PULL" %.3f) s" "$(div "$CT_PACK" "$CR_PULL")" "-" "info"
row "peak RSS ct pack" "$(mib "$RSS_PACK")" MiB "-" "-" "< 64 MiB" "$(judge "$RSS_PACK" "<" 65536)"
if [[ $ONLY != pack ]]; then
	# The issue's "at the same durability": ct pack and ct export fsync what
	# they write, so the judged baseline is crane pull + sync + push; the
	# ratio against crane without sync is shown beside it.
	r=$(div "$CT_TOTAL" "$CR_TOTALSYNC")
	row "transfer: ct pack+export+import vs crane pull+sync+push" "$(fmt "$CT_TOTAL" %.3f)" s "crane $(fmt "$CR_TOTALSYNC" %.3f) s" "$r" "ratio <= 1.0" "$(judge "$r" "<=" 1.0)"
	r=$(div "$CT_TOTAL" "$CR_TOTAL")
	row "transfer: ct vs crane pull+push, no sync (info)" "$(fmt "$CT_TOTAL" %.3f)" s "crane $(fmt "$CR_TOTAL" %.3f) s" "$r" "-" "info"
	r=$(div "$CT_TOTAL" "$SK_TOTAL")
	row "transfer: ct vs skopeo copy x2 (info)" "$(fmt "$CT_TOTAL" %.3f)" s "skopeo $(fmt "$SK_TOTAL" %.3f) s" "$r" "-" "info"
	row "registry -> file: ct pack vs skopeo pull (info)" "$(fmt "$CT_PACK" %.3f)" s "skopeo pull $(fmt "$SK_PULL" %.3f) s" "$(div "$CT_PACK" "$SK_PULL")" "-" "info"
	row "bundle -> archive: ct export (info)" "$(fmt "$CT_EXPORT" %.3f)" s "-" "-" "-" "info"
	r=$(div "$CT_IMPORT" "$CR_PUSH")
	row "file -> registry: ct import vs crane push" "$(fmt "$CT_IMPORT" %.3f)" s "crane push $(fmt "$CR_PUSH" %.3f) s" "$r" "ratio <= 1.0" "$(judge "$r" "<=" 1.0)"
	row "file -> registry: ct import vs skopeo push (info)" "$(fmt "$CT_IMPORT" %.3f)" s "skopeo push $(fmt "$SK_PUSH" %.3f) s" "$(div "$CT_IMPORT" "$SK_PUSH")" "-" "info"
	row "transfer throughput ct (info)" "$(MBs "$CT_TOTAL")" MB/s "crane $(MBs "$CR_TOTAL") MB/s, skopeo $(MBs "$SK_TOTAL") MB/s" "-" "-" "info"
	row "peak RSS ct export (info)" "$(awk -v k="$RSS_EXPORT" 'BEGIN {printf "%.1f", k / 1024}')" MiB "-" "-" "-" "info"
	r=$(awk -v k="$RSS_IMPORT" 'BEGIN {printf "%.1f", k / 1024}')
	row "peak RSS ct import" "$r" MiB "-" "-" "< 64 MiB" "$(judge "$r" "<" 64)"
fi

# --- report ---------------------------------------------------------------
BUSY_END=$(cpu_busy 2)
NCOL=7
report_text() {
	echo "ct airgap bench, $DATE, ct $REV"
	echo "machine: $NPROC x $CPU, $MEM, Linux $KERNEL, work dir on $FS"
	echo "image: $SIZE, $LAYERS layers ($BYTES bytes of blobs), source digest $WANT"
	echo "baselines: skopeo $SKOPEO_V, crane $CRANE_V; registry: $REGISTRY $REG_V (a fresh one per push); $GOV"
	if [[ $ONLY == pack ]]; then
		echo "timer: $TIMER; best of $RUNS rounds (ct pack, crane pull, crane pull + sync in turn); BENCH_ONLY=pack"
	else
		echo "timer: $TIMER; best of $RUNS rounds (ct, skopeo, crane in turn); totals are the best round's sum"
	fi
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "CPU busy (other processes, over 2 s): $BUSY_START% before, $BUSY_END% after (above ~10% the numbers are noisy)"
	echo
	{
		echo "metric|value|unit|baseline|ratio|target|result"
		for x in "${ROWS[@]}"; do echo "$x"; done
	} | awk -F'|' -v n_="$NCOL" '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
		END { for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= n_; i++) line = line sprintf(i < n_ ? "%-" w[i] "s  " : "%s", c[r, i])
			print line
			if (r == 1) { line = ""; for (i = 1; i <= n_; i++) { s = ""; for (k = 0; k < w[i]; k++) s = s "-"; line = line s (i < n_ ? "  " : "") } print line }
		} }'
}
json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk '{printf "\"%s\"", $0}'; }
json_num_or_str() { if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf '%s' "$1"; else json_str "$1"; fi; }
nn() { if [[ -n $1 ]]; then printf '%s' "$1"; else printf null; fi; }
report_json() {
	printf '{\n  "benchmark": "airgap",\n  "date": %s,\n  "revision": %s,\n' "$(json_str "$DATE")" "$(json_str "$REV")"
	printf '  "machine": {"nproc": %s, "cpu": %s, "memory": %s, "kernel": %s, "filesystem": %s},\n' \
		"$NPROC" "$(json_str "$CPU")" "$(json_str "$MEM")" "$(json_str "$KERNEL")" "$(json_str "$FS")"
	printf '  "cpu_busy_percent": {"before": %s, "after": %s},\n' "$BUSY_START" "$BUSY_END"
	printf '  "image": {"size": %s, "layers": %s, "blob_bytes": %s, "digest": %s},\n' "$(json_str "$SIZE")" "$LAYERS" "$BYTES" "$(json_str "$WANT")"
	printf '  "skopeo": %s,\n  "crane": %s,\n  "registry": %s,\n  "go": %s,\n  "timer": %s,\n  "runs": %s,\n' \
		"$(json_str "$SKOPEO_V")" "$(json_str "$CRANE_V")" "$(json_str "$REG_V")" "$(json_str "$GOV")" "$(json_str "$TIMER")" "$RUNS"
	printf '  "seconds": {"ct": {"pack": %s, "export": %s, "import": %s, "total": %s}, "skopeo": {"pull": %s, "push": %s, "total": %s}, "crane": {"pull": %s, "pullSync": %s, "push": %s, "total": %s, "totalSync": %s}},\n' \
		"$(nn "$CT_PACK")" "$(nn "$CT_EXPORT")" "$(nn "$CT_IMPORT")" "$(nn "$CT_TOTAL")" "$(nn "$SK_PULL")" "$(nn "$SK_PUSH")" "$(nn "$SK_TOTAL")" "$(nn "$CR_PULL")" "$(nn "$CR_PULLSYNC")" "$(nn "$CR_PUSH")" "$(nn "$CR_TOTAL")" "$(nn "$CR_TOTALSYNC")"
	printf '  "peak_rss_kib": {"pack": %s, "export": %s, "import": %s},\n  "results": [\n' "$RSS_PACK" "$RSS_EXPORT" "$RSS_IMPORT"
	local i=0 n=${#ROWS[@]} m v u b r t x
	for x in "${ROWS[@]}"; do
		IFS='|' read -r m v u b r t x <<<"$x"
		i=$((i + 1))
		printf '    {"metric": %s, "value": %s, "unit": %s, "baseline": %s, "ratio": %s, "target": %s, "result": %s}%s\n' \
			"$(json_str "$m")" "$(json_num_or_str "$v")" "$(json_str "$u")" \
			"$([[ $b == - ]] && echo null || json_str "$b")" "$([[ $r == - ]] && echo null || json_num_or_str "$r")" \
			"$([[ $t == - ]] && echo null || json_str "$t")" "$(json_str "$x")" "$([[ $i -lt $n ]] && echo , || true)"
	done
	printf '  ]\n}\n'
}

mkdir -p "$OUT"
report_text | tee "$OUT/airgap.txt"
report_json >"$OUT/airgap.json"
if command -v jq >/dev/null; then jq -e . "$OUT/airgap.json" >/dev/null || die "airgap.json is not valid JSON"; fi
say "wrote $OUT/airgap.json and $OUT/airgap.txt (${SECONDS}s in all)"
