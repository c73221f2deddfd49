#!/usr/bin/env bash
# make chaos: wrk through the local cluster's front while phases break things (each phase's comment
# says what and its budget; README, "Failure testing"). Prints requests sent and failed per phase,
# fails when one is over budget; last line "chaos: <sent> requests, <failed> failed". CHAOS_SECONDS:
# a phase's load (20); CHAOS_OUTAGE_SECONDS: the EC2 outage (30); FRONT_CHECK_MS: the front's check
# interval (the NLB's); AGENT_INTERVAL: the agents' (5 s).
set -euo pipefail
# shellcheck source=scripts/local.sh disable=SC1091
source "$(dirname "$0")/local.sh"

readonly ENVIRONMENT=${ENV:-dev}
readonly PHASE_SECONDS=${CHAOS_SECONDS:-20}
readonly CONNECTIONS=16
readonly OUTAGE_SECONDS=${CHAOS_OUTAGE_SECONDS:-30}
readonly NEW_INSTANCE_BUDGET_SECONDS=15
# A rules phase's load lasts at least 20 s, so the rollout it measures happens under load.
readonly RULES_PHASE_SECONDS=$((PHASE_SECONDS > 20 ? PHASE_SECONDS : 20))
readonly RULES_LIVE_BUDGET=20 CANARY_BACK_BUDGET=10
# The canary strategy's pace: seconds a minute of prod's strategy takes. A step of 24 s: a bad
# version fails the canary's health check in about 12 s (a 10 s health timeout), and a step as
# short as that let the next node take the version just before the rollback.
readonly CANARY_PACE=8
# A new node's bake on real traffic before the next node is replaced (image phases): a phase's length.
readonly BAKE_SECONDS=${BAKE_SECONDS:-$PHASE_SECONDS}
trap down EXIT

up "$ENVIRONMENT"
over_budget=0 total_sent=0 total_failed=0

load() { # load <phase> [host] [seconds] [url]: wrk through the front, in the background (pid in LOAD_PID)
  local seconds=${3:-$PHASE_SECONDS}
  timeout $((seconds + 30)) wrk -t2 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -H "Host: ${2:-$DEFAULT_HOST}" -H "Connection: close" "${4:-http://127.0.0.1:$FRONT_HTTP/}" > "$LOCAL_DIR/wrk-$1.txt" 2>&1 &
  LOAD_PID=$!
}

finish() { # finish <phase> <wrk pid> <budget> [note]: waits, counts and checks the budget
  wait "$2" || true
  local sent failed verdict=ok
  read -r sent _ _ _ failed <<< "$(local_cluster wrk-report "$LOCAL_DIR/wrk-$1.txt")"
  if [ "$failed" -gt "$3" ]; then verdict="OVER BUDGET ($3)"; over_budget=1; fi
  total_sent=$((total_sent + sent)) total_failed=$((total_failed + failed))
  printf 'chaos: %-16s %7s sent %5s failed  budget %-3s %s %s\n' "$1" "$sent" "$failed" "$3" "$verdict" "${4:-}"
}

mid_phase() { sleep "$(awk -v s="$PHASE_SECONDS" 'BEGIN { print s / 3 }')"; }
# sessions [--from-ms A] [--to-ms B] [--broken] <node>...: the count and median ms of the sessions the front handed them.
sessions() { local_cluster sessions --log "$LOCAL_DIR/front.log" "$@"; }
now_ms() { date +%s%3N; }
fail() { echo "chaos: $*" >&2; over_budget=1; } # a check over budget: the run fails at its end
over() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# lose <phase> <what> <node>...: every process of the nodes killed at once under load, as when AWS
# loses an instance or a zone. The front must stop sending to each within the NLB's health-check
# budget (the failed checks it takes, and one interval until the first), and failed requests may
# not exceed the connections open on them when they died: sessions the front had accepted for them
# that they broke, from its log. New connections are retried on another node. Then they restart.
detect_budget=$(awk -v ms="${FRONT_CHECK_MS:-$((HEALTH_INTERVAL_SECONDS * 1000))}" -v fall="$HEALTH_FALL" 'BEGIN { print (fall + 1) * ms / 1000 }')
lose() {
  local phase=$1 what=$2 pids detected open killed_at_ms n started_at_ms
  shift 2
  started_at_ms=$(now_ms) && load "$phase" && mid_phase
  mapfile -t pids < <(for n in "$@"; do ip netns pids "$(node_ns "$n")"; done)
  kill -9 "${pids[@]}"
  for n in "$@"; do wait_until 10 node_has_no_process "$n"; done
  killed_at_ms=$(now_ms) # once every process is gone: later sessions are refused and retried
  read -r -a detected <<< "$(local_cluster front --node "$@" --until DOWN --seconds 120 --since-ms "$killed_at_ms")" || over_budget=1
  wait "$LOAD_PID" || true
  # Sessions stuck on a dead node end (and are logged) only at the front's server timeout.
  local_cluster front --node "$@" --column scur --until 0 --seconds 40 > /dev/null || true
  read -r open _ <<< "$(sessions --from-ms "$started_at_ms" --to-ms "$killed_at_ms" --broken "$@")"
  finish "$phase" "$LOAD_PID" "$open" "(front stopped sending to $what ${detected[*]} s after the kill, budget $detect_budget s; $open connections open at the kill)"
  for n in "${detected[@]}"; do { [ "$n" != never ] && ! over "$n" "$detect_budget"; } || fail "the front kept sending to $what past $detect_budget s"; done
  for n in "$@"; do start_node "$n"; done
  for n in "$@"; do front "$n" UP 120 > /dev/null || fail "node$n never came back"; done
}

