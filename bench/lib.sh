# bench/lib.sh: what bench/airgap.sh and bench/pack.sh share: the work
# directory, loopback registries (start, stop, clean-up), the timer and
# the result table. Source it after setting BENCH_NAME.


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
command -v docker-registry >/dev/null || apt_install docker-registry
[[ -x /usr/bin/time ]] || apt_install time
for t in curl skopeo docker-registry sha256sum; do command -v "$t" >/dev/null || die "$t is needed"; done
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
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
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
	die "could not start docker-registry in $dir"
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
