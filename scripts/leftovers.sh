#!/usr/bin/env bash
# make test's last step: fails when a process its tests started is still running, and stops it.
# Every test command runs with the marker given (NAME=value) in its environment, which every
# process it starts inherits, daemons that forked away from their test (rsyslogd, haproxy -D) too.
# Usage: scripts/leftovers.sh NAME=value
set -euo pipefail
readonly marker=${1:?usage: $0 NAME=value}

# This script and the make that runs it may carry the marker themselves; they are not leftovers.
parent_of() { # the fourth field of /proc/PID/stat, read after the name, which may hold spaces
  local stat
  stat=$(< "/proc/$1/stat") || return 1
  stat=${stat##*) }
  read -r _ parent _ <<< "$stat"
  echo "$parent"
}

ancestors=" $$ "
pid=$$
while [ "$pid" -gt 1 ]; do
  pid=$(parent_of "$pid")
  ancestors+="$pid "
done

leftovers=()
for dir in /proc/[0-9]*; do
  p=${dir#/proc/}
  [[ $ancestors == *" $p "* ]] && continue
  # Children of this script (the subshells and grep below) are not leftovers either.
  parent=$(parent_of "$p" 2> /dev/null) || continue
  [ "$parent" = $$ ] && continue
  if grep -qzxF -- "$marker" "$dir/environ" 2> /dev/null; then leftovers+=("$p"); fi
done

if [ ${#leftovers[@]} -eq 0 ]; then
  echo "leftovers: no process started by the tests is still running"
  exit 0
fi
echo "leftovers: ${#leftovers[@]} process(es) started by the tests are still running; stopping them:" >&2
ps -o pid=,ppid=,args= -p "$(IFS=,; echo "${leftovers[*]}")" >&2 || true
kill -9 "${leftovers[@]}" 2> /dev/null || true
exit 1
