#!/bin/bash
# Build the lab's ZooKeeper images without any registry or Docker daemon.
#
#   build-images.sh [build]   build (or reuse) the cached `docker save` tarball; prints its path
#   build-images.sh load      docker load the tarball into every running lab host, in parallel
#   build-images.sh path      print the tarball path for the current inputs (may not exist yet)
#
# Images (all run Debian's unmodified ZooKeeper 3.8.0 jars on a jlink'ed OpenJDK 17):
#   zkplan-lab/aliyun-contract:latest  env contract of registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
#   zkplan-lab/zookeeper:3.8.0         env contract of the official `zookeeper` image (3.5+ entrypoint)
#   zkplan-lab/bitnami-contract:3.8    env contract of bitnami/zookeeper 3.8 (uid 1001, ALLOW_ANONYMOUS_LOGIN)
#   zkplan-lab/bitnami-contract:3.9    the same for the 3.9/debian-12 line (ALLOW_EMPTY_PASSWORD)
#
# The tarball is written by hand in the docker-archive format `docker save` produces
# (manifest.json + image config + one layer.tar per layer): no daemon is needed to build,
# the images share the ~70 MB base layer, and the image IDs are the same on every host.
# It is cached under $ZKPLAN_LAB_CACHE (default /var/cache/zkplan-lab), keyed by a hash of
# this script and the versions of the Debian packages it copies from.
set -euo pipefail

CACHE=${ZKPLAN_LAB_CACHE:-/var/cache/zkplan-lab}
LAB_ID=${ZKPLAN_LAB_ID:-0}
LAB_DIR=${ZKPLAN_LAB_DIR:-/tmp/zkplan-lab$([ "$LAB_ID" = 0 ] || echo "-$LAB_ID")}
ALIYUN_TAG=zkplan-lab/aliyun-contract:latest
OFFICIAL_TAG=zkplan-lab/zookeeper:3.8.0
BITNAMI_REPO=zkplan-lab/bitnami-contract
PKGS="libzookeeper-java openjdk-17-jdk-headless openjdk-17-jre-headless busybox-static libjetty9-java
      libservlet-api-java libslf4j-java liblog4j1.2-java libnetty-java libjackson2-databind-java
      libjackson2-core-java libjackson2-annotations-java libsnappy-java libc6"
# jdk.crypto.ec (+ cryptoki): EC keys and ECDHE for ZooKeeper's TLS (LAB.md §6)
JRE_MODULES=java.base,java.desktop,java.management,java.naming,java.security.jgss,java.security.sasl,java.sql,jdk.unsupported,jdk.management,java.xml,jdk.crypto.ec,jdk.crypto.cryptoki
# zookeeper.jar's manifest Class-Path names these by absolute /usr/share/java path, plus the
# log4j binding and servlet-api that the Jetty AdminServer needs but no manifest lists, and
# netty-codec / netty-resolver, which TLS (the Netty secure client port, quorum TLS) needs but the
# manifest does not name: they go on zk-java's -cp.
JARS="zookeeper zookeeper-jute slf4j-api slf4j-log4j12 log4j-1.2 netty-buffer netty-common netty-handler
      netty-transport netty-transport-native-epoll netty-transport-native-unix-common netty-resolver netty-codec
      snappy-java metrics-core commons-cli commons-io jackson-annotations jackson-core jackson-databind
      jetty9-client jetty9-http jetty9-io jetty9-security jetty9-server jetty9-servlet jetty9-util
      servlet-api findbugs-annotations"
# Named in the manifest but only used by the interactive CLI client, which the images never run.
OPTIONAL_JARS="jline"

