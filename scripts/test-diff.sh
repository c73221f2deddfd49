#!/usr/bin/env bash
# Proves `make diff` on a scratch clone: one commit changes a rule, the next changes a port that
# forces a new target group. The diff must name the changed haproxy.cfg line and the new rules
# version, say the rules roll out in place with the launch template unchanged, and flag the
# replacement loudly.
set -euo pipefail
top=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$top" "$scratch/repo"
cd "$scratch/repo"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid

failures=0
expect() { # expect <output file> <fixed string> <what>
  if grep -qF -- "$2" "$1"; then echo "diff-test: ok: $3"; else echo "diff-test: FAILED: $3 (no '$2')"; failures=$((failures + 1)); fi
}
expect_not() { # expect_not <output file> <fixed string> <what>
  if grep -qF -- "$2" "$1"; then echo "diff-test: FAILED: $3 ('$2' is there)"; failures=$((failures + 1)); else echo "diff-test: ok: $3"; fi
}

sed -i 's/Rule.SetHeader("X-Environment", "dev")/Rule.SetHeader("X-Environment", "dev-changed")/' infra/Environments/Environments.cs
git commit --quiet -am "dev: change one rule"
make diff BASE=HEAD~1 > "$scratch/rule.txt" 2>&1
expect "$scratch/rule.txt" "-    http-request set-header X-Environment dev" "the old haproxy.cfg line"
expect "$scratch/rule.txt" "+    http-request set-header X-Environment dev-changed" "the new haproxy.cfg line"
expect "$scratch/rule.txt" "[~] AWS::AppConfig::HostedConfigurationVersion Cluster/Rules ClusterRules" "the new rules version"
expect "$scratch/rule.txt" "summary: dev: changed; no resource replaced; rules roll out in place, no instance replaced" "the dev summary"
expect_not "$scratch/rule.txt" "AWS::EC2::LaunchTemplate" "no launch template change"
expect "$scratch/rule.txt" "summary: prod: unchanged" "the prod summary"
expect "$scratch/rule.txt" '"bundle":"(base64, folded' "the bundle's base64 folded"
expect_not "$scratch/rule.txt" "H4sI" "no gzip base64 left"

perl -0pi -e 's/DefaultPool = "web",/DefaultPool = "web",\n            Listeners = new Listeners { HttpPort = 8080 },/' infra/Environments/Environments.cs
git commit --quiet -am "dev: move HAProxy's HTTP port"
make diff BASE=HEAD~1 > "$scratch/port.txt" 2>&1
expect "$scratch/port.txt" "AWS::ElasticLoadBalancingV2::TargetGroup ClusterHttpTargets20BAFCB8 (replace)" "the replaced target group"
expect "$scratch/port.txt" "!!! dev: this change REPLACES the load balancer or a target group" "the loud warning"
make diff BASE=HEAD~1 > "$scratch/again.txt" 2>&1
expect "$scratch/again.txt" "was synthesized before; reusing" "the same base not synthesized again"
expect "$scratch/again.txt" "ClusterHttpTargets20BAFCB8 (replace)" "the same diff from the reused base"

if [ "$failures" -ne 0 ]; then
  echo "--- rule diff ---"; cat "$scratch/rule.txt"
  echo "--- port diff ---"; cat "$scratch/port.txt"; echo "--- port diff again ---"; cat "$scratch/again.txt"
  exit 1
fi
echo "diff-test: make diff names changed lines and resources and flags replacements"