# 1. kill one server of the default pool; retries and redispatch must hide it.
load backend-kill; mid_phase
kill -9 "$(cat "$LOCAL_DIR/backends/$DEFAULT_POOL-1.pid")"
finish backend-kill "$LOAD_PID" 0

# 2. bring it back.
start_backend "$DEFAULT_POOL" 1
load backend-restore; finish backend-restore "$LOAD_PID" 0

# 3. reload every node seamlessly, ten times, each generation of workers holding an upgraded
# connection open (a WebSocket's shape): old workers must not pile up beyond mworker-max-reloads.
hold_tunnel() { # hold_tunnel <n>: an upgraded connection straight to node <n>, kept in TUNNELS
  open_tunnel "$(node_address "$1")" "$NODE_HTTP_PORT" proxy || fail "node$1 did not upgrade: '$TUNNEL_STATUS'"
  TUNNELS+=("$TUNNEL")
}
workers() { pgrep -c -P "$(cat "$LOCAL_DIR/node$1/master.pid")"; }
old_workers_bound=$(awk '$1 == "mworker-max-reloads" { print $2 }' "$LOCAL_DIR/node1/haproxy/haproxy.cfg")
TUNNELS=()
load reload
for _ in $(seq 1 10); do
  for n in $(seq 1 "$NODES"); do hold_tunnel "$n"; reload_node "$n"; done
  sleep "$(awk -v s="$PHASE_SECONDS" 'BEGIN { print s / 12 }')"
done
finish reload "$LOAD_PID" 0 "(10 reloads of $NODES nodes)"
worker_counts=$(for n in $(seq 1 "$NODES"); do printf 'node%s %s, ' "$n" "$(workers "$n")"; done)
for fd in "${TUNNELS[@]}"; do exec {fd}>&-; done
echo "chaos: workers after 10 reloads, an upgraded connection held per generation: ${worker_counts%, } (bound: 1 + $old_workers_bound old)"
for n in $(seq 1 "$NODES"); do [ "$(workers "$n")" -le $((1 + old_workers_bound)) ] || fail "old workers piled up on node$n"; done

# 4. push an invalid config to node1 and reload it: it must keep serving the old one.
cp "$LOCAL_DIR/node1/haproxy/haproxy.cfg" "$LOCAL_DIR/node1/haproxy/haproxy.cfg.good"
printf '    this-is-not-a-keyword\n' >> "$LOCAL_DIR/node1/haproxy/haproxy.cfg"
load invalid-config; mid_phase
reload_node 1
sleep 1
still=$(front 1)
finish invalid-config "$LOAD_PID" 0 "(node1 after the bad reload: $still)"
mv "$LOCAL_DIR/node1/haproxy/haproxy.cfg.good" "$LOCAL_DIR/node1/haproxy/haproxy.cfg"
[ "$still" = UP ] || fail "node1 stopped serving after an invalid config"

# 5-6. lose node2 as when AWS loses an instance, then bring it back (lose, above).
lose node-kill node2 2
load node-restore; finish node-restore "$LOAD_PID" 0

