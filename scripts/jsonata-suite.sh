#!/usr/bin/env bash
# Measures the JSONata evaluator against the official JSONata test suite (jsonata-js,
# tag v2.0.6, test/test-suite): the language version Step Functions runs. Prints failing
# cases, the groups they fall in and one summary line. A measurement, not a gate: it exits
# 0 whatever the pass rate.
#
#   scripts/jsonata-suite.sh
#   JSONATA_REPO=/path/to/jsonata.git scripts/jsonata-suite.sh   # a local clone (bare is fine)
#   JSONATA_SUITE_PROFILE=dev scripts/jsonata-suite.sh           # skip the slower release build
#   JSONATA_SUITE_SHOW=200 scripts/jsonata-suite.sh              # list more failing cases
#
# The suite is fetched into target/jsonata-suite/ (git-ignored) and never into the tree.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tag="v2.0.6"
dest="target/jsonata-suite/$tag"
suite="$dest/test/test-suite"

if [ ! -d "$suite/groups" ]; then
  rm -rf "$dest"
  mkdir -p "$dest"
  if [ -n "${JSONATA_REPO:-}" ]; then
    if ! git -C "$JSONATA_REPO" rev-parse --verify -q "$tag^{commit}" >/dev/null; then
      echo "$JSONATA_REPO has no tag $tag" >&2
      exit 2
    fi
    git -C "$JSONATA_REPO" archive "$tag" test/test-suite | tar -x -C "$dest"
  else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    git clone -q --depth 1 --branch "$tag" https://github.com/jsonata-js/jsonata "$tmp/jsonata"
    mkdir -p "$dest/test"
    cp -R "$tmp/jsonata/test/test-suite" "$dest/test/"
    rm -rf "$tmp"
    trap - EXIT
  fi
fi

case "${JSONATA_SUITE_PROFILE:-release}" in
  release) profile=(--release) ;;
  dev) profile=() ;;
  *) echo "JSONATA_SUITE_PROFILE must be release or dev" >&2; exit 2 ;;
esac

# The runner's last line is the summary.
status=0
cargo run "${profile[@]}" -q -p asl --example jsonata_suite -- "$suite" || status=$?
if [ "$status" -ne 0 ]; then
  echo "JSONata 2.0.6 suite: the runner failed (exit $status)" >&2
  exit "$status"
fi
