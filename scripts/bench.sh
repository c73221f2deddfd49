#!/usr/bin/env bash
# make bench: what the generated config costs, measured in one run on this machine with the
# runs alternating: requests/s, p50/p99 latency and CPU time per request through (a) the
# environment's generated config with a 10-host table, (b) a minimal hand-written passthrough
# config, and (c) the generated config with a 10,000-host table; same HAProxy binary, same
# backends, wrk on loopback.
# The generated configs log every request as a node does (JSON, from HAProxy's ring over TCP to the
# node's own receiver: rsyslog, from the Debian 13 root, with exactly the rsyslog config the
# bootstrap writes, taken from userdata/bootstrap.sh) and apply every rule the environment has;
# wrk cannot send PROXY headers, so only accept-proxy is off. The run fails if the log holds fewer
# lines than the requests served, so a lossy log cannot pass for a cheap one.
# CPU per request is the user + system time (from /proc) the serving HAProxy and, for a config that
# logs, rsyslog spent, over the requests served. Throughput drifts between seconds here, so every
# ratio is taken inside one round (the configs of a round run back to back) and the median over
# the rounds is reported.
# Then the price of each element: the 10-host config with exactly one element removed (a rule, a
# default, a field of the access log), each counted by callgrind in instructions per request.
# Writes bench-results/bench.csv and bench-results/bench.png; the last line holds the ratios.
set -euo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
readonly ENVIRONMENT=${ENV:-dev} ROUNDS=${BENCH_ROUNDS:-5} SECONDS_PER_RUN=${BENCH_SECONDS:-3} CONNECTIONS=${BENCH_CONNECTIONS:-32}
readonly FIRST_BACKEND_PORT=19500 MINIMAL_PORT=18100 GENERATED_PORT=18110 LARGE_PORT=18120 VARIANT_PORT=18130 SYSLOG_PORT=18199
readonly HAPROXY30_ROOT=${HAPROXY30_ROOT:-$top/.tools/debian-trixie}
TICKS_PER_SECOND=$(getconf CLK_TCK)
readonly TICKS_PER_SECOND
# In memory: a run logs gigabytes, and writing them back to disk stalls everything on 2 cores.
work=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d)
results="$top/bench-results"
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

render() { # render <folder> <hosts> <http port>: health and admin ports follow it; no PROXY header (wrk sends none)
  dotnet run --project "$top/local" --no-build -- bench --env "$ENVIRONMENT" --out "$1" --hosts "$2" --bind 127.0.0.1 \
    --backend-address 127.0.0.1 --first-port "$FIRST_BACKEND_PORT" --http-port "$3" --log-target "tcp@127.0.0.1:$SYSLOG_PORT" > /dev/null
  haproxy -c -q -f "$1/haproxy.cfg"
}

