#!/bin/sh
# gen_meters.sh BUILD — the project's generator (tools/gen_meters.c) must
# write exactly what the shared reference generator (../shared/tools/
# gen_meters.c, the one every benchmark inside and outside ots runs on)
# writes, and must refuse bad arguments with exit status 2.
# Skips (exit 77) when ../shared is absent: there is nothing to compare with.
set -u
BUILD=${1:-build}
GEN=$BUILD/bin/gen_meters
REF_SRC=../shared/tools/gen_meters.c

fail() { echo "FAIL: $*"; exit 1; }

[ -x "$GEN" ] || fail "$GEN not built (run make)"

# ---- usage errors: exit 2 -------------------------------------------------
expect_usage() { # description args...
    what=$1; shift
    "$GEN" "$@" >/dev/null 2>&1
    rc=$?
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
    echo "ok   usage error: $what"
}
expect_usage "no arguments"
expect_usage "three arguments" 1 2 3
expect_usage "MINUTES not a number" abc
expect_usage "MINUTES negative" -1
expect_usage "MINUTES past March 2024" 44641
expect_usage "SEED not a number" 1 12x
expect_usage "SEED overflows 64 bits" 1 18446744073709551616

# ---- byte-for-byte comparison with the shared reference -------------------
if [ ! -f "$REF_SRC" ]; then
    echo "skip: $REF_SRC not found (no shared checkout next to this tree), nothing to compare with"
    exit 77
fi
CC=${CC:-cc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ots-gen-meters.XXXXXX") || fail "mktemp"
trap 'rm -rf "$TMP"' EXIT INT TERM
"$CC" -O2 -o "$TMP/ref_gen_meters" "$REF_SRC" || fail "cannot compile $REF_SRC"

compare() { # args...
    "$TMP/ref_gen_meters" "$@" >"$TMP/ref.csv" || fail "reference generator failed for: $*"
    "$GEN" "$@" >"$TMP/ots.csv" || fail "$GEN failed for: $*"
    cmp "$TMP/ref.csv" "$TMP/ots.csv" || fail "output differs for: gen_meters $*"
    echo "ok   identical: gen_meters $* ($(wc -c <"$TMP/ots.csv" | tr -d ' ') bytes)"
}
compare 1
compare 7
compare 144
compare 7 42
compare 3 18446744073709551615
echo "gen_meters: all checks passed"
