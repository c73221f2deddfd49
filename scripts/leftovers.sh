#!/usr/bin/env bash
# make test's last step: fails when a process its tests started is still running, and stops it.
# Every test command runs with the marker given (NAME=value) in its environment, which every
# process it starts inherits, daemons that forked away from their test (rsyslogd, haproxy -D) too.
# Usage: scripts/leftovers.sh NAME=value
set -euo pipefail
readonly marker=${1:?usage: $0 NAME=value}

declare -A parent_of
while read -r pid parent; do parent_of[$pid]=$parent; done < <(ps -e -o pid=,ppid=)
# This script, its children and the make that runs it may carry the marker; they are not leftovers.
ancestors=" " pid=$$
while [ "$pid" -gt 1 ]; do ancestors+="$pid " pid=${parent_of[$pid]:-1}; done

leftovers=()
for p in "${!parent_of[@]}"; do
  [[ $ancestors == *" $p "* || ${parent_of[$p]} == "$$" ]] && continue
  if grep -qzxF -- "$marker" "/proc/$p/environ" 2> /dev/null; then leftovers+=("$p"); fi
done

if [ ${#leftovers[@]} -eq 0 ]; then
  echo "leftovers: no process started by the tests is still running"
  exit 0
fi
echo "leftovers: ${#leftovers[@]} process(es) started by the tests are still running; stopping them:" >&2
ps -o pid=,ppid=,args= -p "$(IFS=,; echo "${leftovers[*]}")" >&2 || true
kill -9 "${leftovers[@]}" 2> /dev/null || true
exit 1
