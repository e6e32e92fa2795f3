#!/bin/sh
# check.sh BUILD SANITIZE — everything `make check` runs, in order:
#   1. cmocka unit tests (one binary per module)
#   2. fuzz corpus replay (targets built without libFuzzer)
#   3. end-to-end scripts tests/e2e/*.sh (real programs, real peers)
#   4. benchmark smoke run (every benchmark, minimal time, small data)
# Each step is one line of the final "N passed, N failed" tally.
BUILD=${1:-build}
SAN=${2:-}
pass=0; failn=0; skip=0; failed_list=""
LOG=$BUILD/check-logs
mkdir -p "$LOG"
export OTS_BUILD="$BUILD" OTS_SANITIZE="$SAN"
[ -n "$SAN" ] && export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

step() { # name command...
    name=$1; shift
    log="$LOG/$(echo "$name" | tr '/ ' '__').log"
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    t=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "PASS  $name (${t}s)"
    elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "SKIP  $name (${t}s): $(tail -n 1 "$log")"
    else failn=$((failn+1)); failed_list="$failed_list $name"; echo "FAIL  $name (${t}s) — log: $log"; tail -n 40 "$log" | sed 's/^/    | /'
    fi
}

for b in "$BUILD"/tests/test_*; do
    [ -x "$b" ] && step "unit/$(basename "$b")" "$b"
done
if [ -d "$BUILD/fuzz-replay" ]; then
    for f in "$BUILD"/fuzz-replay/fuzz_*; do
        [ -x "$f" ] || continue
        t=$(basename "$f")
        step "fuzz-replay/$t" "$f" "fuzz/corpus/${t#fuzz_}"
    done
fi
for e in tests/e2e/*.sh; do
    [ -f "$e" ] && step "e2e/$(basename "$e" .sh)" sh "$e" "$BUILD"
done
if [ -z "$SAN" ] && [ -f bench/run.sh ]; then
    step "bench-smoke" sh bench/run.sh smoke "$BUILD"
fi
echo
[ -n "$failed_list" ] && echo "failed:$failed_list"
echo "check: $pass passed, $failn failed, $skip skipped"
[ $failn -eq 0 ]
