#!/usr/bin/env bash
# The whole request path on one machine, made of real processes, as local/ rendered it
# (LocalTopology, LocalFront): the front (HAProxy in TCP mode on 127.0.0.1, standing in for the
# NLB), three nodes each in its own network namespace (hc-node1..3) on a bridge, each running the
# environment's bundle and the shipped node agent with its folder on /mnt, echo backends per pool,
# and the EC2 and AppConfig stand-ins on the bridge. Ports, paths and hosts come from topology.env,
# never from copies here. Usage: scripts/local.sh up|down [ENV] [renderer options, such as
# --http-port 8080 --health-port 9090 --health-path /ready]. Sourced by chaos.sh and rollout.sh.
set -euo pipefail

readonly LOCAL_DIR=${LOCAL_DIR:-/tmp/haproxy-cluster-local}
readonly BRIDGE=hc-br0
readonly BRIDGE_ADDRESS=10.99.0.1
readonly NODES=3
readonly FIRST_BACKEND_PORT=19000
readonly EC2_PORT=18500
readonly APPCONFIG_PORT=2772 EMF_PORT=25888
# Seconds between two reads of the rules configuration by each node's agent.
readonly RULES_POLL=${RULES_POLL:-1}
# Seconds between two passes of each node's agent (5 on a node; chaos's short run speeds it up).
readonly AGENT_INTERVAL=${AGENT_INTERVAL:-5}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_CLUSTER="$top/local/bin/Debug/net10.0/HaproxyCluster.Local.dll"
case "$(uname -m)" in aarch64) agent_rid=linux-arm64 ;; *) agent_rid=linux-x64 ;; esac
# The agent exactly as a node gets it: the self-contained file make agent publishes.
readonly AGENT_BIN="$top/.build/agent/$agent_rid/haproxy-cluster-agent"

readonly NETNS_PREFIX=hc-node
node_ns() { echo "$NETNS_PREFIX$1"; }
node_address() { echo "${NODE_ADDRESSES[$1 - 1]}"; }
node_zone() { echo "${NODE_ZONES[$1 - 1]}"; }
zone_nodes() { local n; for n in $(seq 1 "$NODES"); do if [ "$(node_zone "$n")" = "$1" ]; then echo "$n"; fi; done; }

# in_node <n> <command...>: runs the command in node <n>'s network namespace, its folder on /mnt.
# The shell that runs it becomes the command (exec), so run it in the background or a subshell;
# in the background, $! is then the command's own pid.
in_node() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  exec ip netns exec "$(node_ns "$1")" bash -c 'mount --bind "$0" /mnt && exec "$@"' "$LOCAL_DIR/node$1" "${@:2}"
}

start_backend() { # start_backend <pool> <index>: the config the renderer wrote for it
  haproxy -db -f "$LOCAL_DIR/backends/$1-$2.cfg" > "$LOCAL_DIR/backends/$1-$2.log" 2>&1 &
  echo $! > "$LOCAL_DIR/backends/$1-$2.pid"
}

# What the renderer says of the cluster (LocalTopology.TopologyEnv): the front's ports (FRONT_HTTP,
# FRONT_TLS, FRONT_STATS), NODE_ADDRESSES, NODE_ZONES (the zone each node stands in), the nodes' ports and health endpoint, and what chaos
# aims at (DEFAULT_POOL, DEFAULT_HOST, DISCOVERED_POOL, DISCOVERED_HOST).
read_topology() {
  [ -f "$LOCAL_DIR/topology.env" ] || { echo "local: no local cluster runs; start one with make local ENV=${ENV:-dev}" >&2; exit 2; }
  # shellcheck source=/dev/null
  source "$LOCAL_DIR/topology.env"
}

start_node() { # start_node <n>: HAProxy, then the node agent, as the bootstrap starts them; disowned, so their kill prints no "Killed"
  local dir="$LOCAL_DIR/node$1"
  in_node "$1" haproxy -W -db -f /mnt/haproxy/haproxy.cfg >> "$dir/haproxy.log" 2>&1 &
  echo $! > "$dir/master.pid" && disown
  wait_until 10 test -S "$dir/run/admin.sock"
  in_node "$1" "$AGENT_BIN" --settings /mnt/agent.json >> "$dir/agent.log" 2>&1 &
  echo $! > "$dir/agent.pid" && disown
}

