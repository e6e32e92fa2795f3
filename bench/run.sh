#!/bin/sh
# run.sh MODE BUILD [ots_bench flags...] — run the benchmark suites.
#
#   smoke  every benchmark once, minimal time, on bench/data/meters-144.csv:
#          fails if a benchmark errors, or reports no (or a non-finite)
#          items rate.  Run by `make check` and `make bench-smoke`.
#   full   normal times on bench/data/meters-1440.csv (one day, 14.4 M rows):
#          google-benchmark's console output, then a summary table, and the
#          JSON results in bench/results/latest.json.  `make bench`.
#
# The meter files are made by BUILD/bin/gen_meters when missing (bench/data/
# is git-ignored).  Benchmarks read the meter file named by $OTS_BENCH_DATA
# (set here unless already set) and the real data from examples/data/.
# Extra flags go to ots_bench, e.g. --benchmark_filter=codec/encode/meters.
set -eu
MODE=${1:-}
BUILD=${2:-build}
case "$MODE" in
smoke | full) ;;
*)
    echo "usage: sh bench/run.sh smoke|full BUILD [ots_bench flags...]" >&2
    exit 2
    ;;
esac
[ $# -ge 2 ] && shift 2 || shift $#
cd "$(dirname "$0")/.."

BENCH=$BUILD/bin/ots_bench
GEN=$BUILD/bin/gen_meters
PY=python3
command -v "$PY" >/dev/null 2>&1 || PY=/usr/bin/python3

# Build what is missing or stale (a no-op under `make bench`).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} --no-print-directory -s \
    BUILD="$BUILD" "$BENCH" "$GEN"

mkdir -p bench/data bench/results
[ -f bench/results/.keep ] || : >bench/results/.keep

gen() { # MINUTES: bench/data/meters-MINUTES.csv, written whole or not at all
    f=bench/data/meters-$1.csv
    [ -s "$f" ] && return 0
    echo "run.sh: generating $f"
    "$GEN" "$1" >"$f.tmp.$$" || { rm -f "$f.tmp.$$"; echo "run.sh: $GEN $1 failed" >&2; exit 1; }
    mv "$f.tmp.$$" "$f"
}

gen 144
if [ "$MODE" = smoke ]; then
    : "${OTS_BENCH_DATA:=bench/data/meters-144.csv}"
    OUT=$BUILD/bench-smoke.json
    set -- --benchmark_min_time=0.001 "$@"
else
    gen 1440
    : "${OTS_BENCH_DATA:=bench/data/meters-1440.csv}"
    OUT=bench/results/latest.json
fi
export OTS_BENCH_DATA
echo "run.sh: $MODE run, meter data $OTS_BENCH_DATA"

rm -f "$OUT.tmp"
rc=0
"$BENCH" --benchmark_out="$OUT.tmp" --benchmark_out_format=json "$@" || rc=$?
if [ ! -s "$OUT.tmp" ]; then
    echo "run.sh: ots_bench exited $rc and wrote no results" >&2
    exit 1
fi
mv "$OUT.tmp" "$OUT"

# Check every result (both modes) and, for full, print the summary table.
"$PY" - "$OUT" "$MODE" <<'PYEOF' || rc=1
import json, math, sys
path, mode = sys.argv[1], sys.argv[2]
with open(path) as f:
    runs = json.load(f).get("benchmarks", [])
bad = []
for r in runs:
    name = r.get("name", "?")
    if r.get("error_occurred"):
        bad.append("%s: error: %s" % (name, r.get("error_message", "")))
        continue
    ips = r.get("items_per_second")
    if not isinstance(ips, (int, float)) or not math.isfinite(ips) or ips <= 0:
        bad.append("%s: items_per_second is %r" % (name, ips))
if not runs:
    bad.append("no benchmark ran")

def si(v, unit):
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return "%.2f %s%s" % (v / div, p, unit)
    return "%.2f %s" % (v, unit)

if mode == "full" and runs:
    w = max(len(r["name"]) for r in runs)
    print()
    print("%-*s %14s %14s %10s %8s  %s" % (w, "benchmark", "time/iter", "items/s", "MB/s",
                                          "B/value", "label"))
    for r in runs:
        if r.get("error_occurred"):
            print("%-*s  ERROR %s" % (w, r["name"], r.get("error_message", "")))
            continue
        t = "%.1f %s" % (r.get("real_time", 0), r.get("time_unit", ""))
        ips = r.get("items_per_second")
        ips = si(ips, "/s") if isinstance(ips, (int, float)) else "-"
        bps = r.get("bytes_per_second")
        bps = "%.1f" % (bps / 1e6) if isinstance(bps, (int, float)) else "-"
        bpv = r.get("bytes_per_value")
        bpv = "%.3f" % bpv if isinstance(bpv, (int, float)) else "-"
        print("%-*s %14s %14s %10s %8s  %s" % (w, r["name"], t, ips, bps, bpv, r.get("label", "")))
    print()
    print("results: %s" % path)
for b in bad:
    print("run.sh: FAIL %s" % b)
print("run.sh: %d benchmarks, %d failed" % (len(runs), len(bad)))
sys.exit(1 if bad else 0)
PYEOF
if [ $rc -ne 0 ]; then
    echo "run.sh: $MODE run failed (ots_bench or result check)" >&2
    exit 1
fi
