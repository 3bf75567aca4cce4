#!/usr/bin/env bash
# Browser tests of the local console: Debian's Chromium driven by Playwright (Python), against
# the real `local` binary. scripts/test.sh runs this; on its own it needs .venv (requirements-dev.txt).
#
#   bash scripts/browser-tests.sh                     # screenshots in a temporary folder
#   SCREENSHOTS=docs bash scripts/browser-tests.sh    # regenerates docs/console-*.png
#
# Installs Chromium with apt-get when /usr/bin/chromium is missing (Playwright's own browser
# download is not used), builds the debug `local` binary, runs crates/local/tests/browser.
# Screenshots of each view go to a temporary folder, which the run prints, so the tests leave
# the source tree clean; SCREENSHOTS=<folder> (relative to the repository root) writes them there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "installing Chromium (Debian package chromium)" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium >/dev/null
fi
"$chromium" --version

cargo build -p local --locked
export LOCAL_BIN="$target_dir/debug/local" CHROMIUM="$chromium"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -z "${SCREENSHOTS:-}" ]; then
  SCREENSHOTS="$(mktemp -d "${TMPDIR:-/tmp}/console-screenshots.XXXXXX")"
  echo "screenshots: $SCREENSHOTS (SCREENSHOTS=docs regenerates the README's)" >&2
fi
export SCREENSHOTS
exec env PYTHONDONTWRITEBYTECODE=1 "$root/.venv/bin/python" -m unittest discover -s crates/local/tests/browser -v