# The upgrade echo the backends send Upgrade requests to (LocalTopology.UpgradeEchoPort).
start_upgrade_echo() {
  socat "TCP-LISTEN:$UPGRADE_ECHO_PORT,bind=127.0.0.1,reuseaddr,fork" EXEC:"$top/scripts/upgrade-echo.sh" 2> "$LOCAL_DIR/upgrade-echo.log" &
  echo $! > "$LOCAL_DIR/upgrade-echo.pid"
}

# open_tunnel <address> <port> [proxy]: an upgraded connection through the cluster to the upgrade
# echo, its file descriptor in TUNNEL; with "proxy", a PROXY v1 header first, as the front sends a
# node. Fails, the answer's status line in TUNNEL_STATUS, unless the answer is 101.
open_tunnel() {
  local line
  exec {TUNNEL}<> "/dev/tcp/$1/$2"
  if [ "${3:-}" = proxy ]; then printf 'PROXY TCP4 %s %s 40000 %s\r\n' "$BRIDGE_ADDRESS" "$1" "$2" >&"$TUNNEL"; fi
  printf 'GET /stream HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n' "$DEFAULT_HOST" >&"$TUNNEL"
  TUNNEL_STATUS=
  IFS= read -r -t 5 TUNNEL_STATUS <&"$TUNNEL" || true
  while IFS= read -r -t 5 line <&"$TUNNEL" && [ -n "${line%$'\r'}" ]; do :; done
  [[ $TUNNEL_STATUS == "HTTP/1.1 101 "* ]]
}

# start_daemon <stand-in> [options]: an AWS stand-in of the local/ command line on the bridge, until down (its .pid, .log).
start_daemon() {
  dotnet "$LOCAL_CLUSTER" "$1" --address "$BRIDGE_ADDRESS" "${@:2}" > "$LOCAL_DIR/$1.log" 2>&1 &
  echo $! > "$LOCAL_DIR/$1.pid"
  wait_until 20 grep -q answering "$LOCAL_DIR/$1.log"
}
start_appconfig() { start_daemon appconfig --port "$APPCONFIG_PORT" --emf-port "$EMF_PORT"; }

# deploy <payload file> [<strategy query>]: starts a deployment of that rules version (default: all at once).
deploy() {
  curl -fsS -X POST --data-binary "@$1" "http://$BRIDGE_ADDRESS:$APPCONFIG_PORT/deployments?${2:-}"
}

# render_rules <file> [local rules options]: the working tree's rules as a rules version, for the
# running cluster's environment and ports; prints the strategy's query and the bundle's sha256.
render_rules() {
  local file=$1 options=()
  shift
  mapfile -t options < "$LOCAL_DIR/render-options"
  local_cluster rules --env "$(cat "$LOCAL_DIR/env")" --rules "$file" --local-dir "$LOCAL_DIR" \
    --backend-address "$BRIDGE_ADDRESS" --first-port "$FIRST_BACKEND_PORT" "${options[@]}" "$@"
}

# rollout <payload> <query> <sha256> [timeout]: deploys the version and follows it on every node
# through its agent's events (local rollout, RolloutFollower): a line a node, one in all; sets
# ROLLOUT_LIVE, ROLLOUT_REACHED, ROLLOUT_REFUSED, ROLLOUT_BACK, ROLLOUT_RELOADS and ROLLOUT_STATE.
rollout() {
  local_cluster rollout --appconfig "http://$BRIDGE_ADDRESS:$APPCONFIG_PORT/" --local-dir "$LOCAL_DIR" --nodes "$NODES" \
    --payload "$1" --query "$2" --sha "$3" --timeout-seconds "${4:-60}" --summary "$LOCAL_DIR/rollout.env"
  # shellcheck source=/dev/null
  source "$LOCAL_DIR/rollout.env"
}

# local_cluster <command> [options]: the local/ project's command line (see local/Program.cs). A
# process started in the background runs "dotnet $LOCAL_CLUSTER" itself, so that its pid is the
# process's, not a subshell's, and stopping it stops the process.
local_cluster() { dotnet "$LOCAL_CLUSTER" "$@"; }