# 7-9. A zone lost, then impaired, then back: its nodes are the first zone's, two of the three (LocalFront.Zone).
zone=${NODE_ZONES[0]}
mapfile -t in_zone < <(zone_nodes "$zone")
mapfile -t every_node < <(seq 1 "$NODES")
mapfile -t outside < <(for n in "${every_node[@]}"; do [ "$(node_zone "$n")" = "$zone" ] || echo "$n"; done)

# 7. zone-loss: every node of the zone killed at once (lose, above).
lose zone-loss "$zone's ${#in_zone[@]} nodes" "${in_zone[@]}"

# 8. zone-gray: the zone's nodes answer slowly while their health checks pass: what they send from
# the traffic port is squeezed to 256 kbit/s (the health port's answers are not). A zonal shift, as
# an operator or autoshift starts it, moves new connections away: none reaches the zone after it,
# no request fails, and no node was ever marked down.
throttle() { local_cluster throttle --port "$NODE_HTTP_PORT" --netns "${in_zone[@]/#/$NETNS_PREFIX}" "$@"; }
downs() { local_cluster front --node "${every_node[@]}" --column chkdown; }
downs_before=$(downs)
throttle || fail "could not slow $zone"
gray_from=$(now_ms)
load zone-gray; mid_phase
local_cluster zonal-shift --local-dir "$LOCAL_DIR" "${in_zone[@]}" || over_budget=1
shifted_at_ms=$(now_ms)
wait "$LOAD_PID" || true
read -r _ gray_ms <<< "$(sessions --from-ms "$gray_from" --to-ms "$shifted_at_ms" "${in_zone[@]}")"
read -r _ other_ms <<< "$(sessions --from-ms "$gray_from" --to-ms "$shifted_at_ms" "${outside[@]}")"
read -r after_shift _ <<< "$(sessions --from-ms "$shifted_at_ms" "${in_zone[@]}")"
finish zone-gray "$LOAD_PID" 0 "(sessions took $gray_ms ms at p50 in $zone, $other_ms ms elsewhere; after the shift $after_shift reached $zone)"
{ [ "$after_shift" -eq 0 ] && [ "$(downs)" = "$downs_before" ] && over "$gray_ms" "$((5 * other_ms))"; } || fail "zone-gray: not slow with its checks passing, or traffic left after the shift (downs $downs_before -> $(downs))"

# 9. zone-back: the zone recovers and the shift ends: traffic spreads over every node again, 0 failed.
throttle --off || fail "could not end $zone's slowness"
local_cluster zonal-shift --local-dir "$LOCAL_DIR" --end "${in_zone[@]}" || over_budget=1
back_from=$(now_ms)
load zone-back
wait "$LOAD_PID" || true
spread=$(for n in "${every_node[@]}"; do sessions --from-ms "$back_from" "$n" | cut -d' ' -f1; done | paste -sd ' ')
finish zone-back "$LOAD_PID" 0 "(sessions a node after the shift ended: $spread)"
for count in $spread; do [ "$count" -gt 0 ] || fail "zone-back: a node took no traffic"; done

# 10-13. Rules rolled out through the AppConfig stand-in under load: a rule change (one reload a
# node), a table-only change of 10,000 rows (no reload), and two bad versions with the canary
# strategy (prod's): one haproxy -c refuses, one that runs but fails its health check. A bad
# version must reach the canary only, which is back on the previous rules within 10 s.
rules_phase() { # rules_phase <phase> <strategy env> <seconds per minute> [local rules options]
  local phase=$1 strategy=$2 pace=$3 rendered query sha
  shift 3
  rendered=$(render_rules "$LOCAL_DIR/rules-$phase.json" --strategy-of "$strategy" --seconds-per-minute "$pace" "$@")
  read -r query sha <<< "$rendered"
  load "$phase" "$DEFAULT_HOST" "$RULES_PHASE_SECONDS"; mid_phase
  rollout "$LOCAL_DIR/rules-$phase.json" "$query" "$sha" "$RULES_PHASE_SECONDS" > "$LOCAL_DIR/rollout-$phase.txt"
  sed 's/^/chaos: /' "$LOCAL_DIR/rollout-$phase.txt"
}

