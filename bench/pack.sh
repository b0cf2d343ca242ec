#!/usr/bin/env bash
# bench/pack.sh: ct pack from a loopback registry against crane pull --format
# oci, the same image, measured in the same run. See bench/README.md ("airgap
# and pack").
#
#   ct:     ct pack SRC -o x.ctp --no-sign -q      (registry -> unsigned bundle)
#   crane:  crane pull --format oci SRC DIR         (registry -> OCI layout, fresh DIR)
#   skopeo: skopeo copy docker://SRC oci:DIR:big    (info only, fresh DIR)
#
# Both write one copy of every blob to the same file system; the bundle and the
# layouts are deleted between runs (not timed).
#
# Knobs (environment):
#   BENCH_SIZE   image size, default 500MB (mkbig syntax)
#   BENCH_LAYERS layers, default 8
#   BENCH_RUNS   rounds, best one counts (default 3)
#   BENCH_DIR    where the temporary work directory goes (default $TMPDIR or /tmp);
#                needs about 3 x BENCH_SIZE free
#   BENCH_KEEP=1 keep the work directory
#   BENCH_SKOPEO=0 skip the informational skopeo row
#   BENCH_TIMER=date  time with a date loop even when hyperfine is there
#   CRANE        crane binary (default: crane on PATH, else installed with
#                go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
#                into the work directory)
#
# Targets are reported as PASS/MISS; the script fails only when something does
# not work (a build, a registry, a pack, a pull).
set -euo pipefail
BENCH_NAME=ct-packbench BENCH_BINS="ct-pack ct-explain"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
CTP=$W/x.ctp DIR=$W/layout-copy
C_PACK="$(q "$BIN/ct-pack") $(q "$SRC") -o $(q "$CTP") --no-sign -q"
K_PULL="$(q "$CRANE") pull --insecure --format oci $(q "$SRC") $(q "$DIR")"
S_PULL="$(q "$SKOPEO") copy -q --insecure-policy --preserve-digests --src-tls-verify=false $(q "docker://$SRC") $(q "oci:$DIR:big")"
SKOPEO_ROW=${BENCH_SKOPEO:-1}

say "sanity: ct pack and crane pull both produce the source image"
eval "$C_PACK" || die "ct pack failed"
"$BIN/ct-explain" "$CTP" 2>/dev/null | grep -q "^ *image *$WANT" || die "ct explain: $CTP does not hold the image $WANT"
rm -f "$CTP"
eval "$K_PULL" >/dev/null 2>&1 || die "crane pull failed"
grep -q "${WANT#sha256:}" "$DIR/index.json" || die "crane pull: $DIR/index.json does not name $WANT"
rm -rf "$DIR"

CT_PACK= CR_PULL= SK_PULL=
for ((r = 1; r <= RUNS; r++)); do
	rm -f "$CTP"; rm -rf "$DIR"
	a=$(time_once "$C_PACK")
	rm -f "$CTP"
	b=$(time_once "$K_PULL")
	rm -rf "$DIR"
	keep_min CT_PACK "$a"; keep_min CR_PULL "$b"
	msg="round $r/$RUNS: ct pack $(fmt "$a" %.2f) s, crane pull $(fmt "$b" %.2f) s"
	if [[ $SKOPEO_ROW == 1 ]]; then
		c=$(time_once "$S_PULL")
		rm -rf "$DIR"
		keep_min SK_PULL "$c"
		msg="$msg, skopeo copy $(fmt "$c" %.2f) s"
	fi
	say "$msg"
done

say "peak RSS of ct pack and crane pull"
peak_rss() { # peak_rss 'shell command' -> KiB
	bash -c "/usr/bin/time -f %M -o '$W/rss' $1" >/dev/null 2>"$W/rss.err" || { cat "$W/rss.err" >&2; die "command failed: $1"; }
	tail -n1 "$W/rss"
}
RSS_PACK=$(peak_rss "$C_PACK"); rm -f "$CTP"
RSS_CRANE=$(peak_rss "$K_PULL"); rm -rf "$DIR"

