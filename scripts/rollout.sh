#!/usr/bin/env bash
# make rollout ENV=dev [ARGS='…']: the working tree's rules (with 'local rules' options in ARGS:
# --tenants N, --rules-version V, --fault check|health, --strategy-of ENV) rolled out to the running
# local cluster through the AppConfig stand-in, a minute of the strategy lasting
# ROLLOUT_SECONDS_PER_MINUTE s (10). Prints when each node applied it, refused it or never got it;
# fails when one did not apply it or it took longer than the 20 s budget.
set -euo pipefail
# shellcheck source=scripts/local.sh disable=SC1091
source "$(dirname "$0")/local.sh"

readonly BUDGET_SECONDS=20
read_topology
running=$(cat "$LOCAL_DIR/env")
[ "${ENV:-$running}" = "$running" ] || { echo "rollout: the local cluster runs $running, not $ENV; make local-down, then make local ENV=$ENV" >&2; exit 2; }

rendered=$(render_rules "$LOCAL_DIR/rules-next.json" --seconds-per-minute "${ROLLOUT_SECONDS_PER_MINUTE:-10}" "$@")
read -r query sha <<< "$rendered"
echo "rollout: bundle $sha to $running's $NODES nodes ($query)"
rollout "$LOCAL_DIR/rules-next.json" "$query" "$sha" 120
if [ "$ROLLOUT_REFUSED" -gt 0 ] || [ "$ROLLOUT_STATE" = RolledBack ]; then echo "rollout: the version was refused; every node runs the previous rules" >&2; exit 1; fi
awk -v s="$ROLLOUT_LIVE" -v b="$BUDGET_SECONDS" 'BEGIN { exit !(s <= b) }' || { echo "rollout: over the ${BUDGET_SECONDS} s budget" >&2; exit 1; }
