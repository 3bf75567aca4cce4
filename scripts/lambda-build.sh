#!/usr/bin/env bash
# Release-builds every Lambda handler the template deploys, the way `sam build` does it
# (cargo lambda, arm64), and checks that each bootstrap stays under the size budget.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"

max_bytes=$((6 * 1024 * 1024))
arch_flag="--arm64"
target="aarch64-unknown-linux-gnu"

# The handlers are exactly the binaries named in the template (Metadata.BuildProperties.Binary).
mapfile -t bins < <(sed -n 's/^[[:space:]]*Binary:[[:space:]]*\([A-Za-z0-9_-]*\).*/\1/p' template.yaml | sort -u)
if [ "${#bins[@]}" -eq 0 ]; then
  echo "no handler binaries found in template.yaml" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target"
fi

args=()
for b in "${bins[@]}"; do args+=(--bin "$b"); done
cargo lambda build --release "$arch_flag" "${args[@]}"

out_dir="${CARGO_TARGET_DIR:-$root/target}/lambda"
status=0
printf '%-18s %12s\n' binary bytes
for b in "${bins[@]}"; do
  f="$out_dir/$b/bootstrap"
  if [ ! -f "$f" ]; then
    echo "missing $f" >&2
    status=1
    continue
  fi
  size=$(stat -c %s "$f")
  printf '%-18s %12d\n' "$b" "$size"
  if [ "$size" -ge "$max_bytes" ]; then
    echo "$b: bootstrap is $size bytes, over the $max_bytes byte budget" >&2
    status=1
  fi
done
exit "$status"
