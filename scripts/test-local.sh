#!/usr/bin/env bash
# make local-test: the local cluster serves through its front with an HTTP port, health port and
# health path that are not the defaults (a default copied into local.sh would leave nodes DOWN);
# the echo shows what the rules did to a request; make scale and make burst work; HTTP/2 and
# HTTP/1.1 reach a backend through the TLS-origin port, each logged with its protocol; and an
# upgraded connection outlives an idle period longer than the nodes' keepalive time.
set -euo pipefail
# shellcheck source=scripts/local.sh disable=SC1091
source "$(dirname "$0")/local.sh"
trap down EXIT
export FRONT_CHECK_MS=1000

readonly KEEPALIVE_SECONDS=2 IDLE_SECONDS=7
up dev --http-port 8080 --health-port 9090 --health-path /ready --keepalive-seconds "$KEEPALIVE_SECONDS"
fail() { echo "local-test: $*" >&2; exit 1; }
grep -qx '    bind :8080 accept-proxy name http' "$LOCAL_DIR/node1/haproxy/haproxy.cfg" || fail "node1 does not listen on 8080"
grep -qx '    monitor-uri /ready' "$LOCAL_DIR/node1/haproxy/haproxy.cfg" || fail "node1's health path is not /ready"

reply=$(curl -fsS --max-time 5 -H "Host: $DEFAULT_HOST" -H 'X-Forwarded-Host: spoofed.example.com' "http://127.0.0.1:$FRONT_HTTP/some/path?x=1")
echo "local-test: the backend received: $reply"
expect() { [[ $reply == *"$1"* ]] || fail "the reply lacks $1"; }
expect "\"pool\":\"$DEFAULT_POOL\""
expect '"path":"\/some\/path"' # json() escapes '/' as '\/', valid JSON
expect '"query":"x=1"'
expect 'x-environment: dev'     # the dev environment's SetHeader rule
expect 'x-forwarded-proto: http'
[[ $reply != *spoofed* ]] || fail "the DeleteHeader(X-Forwarded-Host) rule did not apply"
echo "local-test: nodes on :8080 with health on :9090/ready served through the front"

# make scale and make burst, as the README gives them: a third instance serves on every node, and a
# burst from an address no rate limit exempts meets dev's limit (1,000 requests in 10 s a node).
"$top/scripts/local.sh" scale "$DISCOVERED_POOL" 3
local_cluster wait-slots --local-dir "$LOCAL_DIR" --pool "$DISCOVERED_POOL" --state Serving 3 > /dev/null || fail "make scale: instance 3 never served"
burst=$("$top/scripts/local.sh" burst 4000) && echo "$burst"
[[ $burst == *" x 429"* && $burst == *" x 200"* ]] || fail "make burst met no rate limit"

# HTTP/2 and HTTP/1.1 on the front's HTTPS port, each recorded with its protocol in the access log:
# TLS to the nodes' own bind with NodeTls (dev's: the local CA's certificate), else the clear TLS-origin bind.
https=() url="http://127.0.0.1:$FRONT_TLS" protocols=(--http2-prior-knowledge --http1.1)
if [ -n "$TLS_CERTIFICATES" ]; then
  site="${TLS_CERTIFICATES%% *}.local.test" protocols=(--http2 --http1.1)
  url="https://$site:$FRONT_TLS" https=(--cacert "$LOCAL_DIR/tls/ca.pem" --resolve "$site:$FRONT_TLS:127.0.0.1")
fi
for protocol in "${protocols[@]}"; do
  version=$(curl -fsS --max-time 5 -o /dev/null -w '%{http_version}' "${https[@]}" "$protocol" -H "Host: $DEFAULT_HOST" "$url/h2-check$protocol")
  echo "local-test: curl $protocol through the front's HTTPS port ($url): HTTP/$version 200"
done
logged() { wait_until 5 grep -qE "$1" "$LOCAL_DIR"/node*/haproxy.log || fail "no access log line matches $1"; }
logged "\"protocol\":\"HTTP/2.0\",\"uri\":\"[^\"]*/h2-check${protocols[0]}\""
logged '"protocol":"HTTP/1.1","uri":"[^"]*/h2-check--http1.1"'
echo "local-test: the access log records HTTP/2.0 and HTTP/1.1"

# An upgraded connection, idle for longer than the keepalive time, then used again.
keepalive_probes() { # probes sent from every node's namespace so far
  for n in $(seq 1 "$NODES"); do ip netns exec "$(node_ns "$n")" nstat -asz TcpExtTCPKeepAlive; done | awk '$1 == "TcpExtTCPKeepAlive" { sum += $2 } END { print sum + 0 }'
}
open_tunnel 127.0.0.1 "$FRONT_HTTP" || fail "the Upgrade request was answered '$TUNNEL_STATUS'"
tunnel=$TUNNEL
echo_line() { printf '%s\n' "$1" >&"$tunnel" && IFS= read -r -t 5 back <&"$tunnel" && [ "$back" = "$1" ]; }
echo_line "before the idle period" || fail "the tunnel does not echo"
probes_before=$(keepalive_probes)
sleep "$IDLE_SECONDS"
probes=$(($(keepalive_probes) - probes_before))
timers=$(for n in $(seq 1 "$NODES"); do ip netns exec "$(node_ns "$n")" ss -tnoH state established; done | grep -o 'timer:(keepalive,[^)]*)' | sort | uniq -c | tr -s ' ' | paste -sd, -)
echo_line "after $IDLE_SECONDS s idle" || fail "the tunnel did not survive $IDLE_SECONDS s idle"
exec {tunnel}>&-
[ "$probes" -ge 2 ] || fail "only $probes keepalive probes in $IDLE_SECONDS s idle; expected the node to probe both sides every $KEEPALIVE_SECONDS s"
echo "local-test: an upgraded connection idle for $IDLE_SECONDS s (keepalive after $KEEPALIVE_SECONDS s) still echoes; $probes keepalive probes sent by the nodes; node sockets: $timers"
