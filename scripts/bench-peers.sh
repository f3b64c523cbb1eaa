#!/usr/bin/env bash
# Durable ingest, side by side on this machine, in one run:
#   crossboard  HTTP POST /api/v1/events, 64 clients, ack after flush
#   Redis       appendfsync always, EVAL of ZINCRBY + XADD per event, 64 clients
#   PostgreSQL  INSERT per event with synchronous_commit on, 64 clients
# Every server listens on loopback only and stops when the script ends.
# Usage: bash scripts/bench-peers.sh [seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
clients=64
tmp=$(mktemp -d /tmp/crossboard-peers.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${pgbin:-}" ] && su postgres -c "$pgbin/pg_ctl -D $tmp/pg -m fast stop" >/dev/null 2>&1 || true
  redis-cli -p 16379 shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

need=()
command -v redis-server >/dev/null || need+=(redis-server redis-tools)
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

cargo build --release --bin crossboard --bin loadgen >/dev/null 2>&1

echo "== crossboard ($clients clients, ${secs}s)"
./target/release/crossboard serve --addr 127.0.0.1:18080 --data "$tmp/crossboard" >"$tmp/cb.out" 2>"$tmp/cb.err" &
pids+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.1; done
cb=$(./target/release/loadgen --url http://127.0.0.1:18080 --clients $clients --seconds "$secs")
echo "$cb"
cb_rate=$(echo "$cb" | sed -E 's/.*= ([0-9]+) events\/s.*/\1/')
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

echo "== Redis appendfsync always ($clients clients)"
redis-server --port 16379 --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync always --save '' --daemonize yes >/dev/null
sleep 0.5
requests=$((secs * 40000))
redis_out=$(redis-benchmark -p 16379 -c $clients -n $requests -r 10000 -q \
  EVAL "redis.call('ZINCRBY','board:week',10,KEYS[1]); return redis.call('XADD','log','*','type','lead_given','seller',KEYS[1])" 1 seller:__rand_int__ 2>&1 | tr '\r' '\n' | grep 'requests per second' | tail -n 1)
echo "$redis_out"
redis_rate=$(echo "$redis_out" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/' | cut -d. -f1)

echo "== PostgreSQL synchronous_commit on ($clients clients, ${secs}s)"
chown postgres "$tmp"
su postgres -c "$pgbin/initdb -D $tmp/pg -A trust" >/dev/null
su postgres -c "$pgbin/pg_ctl -D $tmp/pg -l $tmp/pg.log -o '-p 15432 -k $tmp -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on -c max_connections=100' -w start" >/dev/null
su postgres -c "$pgbin/psql -h $tmp -p 15432 -q -c \"CREATE TABLE events (seq bigserial PRIMARY KEY, id text UNIQUE, type text, data jsonb, recorded_at timestamptz DEFAULT now())\" postgres"
cat >"$tmp/insert.sql" <<'SQL'
\set s random(1, 10000000000)
INSERT INTO events (id, type, data) VALUES ('e' || :s || '-' || random(), 'lead_given', '{"from": "anna", "to_division": "energy", "customer": "Volvo"}');
SQL
chmod 644 "$tmp/insert.sql"
pg_out=$(su postgres -c "$pgbin/pgbench -h $tmp -p 15432 -n -c $clients -j 2 -T $secs -f $tmp/insert.sql postgres" 2>&1 | grep -E '^tps' | head -n 1)
echo "$pg_out"
pg_rate=$(echo "$pg_out" | sed -E 's/tps = ([0-9.]+).*/\1/' | cut -d. -f1)

echo
echo "== summary (events/s, durable, $clients clients)"
echo "crossboard $cb_rate | redis $redis_rate | postgresql $pg_rate"
awk -v c="$cb_rate" -v r="$redis_rate" -v p="$pg_rate" 'BEGIN { printf "crossboard/redis = %.2f  crossboard/postgresql = %.2f\n", c/r, c/p }'