# variant <name> <sed script>: the 10-host config with exactly the lines the script edits changed,
# on its own ports, to be counted by callgrind.
variant() {
  local port=$((VARIANT_PORT + 10 * ${#variants[@]}))
  mkdir -p "$work/$1"
  sed -e "$2" "$work/generated/haproxy.cfg" > "$work/$1/edited.cfg"
  # An edit that no longer matches the rendered config would price its element at zero.
  if [ -n "$2" ] && cmp -s "$work/$1/edited.cfg" "$work/generated/haproxy.cfg"; then
    echo "bench: $1 changes nothing in the generated config: its edit ($2) no longer matches" >&2
    exit 1
  fi
  sed -e "s/:$GENERATED_PORT /:$port /; s/:$((GENERATED_PORT + 1)) /:$((port + 1)) /; s/:$((GENERATED_PORT + 2))\$/:$((port + 2))/; s/:$((GENERATED_PORT + 3))\$/:$((port + 3))/" \
    -e "s#$work/generated/admin.sock#$work/$1/admin.sock#" "$work/$1/edited.cfg" > "$work/$1/haproxy.cfg"
  haproxy -c -q -f "$work/$1/haproxy.cfg"
  variants+=("$1")
  ports[$1]=$port
  config_of[$1]="$work/$1/haproxy.cfg"
}

declare -A pid_of config_of
start() { # start <config> <log> [name]
  haproxy -db -f "$1" > "$2" 2>&1 &
  pids+=($!)
  if [ $# -ge 3 ]; then pid_of[$3]=$! config_of[$3]=$1; fi
}

# The node's rsyslog: the bootstrap's config (from the same C#), its file in this run's folder,
# which is mounted on /mnt inside the Debian 13 root.
dotnet "$top/local/bin/Debug/net10.0/HaproxyCluster.Local.dll" rsyslog-config --port "$SYSLOG_PORT" --file /mnt/access.log > "$work/rsyslog.conf"
# shellcheck disable=SC2016 # expanded by the inner bash
unshare --mount --propagation private bash -c 'mount --bind "$0" "$1/mnt" && exec chroot "$1" rsyslogd -n -f /mnt/rsyslog.conf -i /mnt/rsyslogd.pid' \
  "$work" "$HAPROXY30_ROOT" > "$work/rsyslog.out" 2>&1 &
pids+=($!)
pid_of[rsyslog]=$!
render "$work/generated" 10 "$GENERATED_PORT"
render "$work/large" 10000 "$LARGE_PORT"
declare -A ports=([minimal]=$MINIMAL_PORT [generated-10-hosts]=$GENERATED_PORT [generated-10000-hosts]=$LARGE_PORT)
variants=()
# same-config changes nothing: its line shows how far two counts of one config differ.
variant same-config ''
variant without-l7-retries 's/^    retry-on .*/    retry-on conn-failure/; /disable-l7-retry/d'
variant without-access-log '/^    log /d; /^    log-format /d'
variant without-request-id '/^    unique-id-/d; s/,"request_id":"%ID"//'
variant without-path-check '/ path -m reg /d'
variant without-rate-limit '/track-sc0/d; /deny_status 429/d'
variant without-deny-rules '/deny_status 40[35]/d; /http-request return status 503/d'
variant without-header-edits '/http-request set-header/d; /http-request del-header/d; /http-after-response/d'
variant without-forwardfor '/option forwardfor/d'
variant without-routing '/^    use_backend /d'
variant without-tcp-keepalive '/tcpka/d'
variant without-observe 's/ observe layer7 error-limit 10 on-error mark-down//'
# The access log field by field: each field of the rendered log-format removed in turn.
log_format=$(sed -n "s/^    log-format '{\(.*\)}'\$/\1/p" "$work/generated/haproxy.cfg")
[ -n "$log_format" ] || { echo "bench: no JSON log-format in the generated config" >&2; exit 1; }
while IFS= read -r field; do
  key=${field#,}
  key=${key#\"}
  variant "log-without-${key%%\"*}" "/^    log-format /{ s/$(printf '%s' "$field" | sed 's/[][\\/.*^$]/\\&/g')//; s/{,/{/; }"
done < <(printf '%s' "$log_format" | awk 'BEGIN { RS = ",\"" } { printf "%s%s\n", (NR > 1 ? ",\"" : ""), $0 }')
while IFS=$'\t' read -r _ _ address port; do
  printf 'defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\nfrontend backend\n    bind %s:%s\n    http-request return status 200 content-type text/plain string ok\n' "$address" "$port" > "$work/backend-$port.cfg"
  start "$work/backend-$port.cfg" /dev/null
done < "$work/generated/backends.tsv"
web=$(awk -F'\t' '$1 == "web" { printf "    server s%s %s:%s\n", $2, $3, $4 }' "$work/generated/backends.tsv")
cat > "$work/minimal.cfg" <<CFG
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend minimal
    bind 127.0.0.1:$MINIMAL_PORT
    default_backend web
backend web
$web
CFG
start "$work/minimal.cfg" "$work/minimal.log" minimal
start "$work/generated/haproxy.cfg" "$work/generated.log" generated-10-hosts
start "$work/large/haproxy.cfg" "$work/large.log" generated-10000-hosts
sleep 2

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else printf "%.3f", v * 1000 }'; }

ticks() { # ticks <pid>...: the CPU time (user + system, all threads) the processes and their children (a master's worker) used so far
  local pid total=0
  for pid in "$@" $(pgrep -d ' ' -P "$(IFS=,; echo "$*")"); do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
  echo "$total"
}

run() { # run <round> <name> <port> <host>
  local out="$work/wrk-$1-$2.txt" receiver=${pid_of[rsyslog]}
  [ "$2" != minimal ] || receiver= # the passthrough does not log
  local haproxy_before receiver_before=0
  haproxy_before=$(ticks "${pid_of[$2]}")
  [ -z "$receiver" ] || receiver_before=$(ticks "$receiver")
  timeout $((SECONDS_PER_RUN + 30)) wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "Host: $4" "http://127.0.0.1:$3/" > "$out"
  # rsyslog writes the run's last lines just after it: let it finish before counting.
  sleep 0.5
  local haproxy_used receiver_used=0
  haproxy_used=$(($(ticks "${pid_of[$2]}") - haproxy_before))
  [ -z "$receiver" ] || receiver_used=$(($(ticks "$receiver") - receiver_before))
  local rps p50 p99 errors requests
  rps=$(awk '/Requests\/sec/ { print $2 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  errors=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' "$out")
  [ "$errors" -eq 0 ] || { echo "bench: $2 had errors:" >&2; cat "$out" >&2; exit 1; }
  requests=$(awk '/requests in/ { print $1 }' "$out")
  awk -v r="$1" -v c="$2" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v h="$haproxy_used" -v l="$receiver_used" -v hz="$TICKS_PER_SECOND" -v n="$requests" \
    'BEGIN { us = 1e6 / hz / n; printf "%s,%s,%s,%s,%s,%.2f,%.2f,%.2f\n", r, c, rps, p50, p99, (h + l) * us, h * us, l * us }' >> "$results/bench.csv"
  [ -z "$receiver" ] || logged=$((logged + requests))
}
logged=0

configs=(minimal generated-10-hosts generated-10000-hosts)
# The generated configs take the load on their TLS-origin bind, as the NLB's TLS listener hands
# requests on (an environment that redirects plain HTTP to HTTPS would answer :80 with redirects).
target() { # target <config>: port and Host header of its runs
  case "$1" in
    minimal) echo "${ports[minimal]} tenant9.bench.example.com" ;;
    generated-10000-hosts) echo "$((ports[$1] + 1)) tenant9999.bench.example.com" ;;
    *) echo "$((ports[$1] + 1)) tenant9.bench.example.com" ;;
  esac
}
# Every config must reach a backend (200), not answer itself (a redirect, a deny), or it measures nothing.
for config in "${configs[@]}"; do
  read -r port host <<< "$(target "$config")"
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "http://127.0.0.1:$port/")
  [ "$status" = 200 ] || { echo "bench: $config answers $status, not 200 from a backend" >&2; exit 1; }
done
echo "round,config,requests_per_s,p50_ms,p99_ms,cpu_us_per_request,haproxy_us_per_request,rsyslog_us_per_request" > "$results/bench.csv"
for round in $(seq 1 "$ROUNDS"); do
  for config in "${configs[@]}"; do
    read -r port host <<< "$(target "$config")"
    run "$round" "$config" "$port" "$host"
  done
done

# Instructions per request, counted by callgrind. A second of CPU on this shared machine moves by
# 10 to 30 % from run to run, more than most single elements cost; the instruction count holds to
# within about 0.1 %, so it is what prices each element. Each config runs once more under callgrind, as one
# process with one thread, and the count covers one run of load between a zero and a dump, over
# the requests HAProxy counted in it (CumReq). Instructions are not time: the estimate in µs
# scales them by the full config's measured HAProxy CPU per instruction.
cumulated_requests() { echo "show info" | socat - "UNIX-CONNECT:$1" | awk -F': ' '$1 == "CumReq" { print $2 }'; }
instructions() { # instructions <config>: callgrind's instructions per request through it
  local name=$1 dir="$work/callgrind/$1" port host pid before after
  read -r port host <<< "$(target "$name")"
  mkdir -p "$dir"
  { printf 'global\n    nbthread 1\n    stats socket %s/stats.sock mode 600 level admin\n' "$dir"; sed '/^    master-worker$/d' "${config_of[$name]}"; } > "$dir/haproxy.cfg"
  # glibc copies large blocks with rep movsb, which callgrind counts a byte an instruction: the
  # threshold sends them through the vector loop, whose count is in proportion to its cost.
  (cd "$dir" && GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=2097152 exec valgrind --tool=callgrind haproxy -db -f haproxy.cfg > valgrind.log 2>&1) &
  pid=$!
  for _ in $(seq 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "http://127.0.0.1:$port/")" = 200 ] && break
    sleep 0.5
  done
  before=$(cumulated_requests "$dir/stats.sock")
  callgrind_control -z "$pid" > /dev/null 2>&1
  timeout $((SECONDS_PER_RUN + 30)) wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" -H "Host: $host" "http://127.0.0.1:$port/" > "$dir/wrk.txt"
  callgrind_control -d "$pid" > /dev/null 2>&1
  after=$(cumulated_requests "$dir/stats.sock")
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  # As in the timed runs, every request must have reached a backend, or the count prices a refusal.
  if [ $((after - before)) -le 0 ] || [ ! -f "$(echo "$dir"/callgrind.out.*.1)" ] || grep -q 'Non-2xx\|Socket errors' "$dir/wrk.txt"; then
    echo "bench: callgrind counted nothing valid for $name:" >&2
    cat "$dir/wrk.txt" "$dir/valgrind.log" >&2
    return 1
  fi
  awk -v n=$((after - before)) '$1 == "totals:" { printf "%.0f\n", $2 / n }' "$dir"/callgrind.out.*.1
}
for config in "${configs[@]}"; do
  kill "${pid_of[$config]}"
  wait "${pid_of[$config]}" 2> /dev/null || true
done
# Two at a time, one a core: a count does not depend on what else runs.
declare -A instructions_of
counted=("${configs[@]}" "${variants[@]}")
for ((i = 0; i < ${#counted[@]}; i += 2)); do
  batch=()
  for config in "${counted[@]:i:2}"; do
    instructions "$config" > "$work/$config.instructions" &
    pids+=($!)
    batch+=($!)
  done
  for job in "${batch[@]}"; do wait "$job"; done
done
for config in "${counted[@]}"; do instructions_of[$config]=$(cat "$work/$config.instructions"); done

# Every request through a logging config must have its line (wrk counts only finished requests):
# rsyslog writes each one's message, one JSON object a line.
sleep 1
lines=$(wc -l < "$work/access.log")
echo "bench: access log: $lines lines for $logged logged requests"
[ "$lines" -ge "$logged" ] || { echo "bench: the access log lost lines" >&2; exit 1; }

middle() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median() { # median <config> <column>
  awk -F, -v c="$1" -v k="$2" '$2 == c { print $k }' "$results/bench.csv" | middle
}
ratio() { # ratio <config> <baseline> [column]: the median over the rounds of config/baseline in that round
  awk -F, -v a="$1" -v b="$2" -v k="${3:-3}" '$2 == a { x[$1] = $k } $2 == b { y[$1] = $k } END { for (r in x) printf "%.4f\n", x[r] / y[r] }' "$results/bench.csv" | middle
}

printf '\n%-24s %11s %7s %7s %10s %10s %8s %8s %10s %10s   (medians of %s rounds of %s s runs, %s connections)\n' \
  config requests/s p50_ms p99_ms vs_minimal cpu_us/req haproxy rsyslog cpu_vs_min instr/req "$ROUNDS" "$SECONDS_PER_RUN" "$CONNECTIONS"
for config in minimal generated-10-hosts generated-10000-hosts; do
  printf '%-24s %11s %7s %7s %10.2f %10s %8s %8s %10.2f %10s\n' "$config" "$(median "$config" 3)" "$(median "$config" 4)" "$(median "$config" 5)" \
    "$(ratio "$config" minimal)" "$(median "$config" 6)" "$(median "$config" 7)" "$(median "$config" 8)" "$(ratio "$config" minimal 6)" "${instructions_of[$config]}"
done
# What each element costs: the instructions a request saves without it, and that share of the
# full config's HAProxy CPU per request (rsyslog's cost is the access log's, in the table above).
full=${instructions_of[generated-10-hosts]}
elements=()
haproxy_us=$(median generated-10-hosts 7)
printf '\n%-28s %10s %12s %8s %10s   (callgrind, %s instructions a request in full)\n' element instr/req saves_instr share est_us "$full"
for variant in "${variants[@]}"; do
  awk -v name="$variant" -v f="$full" -v v="${instructions_of[$variant]}" -v us="$haproxy_us" \
    'BEGIN { printf "%-28s %10d %12d %7.1f%% %10.2f\n", name, v, f - v, 100 * (f - v) / f, us * (f - v) / f }'
  printf '%s %s %s\n' "${#elements[@]}" "$variant" $((full - instructions_of[$variant])) >> "$work/elements.dat"
  elements+=("$variant")
done
# One bar per config at its median, with every run as a point over it.
for i in "${!configs[@]}"; do
  printf '%s %s %s %s\n' "$i" "${configs[$i]}" "$(median "${configs[$i]}" 3)" "$(median "${configs[$i]}" 6)" >> "$work/medians.dat"
  awk -F, -v c="${configs[$i]}" -v i="$i" '$2 == c { print i, $3, $6 }' "$results/bench.csv" >> "$work/runs.dat"
done
gnuplot <<PLOT
set terminal pngcairo size 900,1400 noenhanced
set output "$results/bench.png"
set multiplot layout 3,1 title "ENV=$ENVIRONMENT, wrk -c$CONNECTIONS, $ROUNDS rounds of ${SECONDS_PER_RUN}s runs: bar = median, dot = one run"
set style fill solid 0.6
set boxwidth 0.7
set xtics rotate by -20
set yrange [0:*]
set key off
set title "requests/s"
plot "$work/medians.dat" using 1:3:xtic(2) with boxes, "$work/runs.dat" using 1:2 with points pt 7 ps 0.8 lc rgb "black"
set title "CPU us per request (HAProxy + rsyslog)"
plot "$work/medians.dat" using 1:4:xtic(2) with boxes, "$work/runs.dat" using 1:3 with points pt 7 ps 0.8 lc rgb "black"
set title "instructions a request saves without each element (callgrind; full config: $full)"
set xtics rotate by -45 font ",8"
set rmargin 12
set yrange [*:*]
plot "$work/elements.dat" using 1:3:xtic(2) with boxes
unset multiplot
PLOT
ratio=$(printf '%.2f' "$(ratio generated-10-hosts minimal)")
cpu=$(printf '%.2f' "$(ratio generated-10-hosts minimal 6)")
scale=$(printf '%.2f' "$(ratio generated-10000-hosts generated-10-hosts)")
# What a node can carry: a vCPU's second of CPU over the generated config's CPU per request, and
# the latency it adds to a bare proxy's, both at this run's load.
awk -v env="$ENVIRONMENT" -v us="$(median generated-10-hosts 6)" -v p50="$(median generated-10-hosts 4)" -v p99="$(median generated-10-hosts 5)" \
  -v p50m="$(median minimal 4)" -v p99m="$(median minimal 5)" \
  'BEGIN { printf "bench: capacity: %s carries about %d requests/s per vCPU (%.0f us of CPU a request), adding %.2f ms at p50 and %.2f ms at p99 to a bare proxy\n", env, 1e6 / us, us, p50 - p50m, p99 - p99m }'
echo "bench: wrote $results/bench.csv and $results/bench.png"
echo "bench: generated/minimal instructions per request ratio $(awk -v g="$full" -v m="${instructions_of[minimal]}" 'BEGIN { printf "%.2f", g / m }')"
echo "bench: generated/minimal throughput ratio $ratio, cpu-per-request ratio $cpu, 10k/10 hosts ratio $scale"