# set_instances <pool> <running> [<leaving>]: what EC2 lists for a discovered pool from now on
# (local list-instances).
set_instances() { local_cluster list-instances --local-dir "$LOCAL_DIR" --pool "$1" --running "$2" --leaving "${3:-0}"; }

start_ec2() {
  cut -f1 "$LOCAL_DIR/instances.tsv" | sort -u | while read -r pool; do set_instances "$pool" 2; done
  start_daemon ec2 --port "$EC2_PORT" --instances "$LOCAL_DIR/ec2-instances.tsv"
}

reload_node() { kill -USR2 "$(cat "$LOCAL_DIR/node$1/master.pid")"; }

kill_node() { # every process in the node's namespace, as when AWS loses the instance
  local pid
  for pid in $(ip netns pids "$(node_ns "$1")"); do kill -9 "$pid"; done
  # Returns once they are gone: until then the kernel still completes connections to them.
  wait_until 10 node_has_no_process "$1"
}

node_has_no_process() { [ -z "$(ip netns pids "$(node_ns "$1")")" ]; }

# front <n> [<value> <seconds>]: node <n>'s status in the front (UP, DOWN, "UP 1/2"); with a value,
# waits until it reads that, printing the seconds it took (local front).
front() { local_cluster front --node "$1" ${2:+--until "$2" --seconds "$3"}; }

# The front's config local/ rendered (LocalFront): checked, then run.
start_front() {
  haproxy -c -q -f "$LOCAL_DIR/front.cfg"
  haproxy -db -f "$LOCAL_DIR/front.cfg" > "$LOCAL_DIR/front.log" 2> "$LOCAL_DIR/front.err" &
  echo $! > "$LOCAL_DIR/front.pid"
}

wait_until() { # wait_until <seconds> <command...>
  local deadline=$((SECONDS + $1))
  shift
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}


up() { # up <env> [renderer options]
  local env=$1
  shift
  down > /dev/null 2>&1 || true
  mkdir -p "$LOCAL_DIR"
  echo "local: rendering $env's bundle for $NODES nodes"
  local_cluster nodes --env "$env" --out "$LOCAL_DIR" --nodes "$NODES" --backend-address "$BRIDGE_ADDRESS" --first-port "$FIRST_BACKEND_PORT" \
    --ec2-port "$EC2_PORT" --appconfig-port "$APPCONFIG_PORT" --emf-port "$EMF_PORT" --agent-interval-seconds "$AGENT_INTERVAL" --rules-poll-seconds "$RULES_POLL" \
    ${FRONT_CHECK_MS:+--front-check-ms "$FRONT_CHECK_MS"} ${BAKE_SECONDS:+--bake-seconds "$BAKE_SECONDS"} "$@" > /dev/null
  echo "$env" > "$LOCAL_DIR/env"
  : > "$LOCAL_DIR/render-options"
  if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$LOCAL_DIR/render-options"; fi
  read_topology

  ip link add "$BRIDGE" type bridge
  ip addr add "$BRIDGE_ADDRESS/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Each discovered instance has an address of its own on the bridge, as an instance has in its subnet.
  cut -f3 "$LOCAL_DIR/backends.tsv" | sort -u | while read -r address; do
    [ "$address" = "$BRIDGE_ADDRESS" ] || ip addr add "$address/32" dev "$BRIDGE"
  done
  for n in $(seq 1 $NODES); do
    ip netns add "$(node_ns "$n")"
    ip link add "hc-veth$n" type veth peer name eth0 netns "$(node_ns "$n")"
    ip link set "hc-veth$n" master "$BRIDGE" up
    ip netns exec "$(node_ns "$n")" ip addr add "$(node_address "$n")/24" dev eth0
    ip netns exec "$(node_ns "$n")" ip link set eth0 up
    ip netns exec "$(node_ns "$n")" ip link set lo up
  done

  while IFS=$'\t' read -r pool index _ _; do start_backend "$pool" "$index"; done < "$LOCAL_DIR/backends.tsv"
  start_upgrade_echo
  if [ -s "$LOCAL_DIR/instances.tsv" ]; then start_ec2; fi
  if [ -n "$TLS_CERTIFICATES" ]; then start_daemon ssm --port "$SSM_PORT" --parameters "$LOCAL_DIR/parameters"; fi
  # The rules the nodes boot on are the deployed version, as on AWS.
  start_appconfig
  deploy "$LOCAL_DIR/rules.json" > /dev/null
  for n in $(seq 1 $NODES); do
    # HAProxy loads its servers from the state file the agent keeps: empty (version line) at first.
    printf '1\n' > "$LOCAL_DIR/node$n/run/server-state"
    (in_node "$n" haproxy -c -q -f /mnt/haproxy/haproxy.cfg)
    start_node "$n"
  done
  start_front
  local_cluster wait-ready --seconds 60 "$LOCAL_DIR"/node*/agent.log || { echo "local: an agent never read every pool" >&2; return 1; }
  for n in $(seq 1 $NODES); do
    front "$n" UP 60 > /dev/null || { echo "local: node$n never became healthy in the front" >&2; return 1; }
    echo "local: node$n (zone $(node_zone "$n"), $(node_address "$n")) is UP behind the front"
  done
  echo "local: try  curl -H 'Host: $DEFAULT_HOST' http://127.0.0.1:$FRONT_HTTP/   (TLS-origin listener: :$FRONT_TLS, front stats: http://127.0.0.1:$FRONT_STATS/)"
  echo "local: stop with  make local-down"
}

