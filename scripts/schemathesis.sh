#!/usr/bin/env bash
# Fuzzes the live HTTP API with schemathesis, driven by the server's own
# OpenAPI document: starts `crossboard serve --demo` on a free port with a
# leader token, and fails on any 5xx, any response that breaks its schema,
# an undocumented status code or a wrong content type. Installs schemathesis
# from PyPI when it is missing. scripts/test.sh calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v schemathesis >/dev/null; then
  python3 -m pip install --quiet schemathesis \
    || python3 -m pip install --quiet --break-system-packages schemathesis
fi

cargo build --quiet --bin crossboard
work=$(mktemp -d)
token="schemathesis-leader-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
CROSSBOARD_LEADER_TOKEN="$token" target/debug/crossboard serve --demo --demo-every 1 \
  --addr 127.0.0.1:0 --data "$work/data" >"$work/stdout" 2>"$work/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

base=""
for _ in $(seq 1 120); do
  base=$(sed -n 's/^crossboard listening on //p' "$work/stdout" | head -n1)
  [ -n "$base" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$work/stderr" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "crossboard did not start" >&2
  cat "$work/stderr" >&2
  exit 1
fi

# The websocket cannot be fuzzed as plain HTTP; the pages are not the API.
# Run from the temp dir so its cache (.schemathesis/) stays out of the repo.
cd "$work"
schemathesis --no-color run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --exclude-path /api/v1/live \
  --exclude-tag web \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed "${SCHEMATHESIS_SEED:-1}"

if grep -q "panicked" "$work/stderr"; then
  echo "crossboard panicked during the run:" >&2
  grep -A5 "panicked" "$work/stderr" >&2
  exit 1
fi
