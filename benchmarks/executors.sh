#!/usr/bin/env bash
# The shipped sweep (scenarios/sweep_levers.toml, 224 runs) on 2 local workers, then on a Dask
# cluster (a scheduler and 2 single-threaded workers, separate processes on loopback), then a
# check that both wrote identical rows. Usage, from the repository root:
#   benchmarks/executors.sh [OUT]        (default OUT: benchmarks/out/executors)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/out/executors}
PORT=${PORT:-8786}
rm -rf "$OUT"; mkdir -p "$OUT"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "pool: %e s wall, %U s user CPU (parent and workers)" \
  .venv/bin/simulation sweep scenarios/sweep_levers.toml --workers 2 --out "$OUT/pool" --no-progress > "$OUT/pool.txt"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Dask's sampling profiler costs this pure-Python model ~45 % CPU per run: off on the workers.
export DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False
.venv/bin/dask scheduler --host 127.0.0.1 --port "$PORT" --no-dashboard > "$OUT/scheduler.log" 2>&1 &
SCHED=$!
trap 'kill $SCHED ${WORKERS:-} 2>/dev/null || true' EXIT
sleep 3
.venv/bin/dask worker "tcp://127.0.0.1:$PORT" --nworkers 2 --nthreads 1 --no-dashboard --host 127.0.0.1 > "$OUT/workers.log" 2>&1 &
WORKERS=$!
sleep 8
/usr/bin/time -f "dask: %e s wall, %U s user CPU (client only)" \
  .venv/bin/simulation sweep scenarios/sweep_levers.toml --scheduler "tcp://127.0.0.1:$PORT" --out "$OUT/dask" --no-progress > "$OUT/dask.txt"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/python - "$OUT" <<'PY'
import sys

import pandas as pd

out = sys.argv[1]
timing = ["seconds", "cpu_seconds"]
a = pd.read_parquet(f"{out}/pool/runs.parquet")
b = pd.read_parquet(f"{out}/dask/runs.parquet")
pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing), check_exact=True)
pd.testing.assert_frame_equal(
    pd.read_csv(f"{out}/pool/sobol.csv"), pd.read_csv(f"{out}/dask/sobol.csv"), check_exact=True
)
print(f"identical: {len(a)} rows x {a.shape[1] - 2} columns (check_exact), and sobol.csv")
for name, r in (("pool", a), ("dask", b)):
    print(
        f"{name}: run wall mean {r.seconds.mean():.3f} s (median {r.seconds.median():.3f}), "
        f"CPU mean {r.cpu_seconds.mean():.3f} s, failed {(r.status != 'ok').sum()}"
    )
PY
