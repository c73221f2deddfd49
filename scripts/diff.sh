#!/usr/bin/env bash
# make diff BASE=<ref>: what this change does, readable offline and without AWS credentials.
# Synthesizes BASE and the working tree, then prints a summary line per stack (replaced resources,
# loudest for the NLB and target groups; rules rolled out in place or nodes replaced), and under
# it, per stack, a unified diff of its node files (haproxy.cfg, maps, user data: the rules bundle
# decoded) and the CloudFormation diff, its base64 bundles folded.
# BASE is synthesized in a checkout kept in .build/diff, so its build outputs and agent stay warm,
# and not at all when its tree is the one synthesized last time.
# Exits 0 when the diff ran, whatever it found; non-zero only when it could not run.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

base=${BASE:-$(git rev-parse -q --verify origin/main > /dev/null && echo origin/main || echo HEAD~1)}
# The commit, resolved here: a relative ref (HEAD~1) would mean another commit in the base's checkout.
commit=$(git rev-parse -q --verify "$base^{commit}") || { echo "diff: '$base' is not a commit" >&2; exit 2; }
cache=$PWD/.build/diff tree=$(git rev-parse "$commit^{tree}") work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

synth() { # synth <checkout> <out> <what>
  echo "diff: synthesizing $3" >&2
  make -C "$1" synth CDK_OUT="$2" > "$2.log" 2>&1 || { tail -n 40 "$2.log" >&2; echo "diff: could not synthesize $3" >&2; exit 2; }
}

if [ "$(cat "$cache/base-out.tree" 2> /dev/null)" = "$tree" ]; then
  echo "diff: $base's tree ($tree) was synthesized before; reusing $cache/base-out" >&2
else
  rm -rf "$cache/base-out" "$cache/base-out.tree"
  [ -e "$cache/base/.git" ] || { git worktree prune && git worktree add --quiet --force --detach "$cache/base" "$commit"; }
  git -C "$cache/base" checkout --quiet --force --detach "$commit"
  synth "$cache/base" "$cache/base-out" "$base ($(git rev-parse --short "$commit"))"
  echo "$tree" > "$cache/base-out.tree"
fi
synth . "$work/head-out" "the working tree"

echo '{}' > "$work/empty.template.json" && ln -s "$cache/base-out" "$work/base-out"
summary=()
stacks=$(find "$work/base-out/" "$work/head-out" -maxdepth 1 -name '*.template.json' -printf '%f\n' | sed 's/\.template\.json$//' | sort -u)
for stack in $stacks; do
  env=${stack#HaproxyCluster-} before="$work/base-out/$stack.template.json"
  [ -f "$before" ] || before="$work/empty.template.json"
  if [ -f "$work/head-out/$stack.template.json" ]; then
    npx --no-install cdk diff --app "$work/head-out" --template "$before" "$stack" 2>&1 \
      | sed -E 's/"bundle":"[^"]*"/"bundle":"(base64, folded: the node files show what it holds)"/g' > "$work/$stack.cfn" || true
  else
    echo "[-] the stack $stack is gone" > "$work/$stack.cfn"
  fi
  (cd "$work" && diff -ruN "base-out/node-files/$env" "head-out/node-files/$env") > "$work/$stack.files" || true
  mapfile -t -O "${#summary[@]}" summary < <(dotnet local/bin/Debug/net10.0/HaproxyCluster.Local.dll diff-summary --env "$env" --cfn-diff "$work/$stack.cfn" --files-diff "$work/$stack.files")
done

echo "=================== summary (base $base) ==================="
printf '%s\n' "${summary[@]}"
for stack in $stacks; do
  echo "=================== $stack: node files ==================="
  if [ -s "$work/$stack.files" ]; then cat "$work/$stack.files"; else echo "(no change)"; fi
  echo "=================== $stack: CloudFormation ==================="
  cat "$work/$stack.cfn"
done
