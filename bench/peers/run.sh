#!/bin/sh
# run.sh BUILD [CSV] — ots against DuckDB and SQLite on the meter CSV
# (`make bench-peers`).
#
# CSV defaults to $OTS_PEERS_CSV, else bench/data/meters-144.csv (made by
# BUILD/bin/gen_meters when missing); OTS_PEERS_CSV=bench/data/meters-1440.csv
# for the full day.  Loads the CSV into ots (otsh: COPY + CHECKPOINT), DuckDB
# (@duckdb/node-api under BUILD/peers, installed by npm on first use) and
# SQLite (the sqlite3 CLI), runs Q1-Q6 on each (bench/peers/peers.py), checks
# that the peers return ots's answers, prints one table and writes
# bench/results/peers-latest.json.  A peer that cannot be set up (no node,
# npm install failed, no sqlite3) is reported "unavailable"; a peer whose
# answer differs makes the exit status 1.  OTS_PEERS_RUNS=N: timed runs per
# query (default 5).
set -eu
BUILD=${1:-build}
CSV=${2:-${OTS_PEERS_CSV:-}}
# a CSV named relative to the caller's directory stays valid after the cd
case "$CSV" in
'' | /*) ;;
*) if [ -e "$CSV" ]; then CSV=$(pwd)/$CSV; fi ;;
esac
cd "$(dirname "$0")/../.."
CSV=${CSV:-bench/data/meters-144.csv}
PY=/usr/bin/python3 # Debian's python (standard library only)

if [ ! -s "$CSV" ]; then
    case "$CSV" in
    bench/data/meters-*.csv)
        n=${CSV#bench/data/meters-}
        n=${n%.csv}
        echo "peers: generating $CSV"
        mkdir -p bench/data
        "$BUILD/bin/gen_meters" "$n" >"$CSV.tmp.$$" || {
            rm -f "$CSV.tmp.$$"
            echo "peers: $BUILD/bin/gen_meters $n failed" >&2
            exit 1
        }
        mv "$CSV.tmp.$$" "$CSV"
        ;;
    *)
        echo "peers: no such CSV: $CSV" >&2
        exit 1
        ;;
    esac
fi
[ -x "$BUILD/bin/otsh" ] || {
    echo "peers: $BUILD/bin/otsh missing (make first)" >&2
    exit 1
}

# DuckDB: the npm package, installed once under BUILD/peers.
UNAVAILABLE=
NODE_PREFIX=$BUILD/peers
if ! command -v node >/dev/null 2>&1; then
    UNAVAILABLE="duckdb=node is not installed"
elif [ ! -f "$NODE_PREFIX/node_modules/@duckdb/node-api/package.json" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        UNAVAILABLE="duckdb=npm is not installed"
    else
        echo "peers: npm install --prefix $NODE_PREFIX @duckdb/node-api"
        mkdir -p "$NODE_PREFIX"
        if ! npm install --no-audit --no-fund --prefix "$NODE_PREFIX" @duckdb/node-api \
            >"$NODE_PREFIX/npm-install.log" 2>&1; then
            why=$(grep -iE 'err|fail' "$NODE_PREFIX/npm-install.log" | head -3 | tr '\n' ' ')
            echo "peers: npm install failed: ${why:-see $NODE_PREFIX/npm-install.log}" >&2
            UNAVAILABLE="duckdb=npm install @duckdb/node-api failed: ${why:-see $NODE_PREFIX/npm-install.log}"
        fi
    fi
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    UNAVAILABLE="$UNAVAILABLE
sqlite=sqlite3 is not installed (apt-get install sqlite3)"
fi

mkdir -p bench/results
[ -f bench/results/.keep ] || : >bench/results/.keep
OTS_PEERS_UNAVAILABLE=$UNAVAILABLE exec "$PY" bench/peers/peers.py "$BUILD" "$CSV" \
    bench/results/peers-latest.json
