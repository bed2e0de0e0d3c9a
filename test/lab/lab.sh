#!/bin/bash
# zkplan multi-host test lab: N simulated Docker hosts on one machine.
#
#   lab.sh up N      N hosts zkl-h1..zkl-hN (tears down any earlier lab first)
#   lab.sh down      idempotent; also cleans a crashed lab whose state dir is gone
#   lab.sh status    one line per host; exit 0 only if every host answers
#
# Each host is a network namespace on bridge zklbr<ID> (10.20<ID>.0.1/24, host i at
# 10.20<ID>.0.(10+i)) with its own dockerd (+ its own managed containerd) and sshd.
# The namespaces have no default route, so nothing a test does can leave the machine.
# See /work/shared/LAB.md for the measurements and gotchas behind these choices.
set -euo pipefail

# ZKPLAN_LAB_ID (0-9) lets several labs run side by side (one per developer or helper):
# each has its own state dir, bridge, subnet and namespace names. Lab 0 is the default.
ID=${ZKPLAN_LAB_ID:-0}
[[ "$ID" =~ ^[0-9]$ ]] || { echo "ZKPLAN_LAB_ID must be one digit, not '$ID'" >&2; exit 2; }
if [ "$ID" = 0 ]; then SUFFIX=""; else SUFFIX="-$ID"; fi
LAB_DIR=${ZKPLAN_LAB_DIR:-/tmp/zkplan-lab$SUFFIX}
BR=zklbr$ID
NET=10.20$ID.0
if [ "$ID" = 0 ]; then NS_PREFIX=zkl-h; else NS_PREFIX=zkl$ID-h; fi
MAX_HOSTS=20   # addresses .11-.30; keeps host addresses clear of the bridge (.1)

