#!/usr/bin/env bash
# Runs every test binary given, prints each one's output, and closes with the
# totals as "N passed, N failed". Exit status is non-zero if any test failed.
set -u
build=$1; shift
total_p=0; total_f=0; bad=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
    if [ -n "$line" ]; then
        p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
        total_p=$((total_p + p)); total_f=$((total_f + f))
    fi
    if [ $rc -ne 0 ]; then
        bad=1
        [ -z "$line" ] && { echo "$t exited with status $rc"; total_f=$((total_f + 1)); }
    fi
done
echo "$total_p passed, $total_f failed"
exit $bad
