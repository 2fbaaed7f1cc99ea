#!/usr/bin/env bash
# Record ground-truth behaviour of a real Docker engine (the oracle) for the
# Dockerfile cases under test/fixtures/docker/<case>/.
#
# For every case directory holding a `Dockerfile` (optional `build-args`, one
# K=V per line, and optional `target`, a stage name) this builds the case with
# the classic builder (DOCKER_BUILDKIT=0) and with BuildKit (DOCKER_BUILDKIT=1),
# both with --no-cache --network=none, and writes <case>/expected.json:
#
#   { "buildkit": {...}, "classic": { "ok": true, "config": {...},
#     "history": [...], "files": {...}, "warnings": [...] } }
#   or { "ok": false, "error": "<last error line docker printed>" }
#
# Usage:  test/conformance/record-docker.sh [case ...]     (default: all cases)
#
# Environment:
#   DOCKER       docker client to use. Default /usr/bin/docker (the 20.10
#                client from Debian's docker.io, matching the daemon; a newer
#                client would insist on the buildx plugin for BuildKit).
#   DOCKER_HOST  daemon socket. Default unix:///tmp/d/sock. If nothing answers
#                there, this script starts its own containerd + dockerd (data
#                root /tmp/d/root, kept between runs) and stops them on exit.
#                It restarts dockerd when a case crashes it (some do on 20.10).
#
# The base image `busybox:latest` is created offline from busybox-static
# (/bin/busybox) if it is missing; see test/fixtures/docker/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FIX="$ROOT/test/fixtures/docker"
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
export DOCKER_HOST=${DOCKER_HOST:-unix:///tmp/d/sock}
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/d/log}
WORK=$(mktemp -d /tmp/record-docker.XXXXXX)
BASE_MARK=tsbuild-busybox-base
STARTED_PID=
STARTED_CTRD=

d() { "$DOCKER" "$@"; }

cleanup() {
  rm -rf "$WORK"
  if [ -n "$STARTED_PID" ]; then
    kill "$STARTED_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$STARTED_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -n "$STARTED_CTRD" ]; then
    kill "$STARTED_CTRD" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$STARTED_CTRD" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap cleanup EXIT

# containerd runs on its own (not as dockerd's child) so that dockerd can be
# restarted cleanly after one of the inputs below makes it panic.
ensure_containerd() {
  if ctr --address /tmp/d/containerd.sock version >/dev/null 2>&1; then return; fi
  mkdir -p /tmp/d
  cat >/tmp/d/containerd.toml <<'TOML'
version = 2
root = "/tmp/d/containerd/root"
state = "/tmp/d/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/tmp/d/containerd.sock"
TOML
  containerd --config /tmp/d/containerd.toml >>/tmp/d/containerd.log 2>&1 &
  STARTED_CTRD=$!
  for _ in $(seq 1 60); do
    ctr --address /tmp/d/containerd.sock version >/dev/null 2>&1 && return; sleep 0.5
  done
  echo "containerd did not come up; see /tmp/d/containerd.log" >&2; exit 1
}

ensure_daemon() {
  if d version >/dev/null 2>&1; then return; fi
  case "$DOCKER_HOST" in
    unix:///tmp/d/sock) ;;
    *) echo "no docker daemon at $DOCKER_HOST" >&2; exit 1 ;;
  esac
  ensure_containerd
  # A dockerd that panicked leaves its pid file behind (and may linger as a
  # zombie); nothing answers on the socket, so the file is stale.
  rm -f /tmp/d/docker.pid
  echo "starting dockerd on $DOCKER_HOST (log $DOCKERD_LOG)" >&2
  dockerd --iptables=false --ip-masq=false --bridge=none \
    --containerd /tmp/d/containerd.sock \
    --data-root /tmp/d/root --exec-root /tmp/d/exec --pidfile /tmp/d/docker.pid \
    -H "$DOCKER_HOST" >>"$DOCKERD_LOG" 2>&1 &
  STARTED_PID=$!
  for _ in $(seq 1 60); do d version >/dev/null 2>&1 && return; sleep 0.5; done
  echo "dockerd did not come up; see $DOCKERD_LOG" >&2; exit 1
}

