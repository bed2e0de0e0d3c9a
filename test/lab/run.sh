#!/bin/bash
# `npm run test:lab`: the multi-host lab tests. Needs root (netns, dockerd, iptables).
# Always leaves the lab down, also on failure or Ctrl-C; exits with the test runner's code.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

[ "$(id -u)" = 0 ] || { echo "test:lab must run as root (network namespaces, dockerd, iptables)" >&2; exit 1; }

# Everything the lab and the image build use. The image inputs (jars, JDK, busybox) are also
# the cache key in build-images.sh.
PACKAGES="docker.io zookeeper libzookeeper-java openssh-server openssh-client netcat-openbsd docker-compose
          busybox-static openjdk-17-jdk-headless libjetty9-java libservlet-api-java
          iproute2 iptables util-linux procps bc openssl"
missing=()
for p in $PACKAGES; do
  dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A lab left by an earlier crashed run would make `up` reuse stale state.
bash "$HERE/lab.sh" down

cleanup() {
  trap - EXIT INT TERM
  bash "$HERE/lab.sh" down || echo "WARNING: lab.sh down failed" >&2
}
trap cleanup EXIT
# On Ctrl-C/TERM run the teardown, then exit with the conventional signal code.
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

bash "$HERE/build-images.sh" build >/dev/null

cd "$ROOT"
rc=0
node --import tsx --test --test-concurrency=1 test/lab/*.test.ts || rc=$?
exit $rc