rules_phase rules-change "$ENVIRONMENT" 1 --rules-version chaos-1
finish rules-change "$LOAD_PID" 0 "(live on every node after $ROLLOUT_LIVE s, budget $RULES_LIVE_BUDGET s; $ROLLOUT_RELOADS reloads)"
if [ "$ROLLOUT_STATE" = RolledBack ] || [ "$ROLLOUT_REACHED" -ne "$NODES" ] || over "$ROLLOUT_LIVE" "$RULES_LIVE_BUDGET"; then fail "the rule change was not live on every node within $RULES_LIVE_BUDGET s"; fi

rules_phase rules-tables "$ENVIRONMENT" 1 --rules-version chaos-1 --tenants 10000
finish rules-tables "$LOAD_PID" 0 "(10,000 more host rows live on every node after $ROLLOUT_LIVE s; $ROLLOUT_RELOADS reloads, budget 0)"
if [ "$ROLLOUT_RELOADS" -ne 0 ] || [ "$ROLLOUT_REACHED" -ne "$NODES" ] || over "$ROLLOUT_LIVE" "$RULES_LIVE_BUDGET"; then fail "the table-only change reloaded a node or was not live in time"; fi

for fault in check health; do
  rules_phase "rules-bad-$fault" prod "$CANARY_PACE" --rules-version chaos-1 --tenants 10000 --fault "$fault"
  finish "rules-bad-$fault" "$LOAD_PID" 0 "(reached $ROLLOUT_REACHED node(s), deployment $ROLLOUT_STATE; canary back on the previous rules after ${ROLLOUT_BACK:-0} s, budget $CANARY_BACK_BUDGET s)"
  if [ "$ROLLOUT_STATE" != RolledBack ] || [ "$ROLLOUT_REACHED" -gt 1 ] || over "${ROLLOUT_BACK:-0}" "$CANARY_BACK_BUDGET"; then fail "the $fault-failing version was not stopped at the canary"; fi
done

# 14-17. The EC2-discovered pool, when the environment has one.
if [ -n "$DISCOVERED_POOL" ]; then
  pool=$DISCOVERED_POOL
  workers() { local_cluster workers --local-dir "$LOCAL_DIR" --nodes "$NODES"; }
  # slots <state> <seconds> <instance>...: waits until every node's slot for each instance is in
  # that state; prints the seconds each took ("never": not in time, and fails) (local wait-slots).
  slots() { local_cluster wait-slots --local-dir "$LOCAL_DIR" --nodes "$NODES" --pool "$pool" --state "$1" --seconds "$2" "${@:3}"; }
  workers_before=$(workers)

  # 14. scale out 2 -> 6: time from EC2 listing each new instance until every node serves it.
  load discovered-scale-out "$DISCOVERED_HOST"; mid_phase
  listed_at=$(date +%s%3N)
  set_instances "$pool" 6
  read -r -a seconds_to_serve <<< "$(local_cluster wait-slots --local-dir "$LOCAL_DIR" --nodes "$NODES" --pool "$pool" --state Serving --since-ms "$listed_at" 3 4 5 6)" || true
  # p95 of four: the slowest.
  slowest=$(printf '%s\n' "${seconds_to_serve[@]}" | sort -g | tail -1)
  finish discovered-scale-out "$LOAD_PID" 0 "(new instances serving on all $NODES nodes after ${seconds_to_serve[*]} s; p95 $slowest s, budget $NEW_INSTANCE_BUDGET_SECONDS s)"
  if [ "$slowest" = never ] || over "$slowest" "$NEW_INSTANCE_BUDGET_SECONDS"; then fail "a new instance took over $NEW_INSTANCE_BUDGET_SECONDS s to serve"; fi

  # 15. scale in 6 -> 2: the hook tags the four leaving instances; the nodes drain them; only once
  # every node has emptied their slots does the group terminate them.
  load discovered-scale-in "$DISCOVERED_HOST"; mid_phase
  tagged_at=$SECONDS
  set_instances "$pool" 2 4
  drained=yes
  slots None 90 3 4 5 6 > /dev/null || drained=no
  drain_seconds=$((SECONDS - tagged_at))
  set_instances "$pool" 2
  for i in 3 4 5 6; do kill "$(cat "$LOCAL_DIR/backends/$pool-$i.pid")"; done
  finish discovered-scale-in "$LOAD_PID" 0 "(4 instances drained on every node in ${drain_seconds} s: $drained; then terminated)"
  [ "$drained" = yes ] || fail "a leaving instance was never drained"
  for i in 3 4 5 6; do start_backend "$pool" "$i"; done

  # 16. an instance lost without warning: killed, then gone from EC2 a few seconds later.
  load discovered-kill "$DISCOVERED_HOST"; mid_phase
  kill -9 "$(cat "$LOCAL_DIR/backends/$pool-2.pid")"
  sleep 3
  set_instances "$pool" 1
  slots None 60 2 > /dev/null || fail "the lost instance kept its slot"
  finish discovered-kill "$LOAD_PID" 0 "(instance 2 killed; retries and redispatch cover what was in flight)"
  start_backend "$pool" 2
  set_instances "$pool" 2
  slots Serving 60 2 > /dev/null || fail "instance 2 never came back"

  # 17. the EC2 API answers 503 for OUTAGE_SECONDS: the agents keep what serves.
  load ec2-outage "$DISCOVERED_HOST" "$OUTAGE_SECONDS"
  touch "$LOCAL_DIR/ec2-instances.tsv.outage"
  sleep "$((OUTAGE_SECONDS / 2))"
  kept=yes
  slots Serving 0 1 2 > /dev/null || kept=no
  wait "$LOAD_PID" || true
  rm -f "$LOCAL_DIR/ec2-instances.tsv.outage"
  refused=$(local_cluster count-events --name Ec2ReadFailed "$LOCAL_DIR"/node*/agent.log)
  finish ec2-outage "$LOAD_PID" 0 "(${OUTAGE_SECONDS} s of 503s; both instances kept serving on every node: $kept; $refused failed agent passes logged)"
  [ "$kept" = yes ] || fail "the outage changed what serves"

  workers_after=$(workers)
  echo "chaos: discovery phases: worker pids $workers_before -> $workers_after (a reload changes one)"
  [ "$workers_before" = "$workers_after" ] || fail "discovery phases reloaded a node"
