#!/bin/sh
# bench/ablation.sh — the ablation tables of bench/ABLATION.md: every row of
# bench/ablation/<problem>.yaml trained with the same time budget on 1 thread.
# Two problems run side by side (one core each on a 2-core machine).
#
#   sh bench/ablation.sh [SECONDS] [OUTDIR]      (default 180 s per row, runs/ablation-<date>)
#
# Each problem's table (error, published target, wall time, steps, steps/s) is
# written to OUTDIR/<problem>.md by `noether bench`.
set -eu
T=${1:-180}
OUT=${2:-runs/ablation-$(date +%Y%m%d-%H%M)}
BIN=${NOETHER:-build/noether}
export OMP_WAIT_POLICY=passive
mkdir -p "$OUT"
for p in allen_cahn advection; do
    "$BIN" bench --catalogue bench/ablation/$p.yaml --threads 1 --time-limit "$T" \
        --out "$OUT/$p" --table "$OUT/$p.md" > "$OUT/$p.log" 2>&1 &
done
wait
cat "$OUT"/allen_cahn.md "$OUT"/advection.md
