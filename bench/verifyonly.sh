#!/usr/bin/env bash
# bench/verifyonly.sh: verifying what a registry serves without downloading
# layers (issue 12), ct against cosign on the same image in one loopback
# registry, measured in the same run. See bench/README.md ("verify-only").
#
#   ct:     ct fetch SRC --verify-only --no-store --key bench.pub -q
#           (the bundle ct push attached: manifest.toml, its signature, the
#           provenance attestation; the image's manifest and config by digest)
#   cosign: cosign verify --key cosign.pub --insecure-ignore-tlog=true
#           --allow-http-registry SRC@DIGEST   (cosign v2.6.5; its signature
#           is a .sig tag of the same image)
#
# Both sign with Ed25519: ct's default suite CT-SIG-01, and for cosign a key
# made by openssl genpkey -algorithm ed25519 and imported with
# cosign import-key-pair (cosign generate-key-pair would make ECDSA P-256).
# No transparency log (cosign sign --tlog-upload=false), nothing on the
# network: HTTP(S)_PROXY point to a dead port (Go never proxies loopback).
#
# Each of 3 rounds (BENCH_RUNS) runs both BENCH_REPS times, interleaved, one
# hyperfine -N run each (after 2 warm-ups), and takes the medians; the round's ratio is ct's
# median over cosign's, printed with the load average at that time. The
# target is ratio <= 1.0 (PASS/MISS on the median of the rounds' ratios).
#
# Knobs: BENCH_SIZE (default 64MB), BENCH_LAYERS (4), BENCH_RUNS (3),
# BENCH_REPS (15), COSIGN (default cosign on PATH, else /root/go/bin/cosign),
# and lib.sh's.
set -euo pipefail
export BENCH_SIZE=${BENCH_SIZE:-64MB} BENCH_LAYERS=${BENCH_LAYERS:-4}
BENCH_NAME=ct-verifyonly BENCH_BINS="ct ct-fetch ct-pack ct-push ct-keygen ct-key"
# crane is not used here: do not install it.
export CRANE=${CRANE:-$(command -v true)}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
REPS=${BENCH_REPS:-15}
COSIGN=${COSIGN:-$(command -v cosign || echo /root/go/bin/cosign)}
[[ -x $COSIGN ]] || die "cosign is needed (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5)"
[[ -n $HYPERFINE ]] || die "hyperfine and jq are needed"
COSIGN_V=$("$COSIGN" version 2>&1 | awk '/^GitVersion/ {print $2}')
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 NO_PROXY= no_proxy=
export COSIGN_PASSWORD= COSIGN_YES=true TUF_ROOT=$W/tuf SIGSTORE_NO_CACHE=1 HOME=$W/home
mkdir -p "$HOME"

export CT_HOME=$W/store
"$BIN/ct-keygen" --id bench --no-passphrase >/dev/null 2>&1 || die "ct keygen failed"
"$BIN/ct-key" export bench --public -o "$W/bench.pub" >/dev/null 2>&1 || die "ct key export failed"
IMG=${SRC%:*}@$WANT
say "ct: pack, sign (CT-SIG-01, Ed25519) and push the bundle onto $IMG"
"$BIN/ct-pack" "$SRC" -k bench -o "$W/big.ctp" -q
"$BIN/ct-push" "$W/big.ctp" "$SRC" -q
rm -f "$W/big.ctp"

say "cosign $COSIGN_V: sign $IMG with an imported Ed25519 key, no tlog"
openssl genpkey -algorithm ed25519 -out "$W/ed25519.pem" 2>/dev/null
(cd "$W" && "$COSIGN" import-key-pair --key ed25519.pem --output-key-prefix cosign >/dev/null 2>&1) || die "cosign import-key-pair of an Ed25519 key failed"
"$COSIGN" sign --key "$W/cosign.key" --tlog-upload=false --allow-http-registry "$IMG" >/dev/null 2>"$W/sign.err" ||
	{ cat "$W/sign.err" >&2; die "cosign sign failed"; }

C_CT="$(q "$BIN/ct") fetch $(q "$SRC") --verify-only --no-store --key $(q "$W/bench.pub") -q"
C_CO="$(q "$COSIGN") verify --key $(q "$W/cosign.pub") --insecure-ignore-tlog=true --allow-http-registry $(q "$IMG")"
# Both must succeed, and both must fail on a wrong key (the check is real).
bash -c "$C_CT" >/dev/null 2>&1 || die "ct fetch --verify-only failed: $C_CT"
COSIGN_KEY="Ed25519 (imported)"
if ! bash -c "$C_CO" >/dev/null 2>"$W/co.err" && bash -c "$C_CO --signature-digest-algorithm sha512" >/dev/null 2>&1; then
	C_CO="$C_CO --signature-digest-algorithm sha512" # Ed25519ph's hash
	COSIGN_KEY="Ed25519 (imported; verify needs --signature-digest-algorithm sha512)"
