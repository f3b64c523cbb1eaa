#!/usr/bin/env bash
# Runs every test crossboard has, on a fresh machine: installs what the tests
# need, checks formatting and lints, then runs unit, property, integration,
# crash and browser tests. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (https://rustup.rs)" >&2
  exit 1
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Benchmarks must keep compiling; they are run on purpose, not in CI.
cargo bench --no-run
cargo test --all-features