down() {
  # The echo's per-connection children first: each serves a tunnel that may still be open.
  if [ -f "$LOCAL_DIR/upgrade-echo.pid" ]; then pkill -P "$(cat "$LOCAL_DIR/upgrade-echo.pid")" 2> /dev/null || true; fi
  for pidfile in "$LOCAL_DIR"/upgrade-echo.pid "$LOCAL_DIR"/front.pid "$LOCAL_DIR"/ec2.pid "$LOCAL_DIR"/ssm.pid "$LOCAL_DIR"/appconfig.pid "$LOCAL_DIR"/backends/*.pid "$LOCAL_DIR"/node*/agent.pid "$LOCAL_DIR"/node*/master.pid; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2> /dev/null || true; fi
  done
  for n in $(seq 1 $NODES); do
    if [ -e "/run/netns/$(node_ns "$n")" ]; then
      kill_node "$n" 2> /dev/null || true
      ip netns del "$(node_ns "$n")"
    fi
  done
  # A veth whose namespace something else still pins outlives ip netns del: remove it by name.
  for n in $(seq 1 $NODES); do ip link del "hc-veth$n" 2> /dev/null || true; done
  ip link del "$BRIDGE" 2> /dev/null || true
  rm -rf "$LOCAL_DIR"
  echo "local: everything removed (namespaces, bridge, processes, $LOCAL_DIR)"
}

# burst [requests] [host]: requests through the front from the bridge's address, not 127.0.0.0/8: no rate limit exempts it.
burst() {
  curl --interface "$BRIDGE_ADDRESS" --parallel --parallel-max 32 -s -o /dev/null -w '%{http_code}\n' -H "Host: ${2:-$DEFAULT_HOST}" \
    "http://127.0.0.1:$FRONT_HTTP/burst/[1-${1:-4000}]" 2> /dev/null | sort | uniq -c | awk -v from="$BRIDGE_ADDRESS" '{ print "local: burst from " from ": " $1 " x " $2 }'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    up) shift; up "${1:-dev}" "${@:2}" ;;
    down) down ;;
    scale) read_topology; set_instances "${2:-$DISCOVERED_POOL}" "$3" "${4:-0}" && echo "local: EC2 lists ${3} of ${2:-$DISCOVERED_POOL}'s instances as running, ${4:-0} as leaving; each agent follows at its next pass" ;;
    burst) read_topology; burst "${2:-}" "${3:-}" ;;
    *) echo "usage: $0 up [ENV [renderer options]] | down | scale [POOL] INSTANCES [LEAVING] | burst [REQUESTS [HOST]]" >&2; exit 2 ;;
  esac
fi
