#!/usr/bin/env bash
# The one benchmark command: builds what it measures in release, then runs `bench`, which
# prints one table (figure | value | target | ok?) and the machine, and rewrites the
# generated part of docs/benchmarks.md.
#
#   scripts/bench.sh                 # everything (a few minutes once built)
#   BENCH_SKIP_CROSS=1 scripts/bench.sh   # skip the cargo-lambda builds (no size rows)
#   scripts/bench.sh --starts 10     # extra arguments go to the bench binary (--help)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TARGET_DIR="$target_dir"

# The handlers are exactly the binaries the template deploys (Metadata.BuildProperties.Binary).
mapfile -t bins < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*/\1/p' template.yaml | sort -u)
if [ "${#bins[@]}" -eq 0 ]; then
  echo "no handler binaries found in template.yaml" >&2
  exit 1
fi
pkgs=()
bin_args=()
for b in "${bins[@]}"; do pkgs+=(-p "$b"); bin_args+=(--bin "$b"); done

# The handlers on their own, as `sam build` builds them: built together with the bench, cargo
# would unify features into them (the bench's in-memory Jobs table), and the cold starts
# measured would be of other binaries than the ones deployed.
echo "== cargo build --release ${pkgs[*]}" >&2
cargo build --release "${pkgs[@]}"
echo "== cargo build --release -p local -p sfn-local -p bench" >&2
cargo build --release -p local -p sfn-local -p bench

lambda_args=()
if [ -z "${BENCH_SKIP_CROSS:-}" ]; then
  if command -v cargo-lambda >/dev/null 2>&1; then
    for arch in arm64 x86-64; do
      dir="$target_dir/bench-lambda/$arch"
      echo "== cargo lambda build --release --$arch (into $dir)" >&2
      if cargo lambda build --release "--$arch" --lambda-dir "$dir" "${bin_args[@]}"; then
        for b in "${bins[@]}"; do
          if [ -f "$dir/$b/bootstrap" ]; then
            rm -f "$dir/$b/bootstrap.zip"
            # Lambda's deployment package: the bootstrap alone at the zip root, deflated.
            (cd "$dir/$b" && zip -q -9 bootstrap.zip bootstrap)
          fi
        done
        lambda_args+=("--lambda-$arch" "$dir")
      else
        echo "cargo lambda build --$arch failed: no size rows for $arch" >&2
      fi
    done
  else
    echo "cargo-lambda not found (looked in $root/.venv/bin and PATH): no size rows" >&2
  fi
fi

exec "$target_dir/release/bench" --root "$root" --target-dir "$target_dir" "${lambda_args[@]}" "$@"