t0=$(date +%s.%N)
log() { printf '[lab %6.2fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, dockerd, iptables)"

host_dir() { echo "$LAB_DIR/h$1"; }
host_addr() { echo "$NET.$((10 + $1))"; }
host_sock() { echo "$(host_dir "$1")/docker.sock"; }

# ---------------------------------------------------------------------------
# down
# ---------------------------------------------------------------------------

# Send SIG to each pid, then wait (up to ~10 s) for them all to disappear.
kill_wait() {
  local sig=$1; shift
  [ $# -gt 0 ] || return 0
  kill "-$sig" "$@" 2>/dev/null || true
  local k p alive
  for k in $(seq 1 100); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# Pids still running inside the cgroups dockerd created for host i (containers, shims).
cgroup_pids() {
  local i=$1 d
  for d in /sys/fs/cgroup/*/"$NS_PREFIX$i"; do
    [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

down_host() {
  set +e +o pipefail
  local i=$1 H sock pid pids
  H=$(host_dir "$i"); sock=$(host_sock "$i")
  # A live dockerd cleans up its containers and swarm state properly; killing it
  # first would leave shims and mounts behind.
  if [ -S "$sock" ] && timeout 3 env DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
    DOCKER_HOST="unix://$sock" timeout 20 docker swarm leave --force >/dev/null 2>&1 || true
    local ids
    ids=$(DOCKER_HOST="unix://$sock" timeout 10 docker ps -aq 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      DOCKER_HOST="unix://$sock" timeout 30 docker rm -f $ids >/dev/null 2>&1 || true
    fi
  fi
  pids=()
  for pid in "$H/dockerd.pid" "$H/sshd.pid"; do
    [ -f "$pid" ] && pids+=("$(cat "$pid")")
  done
  # dockerd needs ~4.5 s to exit after SIGTERM; escalate only if it hangs.
  kill_wait TERM "${pids[@]}" || kill_wait KILL "${pids[@]}" || true
  # Whatever survived (ssh sessions, --net=host containers, orphaned shims) lives in
  # the host's netns or its cgroups.
  pids=()
  if [ -e "/run/netns/$NS_PREFIX$i" ]; then
    mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$NS_PREFIX$i" 2>/dev/null || true)
  fi
  mapfile -t -O "${#pids[@]}" pids < <(cgroup_pids "$i")
  if [ ${#pids[@]} -gt 0 ]; then
    kill_wait TERM "${pids[@]}" || kill_wait KILL "${pids[@]}" || true
  fi
  ip netns del "$NS_PREFIX$i" 2>/dev/null || true
}

# The root ends of this lab's veths (v<netns>), whatever the state dir says.
lab_veths() {
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^v$NS_PREFIX[0-9]+$" || true
}

# Numbers of every lab host that may exist: from the state dir, the netns list
# and the cgroup dirs (the state dir may be gone after a crash).
known_hosts_idx() {
  {
    ls -d "$LAB_DIR"/h[0-9]* 2>/dev/null | sed 's#.*/h##'
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$NS_PREFIX\([0-9][0-9]*\)$/\1/p"
    ls -d /sys/fs/cgroup/*/"$NS_PREFIX"[0-9]* 2>/dev/null | sed "s#.*/$NS_PREFIX##"
    true
  } | { grep -E '^[0-9]+$' || true; } | sort -un
}

cmd_down() {
  # Teardown is best effort: a failing step must not stop the remaining ones.
  set +e +o pipefail
  local i idx pids m
  idx=$(known_hosts_idx)
  for i in $idx; do down_host "$i" & done
  wait
  # Anything else that still names the state dir (dockerd/containerd/shims/sshd of a
  # lab whose pidfiles are gone).
  # Never our own ancestors: a caller's command line may well mention the state dir.
  local anc=" " p=$$
  while [ "$p" -gt 1 ]; do anc+="$p "; p=$(awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 1); done
  mapfile -t pids < <(pgrep -f -- "$LAB_DIR(/|\$| )" | while read -r p; do [[ "$anc" == *" $p "* ]] || echo "$p"; done)
  if [ ${#pids[@]} -gt 0 ]; then
    log "killing ${#pids[@]} stray process(es) referencing $LAB_DIR"
    kill_wait TERM "${pids[@]}" || kill_wait KILL "${pids[@]}" || true
  fi
  # Lazy unmounts, deepest first: overlay2 and netns bind mounts nest.
  grep -oE " $LAB_DIR(/[^ ]*)? " /proc/mounts | tr -d ' ' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  for m in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$NS_PREFIX[0-9]+$" || true); do
    ip netns del "$m" 2>/dev/null || true
  done
  # The kernel cleans a deleted netns up asynchronously: a veth's root end can outlive
  # `ip netns del` for seconds (seen after an 8-host lab), and the next `up` would find its name
  # taken ("RTNETLINK answers: File exists"). Deleting one end deletes the pair at once.
  local t
  for t in $(seq 1 100); do
    mapfile -t pids < <(lab_veths)
    [ ${#pids[@]} -eq 0 ] && break
    for m in "${pids[@]}"; do ip link del "$m" 2>/dev/null || true; done
    sleep 0.1
  done
  ip link del "$BR" 2>/dev/null || true
  # The rule may have been inserted more than once by interrupted runs.
  while iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null; do :; done
  # dockerd leaves its (empty) cgroup-parent dirs; rmdir children before parents.
  for m in /sys/fs/cgroup/*/"$NS_PREFIX"*; do
    [ -d "$m" ] && find "$m" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  if [ -e "$LAB_DIR" ]; then
    # --one-file-system: never follow a mount we failed to remove into another fs.
    rm -rf --one-file-system "$LAB_DIR" 2>/dev/null || log "WARNING: could not fully remove $LAB_DIR"
  fi
  log "down"
  set -e -o pipefail
}

# ---------------------------------------------------------------------------
# up
# ---------------------------------------------------------------------------

start_host() {
  local i=$1 H A
  H=$(host_dir "$i"); A=$(host_addr "$i")
  mkdir -p "$H/docker" "$H/exec"
  ssh-keygen -q -t ed25519 -N '' -C "zkl-h$i" -f "$H/ssh_host_ed25519_key"
  cat > "$H/sshd_config" <<EOF
ListenAddress $A:22
HostKey $H/ssh_host_ed25519_key
PidFile $H/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AuthorizedKeysFile $LAB_DIR/ssh/authorized_keys
SetEnv DOCKER_HOST=unix://$H/docker.sock
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 50
EOF
  # nsenter --net keeps the root mount namespace (ip netns exec would remount /sys and
  # hide the cgroup v1 mounts dockerd needs); unshare --uts gives each host its hostname.
  nsenter --net="/run/netns/$NS_PREFIX$i" unshare --uts sh -c \
    "hostname h$i; exec /usr/sbin/sshd -f $H/sshd_config -E $H/sshd.log"
  echo '{}' > "$H/daemon.json"
  # --config-file: a system /etc/docker/daemon.json must not leak into lab hosts.
  # /run/containerd/containerd.sock is absent, so dockerd starts its own containerd
  # inside this netns; --net=host containers then get this host's network.
  nsenter --net="/run/netns/$NS_PREFIX$i" unshare --uts sh -c \
    "hostname h$i; exec dockerd --config-file $H/daemon.json \
      --data-root $H/docker --exec-root $H/exec --pidfile $H/dockerd.pid \
      -H unix://$H/docker.sock --storage-driver=overlay2 --bridge=none \
      --cgroup-parent=/$NS_PREFIX$i --label aliyun.node_index=$i --log-level=warn" \
    > "$H/dockerd.log" 2>&1 < /dev/null &
}

wait_host() {
  local i=$1 H k
  H=$(host_dir "$i")
  for k in $(seq 1 300); do
    DOCKER_HOST="unix://$H/docker.sock" docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "dockerd h$i did not come up; last log lines:"; tail -5 "$H/dockerd.log" >&2
  return 1
}

cmd_up() {
  local n=${1:-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le $MAX_HOSTS ] || die "usage: lab.sh up N (1..$MAX_HOSTS)"
  if [ -e /run/containerd/containerd.sock ]; then
    # A shared containerd would run every --net=host container in the root netns.
    die "/run/containerd/containerd.sock exists; lab dockerds must each run their own containerd"
  fi
  cmd_down
  t0=$(date +%s.%N)
  mkdir -p "$LAB_DIR/ssh"
  chmod 700 "$LAB_DIR"

  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  # bridge-nf-call-iptables=1 sends bridged frames through the root FORWARD chain, whose
  # policy may be DROP (left by another dockerd): host<->host traffic would vanish.
  iptables -I FORWARD 1 -i "$BR" -o "$BR" -j ACCEPT
  local i A
  for i in $(seq 1 "$n"); do
    A=$(host_addr "$i")
    ip netns add "$NS_PREFIX$i"
    ip link add "v$NS_PREFIX$i" type veth peer name eth0 netns "$NS_PREFIX$i"
    ip link set "v$NS_PREFIX$i" master "$BR" up
    ip -n "$NS_PREFIX$i" addr add "$A/24" dev eth0
    ip -n "$NS_PREFIX$i" link set eth0 up
    ip -n "$NS_PREFIX$i" link set lo up
    # deliberately no default route
  done
  log "bridge + $n netns"

  ssh-keygen -q -t ed25519 -N '' -C zkplan-lab -f "$LAB_DIR/ssh/id_ed25519"
  cp "$LAB_DIR/ssh/id_ed25519.pub" "$LAB_DIR/ssh/authorized_keys"
  chmod 600 "$LAB_DIR/ssh/authorized_keys"
  # sshd refuses to start without its privilege-separation dir.
  mkdir -p /run/sshd
  for i in $(seq 1 "$n"); do start_host "$i"; done

  : > "$LAB_DIR/ssh/known_hosts"
  {
    echo "# zkplan lab client config: ssh -F $LAB_DIR/ssh/config h1"
    for i in $(seq 1 "$n"); do
      A=$(host_addr "$i")
      echo "$A,h$i $(cut -d' ' -f1,2 "$(host_dir "$i")/ssh_host_ed25519_key.pub")" >> "$LAB_DIR/ssh/known_hosts"
      cat <<EOF
Host h$i $A
  HostName $A
EOF
    done
    cat <<EOF
Host *
  User root
  Port 22
  IdentityFile $LAB_DIR/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $LAB_DIR/ssh/known_hosts
  StrictHostKeyChecking yes
  HashKnownHosts no
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
  } > "$LAB_DIR/ssh/config"

  for i in $(seq 1 "$n"); do wait_host "$i" || { cmd_down; exit 1; }; done
  log "sshd + dockerd on $n hosts"

  {
    printf '{\n  "stateDir": "%s",\n  "bridge": "%s",\n  "hosts": [\n' "$LAB_DIR" "$BR"
    for i in $(seq 1 "$n"); do
      printf '    {"name": "h%d", "address": "%s", "dockerSocket": "%s", "netns": "%s"}%s\n' \
        "$i" "$(host_addr "$i")" "$(host_sock "$i")" "$NS_PREFIX$i" "$([ "$i" -lt "$n" ] && echo ,)"
    done
    printf '  ],\n  "sshKey": "%s",\n  "knownHosts": "%s",\n  "sshConfig": "%s"\n}\n' \
      "$LAB_DIR/ssh/id_ed25519" "$LAB_DIR/ssh/known_hosts" "$LAB_DIR/ssh/config"
  } > "$LAB_DIR/lab.json.tmp"
  mv "$LAB_DIR/lab.json.tmp" "$LAB_DIR/lab.json"
  log "up: $n hosts, $LAB_DIR/lab.json"
}

# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------

cmd_status() {
  local ok=0 i H sshd dockerd ver any=0
  for i in $(known_hosts_idx); do
    any=1; H=$(host_dir "$i")
    sshd=down; dockerd=down; ver=-
    [ -f "$H/sshd.pid" ] && kill -0 "$(cat "$H/sshd.pid")" 2>/dev/null && sshd=up
    if ver=$(DOCKER_HOST="unix://$H/docker.sock" timeout 3 docker version --format '{{.Server.Version}}' 2>/dev/null); then
      dockerd=up
    else
      ver=-
    fi
    printf 'h%-3s %-13s netns=%-5s sshd=%-4s dockerd=%-4s engine=%s containers=%s\n' "$i" "$(host_addr "$i")" \
      "$([ -e "/run/netns/$NS_PREFIX$i" ] && echo up || echo down)" "$sshd" "$dockerd" "$ver" \
      "$([ $dockerd = up ] && DOCKER_HOST="unix://$H/docker.sock" docker ps -q | wc -l || echo -)"
    [ $sshd = up ] && [ $dockerd = up ] || ok=1
  done
  [ $any = 1 ] || { echo "lab is down"; return 1; }
  [ -f "$LAB_DIR/lab.json" ] || ok=1
  return $ok
}

case "${1:-}" in
  up) cmd_up "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up N | down | status" >&2; exit 2 ;;
esac
