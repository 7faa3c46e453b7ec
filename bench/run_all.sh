#!/usr/bin/env bash
# Every benchmark of issue #8, on SQLite and (when PG_URL names a bench_* database, e.g.
# PG_URL=postgresql://postgres@127.0.0.1/bench_all) on PostgreSQL. Each prints its figures as
# the last line; BENCHMARKS.md records them. Takes about 30 minutes with the defaults
# (1 000 000 members for the jobs, 10 000 recipients for each broadcast).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
MEMBERS=${MEMBERS:-1000000}
RECIPIENTS=${RECIPIENTS:-10000}
urls=("")
if [[ -n "${PG_URL:-}" ]]; then urls+=("$PG_URL"); fi

$PY -m bench.card_render 200 | tail -n 1
for url in "${urls[@]}"; do
  $PY -m bench.throughput --database-url "$url" | tail -n 1
  $PY -m bench.jobs --database-url "$url" --members "$MEMBERS" | tail -n 1
  $PY -m bench.broadcast --database-url "$url" --recipients "$RECIPIENTS" | tail -n 1
  $PY -m bench.footprint --database-url "$url" | tail -n 1
done
