#!/bin/sh
# run.sh SECONDS BIN... — run each libFuzzer binary (build/fuzz/fuzz_<target>,
# built by `make fuzz`) for SECONDS on its committed corpus
# fuzz/corpus/<target>/.
#
# New inputs libFuzzer finds go to a scratch directory (build/fuzz/work/
# <target>/), not into the committed corpus; fold them in deliberately with
# -merge=1 (see fuzz/README.md).  Every crash, leak, timeout or OOM input is
# copied into fuzz/corpus/<target>/ as regression-<kind>-<sha1> — a name the
# .gitignore's crash-*/leak-*/timeout-* patterns do not hide — so that
# `make check` replays it from then on; the run then fails.
set -u
SECONDS_EACH=${1:?usage: sh fuzz/run.sh SECONDS BIN...}
shift
[ $# -gt 0 ] || { echo "usage: sh fuzz/run.sh SECONDS BIN..." >&2; exit 2; }
cd "$(dirname "$0")/.."

failed=""
for bin in "$@"; do
    name=$(basename "$bin")
    target=${name#fuzz_}
    corpus=fuzz/corpus/$target
    work=build/fuzz/work/$target
    art=build/fuzz/artifacts/$target
    mkdir -p "$corpus" "$work" "$art"
    rm -f "$art"/*
    echo "== $name: ${SECONDS_EACH}s on $corpus"
    log=build/fuzz/$name.log
    ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/" "$work" "$corpus" >"$log" 2>&1
    rc=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added)' "$log" | sed 's/^/   /'
    found=0
    for f in "$art"/*; do
        [ -f "$f" ] || continue
        kind=$(basename "$f" | sed 's/-.*//')
        sum=$(sha1sum "$f" | cut -c1-40)
        cp "$f" "$corpus/regression-$kind-$sum"
        echo "   $kind input kept: $corpus/regression-$kind-$sum"
        found=1
    done
    if [ $rc -ne 0 ] || [ $found -ne 0 ]; then
        echo "   FAILED (exit $rc) — log: $log"
        grep -E 'ERROR: |SUMMARY: |runtime error|^    #[0-9] ' "$log" | head -20 | sed 's/^/   | /'
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
echo "fuzz: all $# targets ran ${SECONDS_EACH}s without a finding"