t0=$(date +%s.%N)
log() { printf '[images %6.2fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*" >&2; }

inputs_hash() {
  { cat "$0"; dpkg-query -W -f '${Package}=${Version}\n' $PKGS 2>&1 || true; } | sha256sum | cut -c1-16
}
tar_path() { echo "$CACHE/zk-images-$(inputs_hash).tar"; }

# --- rootfs pieces ------------------------------------------------------------

build_base() {
  local R=$1
  mkdir -p "$R"/{bin,sbin,etc,tmp,opt,usr/bin,usr/share/java,usr/share/zkplan-lab/log4j,var/tmp,root}
  chmod 1777 "$R/tmp" "$R/var/tmp"
  cp /bin/busybox "$R/bin/busybox"
  # sh, nc (4lw probes like the official image's netcat), and the usual shell tools.
  for a in sh ash cat echo ls sleep nc mkdir rm ps hostname ip env grep sed awk id chown chmod \
           head tail tr cut wc test [ printf true false dirname basename ln cp mv touch du df \
           wget vi less find xargs kill pidof ping netstat date uname; do
    ln -s busybox "$R/bin/$a"
  done
  jlink --add-modules "$JRE_MODULES" --strip-debug --no-header-files --no-man-pages \
        --compress=2 --output "$R/opt/jre"
  # X11/AWT glue is never loaded by a headless server; dropping it avoids copying X11 libs.
  rm -f "$R"/opt/jre/lib/{libawt_xawt,libsplashscreen,libjawt}.so
  local f lib
  for f in "$R"/opt/jre/bin/java "$R"/opt/jre/lib/*.so "$R"/opt/jre/lib/server/libjvm.so; do
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
  done | sort -u | while read -r lib; do cp -L --parents "$lib" "$R/"; done
  cp -L --parents /lib64/ld-linux-x86-64.so.2 "$R/"
  for j in $JARS; do
    [ -e "/usr/share/java/$j.jar" ] || { echo "missing /usr/share/java/$j.jar" >&2; exit 1; }
    cp -L "/usr/share/java/$j.jar" "$R/usr/share/java/"
  done
  for j in $OPTIONAL_JARS; do
    [ ! -e "/usr/share/java/$j.jar" ] || cp -L "/usr/share/java/$j.jar" "$R/usr/share/java/"
  done
  cp /etc/zookeeper/conf_example/log4j.properties "$R/usr/share/zkplan-lab/log4j/"
  printf 'root:x:0:0:root:/root:/bin/sh\nzookeeper:x:1000:1000::/tmp:/bin/sh\n' > "$R/etc/passwd"
  printf 'root:x:0:\nzookeeper:x:1000:\n' > "$R/etc/group"
  echo 'hosts: files dns' > "$R/etc/nsswitch.conf"
  # Shared launcher: every image's zkServer.sh ends here with the zoo.cfg to use.
  cat > "$R/usr/bin/zk-java" <<'EOS'
#!/bin/sh
# usage: zk-java /path/zoo.cfg  -- runs QuorumPeerMain in the foreground
exec /opt/jre/bin/java ${JVMFLAGS:--Xmx256m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1} \
  -Dzookeeper.log.dir=${ZOO_LOG_DIR:-/tmp} -Dzookeeper.root.logger=${ZOO_LOG4J_PROP:-INFO,CONSOLE} \
  -cp /usr/share/zkplan-lab/log4j:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/servlet-api.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$1"
EOS
  chmod 755 "$R/usr/bin/zk-java"
}

# The settings of ZooKeeper's conf/zoo_sample.cfg, the base both the Aliyun and bitnami images start from.
zoo_sample_cfg() {
  printf 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/tmp/zookeeper\nclientPort=2181\n'
}

# Files that differ between the Aliyun 3.4.8 image and this lab image are only the
# server jars; paths, env contract and base zoo.cfg follow AliyunContainerService/docker-zookeeper.
build_aliyun() {
  local R=$1 i
  mkdir -p "$R/opt/zookeeper/conf" "$R/opt/zookeeper/bin" "$R/tmp/zookeeper"
  chmod 1777 "$R/tmp"
  # 3.4.8's zoo_sample.cfg. The two extra keys make 3.8 behave like 3.4.8 (every 4lw answers,
  # nothing listens on 8080); they come first so appended ADDITIONAL_* lines still win.
  { zoo_sample_cfg; printf '4lw.commands.whitelist=*\nadmin.enableServer=false\n'; } > "$R/opt/zookeeper/conf/zoo.cfg"
  cp /etc/zookeeper/conf_example/log4j.properties "$R/opt/zookeeper/conf/"
  {
    echo '#!/bin/sh'
    echo 'ZOO_CFG="/opt/zookeeper/conf/zoo.cfg"'
    echo 'echo "${SERVER_ID}" > /tmp/zookeeper/myid'
    for i in $(seq 1 10); do echo "echo \"\${ADDITIONAL_ZOOKEEPER_$i}\" >> \${ZOO_CFG}"; done
    echo 'exec /opt/zookeeper/bin/zkServer.sh start-foreground'
  } > "$R/opt/zookeeper.sh"
  cat > "$R/opt/zookeeper/bin/zkServer.sh" <<'EOS'
#!/bin/sh
# Lab stand-in for ZooKeeper's zkServer.sh: only start-foreground, the mode the image uses.
[ "$1" = start-foreground ] || { echo "zkplan-lab zkServer.sh: only start-foreground is supported" >&2; exit 2; }
exec /usr/bin/zk-java "${ZOOCFGDIR:-/opt/zookeeper/conf}/${ZOOCFG:-zoo.cfg}"
EOS
  chmod 755 "$R/opt/zookeeper.sh" "$R/opt/zookeeper/bin/zkServer.sh"
}

# Follows 31z4/zookeeper-docker 3.8.x docker-entrypoint.sh (POSIX sh instead of bash, and no
# gosu: the server runs as root here).
build_official() {
  local R=$1 B=/apache-zookeeper-3.8.0-bin
  mkdir -p "$R/conf" "$R/data" "$R/datalog" "$R/logs" "$R$B/bin"
  cat > "$R/docker-entrypoint.sh" <<'EOS'
#!/bin/sh
set -e

# Generate the config only if it doesn't exist
if [ ! -f "$ZOO_CONF_DIR/zoo.cfg" ]; then
    CONFIG="$ZOO_CONF_DIR/zoo.cfg"
    {
        echo "dataDir=$ZOO_DATA_DIR"
        echo "dataLogDir=$ZOO_DATA_LOG_DIR"

        echo "tickTime=$ZOO_TICK_TIME"
        echo "initLimit=$ZOO_INIT_LIMIT"
        echo "syncLimit=$ZOO_SYNC_LIMIT"

        echo "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT"
        echo "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL"
        echo "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS"
        echo "standaloneEnabled=$ZOO_STANDALONE_ENABLED"
        echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-true}"
    } >> "$CONFIG"
    if [ -z "$ZOO_SERVERS" ]; then
      ZOO_SERVERS="server.1=localhost:2888:3888;2181"
    fi

    for server in $ZOO_SERVERS; do
        echo "$server" >> "$CONFIG"
    done

    if [ -n "$ZOO_4LW_COMMANDS_WHITELIST" ]; then
        echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST" >> "$CONFIG"
    fi

    for cfg_extra_entry in $ZOO_CFG_EXTRA; do
        echo "$cfg_extra_entry" >> "$CONFIG"
    done
fi

# Write myid only if it doesn't exist
if [ ! -f "$ZOO_DATA_DIR/myid" ]; then
    echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"
fi

exec "$@"
EOS
  cat > "$R$B/bin/zkServer.sh" <<'EOS'
#!/bin/sh
# Lab stand-in for ZooKeeper's zkServer.sh: only start-foreground, the mode the image uses.
[ "$1" = start-foreground ] || { echo "zkplan-lab zkServer.sh: only start-foreground is supported" >&2; exit 2; }
exec /usr/bin/zk-java "${ZOOCFGDIR:-/conf}/${ZOOCFG:-zoo.cfg}"
EOS
  chmod 755 "$R/docker-entrypoint.sh" "$R$B/bin/zkServer.sh"
}

# Follows bitnami/containers bitnami/zookeeper 3.8 and 3.9/debian-12 (zookeeper-env.sh, setup.sh,
# libzookeeper.sh: zookeeper_validate, zookeeper_initialize, zookeeper_generate_conf) for the
# variables zkplan and its users set; POSIX sh on busybox instead of bash. Like the real image it
# runs as uid 1001 (group root), keeps data in /bitnami/zookeeper/data, refuses to start without
# the login variable of its line, writes zoo.cfg only if absent and myid only into an empty data
# directory. One layer, two tags: the line (3.8 or 3.9) is an image variable.
build_bitnami() {
  local R=$1 S=/opt/bitnami/scripts Z=/opt/bitnami/zookeeper
  mkdir -p "$R$S/zookeeper" "$R$Z/bin" "$R$Z/conf" "$R$Z/logs" "$R/bitnami/zookeeper"
  # Group-writable for gid 0, as bitnami's postunpack leaves them (the user has no passwd entry).
  chmod 775 "$R$Z/conf" "$R$Z/logs" "$R/bitnami" "$R/bitnami/zookeeper"
  # Commented keys as in ZooKeeper's zoo_sample.cfg: zookeeper_conf_set replaces such lines.
  { zoo_sample_cfg; printf '#maxClientCnxns=60\n#autopurge.snapRetainCount=3\n#autopurge.purgeInterval=1\n'; } > "$R$Z/conf/zoo_sample.cfg"
  chmod 664 "$R$Z/conf/zoo_sample.cfg"
  cat > "$R$S/zookeeper-env.sh" <<'EOS'
# Defaults of bitnami's zookeeper-env.sh for the variables this image reads.
export ZOO_BASE_DIR=/opt/bitnami/zookeeper
export ZOO_VOLUME_DIR=/bitnami/zookeeper
export ZOO_DATA_DIR=$ZOO_VOLUME_DIR/data
export ZOO_DATA_LOG_DIR="${ZOO_DATA_LOG_DIR:-}"
export ZOO_CONF_DIR=$ZOO_BASE_DIR/conf
export ZOO_CONF_FILE=$ZOO_CONF_DIR/zoo.cfg
export ZOO_LOG_DIR=$ZOO_BASE_DIR/logs
export ZOO_BIN_DIR=$ZOO_BASE_DIR/bin
export ZOO_PORT_NUMBER="${ZOO_PORT_NUMBER:-2181}"
export ZOO_SERVER_ID="${ZOO_SERVER_ID:-1}"
export ZOO_SERVERS="${ZOO_SERVERS:-}"
if [ "$ZKPLAN_LAB_BITNAMI_LINE" = 3.9 ]; then
  export ZOO_ENABLE_ADMIN_SERVER="${ZOO_ENABLE_ADMIN_SERVER:-no}"
else
  export ZOO_ENABLE_ADMIN_SERVER="${ZOO_ENABLE_ADMIN_SERVER:-yes}"
fi
export ZOO_ADMIN_SERVER_ADDRESS="${ZOO_ADMIN_SERVER_ADDRESS:-127.0.0.1}"
export ZOO_ADMIN_SERVER_PORT_NUMBER="${ZOO_ADMIN_SERVER_PORT_NUMBER:-8080}"
export ZOO_PEER_TYPE="${ZOO_PEER_TYPE:-}"
export ZOO_TICK_TIME="${ZOO_TICK_TIME:-2000}"
export ZOO_INIT_LIMIT="${ZOO_INIT_LIMIT:-10}"
export ZOO_SYNC_LIMIT="${ZOO_SYNC_LIMIT:-5}"
export ZOO_MAX_CNXNS="${ZOO_MAX_CNXNS:-0}"
export ZOO_MAX_CLIENT_CNXNS="${ZOO_MAX_CLIENT_CNXNS:-60}"
export ZOO_AUTOPURGE_INTERVAL="${ZOO_AUTOPURGE_INTERVAL:-0}"
export ZOO_AUTOPURGE_RETAIN_COUNT="${ZOO_AUTOPURGE_RETAIN_COUNT:-3}"
export ZOO_4LW_COMMANDS_WHITELIST="${ZOO_4LW_COMMANDS_WHITELIST:-srvr, mntr}"
export ZOO_RECONFIG_ENABLED="${ZOO_RECONFIG_ENABLED:-no}"
export ZOO_LISTEN_ALLIPS_ENABLED="${ZOO_LISTEN_ALLIPS_ENABLED:-no}"
export ZOO_ENABLE_PROMETHEUS_METRICS="${ZOO_ENABLE_PROMETHEUS_METRICS:-no}"
export ZOO_PROMETHEUS_METRICS_PORT_NUMBER="${ZOO_PROMETHEUS_METRICS_PORT_NUMBER:-7000}"
export ZOO_MAX_SESSION_TIMEOUT="${ZOO_MAX_SESSION_TIMEOUT:-40000}"
export ZOO_PRE_ALLOC_SIZE="${ZOO_PRE_ALLOC_SIZE:-65536}"
export ZOO_SNAPCOUNT="${ZOO_SNAPCOUNT:-100000}"
export ZOO_FIPS_MODE="${ZOO_FIPS_MODE:-yes}"
export JVMFLAGS="${JVMFLAGS:-}"
export ZOO_HEAP_SIZE="${ZOO_HEAP_SIZE:-1024}"
export ZOO_ENABLE_AUTH="${ZOO_ENABLE_AUTH:-no}"
export ALLOW_ANONYMOUS_LOGIN="${ALLOW_ANONYMOUS_LOGIN:-no}"
export ALLOW_EMPTY_PASSWORD="${ALLOW_EMPTY_PASSWORD:-no}"
EOS
  cat > "$R$S/zookeeper/entrypoint.sh" <<'EOS'
#!/bin/sh
set -e
. /opt/bitnami/scripts/zookeeper-env.sh
if [ "$*" = /opt/bitnami/scripts/zookeeper/run.sh ]; then
  echo "zookeeper INFO  ==> ** Starting ZooKeeper setup **" >&2
  /opt/bitnami/scripts/zookeeper/setup.sh
  echo "zookeeper INFO  ==> ** ZooKeeper setup finished! **" >&2
fi
exec "$@"
EOS
  cat > "$R$S/zookeeper/setup.sh" <<'EOS'
#!/bin/sh
set -e
set -f
. /opt/bitnami/scripts/zookeeper-env.sh
log() { echo "zookeeper $1 ==> $2" >&2; }
is_yes() { case "$1" in 1|yes|Yes|YES|true|True|TRUE) return 0 ;; *) return 1 ;; esac; }
# bitnami zookeeper_conf_set: replace the (possibly commented) key's line, else append; a value is required.
conf_set() {
  [ -n "$3" ] || { log ERROR "value is required for $2"; exit 1; }
  v=$(printf '%s' "$3" | sed 's/[&|\\]/\\&/g')
  if grep -qE "^[[:space:]]*#*[[:space:]]*$2=" "$1"; then
    sed -i -E "s|^[[:space:]]*#*[[:space:]]*$2=.*|$2=$v|" "$1"
  else
    echo "$2=$3" >> "$1"
  fi
}
export_jvmflags() {
  JVMFLAGS="$JVMFLAGS $1"; export JVMFLAGS
  echo "export JVMFLAGS=\"$JVMFLAGS\"" > "$ZOO_CONF_DIR/java.env"
}
servers=$(printf '%s' "$ZOO_SERVERS" | tr ';, ' '   ')
jumps=no
case "$ZOO_SERVERS" in *::*) jumps=yes ;; esac

# --- zookeeper_validate
err=0
if [ "$ZKPLAN_LAB_BITNAMI_LINE" = 3.9 ]; then gate=ALLOW_EMPTY_PASSWORD; else gate=ALLOW_ANONYMOUS_LOGIN; fi
eval "gate_value=\$$gate"
if is_yes "$gate_value"; then
  log WARN "You set the environment variable $gate=$gate_value. For safety reasons, do not use this flag in a production environment."
elif is_yes "$ZOO_ENABLE_AUTH"; then
  log ERROR "zkplan lab image: ZOO_ENABLE_AUTH (SASL) is not emulated"; err=1
elif [ "$gate" = ALLOW_EMPTY_PASSWORD ]; then
  log ERROR "ZooKeeper authentication is disabled. Set the environment variable ALLOW_EMPTY_PASSWORD=yes to allow starting ZooKeeper without authentication. This is only recommended for development environments."; err=1
else
  log ERROR "The ZOO_ENABLE_AUTH environment variable does not configure authentication. Set the environment variable ALLOW_ANONYMOUS_LOGIN=yes to allow unauthenticated users to connect to ZooKeeper."; err=1
fi
for server in $servers; do
  if [ $jumps = yes ]; then
    echo "$server" | grep -qE '^[^[:space:]]+:[[:digit:]]+:[[:digit:]]+(:observer|:participant)?::[[:digit:]]+$' ||
      { log ERROR "Zookeeper server $server should follow the next syntax: host:port:port::id. Example: zookeeper:2888:3888::1 zookeeper:2888:3888:observer::1"; err=1; }
  else
    echo "$server" | grep -qE '^[^[:space:]]+:[[:digit:]]+:[[:digit:]]+(:observer|:participant)?$' ||
      { log ERROR "Zookeeper server $server should follow the next syntax: host:port:port. Example: zookeeper:2888:3888 zookeeper:2888:3888:observer"; err=1; }
  fi
done
case "$ZOO_PEER_TYPE" in ''|observer|participant) ;; *) log ERROR "The ZOO_PEER_TYPE environment $ZOO_PEER_TYPE should be one of [observer/participant]"; err=1 ;; esac
[ $err = 0 ] || exit $err

# --- setup.sh: the directories ZooKeeper writes (as uid 1001: a mount it cannot write fails here)
for dir in "$ZOO_DATA_DIR" "$ZOO_CONF_DIR" "$ZOO_LOG_DIR" ${ZOO_DATA_LOG_DIR:+"$ZOO_DATA_LOG_DIR"}; do
  mkdir -p "$dir"
done

# --- zookeeper_initialize / zookeeper_generate_conf
CONF=$ZOO_CONF_FILE
if [ ! -f "$CONF" ]; then
  log INFO "No injected configuration file found, creating default config files..."
  cp "$ZOO_CONF_DIR/zoo_sample.cfg" "$CONF"
  chmod 600 "$CONF"
  echo >> "$CONF"
  conf_set "$CONF" tickTime "$ZOO_TICK_TIME"
  conf_set "$CONF" initLimit "$ZOO_INIT_LIMIT"
  conf_set "$CONF" syncLimit "$ZOO_SYNC_LIMIT"
  conf_set "$CONF" preAllocSize "$ZOO_PRE_ALLOC_SIZE"
  conf_set "$CONF" snapCount "$ZOO_SNAPCOUNT"
  conf_set "$CONF" dataDir "$ZOO_DATA_DIR"
  [ -z "$ZOO_DATA_LOG_DIR" ] || conf_set "$CONF" dataLogDir "$ZOO_DATA_LOG_DIR"
  conf_set "$CONF" clientPort "$ZOO_PORT_NUMBER"
  conf_set "$CONF" maxCnxns "$ZOO_MAX_CNXNS"
  conf_set "$CONF" maxClientCnxns "$ZOO_MAX_CLIENT_CNXNS"
  conf_set "$CONF" reconfigEnabled "$(is_yes "$ZOO_RECONFIG_ENABLED" && echo true || echo false)"
  conf_set "$CONF" quorumListenOnAllIPs "$(is_yes "$ZOO_LISTEN_ALLIPS_ENABLED" && echo true || echo false)"
  conf_set "$CONF" autopurge.purgeInterval "$ZOO_AUTOPURGE_INTERVAL"
  conf_set "$CONF" autopurge.snapRetainCount "$ZOO_AUTOPURGE_RETAIN_COUNT"
  conf_set "$CONF" 4lw.commands.whitelist "$ZOO_4LW_COMMANDS_WHITELIST"
  conf_set "$CONF" maxSessionTimeout "$ZOO_MAX_SESSION_TIMEOUT"
  [ "$ZKPLAN_LAB_BITNAMI_LINE" != 3.9 ] || export_jvmflags "-Dzookeeper.fips-mode=$(is_yes "$ZOO_FIPS_MODE" && echo true || echo false)"
  conf_set "$CONF" admin.serverAddress "$ZOO_ADMIN_SERVER_ADDRESS"
  conf_set "$CONF" admin.serverPort "$ZOO_ADMIN_SERVER_PORT_NUMBER"
  conf_set "$CONF" admin.enableServer "$(is_yes "$ZOO_ENABLE_ADMIN_SERVER" && echo true || echo false)"
  set -- $servers
  if [ $# -gt 1 ]; then
    i=1
    for server in $servers; do
      if [ $jumps = yes ]; then
        # "${server//::/ }" read into an array: the address is what precedes the first "::".
        set -- $(printf '%s' "$server" | sed 's/::/ /g')
        log INFO "Adding server: $1 with id: $2"
        conf_set "$CONF" "server.$2" "$1;$ZOO_PORT_NUMBER"
      else
        log INFO "Adding server: $server"
        conf_set "$CONF" "server.$i" "$server;$ZOO_PORT_NUMBER"
        i=$((i + 1))
      fi
    done
  else
    log INFO "No additional servers were specified. ZooKeeper will run in standalone mode..."
  fi
  # zookeeper_configure_from_environment_variables: ZOO_CFG_A_B=v -> A.B=v
  for var in $(env | sed -n 's/^\(ZOO_CFG_[A-Za-z0-9_]*\)=.*/\1/p'); do
    key=$(echo "$var" | sed -e 's/^ZOO_CFG_//' -e 's/_/./g')
    eval "value=\$$var"
    conf_set "$CONF" "$key" "$value"
  done
  # zookeeper_configure_heap_size
  case "$JVMFLAGS" in
    *-Xm[xs]*-Xm[xs]*) ;;
    *) export_jvmflags "-Xmx${ZOO_HEAP_SIZE}m -Xms${ZOO_HEAP_SIZE}m" ;;
  esac
  if is_yes "$ZOO_ENABLE_PROMETHEUS_METRICS"; then
    conf_set "$CONF" metricsProvider.className org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
    conf_set "$CONF" metricsProvider.httpPort "$ZOO_PROMETHEUS_METRICS_PORT_NUMBER"
    conf_set "$CONF" metricsProvider.exportJvmInfo true
  fi
  export_jvmflags "-Dzookeeper.electionPortBindRetry=0"
else
  log INFO "User injected custom configuration detected!"
fi
if [ -z "$(ls -A "$ZOO_DATA_DIR" 2>/dev/null)" ]; then
  log INFO "Deploying ZooKeeper from scratch..."
  echo "$ZOO_SERVER_ID" > "$ZOO_DATA_DIR/myid"
else
  log INFO "Deploying ZooKeeper with persisted data..."
fi
[ -z "$ZOO_PEER_TYPE" ] || conf_set "$CONF" peerType "$ZOO_PEER_TYPE"
EOS
  cat > "$R$S/zookeeper/run.sh" <<'EOS'
#!/bin/sh
. /opt/bitnami/scripts/zookeeper-env.sh
echo "zookeeper INFO  ==> ** Starting ZooKeeper **" >&2
exec "$ZOO_BIN_DIR/zkServer.sh" start-foreground
EOS
  cat > "$R$Z/bin/zkServer.sh" <<'EOS'
#!/bin/sh
# Lab stand-in for ZooKeeper's zkServer.sh: only start-foreground; reads conf/java.env like zkEnv.sh.
[ "$1" = start-foreground ] || { echo "zkplan-lab zkServer.sh: only start-foreground is supported" >&2; exit 2; }
ZOOCFGDIR=${ZOOCFGDIR:-/opt/bitnami/zookeeper/conf}
[ ! -f "$ZOOCFGDIR/java.env" ] || . "$ZOOCFGDIR/java.env"
export JVMFLAGS
exec /usr/bin/zk-java "$ZOOCFGDIR/${ZOOCFG:-zoo.cfg}"
EOS
  chmod 755 "$R$S/zookeeper/"*.sh "$R$Z/bin/zkServer.sh"
}

