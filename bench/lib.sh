# bench/lib.sh: what bench/airgap.sh and bench/pack.sh share: the work
# directory, loopback registries (start, stop, clean-up), the timer and
# the result table, the machine description and the source registry.
# Source it after setting BENCH_NAME and BENCH_BINS (the binaries used).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
SIZE=${BENCH_SIZE:-500MB}
LAYERS=${BENCH_LAYERS:-8}
RUNS=${BENCH_RUNS:-3}
CRANE_VERSION=v0.22.1

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
command -v hyperfine >/dev/null || apt_install hyperfine
command -v jq >/dev/null || apt_install jq
command -v curl >/dev/null || apt_install curl
command -v skopeo >/dev/null || apt_install skopeo
# BENCH_REGISTRY: the registry binary (default Debian's docker-registry, the
# CNCF distribution registry 2.8). Any distribution build that takes
# "serve CONFIG" works, e.g. v3 built with
#   GOBIN=DIR go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2
REGISTRY=${BENCH_REGISTRY:-docker-registry}
[[ $REGISTRY != docker-registry ]] || command -v docker-registry >/dev/null || apt_install docker-registry
[[ -x /usr/bin/time ]] || apt_install time
for t in curl skopeo "$REGISTRY" sha256sum; do command -v "$t" >/dev/null || die "$t is needed"; done
[[ -x /usr/bin/time ]] || die "/usr/bin/time (Debian package time) is needed for peak RSS"
HYPERFINE=
if [[ ${BENCH_TIMER:-} != date ]] && command -v hyperfine >/dev/null && command -v jq >/dev/null; then HYPERFINE=1; fi

# --- work directory, registries, cleanup ------------------------------------
BASE=${BENCH_DIR:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
W=$(mktemp -d "$BASE/$BENCH_NAME.XXXXXX")
REG_PIDS=()
cleanup() {
	local p
	for p in "${REG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# reg_start DIR: starts the CNCF distribution registry (Debian's docker-registry)
# with filesystem storage in DIR/storage on a free 127.0.0.1 port, as
# tests/harness/registry.go does, and waits for GET /v2/ = 200 from *this*
# registry (a probe tag in its storage tells it from anything else on the port).
# Sets REG_ADDR and REG_PID.
reg_start() {
	local dir=$1 attempt port i nonce code
	mkdir -p "$dir/storage"
	for ((attempt = 0; attempt < 10; attempt++)); do
		port=$((20000 + RANDOM % 40000))
		nonce=ready-$$-$port
		mkdir -p "$dir/storage/docker/registry/v2/repositories/ctbench-probe/_manifests/tags/$nonce"
		cat >"$dir/config.yml" <<-EOF
			version: 0.1
			log:
			  level: error
			  accesslog:
			    disabled: true
			storage:
			  filesystem:
			    rootdirectory: "$dir/storage"
			  delete:
			    enabled: true
			  maintenance:
			    uploadpurging:
			      enabled: false
			http:
			  addr: "127.0.0.1:$port"
			health:
			  storagedriver:
			    enabled: false
		EOF
		"$REGISTRY" serve "$dir/config.yml" >"$dir/log" 2>&1 &
		REG_PID=$!
		REG_PIDS+=("$REG_PID")
		for ((i = 0; i < 200; i++)); do
			kill -0 "$REG_PID" 2>/dev/null || break
			code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
			if [[ $code == 200 ]] && curl -s "http://127.0.0.1:$port/v2/ctbench-probe/tags/list" | grep -q "$nonce"; then
				rm -rf "$dir/storage/docker/registry/v2/repositories/ctbench-probe"
				REG_ADDR=127.0.0.1:$port
				return 0
			fi
			sleep 0.05
		done
		reg_stop "$REG_PID"
		rm -rf "$dir/storage/docker/registry/v2/repositories/ctbench-probe"
	done
	cat "$dir/log" >&2 || true
	die "could not start $REGISTRY in $dir"
}
reg_stop() { # reg_stop PID
	local p=$1 keep=() x
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for x in "${REG_PIDS[@]}"; do [[ $x == "$p" ]] || keep+=("$x"); done
	REG_PIDS=("${keep[@]}")
}
# manifest_digest docker://REF -> sha256:... of the raw manifest
manifest_digest() {
	local d
	d=$(skopeo inspect --raw --tls-verify=false "$1" | sha256sum | awk '{print $1}') || return 1
	printf 'sha256:%s' "$d"
}

say "building (make build), the generator and crane"
make -C "$ROOT" -s build >&2
BIN=$ROOT/bin
for b in $BENCH_BINS; do [[ -x $BIN/$b ]] || die "$BIN/$b missing after make build"; done
(cd "$ROOT/tests" && go build -o "$W/mkbig" ./cmd/mkbig)
CRANE=${CRANE:-$(command -v crane || true)}
if [[ -z $CRANE ]]; then
	GOBIN=$W/gobin go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION" >&2 || die "go install crane failed"
	CRANE=$W/gobin/crane
fi
SKOPEO=$(command -v skopeo)

# --- machine --------------------------------------------------------------
NPROC=$(nproc)
CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
GOV=$(go version | awk '{print $3}')
KERNEL=$(uname -r)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- "$ROOT"/ct-* "$ROOT/lib" 2>/dev/null) ]]; then REV="$REV+dirty"; fi
TIMER=$([[ -n $HYPERFINE ]] && hyperfine --version || echo "bash date loop")
SKOPEO_V=$(skopeo --version | awk '{print $NF}')
CRANE_V=$("$CRANE" version 2>/dev/null || echo unknown)
REG_V="$("$REGISTRY" --version 2>/dev/null | awk '{print $NF}' || echo unknown) ($(go version "$(command -v "$REGISTRY")" 2>/dev/null | awk '{print $NF}'))"
FS=$(df -PT "$W" | awk 'NR == 2 {print $2}')