MBs() { awk -v b="$BYTES" -v t="$1" 'BEGIN {printf "%.0f", b / t / 1e6}'; }
r=$(div "$CT_PACK" "$CR_PULL")
row "ct pack --no-sign vs crane pull --format oci" "$(fmt "$CT_PACK" %.3f)" s "crane pull $(fmt "$CR_PULL" %.3f) s" "$r" "ratio <= 1.0" "$(judge "$r" "<=" 1.0)"
if [[ $SKOPEO_ROW == 1 ]]; then
	row "ct pack vs skopeo copy to oci: (info)" "$(fmt "$CT_PACK" %.3f)" s "skopeo $(fmt "$SK_PULL" %.3f) s" "$(div "$CT_PACK" "$SK_PULL")" "-" "info"
fi
row "throughput (info)" "$(MBs "$CT_PACK")" MB/s "crane $(MBs "$CR_PULL") MB/s" "-" "-" "info"
v=$(awk -v k="$RSS_PACK" 'BEGIN {printf "%.1f", k / 1024}')
row "peak RSS ct pack" "$v" MiB "crane pull $(awk -v k="$RSS_CRANE" 'BEGIN {printf "%.1f", k / 1024}') MiB" "-" "< 64 MiB" "$(judge "$v" "<" 64)"

# --- report ---------------------------------------------------------------
BUSY_END=$(cpu_busy 2)
NCOL=7
report_text() {
	echo "ct pack bench, $DATE, ct $REV"
	echo "machine: $NPROC x $CPU, $MEM, Linux $KERNEL, work dir on $FS"
	echo "image: $SIZE, $LAYERS layers ($BYTES bytes of blobs), source digest $WANT"
	echo "baselines: crane $CRANE_V, skopeo $SKOPEO_V; registry: $REGISTRY $REG_V on loopback; $GOV"
	echo "timer: $TIMER; best of $RUNS interleaved rounds (ct, crane, skopeo)"
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
report_json() {
	printf '{\n  "benchmark": "pack",\n  "date": %s,\n  "revision": %s,\n' "$(json_str "$DATE")" "$(json_str "$REV")"
	printf '  "machine": {"nproc": %s, "cpu": %s, "memory": %s, "kernel": %s, "filesystem": %s},\n' \
		"$NPROC" "$(json_str "$CPU")" "$(json_str "$MEM")" "$(json_str "$KERNEL")" "$(json_str "$FS")"
	printf '  "cpu_busy_percent": {"before": %s, "after": %s},\n' "$BUSY_START" "$BUSY_END"
	printf '  "image": {"size": %s, "layers": %s, "blob_bytes": %s, "digest": %s},\n' "$(json_str "$SIZE")" "$LAYERS" "$BYTES" "$(json_str "$WANT")"
	printf '  "skopeo": %s,\n  "crane": %s,\n  "registry": %s,\n  "go": %s,\n  "timer": %s,\n  "runs": %s,\n' \
		"$(json_str "$SKOPEO_V")" "$(json_str "$CRANE_V")" "$(json_str "$REG_V")" "$(json_str "$GOV")" "$(json_str "$TIMER")" "$RUNS"
	printf '  "seconds": {"ct_pack": %s, "crane_pull": %s, "skopeo_copy": %s},\n' \
		"$CT_PACK" "$CR_PULL" "${SK_PULL:-null}"
	printf '  "peak_rss_kib": {"ct_pack": %s, "crane_pull": %s},\n  "results": [\n' "$RSS_PACK" "$RSS_CRANE"
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
report_text | tee "$OUT/pack.txt"
report_json >"$OUT/pack.json"
if command -v jq >/dev/null; then jq -e . "$OUT/pack.json" >/dev/null || die "pack.json is not valid JSON"; fi
say "wrote $OUT/pack.json and $OUT/pack.txt (${SECONDS}s in all)"
