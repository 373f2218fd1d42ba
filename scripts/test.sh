#!/usr/bin/env bash
# The whole test suite: warnings-as-errors build, unit and end-to-end tests, then
# the same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
echo "== build (warnings are errors)"
make -j"$jobs" WERROR=1 all tests-build
echo "== tests"
make WERROR=1 test 2>&1 | tee build/test.log
echo "== tests under ASan+UBSan"
make -j"$jobs" WERROR=1 asan-test 2>&1 | tee build/asan-test.log
p1=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/test.log | tail -n1)
p2=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/asan-test.log | tail -n1)
echo "release: $p1"
echo "sanitizers: $p2"
a=${p1%% passed*}; b=${p2%% passed*}
fa=${p1#*passed, }; fa=${fa%% failed*}; fb=${p2#*passed, }; fb=${fb%% failed*}
echo "$((a + b)) passed, $((fa + fb)) failed"