cpu_busy() { # cpu_busy SECONDS -> percent of all CPU time not idle over that window
	local a b
	a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; printf "%.0f", (t > 0 ? 100 * (1 - (y[2] - x[2]) / t) : 0)}'
}
BUSY_START=$(cpu_busy 2)
say "machine: $NPROC x $CPU, $MEM; $GOV; skopeo $SKOPEO_V; crane $CRANE_V; registry $REG_V; timer: $TIMER; CPU busy before start: $BUSY_START%"
((BUSY_START < 10)) || say "warning: the machine is not idle ($BUSY_START% busy): timings will be noisy"

# --- measuring ------------------------------------------------------------
time_once() { # time_once 'shell command' -> wall seconds; the command must exit 0
	local cmd=$1
	if [[ -n $HYPERFINE ]]; then
		hyperfine --style none --runs 1 --export-json "$W/hf.json" "$cmd" >/dev/null 2>"$W/hf.err" ||
			{ cat "$W/hf.err" >&2; die "command failed: $cmd"; }
		jq -r '.results[0].mean' "$W/hf.json"
	else
		local t0 t1
		t0=$(date +%s.%N)
		bash -c "$cmd" >/dev/null 2>"$W/cmd.err" || { cat "$W/cmd.err" >&2; die "command failed: $cmd"; }
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}'
	fi
}
# keep_min VAR VALUE: VAR = min(VAR, VALUE) (VAR empty = unset)
keep_min() {
	if [[ -z ${!1} ]] || awk -v a="$2" -v b="${!1}" 'BEGIN {exit !(a < b)}'; then printf -v "$1" '%s' "$2"; fi
}
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6f", a + b}'; }
q() { printf '%q' "$1"; }

ROWS=() # metric|value|unit|baseline|ratio|target|result
row() { ROWS+=("$1|$2|$3|$4|$5|$6|$7"); }
judge() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == "<=") ? v <= l : v < l; print ok ? "PASS" : "MISS"}'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN {printf f, v}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

# --- the source ------------------------------------------------------------
say "generating a $SIZE, $LAYERS-layer OCI layout"
"$W/mkbig" -size "$SIZE" -layers "$LAYERS" -out "$W/layout" -q
BYTES=$(du -sb "$W/layout/blobs" | awk '{print $1}')
reg_start "$W/src"
SRC=$REG_ADDR/bench/big:1
say "source registry $REG_ADDR: pushing the layout (skopeo copy --preserve-digests)"
"$SKOPEO" copy -q --insecure-policy --preserve-digests --dest-tls-verify=false "oci:$W/layout:big" "docker://$SRC" >&2
rm -rf "$W/layout"
WANT=$(manifest_digest "docker://$SRC")
say "source docker://$SRC = $WANT ($BYTES bytes of blobs)"