fi

# 18-20. A new node image rolled over the nodes one at a time (ImageRollout): each new node boots as a
# node boots (install-rules, the agent) and bakes BAKE_SECONDS on real traffic before the next.
image_phase() { # image_phase <phase> <expected outcome> [local image options]: the image, rolled out under load
  local_cluster image --env "$ENVIRONMENT" --out "$LOCAL_DIR/images/$1" "${@:3}"
  load "$1" "$DEFAULT_HOST" 600
  local_cluster image-rollout --local-dir "$LOCAL_DIR" --agent "$AGENT_BIN" --nodes "$NODES" --image "$LOCAL_DIR/images/$1" \
    --expect "$2" --summary "$LOCAL_DIR/image.txt" | sed 's/^/chaos: /' || over_budget=1
  kill -INT "$LOAD_PID"
  read -r budget what < "$LOCAL_DIR/image.txt"
  finish "$1" "$LOAD_PID" "$budget" "($what)"
}
# 18. image-good: another keepalive time; every bake passes, every node runs it, 0 failed.
image_phase image-good EveryNode --keepalive-seconds 75
# 19. image-bad: its HAProxy answers 503 itself to one request in five while its checks pass. The
# first node's bake fails and it goes back to image-good; the others are never touched. Budget: its
# requests during its bake × 1/5, a fifth more for chance, and those open on it when it stopped.
image_phase image-bad RolledBack --keepalive-seconds 75 --faulty
# 20. image-back: once the bad image is gone, 0 failed.
load image-back; finish image-back "$LOAD_PID" 0

# 21. cert-rotation: each node certificate gets a new version in Parameter Store under HTTPS load
# (a TLS handshake a request, no SNI: the default certificate). Every node serves it within 10 s
# (the agents read every RULES_POLL s), by the same worker: a swap through the Runtime API. 0 failed.
if [ -n "$TLS_CERTIFICATES" ]; then
  load cert-rotation "$DEFAULT_HOST" "$PHASE_SECONDS" "https://127.0.0.1:$FRONT_TLS/"
  mid_phase
  local_cluster rotate-certificates --env "$ENVIRONMENT" --local-dir "$LOCAL_DIR" --nodes "$NODES" --backend-address "$BRIDGE_ADDRESS" \
    --seconds 10 --summary "$LOCAL_DIR/rotation.txt" | sed 's/^/chaos: /' || over_budget=1
  finish cert-rotation "$LOAD_PID" 0 "($(cat "$LOCAL_DIR/rotation.txt"))"
fi

echo "chaos: $total_sent requests, $total_failed failed"
exit "$over_budget"