ensure_base() {
  if [ "$(d image inspect busybox:latest --format '{{.Comment}}' 2>/dev/null || true)" = "$BASE_MARK" ]; then
    return
  fi
  echo "creating base image busybox:latest from /bin/busybox" >&2
  local r="$WORK/rootfs"
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/home/app"
  cp /bin/busybox "$r/bin/busybox"
  local a
  for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"; chown 1000:1000 "$r/home/app"
  tar -C "$r" --numeric-owner --mtime=2020-01-01 -c . |
    d import -m "$BASE_MARK" \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["sh"]' - busybox:latest >/dev/null
}

# build_one CASE BUILDER OUTDIR: writes raw results into OUTDIR for assemble.js
build_one() {
  local case=$1 builder=$2 out=$3 ctx="$WORK/ctx-$1"
  local tag="tsbuild-fixture-$case-$builder"
  mkdir -p "$out"
  d rmi -f "$tag" >/dev/null 2>&1 || true

  local -a args=(build --no-cache --network=none -t "$tag")
  if [ -f "$FIX/$case/build-args" ]; then
    local line
    while IFS= read -r line || [ -n "$line" ]; do
      [ -n "$line" ] && args+=(--build-arg "$line")
    done <"$FIX/$case/build-args"
  fi
  if [ -f "$FIX/$case/target" ]; then
    args+=(--target "$(tr -d '\r\n' <"$FIX/$case/target")")
  fi
  local bk=0
  if [ "$builder" = buildkit ]; then bk=1; args+=(--progress=plain); fi
  args+=("$ctx")

  local rc=0 logpos=0
  [ -f "$DOCKERD_LOG" ] && logpos=$(stat -c %s "$DOCKERD_LOG")
  DOCKER_BUILDKIT=$bk d "${args[@]}" >"$out/stdout" 2>"$out/stderr" </dev/null || rc=$?
  echo "$rc" >"$out/rc"
  # Some inputs make the 20.10 daemon panic (recovered in the HTTP handler for
  # classic, fatal for BuildKit). Record the panic line and bring dockerd back.
  : >"$out/panic"
  if [ -f "$DOCKERD_LOG" ]; then
    tail -c +"$((logpos + 1))" "$DOCKERD_LOG" | grep -E '^panic: |http: panic serving' |
      sed -E 's/^.*(http: panic serving)[^:]*:/\1:/' | head -n 1 >"$out/panic" || true
  fi
  if ! d version >/dev/null 2>&1; then
    echo "(daemon died; restarting)" >&2
    sleep 1
    ensure_daemon
    echo "daemon crashed" >"$out/crashed"
  fi
  [ "$rc" = 0 ] || return 0

  d image inspect "$tag" --format '{{json .Config}}' >"$out/config.json"
  d history --no-trunc --format '[{{json .Comment}},{{json .CreatedBy}}]' "$tag" >"$out/history.jsonl"
  local cid
  cid=$(d create --entrypoint /nonexistent "$tag")
  mkdir -p "$out/files"
  if d cp "$cid:/out" - >"$out/out.tar" 2>/dev/null; then
    tar -C "$out/files" -xf "$out/out.tar" 2>/dev/null || true
  fi
  d rm -f "$cid" >/dev/null
  d rmi -f "$tag" >/dev/null 2>&1 || true
}

record_case() {
  local case=$1 dir="$FIX/$1" ctx="$WORK/ctx-$1"
  # Build context = the case directory minus the fixture's own metadata, with
  # normalised mtimes and modes so COPY/ADD checksums in history are stable.
  rm -rf "$ctx"; mkdir -p "$ctx"
  (cd "$dir" && tar -c --exclude=./expected.json --exclude=./build-args --exclude=./target .) | tar -C "$ctx" -x
  find "$ctx" -type d -exec chmod 755 {} +
  find "$ctx" -type f -exec chmod 644 {} +
  find "$ctx" -exec touch -h -d '2020-01-01 00:00:00 UTC' {} +

  local b
  for b in classic buildkit; do build_one "$case" "$b" "$WORK/res-$case/$b"; done
  node "$WORK/assemble.js" "$WORK/res-$case" "$dir/expected.json" "$BASE_MARK"
}