# --- docker-archive writer ------------------------------------------------------

# layer_tar ROOTDIR OUTDIR -> prints the layer's diff_id (sha256 of the uncompressed tar)
layer_tar() {
  local root=$1 out=$2 tmp sum
  tmp="$out/layer.tmp.tar"
  # Reproducible: fixed order, owner and mtime, so equal inputs give equal layer IDs.
  tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$tmp" .
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  mkdir -p "$out/$sum"
  mv "$tmp" "$out/$sum/layer.tar"
  echo "$sum"
}

# image_config OUTDIR CONFIG_JSON BASE_DIFF TOP_DIFF -> prints the config file name
image_config() {
  local out=$1 cfg=$2 base=$3 top=$4 tmp sum
  tmp="$out/config.tmp.json"
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"zkplan test/lab/build-images.sh: base (busybox, jlink JRE, Debian ZooKeeper 3.8.0 jars)"},{"created":"1970-01-01T00:00:00Z","created_by":"zkplan test/lab/build-images.sh: image contract"}]}' \
    "$cfg" "$base" "$top" > "$tmp"
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$out/$sum.json"
  echo "$sum.json"
}

cmd_build() {
  local out; out=$(tar_path)
  if [ -s "$out" ]; then
    log "cached: $out"
    echo "$out"; return 0
  fi
  mkdir -p "$CACHE"
  W=$(mktemp -d "$CACHE/build.XXXXXX")   # global: the EXIT trap runs after this function returns
  trap 'rm -rf "$W"' EXIT
  mkdir -p "$W/base" "$W/aliyun" "$W/official" "$W/bitnami" "$W/archive"
  build_base "$W/base"
  build_aliyun "$W/aliyun"
  build_official "$W/official"
  build_bitnami "$W/bitnami"
  log "rootfs assembled ($(du -sm "$W/base" | cut -f1) MB base)"
  local A=$W/archive base aly off bit caly coff cb38 cb39 line
  base=$(layer_tar "$W/base" "$A")
  aly=$(layer_tar "$W/aliyun" "$A")
  off=$(layer_tar "$W/official" "$A")
  bit=$(layer_tar "$W/bitnami" "$A")
  caly=$(image_config "$A" '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/opt/zookeeper.sh"],"WorkingDir":"/","ExposedPorts":{"2181/tcp":{},"2888/tcp":{},"3888/tcp":{}},"Volumes":{"/opt/zookeeper/conf":{},"/tmp/zookeeper":{}},"Labels":{"org.zkplan.lab":"aliyun-contract","org.zkplan.lab.emulates":"registry.aliyuncs.com/acs-sample/zookeeper:3.4.8"}}' "$base" "$aly")
  coff=$(image_config "$A" '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/apache-zookeeper-3.8.0-bin/bin","ZOO_CONF_DIR=/conf","ZOO_DATA_DIR=/data","ZOO_DATA_LOG_DIR=/datalog","ZOO_LOG_DIR=/logs","ZOO_TICK_TIME=2000","ZOO_INIT_LIMIT=5","ZOO_SYNC_LIMIT=2","ZOO_AUTOPURGE_PURGEINTERVAL=0","ZOO_AUTOPURGE_SNAPRETAINCOUNT=3","ZOO_MAX_CLIENT_CNXNS=60","ZOO_STANDALONE_ENABLED=true","ZOO_ADMINSERVER_ENABLED=true","ZOOCFGDIR=/conf"],"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["zkServer.sh","start-foreground"],"WorkingDir":"/apache-zookeeper-3.8.0-bin","ExposedPorts":{"2181/tcp":{},"2888/tcp":{},"3888/tcp":{},"8080/tcp":{}},"Volumes":{"/data":{},"/datalog":{},"/logs":{}},"Labels":{"org.zkplan.lab":"official-contract","org.zkplan.lab.emulates":"zookeeper:3.8 (docker-library)"}}' "$base" "$off")
  # JVMFLAGS: the lab's frugal JIT/GC flags; libzookeeper.sh appends the heap and its own flags.
  for line in 3.8 3.9; do
    local cfg
    cfg=$(image_config "$A" '{"User":"1001","Env":["PATH=/opt/bitnami/zookeeper/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","BITNAMI_APP_NAME=zookeeper","ZKPLAN_LAB_BITNAMI_LINE='"$line"'","JVMFLAGS=-Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1"],"Entrypoint":["/opt/bitnami/scripts/zookeeper/entrypoint.sh"],"Cmd":["/opt/bitnami/scripts/zookeeper/run.sh"],"WorkingDir":"/","ExposedPorts":{"2181/tcp":{},"2888/tcp":{},"3888/tcp":{},"8080/tcp":{}},"Volumes":{"/bitnami/zookeeper":{}},"Labels":{"org.zkplan.lab":"bitnami-contract","org.zkplan.lab.emulates":"bitnami/zookeeper:'"$line"'"}}' "$base" "$bit")
    if [ "$line" = 3.8 ]; then cb38=$cfg; else cb39=$cfg; fi
  done
  entry() { printf '{"Config":"%s","RepoTags":["%s"],"Layers":["%s/layer.tar","%s/layer.tar"]}' "$@"; }
  printf '[%s,%s,%s,%s]\n' \
    "$(entry "$caly" "$ALIYUN_TAG" "$base" "$aly")" "$(entry "$coff" "$OFFICIAL_TAG" "$base" "$off")" \
    "$(entry "$cb38" "$BITNAMI_REPO:3.8" "$base" "$bit")" "$(entry "$cb39" "$BITNAMI_REPO:3.9" "$base" "$bit")" > "$A/manifest.json"
  tar -C "$A" -cf "$W/images.tar" .
  mv "$W/images.tar" "$out"
  # Keep only the tarball for the current inputs.
  find "$CACHE" -maxdepth 1 -name 'zk-images-*.tar' ! -path "$out" -delete
  log "built $out ($(du -m "$out" | cut -f1) MB)"
  echo "$out"
}

cmd_load() {
  local tarball s pids=() rc=0
  tarball=$(tar_path)
  [ -s "$tarball" ] || tarball=$(cmd_build)
  local socks=("$LAB_DIR"/h*/docker.sock)
  [ -S "${socks[0]}" ] || { echo "no lab hosts under $LAB_DIR (run lab.sh up N)" >&2; exit 1; }
  for s in "${socks[@]}"; do
    DOCKER_HOST="unix://$s" docker load -q -i "$tarball" >/dev/null &
    pids+=($!)
  done
  for s in "${pids[@]}"; do wait "$s" || rc=1; done
  [ $rc = 0 ] || { log "docker load failed on some host"; exit 1; }
  log "loaded into ${#socks[@]} hosts"
}

case "${1:-build}" in
  build) cmd_build ;;
  load) cmd_load ;;
  path) tar_path ;;
  *) echo "usage: $0 [build|load|path]" >&2; exit 2 ;;
esac
