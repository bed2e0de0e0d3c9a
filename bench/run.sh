#!/bin/bash
# `npm run bench`: every figure of issue 9 in one run (bench/lab-bench.ts): start-up (bench/startup.ts,
# needs no lab: alone, `npm run bench:startup`), the multi-host lab (test/lab) for N = 3, 5, 7 hosts in
# turn, the Swarm on 3 nodes (bench/swarm-bench.ts), and planning at scale (bench/plan-scale.ts).
# Results: bench/results/<date>-lab.json and <date>-lab.md (the goals table), <date>-startup.json and .md. Needs root (the lab: netns, dockerd,
# iptables). Always leaves the lab down, also on failure or Ctrl-C; exits 1 if a step failed.
#
# ZKPLAN_LAB_ID selects the lab (as for the lab tests); several benches may run on different labs.
# Environment: see the header of bench/lab-bench.ts (BENCH_SIZES, BENCH_RUNS, BENCH_WARMUP,
# BENCH_IDLE_LOAD, BENCH_IDLE_WAIT, BENCH_OUT, ZKPLAN_BENCH_CLI=dist|src, BENCH_SKIP_PLAN_SCALE).
# BENCH_TAKEOVER=1 tears down a lab that is already up instead of refusing to start.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LAB="$ROOT/test/lab"
LAB_ID=${ZKPLAN_LAB_ID:-0}
LAB_DIR=${ZKPLAN_LAB_DIR:-/tmp/zkplan-lab$([ "$LAB_ID" = 0 ] || echo "-$LAB_ID")}

[ "$(id -u)" = 0 ] || { echo "bench must run as root (network namespaces, dockerd, iptables)" >&2; exit 1; }

# The lab's Debian packages (the same list as test/lab/run.sh).
PACKAGES="docker.io zookeeper libzookeeper-java openssh-server openssh-client netcat-openbsd docker-compose
          busybox-static openjdk-17-jdk-headless libjetty9-java libservlet-api-java
          iproute2 iptables util-linux procps bc openssl time"
missing=()
for p in $PACKAGES; do
  dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# One lab per machine (fixed bridge and netns names): never pull a lab away from a running
# test, and never run two benchmarks at once.
exec 9>"/run/zkplan-bench-$LAB_ID.lock"
flock -n 9 || { echo "another npm run bench is running on lab $LAB_ID" >&2; exit 1; }
if ip netns list 2>/dev/null | grep -qE "^zkl$([ "$LAB_ID" = 0 ] || echo "$LAB_ID")-h[0-9]+" || [ -e "$LAB_DIR/lab.json" ]; then
  if [ "${BENCH_TAKEOVER:-}" = 1 ]; then
    ZKPLAN_LAB_ID=$LAB_ID bash "$LAB/lab.sh" down
  else
    echo "a lab is already up (another npm run test:lab?):" >&2
    bash "$LAB/lab.sh" status >&2 || true
    echo "wait for it, or tear it down with: sudo ZKPLAN_LAB_ID=$LAB_ID bash test/lab/lab.sh down (or BENCH_TAKEOVER=1)" >&2
    exit 1
  fi
fi

cleanup() {
  trap - EXIT INT TERM
  ZKPLAN_LAB_ID=$LAB_ID bash "$LAB/lab.sh" down >/dev/null 2>&1 || echo "WARNING: lab.sh down failed" >&2
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

bash "$LAB/build-images.sh" build >/dev/null

cd "$ROOT"
# The figures are for the CLI operators run: the built one (tsx would add about a second).
export ZKPLAN_LAB_ID=$LAB_ID
export ZKPLAN_BENCH_CLI=${ZKPLAN_BENCH_CLI:-dist}
if [ "$ZKPLAN_BENCH_CLI" = dist ]; then npm run --silent build; fi
# lab-bench.ts runs the start-up figures first (bench/startup.ts, no lab up yet), then the labs
# (3, 5, 7 hosts; the Swarm on the 3-host one), then the planning at scale (bench/plan-scale.ts).
rc=0
node --import tsx "$HERE/lab-bench.ts" || rc=$?
exit $rc