fi
if ! bash -c "$C_CO" >/dev/null 2>"$W/co.err"; then
	# cosign v2.6.5 signs with an imported Ed25519 key but its own verify
	# --key refuses the signature ("no matching signatures: failed to verify
	# signature": pure Ed25519 and Ed25519ph disagree inside cosign, see
	# sigstore/cosign#5074). Then compare with cosign's default key,
	# ECDSA P-256, and say so.
	say "cosign verify refuses its own Ed25519 signature: $(grep -m1 '^Error' "$W/co.err" || tail -1 "$W/co.err")"
	say "falling back to an ECDSA P-256 key (cosign generate-key-pair), the signature above removed"
	COSIGN_KEY="ECDSA P-256 (cosign refuses its own Ed25519 signatures)"
	"$COSIGN" clean --type signature --force --allow-http-registry "$IMG" >/dev/null 2>&1 || die "cosign clean failed"
	rm -f "$W/cosign.key" "$W/cosign.pub"
	(cd "$W" && "$COSIGN" generate-key-pair >/dev/null 2>&1) || die "cosign generate-key-pair failed"
	"$COSIGN" sign --key "$W/cosign.key" --tlog-upload=false --allow-http-registry "$IMG" >/dev/null 2>"$W/sign.err" ||
		{ cat "$W/sign.err" >&2; die "cosign sign failed"; }
	bash -c "$C_CO" >/dev/null 2>"$W/co.err" || { cat "$W/co.err" >&2; die "cosign verify failed: $C_CO"; }
fi
"$BIN/ct-keygen" --id other --no-passphrase >/dev/null 2>&1
"$BIN/ct-key" export other --public -o "$W/other.pub" >/dev/null 2>&1
if "$BIN/ct" fetch "$SRC" --verify-only --no-store --key "$W/other.pub" -q >/dev/null 2>&1; then die "ct accepted a wrong key"; fi
openssl genpkey -algorithm ed25519 -out "$W/other.pem" 2>/dev/null
openssl pkey -in "$W/other.pem" -pubout -out "$W/other-cosign.pub" 2>/dev/null
if "$COSIGN" verify --key "$W/other-cosign.pub" --insecure-ignore-tlog=true --allow-http-registry "$IMG" >/dev/null 2>&1; then die "cosign accepted a wrong key"; fi

ms() { awk -v v="$1" 'BEGIN {printf "%.1f", v * 1000}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
once() { # once 'command' -> seconds of one run, hyperfine without a shell (-N)
	hyperfine -N --style none --runs 1 --export-json "$W/one.json" "$1" >/dev/null 2>"$W/one.err" || { cat "$W/one.err" >&2; die "command failed: $1"; }
	jq -r '.results[0].mean' "$W/one.json"
}
C_DIRECT="$(q "$BIN/ct-fetch") $(q "$SRC") --verify-only --no-store --key $(q "$W/bench.pub") -q"
for c in "$C_CT" "$C_CO" "$C_DIRECT" "$C_CT" "$C_CO" "$C_DIRECT"; do once "$c" >/dev/null; done # warm-up
RATIOS=() LINES=()
for ((r = 1; r <= RUNS; r++)); do
	load=$(awk '{print $1, $2, $3}' /proc/loadavg)
	T_CT=() T_CO=() T_DI=()
	for ((i = 0; i < REPS; i++)); do # interleaved: a burst of other work hits both alike
		T_CT+=("$(once "$C_CT")")
		T_CO+=("$(once "$C_CO")")
		T_DI+=("$(once "$C_DIRECT")")
	done
	a=$(median "${T_CT[@]}") b=$(median "${T_CO[@]}") d=$(median "${T_DI[@]}")
	ratio=$(div "$a" "$b")
	RATIOS+=("$ratio")
	line=$(printf 'round %d  load %-15s  ct fetch --verify-only %6s ms  cosign verify %6s ms  ratio %s  %s  (info: ct-fetch without the ct dispatcher %s ms)' \
		"$r" "$load" "$(ms "$a")" "$(ms "$b")" "$ratio" "$(judge "$ratio" '<=' 1.0)" "$(ms "$d")")
	LINES+=("$line")
	say "$line"
done
MED=$(printf '%s\n' "${RATIOS[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
RSS_CT=$(/usr/bin/time -f %M bash -c "$C_CT" 2>&1 >/dev/null | tail -1)
RSS_CO=$(/usr/bin/time -f %M bash -c "$C_CO" 2>&1 >/dev/null | tail -1)
mkdir -p "$OUT"
{
	printf 'verify-only: %s (rev %s), %d x %s, %s; %s; cosign %s; registry %s\n' "$DATE" "$REV" "$NPROC" "$CPU" "$MEM" "$GOV" "$COSIGN_V" "$REG_V"
	printf 'image: %s, %s layers (%s bytes of blobs); medians of %s runs per round\n' "$SIZE" "$LAYERS" "$BYTES" "$REPS"
	printf '%s\n' "${LINES[@]}"
	printf 'keys: ct CT-SIG-01 (Ed25519); cosign %s\n' "$COSIGN_KEY"
	printf 'ct fetch --verify-only vs cosign verify --key (no tlog): median ratio %s  target <= 1.0  %s\n' "$MED" "$(judge "$MED" '<=' 1.0)"
	printf 'peak RSS: ct fetch --verify-only %.1f MiB (< 64 MiB %s), cosign verify %.1f MiB\n' \
		"$(awk -v k="$RSS_CT" 'BEGIN {print k/1024}')" "$(judge "$RSS_CT" '<' 65536)" "$(awk -v k="$RSS_CO" 'BEGIN {print k/1024}')"
} | tee "$OUT/verifyonly.txt"
