#!/usr/bin/env bash
# make bench: what the generated config costs, measured in one run on this machine with the
# runs alternating: requests/s and p50/p99 latency through (a) the environment's generated config
# with a 10-host table, (b) a minimal hand-written passthrough config, and (c) the generated config
# with a 10,000-host table; same HAProxy binary, same backends, wrk on loopback.
# The generated configs log every request (JSON, to a file) and apply every rule the environment
# has; wrk cannot send PROXY headers, so only accept-proxy is off.
# Writes bench-results/bench.csv and bench-results/bench.png; the last line holds the ratios.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
readonly ENVIRONMENT=${ENV:-dev} ROUNDS=${BENCH_ROUNDS:-3} SECONDS_PER_RUN=${BENCH_SECONDS:-5} CONNECTIONS=${BENCH_CONNECTIONS:-32}
readonly FIRST_BACKEND_PORT=19500 MINIMAL_PORT=18100 GENERATED_PORT=18110 LARGE_PORT=18120
work=$(mktemp -d)
results="$top/bench-results"
mkdir -p "$results"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

render() { # render <folder> <hosts> <http port>
  dotnet run --project "$top/local" --no-build -- bench "$ENVIRONMENT" "$1" "$2" 127.0.0.1 127.0.0.1 "$FIRST_BACKEND_PORT" "$3" $(($3 + 2)) $(($3 + 3)) > /dev/null
  # wrk speaks plain HTTP: the NLB-facing binds take no PROXY header here.
  sed -i 's/ accept-proxy//' "$1/haproxy.cfg"
  haproxy -c -q -f "$1/haproxy.cfg"
}

start() { # start <config> <log>
  haproxy -db -f "$1" > "$2" 2>&1 &
  pids+=($!)
}

render "$work/generated" 10 "$GENERATED_PORT"
render "$work/large" 10000 "$LARGE_PORT"
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
start "$work/minimal.cfg" "$work/minimal.log"
start "$work/generated/haproxy.cfg" "$work/generated.log"
start "$work/large/haproxy.cfg" "$work/large.log"
sleep 2

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else printf "%.3f", v * 1000 }'; }

run() { # run <round> <name> <port> <host>
  local out="$work/wrk-$1-$2.txt"
  timeout $((SECONDS_PER_RUN + 30)) wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "Host: $4" "http://127.0.0.1:$3/" > "$out"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ { print $2 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  errors=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' "$out")
  [ "$errors" -eq 0 ] || { echo "bench: $2 had errors:" >&2; cat "$out" >&2; exit 1; }
  printf '%s,%s,%s,%s,%s\n' "$1" "$2" "$rps" "$p50" "$p99" >> "$results/bench.csv"
}

echo "round,config,requests_per_s,p50_ms,p99_ms" > "$results/bench.csv"
for round in $(seq 1 "$ROUNDS"); do
  run "$round" minimal "$MINIMAL_PORT" app.example.com
  run "$round" generated-10-hosts "$GENERATED_PORT" tenant9.bench.example.com
  run "$round" generated-10000-hosts "$LARGE_PORT" tenant9999.bench.example.com
done

median() { # median <config> <column>
  awk -F, -v c="$1" -v k="$2" '$2 == c { print $k }' "$results/bench.csv" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '\n%-24s %14s %10s %10s   (median of %s runs of %s s, %s connections)\n' config requests/s p50_ms p99_ms "$ROUNDS" "$SECONDS_PER_RUN" "$CONNECTIONS"
for config in minimal generated-10-hosts generated-10000-hosts; do
  printf '%-24s %14s %10s %10s\n' "$config" "$(median "$config" 3)" "$(median "$config" 4)" "$(median "$config" 5)"
done
awk -F, 'NR > 1 { printf "%s-%s %s\n", $2, $1, $3 }' "$results/bench.csv" > "$work/plot.dat"
gnuplot <<PLOT
set terminal pngcairo size 900,500 noenhanced
set output "$results/bench.png"
set title "HAProxy requests/s per run (ENV=$ENVIRONMENT, wrk -c$CONNECTIONS, ${SECONDS_PER_RUN}s runs, alternating)"
set style fill solid 0.6
set boxwidth 0.7
set xtics rotate by -30
set ylabel "requests/s"
set yrange [0:*]
plot "$work/plot.dat" using 0:2:xtic(1) with boxes notitle
PLOT
ratio=$(awk -v a="$(median generated-10-hosts 3)" -v b="$(median minimal 3)" 'BEGIN { printf "%.2f", a / b }')
scale=$(awk -v a="$(median generated-10000-hosts 3)" -v b="$(median generated-10-hosts 3)" 'BEGIN { printf "%.2f", a / b }')
echo "bench: wrote $results/bench.csv and $results/bench.png"
echo "bench: generated/minimal throughput ratio $ratio, 10k/10 hosts ratio $scale"
