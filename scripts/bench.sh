#!/usr/bin/env bash
# make bench: what the generated config costs (README, "Benchmark"). Rounds of alternating wrk runs
# through the configs LocalBench renders (the environment's with a 10- and a 10,000-host table,
# logging to the node's rsyslog, and a minimal passthrough); CPU per request from /proc; then
# callgrind's instructions per request for every config and element. Fails if a config does not
# reach a backend or the access log lost lines. Figures: BenchReport, bench-results/.
set -euo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
readonly ENVIRONMENT=${ENV:-dev} ROUNDS=${BENCH_ROUNDS:-5} SECONDS_PER_RUN=${BENCH_SECONDS:-3} CONNECTIONS=${BENCH_CONNECTIONS:-32}
readonly FIRST_BACKEND_PORT=19500 FIRST_CONFIG_PORT=18100 SYSLOG_PORT=18099
readonly HAPROXY30_ROOT=${HAPROXY30_ROOT:-$top/.tools/debian-trixie}
TICKS_PER_SECOND=$(getconf CLK_TCK)
readonly TICKS_PER_SECOND
# In memory: a run logs gigabytes, and writing them back to disk stalls everything on 2 cores.
work=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d)
results="$top/bench-results"
local_cluster() { dotnet "$top/local/bin/Debug/net10.0/HaproxyCluster.Local.dll" "$@"; }
mkdir -p "$results"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    pkill -P "$pid" 2> /dev/null || true
    kill "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

