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

# The browser tests (tests/browser.rs) drive Debian's headless Chromium over
# chromedriver; they fail rather than skip without it.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends chromium chromium-driver
fi

# The accessibility check (tests/browser_people.rs) injects axe-core from
# npm into Chromium; installed under target/ so the repo stays clean.
if [ ! -f target/axe/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends npm
  fi
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix target/axe axe-core@4
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Benchmarks must keep compiling; they are run on purpose, not in CI.
cargo bench --no-run
results=$(mktemp)
trap 'rm -f "$results"' EXIT
cargo test --all-features 2>&1 | tee "$results"
# The live API against its own OpenAPI document: no 5xx, no response that
# breaks its schema (installs schemathesis from PyPI when missing).
bash scripts/schemathesis.sh
# One closing line for the whole run: cargo's last "test result" is the
# doc-tests' (0 of them), which says nothing about the hundreds above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$results"