cat >"$WORK/assemble.js" <<'EOF'
const fs = require('fs');
const path = require('path');
const [resDir, outFile, baseMark] = process.argv.slice(2);

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
const KEYS = ['Env', 'Labels', 'Cmd', 'Entrypoint', 'Shell', 'Volumes', 'ExposedPorts',
  'WorkingDir', 'User', 'StopSignal', 'Healthcheck', 'OnBuild'];

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

// Keep null out; keep "" out; keep {} out; keep [] (CMD [] differs from no CMD).
function pickConfig(c) {
  const o = {};
  for (const k of KEYS) {
    const v = c[k];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    o[k] = v;
  }
  return o;
}

function readFiles(dir, prefix, acc) {
  if (!fs.existsSync(dir)) return acc;
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    const key = prefix + '/' + name;
    if (st.isDirectory()) readFiles(p, key, acc);
    else if (st.isSymbolicLink()) acc[key] = '-> ' + fs.readlinkSync(p);
    else acc[key] = fs.readFileSync(p, 'utf8');
  }
  return acc;
}

// Daemon-emitted warnings: "[WARNING]..." / "[Warning]..." lines plus indented
// continuation lines right after them.
function warnings(text) {
  const out = [];
  let inWarn = false;
  for (const line of stripAnsi(text).split('\n')) {
    if (/^\[warning\]/i.test(line)) { out.push(line.trimEnd()); inWarn = true; }
    else if (inWarn && /^\s+\S/.test(line)) out.push(line.trimEnd());
    else inWarn = false;
  }
  return out;
}

function errorLine(stdout, stderr) {
  const lines = stripAnsi(stderr + '\n' + stdout).split('\n').map((l) => l.trim()).filter(Boolean);
  const errLines = stripAnsi(stderr).split('\n').map((l) => l.trim()).filter(Boolean);
  let line = errLines.length ? errLines[errLines.length - 1] : lines[lines.length - 1] || '';
  return line
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\b[0-9a-f]{12,64}\b/g, '<id>');
}

function one(builder) {
  const d = path.join(resDir, builder);
  const rd = (f) => fs.readFileSync(path.join(d, f), 'utf8');
  const rc = rd('rc').trim();
  const stdout = rd('stdout'), stderr = rd('stderr');
  const r = {};
  const panic = rd('panic').trim();
  if (panic) r.daemon_panic = panic;
  if (fs.existsSync(path.join(d, 'crashed'))) r.daemon_crashed = true;
  if (rc !== '0') {
    r.ok = false;
    // A crashed daemon makes the client print a connection error that varies.
    r.error = r.daemon_crashed ? '(daemon crashed; no client error recorded)' : errorLine(stdout, stderr);
  } else {
    r.ok = true;
    r.config = pickConfig(JSON.parse(rd('config.json')));
    const hist = rd('history.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l)).reverse();
    let start = 0;
    hist.forEach(([comment], i) => { if (comment === baseMark) start = i + 1; });
    r.history = hist.slice(start).map(([, createdBy]) => createdBy);
    const files = readFiles(path.join(d, 'files', 'out'), '/out', {});
    if (Object.keys(files).length) r.files = files;
  }
  const w = warnings(stdout + '\n' + stderr);
  if (w.length) r.warnings = w;
  return r;
}

const result = { classic: one('classic'), buildkit: one('buildkit') };
fs.writeFileSync(outFile, JSON.stringify(sortKeys(result), null, 2) + '\n');
EOF

ensure_daemon
ensure_base

if [ "$#" -gt 0 ]; then
  cases=("$@")
else
  cases=()
  for f in "$FIX"/*/Dockerfile; do cases+=("$(basename "$(dirname "$f")")"); done
fi

for c in "${cases[@]}"; do
  c=${c%/}; c=${c##*/}
  if [ ! -f "$FIX/$c/Dockerfile" ]; then echo "no such case: $c" >&2; exit 1; fi
  printf '%-40s' "$c" >&2
  record_case "$c"
  node -e 'const r=require(process.argv[1]);console.error(["classic","buildkit"].map(b=>b+"="+(r[b].ok?"ok":"fail")).join(" "))' "$FIX/$c/expected.json"
done
d container prune -f >/dev/null 2>&1 || true
d image prune -f >/dev/null 2>&1 || true
d builder prune -af >/dev/null 2>&1 || true
