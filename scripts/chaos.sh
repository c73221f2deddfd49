#!/usr/bin/env bash
# make chaos: brings the local cluster up, runs a bounded load through the front with wrk, and
# breaks things during it, phase by phase. Prints requests sent and failed per phase and how long
# the front kept a dead node. Budgets: no failure in the backend-kill, reload and invalid-config
# phases (nor in the restore phases); in the node-kill phase, no more failures than connections
# that were open on the dead node. Last line: "chaos: <sent> requests, <failed> failed".
# CHAOS_SECONDS sets each phase's load (default 20); HEALTH_INTERVAL the front's check interval.
set -euo pipefail
# shellcheck source=scripts/local.sh disable=SC1091
source "$(dirname "$0")/local.sh"

readonly ENVIRONMENT=${ENV:-dev}
readonly PHASE_SECONDS=${CHAOS_SECONDS:-20}
readonly CONNECTIONS=16
trap down EXIT

up "$ENVIRONMENT"
results="$LOCAL_DIR/chaos.tsv"
: > "$results"
over_budget=0

load() { # load <phase>: wrk through the front for PHASE_SECONDS, in the background (pid in LOAD_PID)
  timeout $((PHASE_SECONDS + 30)) wrk -t2 -c"$CONNECTIONS" -d"${PHASE_SECONDS}s" --timeout 5s \
    -H "Host: app.example.com" -H "Connection: close" "http://127.0.0.1:$FRONT_HTTP/" > "$LOCAL_DIR/wrk-$1.txt" 2>&1 &
  LOAD_PID=$!
}

finish() { # finish <phase> <wrk pid> <budget> [note]: waits, counts and checks the budget
  wait "$2" || true
  local report="$LOCAL_DIR/wrk-$1.txt" sent errors non2xx failed
  sent=$(awk '/requests in/ { print $1 }' "$report")
  errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$report")
  non2xx=$(awk '/Non-2xx/ { print $5 }' "$report")
  failed=$((${errors:-0} + ${non2xx:-0}))
  local verdict=ok
  if [ "$failed" -gt "$3" ]; then verdict="OVER BUDGET ($3)"; over_budget=1; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$sent" "$failed" "$3" "${4:-}" >> "$results"
  printf 'chaos: %-16s %7s sent %5s failed  budget %-3s %s %s\n' "$1" "$sent" "$failed" "$3" "$verdict" "${4:-}"
}

mid_phase() { sleep "$(awk -v s="$PHASE_SECONDS" 'BEGIN { print s / 3 }')"; }

# 1. kill one server of the default pool; retries and redispatch must hide it.
load backend-kill; mid_phase
kill -9 "$(cat "$LOCAL_DIR/backends/web-1.pid")"
finish backend-kill "$LOAD_PID" 0

# 2. bring it back.
start_backend web 1
load backend-restore
finish backend-restore "$LOAD_PID" 0

# 3. reload every node seamlessly, ten times.
load reload
for _ in $(seq 1 10); do
  for n in $(seq 1 "$NODES"); do reload_node "$n"; done
  sleep "$(awk -v s="$PHASE_SECONDS" 'BEGIN { print s / 12 }')"
done
finish reload "$LOAD_PID" 0 "(10 reloads of $NODES nodes)"

# 4. push an invalid config to node1 and reload it: it must keep serving the old one.
cp "$LOCAL_DIR/node1/haproxy.cfg" "$LOCAL_DIR/node1/haproxy.cfg.good"
printf '    this-is-not-a-keyword\n' >> "$LOCAL_DIR/node1/haproxy.cfg"
load invalid-config; mid_phase
reload_node 1
sleep 1
still=$(front_status 1)
finish invalid-config "$LOAD_PID" 0 "(node1 after the bad reload: $still)"
mv "$LOCAL_DIR/node1/haproxy.cfg.good" "$LOCAL_DIR/node1/haproxy.cfg"
[ "$still" = UP ] || { echo "chaos: node1 stopped serving after an invalid config" >&2; over_budget=1; }

# 5. kill node2, as when AWS loses an instance; time until the front stops sending to it.
# The budget is the connections that were open on node2 when it died: sessions the front had
# accepted for node2 before the kill that ended on a server-side error or timeout (termination
# state S* or s*) or with no byte of response (a killed process's socket may close cleanly), from
# the front's log. New connections must not fail: the front retries them on another node.
load node-kill; mid_phase
kill_node 2
killed_at_ms=$(date +%s%3N) # once every process is gone: later sessions are refused and retried
if wait_until 120 node_down_in_front 2; then
  detected=$(awk -v a="$killed_at_ms" -v b="$(date +%s%3N)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
else
  detected="never"
  over_budget=1
fi
wait "$LOAD_PID" || true
# Sessions stuck on the dead node end (and are logged) only at the front's server timeout.
wait_until 40 node_idle_in_front 2 || true
open_on_node2=$(awk -v killed="$killed_at_ms" '$2 == "node2" && $1 <= killed && ($3 ~ /^[sS]/ || $4 == 0) { n++ } END { print n + 0 }' "$LOCAL_DIR/front.log")
finish node-kill "$LOAD_PID" "$open_on_node2" "(front stopped sending to node2 ${detected} s after the kill; $open_on_node2 connections were open on it)"

# 6. restore node2 and wait until the front takes it back.
start_node 2
wait_until 120 node_up_in_front 2 || { echo "chaos: node2 never came back" >&2; over_budget=1; }
load node-restore
finish node-restore "$LOAD_PID" 0

total_sent=$(awk -F'\t' '{ s += $2 } END { print s }' "$results")
total_failed=$(awk -F'\t' '{ s += $3 } END { print s }' "$results")
echo "chaos: $total_sent requests, $total_failed failed"
exit "$over_budget"
