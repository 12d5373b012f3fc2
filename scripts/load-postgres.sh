#!/usr/bin/env bash
# Load run for "Running at scale": two instances (INSTANCES) of the server on one
# PostgreSQL database, driven together by campaign-load; prints each run's
# throughput and latency, then checks that both instances show the
# database's exact total. Not part of the tests.
#
#   scripts/load-postgres.sh                      # 3 runs of 20 s, 64 connections
#   RUNS=5 DURATION=30s CONNS=128 INSTANCES=3 scripts/load-postgres.sh
#   PG=postgres://user:pw@host:5432/postgres scripts/load-postgres.sh
#
# PG names a server and a database the role may CREATE DATABASE from; a
# database campaign_load_<pid> is created for the run and dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-20s}"
CONNS="${CONNS:-64}"
INSTANCES="${INSTANCES:-2}"
PORTS=()
for i in $(seq 1 "$INSTANCES"); do PORTS+=($((8090 + i))); done

work="$(mktemp -d)"
db="campaign_load_$$"
dburl="$(printf '%s' "$PG" | sed -E "s#/[^/?]*(\?|$)#/$db\1#")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/campaign" ./cmd/campaign
go build -o "$work/campaign-load" ./cmd/campaign-load
psql "$PG" -qc "CREATE DATABASE $db" >/dev/null
openssl rand -hex 32 > "$work/secret.key"
chmod 600 "$work/secret.key"

# The first instance migrates; both then start together.
CAMPAIGN_DATABASE="$dburl" CAMPAIGN_SECRET_KEY_FILE="$work/secret.key" "$work/campaign" migrate >/dev/null
urls=()
for port in "${PORTS[@]}"; do
  mkdir -p "$work/$port"
  CAMPAIGN_DATABASE="$dburl" CAMPAIGN_SECRET_KEY_FILE="$work/secret.key" CAMPAIGN_DATA_DIR="$work/$port" \
    CAMPAIGN_ADDR="127.0.0.1:$port" CAMPAIGN_RATE_LIMIT=off CAMPAIGN_LOG_LEVEL=warn \
    "$work/campaign" serve >"$work/$port/log" 2>&1 &
  pids+=($!)
  urls+=("http://127.0.0.1:$port")
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done

echo "$INSTANCES instance(s) on PostgreSQL $(psql "$PG" -Atc 'show server_version'), synchronous_commit=$(psql "$PG" -Atc 'show synchronous_commit'), fsync=$(psql "$PG" -Atc 'show fsync')"
all="$(IFS=,; echo "${urls[*]}")"
rates=()
for run in $(seq 1 "$RUNS"); do
  out="$("$work/campaign-load" -mode sign -c "$CONNS" -d "$DURATION" -url "$all" 2>&1)"
  rate="$(printf '%s\n' "$out" | sed -nE 's/^throughput: ([0-9]+) requests\/s/\1/p')"
  echo "run $run: $rate signatures/s; $(printf '%s\n' "$out" | grep -E '^(latency|statuses)' | tr '\n' ' ')"
  rates+=("$rate")
done
median="$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "median: $median signatures/s"

sleep 2 # counts refresh every second
stored="$(psql "$dburl" -Atc 'SELECT COUNT(*) FROM signatures')"
for url in "${urls[@]}"; do
  shown="$(curl -fs "$url/api/petitions/coordinated-sanctions" | sed -nE 's/.*"total":([0-9]+).*/\1/p')"
  echo "$url shows $shown; database holds $stored"
  [ "$shown" = "$stored" ] || { echo "MISMATCH"; exit 1; }
done
for pid in "${pids[@]}"; do grep VmHWM "/proc/$pid/status" | sed "s/^/instance $pid peak memory: /"; done
