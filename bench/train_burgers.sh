#!/usr/bin/env bash
# Times `noether train` on the Burgers problems and reports the errors.
#   bench/train_burgers.sh [THREADS]
# Forward: problems/burgers.yaml (wall time from `date`, error against the exact
# Cole-Hopf solution, and against Raissi's burgers_shock.csv when ../shared/data
# exists). Inverse: problems/burgers_inverse.yaml (needs ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
out=${OUT:-/tmp/noether-bench}
mkdir -p "$out"
t0=$(date +%s.%N)
./build/noether train problems/burgers.yaml --out "$out/burgers" --threads "$threads" --progress lines
t1=$(date +%s.%N)
echo "forward Burgers: wall $(echo "$t1 - $t0" | bc) s (process start to exit)"
awk -F, 'NR>1 && $9!="" && $9+0 <= 1e-3 {print "first rel L2 <= 1e-3 at step " $1 ", " $10 " s of training (rel L2 " $9 ")"; exit}' "$out/burgers/history.csv"
if [ -f ../shared/data/burgers_shock.csv ]; then
    ./build/noether eval "$out/burgers" --reference ../shared/data/burgers_shock.csv
    ./build/noether train problems/burgers_inverse.yaml --out "$out/burgers_inverse" --threads "$threads" --progress lines
fi
