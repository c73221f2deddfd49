#!/usr/bin/env bash
# make synth's last step: every environment's bundle, exactly as a node holds it under
# /etc/haproxy, passes `haproxy -c` on the HAProxy the nodes run (3.0, in the Debian 13 root that
# `make tools` builds), with no warning. A refused bundle fails synthesis with the environment's
# name and HAProxy's own message, before anything reaches `cdk deploy`.
# Usage: scripts/check-bundles.sh CDK_OUT (the root: $HAPROXY30_ROOT)
set -euo pipefail
readonly out=${1:?usage: $0 CDK_OUT} root=${HAPROXY30_ROOT:?HAPROXY30_ROOT names the Debian 13 root}
version=$(chroot "$root" haproxy -v | awk 'NR == 1 { print $3 }')

failed=0
for bundle in "$out"/node-files/*/etc/haproxy; do
  env=${bundle#"$out"/node-files/}
  env=${env%%/*}
  # The bundle is mounted over the root's /etc/haproxy in a private mount namespace, so every
  # path haproxy.cfg names (maps, pages) is the one it has on a node.
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
  if output=$(unshare --mount --propagation private bash -c 'mount --bind "$1" "$2/etc/haproxy" && chroot "$2" haproxy -c -f /etc/haproxy/haproxy.cfg' _ "$bundle" "$root" 2>&1) \
    && ! grep -qE 'WARNING|ALERT' <<< "$output"; then
    echo "synth: $env: haproxy -c $version accepts the bundle"
  else
    echo "synth: $env: haproxy -c $version refuses the bundle:" >&2
    while IFS= read -r line; do echo "synth: $env: $line"; done <<< "$output" >&2
    failed=1
  fi
done
exit "$failed"
