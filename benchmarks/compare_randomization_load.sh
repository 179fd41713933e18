#!/bin/bash
# The randomization load (and crash) run of two commits, alternated on the same machine, so
# that both see the same conditions: `bash benchmarks/compare_randomization_load.sh OLD [NEW]`
# (NEW: the working tree). Each round prints throughput, p50/p99 and every integrity check.
set -euo pipefail
old=${1:?give the older commit}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
git -C "$repo" worktree add -q --detach "$tmp/old" "$old"
trap 'git -C "$repo" worktree remove --force "$tmp/old"' EXIT
for round in 1 2; do
  for tree in "$tmp/old" "$repo"; do
    echo "=== round $round: $(git -C "$tree" log --oneline -1 | cut -c1-60) $(date +%T)" \
         "load $(cut -d' ' -f1 /proc/loadavg)"
    extra=$([ "$round" = 2 ] && echo --skip-crash || true)
    (cd "$tree" && PYTHONPATH="$tree" GVHDTRIAL_HOME=$(mktemp -d) \
      "$repo/.venv/bin/python" benchmarks/bench_randomization_load.py $extra)
  done
done