declare -A pid_of
start() { # start <config> <log> [name]
  haproxy -db -f "$1" > "$2" 2>&1 &
  pids+=($!)
  if [ $# -ge 3 ]; then pid_of[$3]=$!; fi
}

# The node's rsyslog: the bootstrap's config (from the same C#), its file in this run's folder,
# which is mounted on /mnt inside the Debian 13 root.
local_cluster rsyslog-config --port "$SYSLOG_PORT" --file /mnt/access.log > "$work/rsyslog.conf"
# shellcheck disable=SC2016 # expanded by the inner bash
unshare --mount --propagation private bash -c 'mount --bind "$0" "$1/mnt" && exec chroot "$1" rsyslogd -n -f /mnt/rsyslog.conf -i /mnt/rsyslogd.pid' \
  "$work" "$HAPROXY30_ROOT" > "$work/rsyslog.out" 2>&1 &
pids+=($!)
pid_of[rsyslog]=$!
# Every config and backend, from the environment's spec (LocalBench); configs.tsv lists them:
# name, config, load URL, Host, whether it logs, whether it is timed (else only counted).
local_cluster bench --env "$ENVIRONMENT" --out "$work" \
  --first-port "$FIRST_BACKEND_PORT" --config-port "$FIRST_CONFIG_PORT" --log-target "tcp@127.0.0.1:$SYSLOG_PORT"
declare -A config_of url_of host_of logs_of
configs=() counted=()
while IFS=$'\t' read -r name config url host logs timed; do
  haproxy -c -q -f "$config"
  config_of[$name]=$config url_of[$name]=$url host_of[$name]=$host logs_of[$name]=$logs
  counted+=("$name")
  if [ "$timed" = 1 ]; then configs+=("$name"); fi
done < "$work/configs.tsv"
for backend in "$work"/backends/*.cfg; do start "$backend" /dev/null; done
for config in "${configs[@]}"; do start "${config_of[$config]}" "$work/$config.log" "$config"; done
sleep 2

ticks() { # ticks <pid>...: the CPU time (user + system, all threads) the processes and their children (a master's worker) used so far
  local pid total=0
  for pid in "$@" $(pgrep -d ' ' -P "$(IFS=,; echo "$*")"); do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
  echo "$total"
}

run() { # run <round> <name>
  local out="$work/wrk-$1-$2.txt" receiver=${pid_of[rsyslog]}
  [ "${logs_of[$2]}" = 1 ] || receiver=
  local haproxy_before receiver_before=0
  haproxy_before=$(ticks "${pid_of[$2]}")
  [ -z "$receiver" ] || receiver_before=$(ticks "$receiver")
  timeout $((SECONDS_PER_RUN + 30)) wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "Host: ${host_of[$2]}" "${url_of[$2]}" > "$out"
  # rsyslog writes the run's last lines just after it: let it finish before counting.
  sleep 0.5
  local haproxy_used receiver_used=0
  haproxy_used=$(($(ticks "${pid_of[$2]}") - haproxy_before))
  [ -z "$receiver" ] || receiver_used=$(($(ticks "$receiver") - receiver_before))
  local requests rps p50 p99 failed
  read -r requests rps p50 p99 failed <<< "$(local_cluster wrk-report "$out")"
  [ "$failed" -eq 0 ] || { echo "bench: $2 had errors:" >&2; cat "$out" >&2; exit 1; }
  awk -v r="$1" -v c="$2" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v h="$haproxy_used" -v l="$receiver_used" -v hz="$TICKS_PER_SECOND" -v n="$requests" \
    'BEGIN { us = 1e6 / hz / n; printf "%s,%s,%s,%s,%s,%.2f,%.2f,%.2f\n", r, c, rps, p50, p99, (h + l) * us, h * us, l * us }' >> "$results/bench.csv"
  [ -z "$receiver" ] || logged=$((logged + requests))
}
logged=0

# Every config must reach a backend (200), not answer itself (a redirect, a deny), or it measures nothing.
for config in "${configs[@]}"; do
  status=$(curl -s --cacert "$work/tls/ca.pem" -o /dev/null -w '%{http_code}' -H "Host: ${host_of[$config]}" "${url_of[$config]}")
  [ "$status" = 200 ] || { echo "bench: $config answers $status, not 200 from a backend" >&2; exit 1; }
done
echo "round,config,requests_per_s,p50_ms,p99_ms,cpu_us_per_request,haproxy_us_per_request,rsyslog_us_per_request" > "$results/bench.csv"
for round in $(seq 1 "$ROUNDS"); do
  for config in "${configs[@]}"; do run "$round" "$config"; done
done

# Instructions per request, counted by callgrind (CallgrindCount): each element's price, since a
# second of CPU here moves by 10 to 30 % from run to run. Instructions are not time: the estimate in
# µs scales them by the full config's measured HAProxy CPU per instruction.
instructions() { # instructions <config>: callgrind's instructions per request through it
  local_cluster callgrind --config "${config_of[$1]}" --out "$work/callgrind/$1" --url "${url_of[$1]}" --ca "$work/tls/ca.pem" \
    --host "${host_of[$1]}" --seconds "$SECONDS_PER_RUN"
}
for config in "${configs[@]}"; do
  kill "${pid_of[$config]}"
  wait "${pid_of[$config]}" 2> /dev/null || true
done
# Two at a time, one a core: a count does not depend on what else runs.
for ((i = 0; i < ${#counted[@]}; i += 2)); do
  batch=()
  for config in "${counted[@]:i:2}"; do
    instructions "$config" > "$work/$config.instructions" &
    pids+=($!)
    batch+=($!)
  done
  for job in "${batch[@]}"; do wait "$job"; done
done

# Every request through a logging config must have its line (wrk counts only finished requests):
# rsyslog writes each one's message, one JSON object a line.
sleep 1
lines=$(wc -l < "$work/access.log")
echo "bench: access log: $lines lines for $logged logged requests"
[ "$lines" -ge "$logged" ] || { echo "bench: the access log lost lines" >&2; exit 1; }

# The figures (medians, ratios, each element's price, a node's capacity) and the plot (BenchReport).
local_cluster bench-report --env "$ENVIRONMENT" --work "$work" --results "$results" \
  --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" --connections "$CONNECTIONS"
gnuplot "$work/bench.gp"
