#!/usr/bin/env bash
# bench/sbom.sh: ct-sbom against the syft CLI (the same library, v1.57.0) on
# the same image, measured in the same run. See bench/README.md ("sbom").
#
#   ct:   ct-sbom --spdx x.ctp -o ct.json -q                  (bundle -> SPDX 2.3 JSON,
#                                                           blob digests checked)
#   syft: syft scan oci-dir:DIR -o spdx-json=syft.json -q (OCI layout -> SPDX JSON)
#
# ct-sbom reads the bundle file in place and checks every blob's digest on a
# second goroutine, so it hashes the whole bundle once more than syft does.
#
# Knobs (environment):
#   BENCH_IMAGE  oci:DIR:TAG of the image (default: the Debian image of the SBOM
#                tests, tests/cmd/mkdebian: mmdebstrap bookworm minbase plus hello,
#                ~100 packages, built once from the Debian mirror and cached in
#                ~/.cache/ct-tests)
#   BENCH_ECO=1  tests/cmd/mksbomimage's multi-ecosystem image instead (a few
#                packages: startup dominates)
#   BENCH_ROOTFS an uncompressed root file system tar to make the image of instead
#   BENCH_RUNS   rounds, best one counts (default 3)
#   BENCH_DIR    where the temporary work directory goes (default $TMPDIR or /tmp)
#   BENCH_KEEP=1 keep the work directory
#   SYFT         syft binary (default: syft on PATH if it is v1.57.0, else the one in
#                ~/.cache/ct-tests/syft-v1.57.0, else installed there with go install
#                github.com/anchore/syft/cmd/syft@v1.57.0: about 5 minutes cold on 2 cores)
#
# Targets are reported as PASS/MISS; the script fails only when something does
# not work (a build, a pack, a scan).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
RUNS=${BENCH_RUNS:-3}
SYFT_VERSION=v1.57.0
say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[[ -x /usr/bin/time ]] || die "/usr/bin/time (Debian package time) is needed for peak RSS"
BASE=${BENCH_DIR:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
W=$(mktemp -d "$BASE/ct-sbombench.XXXXXX")
cleanup() { if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building ct, ct-pack, ct-sbom (make build)"
make -C "$ROOT" -s build >&2
BIN=$ROOT/bin
for b in ct-pack ct-sbom; do [[ -x $BIN/$b ]] || die "$BIN/$b missing after make build"; done
SYFT=${SYFT:-$(command -v syft || true)}
# go install leaves syft's own version unset ("[not provided]"): ask the build info.
syft_version() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/anchore/syft" {print $3}'; }
CACHE=${CT_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ct-tests}
if [[ -z $SYFT ]] || [[ $(syft_version "$SYFT") != "$SYFT_VERSION" ]]; then
	SYFT=$CACHE/syft-$SYFT_VERSION/syft
	if [[ $(syft_version "$SYFT") != "$SYFT_VERSION" ]]; then
		say "installing syft $SYFT_VERSION into $CACHE (go install; minutes when cold)"
		mkdir -p "$CACHE"
		GOBIN=$CACHE/syft-$SYFT_VERSION GOWORK=off go install "github.com/anchore/syft/cmd/syft@$SYFT_VERSION" >&2 || die "go install syft failed"
	fi
fi
export SYFT_CHECK_FOR_APP_UPDATE=false # no network

IMAGE=${BENCH_IMAGE:-}
DESC=$IMAGE
if [[ -z $IMAGE && -n ${BENCH_ROOTFS:-} ]]; then
	say "writing an image of $BENCH_ROOTFS (tests/cmd/mksbomimage -rootfs)"
	(cd "$ROOT/tests" && go run ./cmd/mksbomimage -rootfs "$BENCH_ROOTFS" "$W/layout" app >/dev/null)
	IMAGE=oci:$W/layout:app
	DESC="$BENCH_ROOTFS (one gzip layer)"
elif [[ -z $IMAGE && ${BENCH_ECO:-0} == 1 ]]; then
	say "writing the multi-ecosystem test image (tests/cmd/mksbomimage)"
	(cd "$ROOT/tests" && go run ./cmd/mksbomimage "$W/layout" app >/dev/null)
	IMAGE=oci:$W/layout:app
	DESC="the multi-ecosystem test image (tests/cmd/mksbomimage)"
elif [[ -z $IMAGE ]]; then
	say "the Debian test image (tests/cmd/mkdebian; built from the Debian mirror when not cached)"
	IMAGE=$(cd "$ROOT/tests" && go run ./cmd/mkdebian) || die "tests/cmd/mkdebian failed"
	DESC="Debian bookworm minbase + hello (mmdebstrap; tests/cmd/mkdebian), one gzip layer"
fi
[[ $IMAGE == oci:*:* ]] || die "BENCH_IMAGE must be oci:DIR:TAG"
LAYOUT=${IMAGE#oci:}
LAYOUT=${LAYOUT%:*}
# --no-provenance: syft reads the one image the layout's index.json names, and
# a bundle's provenance attestation would be a second entry there; give it a
# layout of the packed image alone (the bundle, extracted, is one).
"$BIN/ct-pack" "$IMAGE" --name bench --package-version 1 --no-sign --no-provenance -q -o "$W/x.ctp"
mkdir -p "$W/one" && tar -xf "$W/x.ctp" -C "$W/one"
BYTES=$(stat -c %s "$W/x.ctp")

C_SBOM="$(printf %q "$BIN/ct-sbom") --spdx $(printf %q "$W/x.ctp") -q -o $(printf %q "$W/ct.json")"
S_SCAN="$(printf %q "$SYFT") scan -q $(printf %q "oci-dir:$W/one") -o spdx-json=$(printf %q "$W/syft.json")"

time_once() { # wall seconds of one run; the command must exit 0
	local t0 t1
	t0=$(date +%s.%N)
	bash -c "$1" >/dev/null 2>"$W/cmd.err" || { cat "$W/cmd.err" >&2; die "command failed: $1"; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}'
}
keep_min() { if [[ -z ${!1} ]] || awk -v a="$2" -v b="${!1}" 'BEGIN {exit !(a < b)}'; then printf -v "$1" '%s' "$2"; fi; }
peak_rss() { bash -c "/usr/bin/time -f %M -o '$W/rss' $1" >/dev/null 2>"$W/rss.err" || { cat "$W/rss.err" >&2; die "command failed: $1"; }; tail -n1 "$W/rss"; }
npkgs() { grep -o '"SPDXID": *"SPDXRef-Package-' "$1" | wc -l; }

say "sanity: both write an SBOM of the image"
eval "$C_SBOM" || die "ct-sbom failed: $C_SBOM"
eval "$S_SCAN" || die "syft failed: $S_SCAN"
CT_N=$(npkgs "$W/ct.json"); SY_N=$(npkgs "$W/syft.json")
[[ $CT_N -gt 0 ]] || die "ct-sbom found no packages"
((CT_N == SY_N)) || say "note: ct-sbom lists $CT_N packages, syft $SY_N"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before timing: $LOAD_START (on $(nproc) CPUs)"
CT= SY=
for ((r = 1; r <= RUNS; r++)); do
	a=$(time_once "$C_SBOM"); b=$(time_once "$S_SCAN")
	keep_min CT "$a"; keep_min SY "$b"
	say "round $r/$RUNS: ct-sbom $(printf %.2f "$a") s, syft $(printf %.2f "$b") s"
done
RSS_CT=$(peak_rss "$C_SBOM"); RSS_SY=$(peak_rss "$S_SCAN")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ratio=$(awk -v a="$CT" -v b="$SY" 'BEGIN {printf "%.3f", a / b}')
res=$(awk -v v="$ratio" 'BEGIN {print (v <= 1.0) ? "PASS" : "MISS"}')
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

mkdir -p "$OUT"
{
	echo "ct-sbom bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), ct $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) x $(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo); $(go version | awk '{print $3}'); syft $(syft_version "$SYFT")"
	echo "load average (1, 5, 15 min): $LOAD_START before timing, $LOAD_END after"
	echo "image: $DESC ($BYTES bytes bundled), $CT_N packages (syft: $SY_N); best of $RUNS interleaved rounds"
	echo
	{
		echo "metric|value|unit|baseline|ratio|target|result"
		echo "ct-sbom vs syft scan oci-dir:|$(printf %.3f "$CT")|s|syft $(printf %.3f "$SY") s|$ratio|ratio <= 1.0|$res"
		echo "peak RSS ct-sbom|$(mib "$RSS_CT")|MiB|syft $(mib "$RSS_SY") MiB|-|-|info"
	} | column -t -s '|'
} | tee "$OUT/sbom.txt"
say "wrote $OUT/sbom.txt"
