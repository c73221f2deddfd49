#!/usr/bin/env bash
# make diff BASE=<ref>: what this change does, readable offline and without AWS credentials.
# Synthesizes BASE (in a temporary git worktree) and the working tree, then for each stack prints
# the CloudFormation diff, a unified diff of its node files (haproxy.cfg, maps, user data), and a
# summary line that calls out replaced resources, loudest for the NLB and target groups, and says
# whether the change rolls rules out in place (AppConfig) or replaces the nodes.
# Exits 0 when the diff ran, whatever it found; non-zero only when it could not run.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

base=${BASE:-}
if [ -z "$base" ]; then
  if git rev-parse -q --verify origin/main > /dev/null; then base=origin/main; else base=HEAD~1; fi
fi
if ! git rev-parse -q --verify "$base^{commit}" > /dev/null; then
  echo "diff: '$base' is not a commit" >&2
  exit 2
fi

work=$(mktemp -d)
cleanup() {
  git worktree remove --force "$work/base" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

synth() { # synth <checkout> <out> <what>
  echo "diff: synthesizing $3" >&2
  if ! make -C "$1" synth CDK_OUT="$2" > "$2.log" 2>&1; then
    tail -n 40 "$2.log" >&2
    echo "diff: could not synthesize $3" >&2
    exit 2
  fi
}

git worktree add --detach --quiet "$work/base" "$base"
synth "$work/base" "$work/base-out" "$base ($(git rev-parse --short "$base"))"
synth . "$work/head-out" "the working tree"

echo '{}' > "$work/empty.template.json"
summary=()
stacks=$(find "$work/base-out" "$work/head-out" -maxdepth 1 -name '*.template.json' -printf '%f\n' | sed 's/\.template\.json$//' | sort -u)
for stack in $stacks; do
  env=${stack#HaproxyCluster-}
  before="$work/base-out/$stack.template.json"
  [ -f "$before" ] || before="$work/empty.template.json"
  echo "=================== $stack ==================="
  if [ -f "$work/head-out/$stack.template.json" ]; then
    npx --no-install cdk diff --app "$work/head-out" --template "$before" "$stack" > "$work/$stack.cfn" 2>&1 || true
  else
    echo "[-] the stack $stack is gone" > "$work/$stack.cfn"
  fi
  cat "$work/$stack.cfn"

  echo "------------------- node files: $env -------------------"
  (cd "$work" && diff -ruN "base-out/node-files/$env" "head-out/node-files/$env") > "$work/$stack.files" || true
  if [ -s "$work/$stack.files" ]; then cat "$work/$stack.files"; else echo "(no change)"; fi

  mapfile -t -O "${#summary[@]}" summary < <(dotnet local/bin/Debug/net10.0/HaproxyCluster.Local.dll diff-summary --env "$env" --cfn-diff "$work/$stack.cfn" --files-diff "$work/$stack.files")
done

echo "=================== summary (base $base) ==================="
printf '%s\n' "${summary[@]}"
