#!/usr/bin/env bash
# make local-test: the local cluster comes up and serves through its front with an environment
# whose HTTP port, health port and health path are not the defaults. local.sh takes all three
# from the renderer, so a copy of a default anywhere in it would leave the nodes DOWN in the front
# or the requests refused. The echo backend then shows what the rules did to a request.
set -euo pipefail
# shellcheck source=scripts/local.sh disable=SC1091
source "$(dirname "$0")/local.sh"
trap down EXIT
export HEALTH_INTERVAL=1s

up dev --http-port 8080 --health-port 9090 --health-path /ready
fail() { echo "local-test: $*" >&2; exit 1; }
grep -qx '    bind :8080 accept-proxy name http' "$LOCAL_DIR/node1/haproxy/haproxy.cfg" || fail "node1 does not listen on 8080"
grep -qx '    monitor-uri /ready' "$LOCAL_DIR/node1/haproxy/haproxy.cfg" || fail "node1's health path is not /ready"

reply=$(curl -fsS --max-time 5 -H 'Host: app.example.com' -H 'X-Forwarded-Host: spoofed.example.com' "http://127.0.0.1:$FRONT_HTTP/some/path?x=1")
echo "local-test: the backend received: $reply"
expect() { [[ $reply == *"$1"* ]] || fail "the reply lacks $1"; }
expect '"pool":"web"'
expect '"path":"\/some\/path"' # json() escapes '/' as '\/', valid JSON
expect '"query":"x=1"'
expect 'x-environment: dev'     # the dev environment's SetHeader rule
expect 'x-forwarded-proto: http'
[[ $reply != *spoofed* ]] || fail "the DeleteHeader(X-Forwarded-Host) rule did not apply"
echo "local-test: nodes on :8080 with health on :9090/ready served through the front"
