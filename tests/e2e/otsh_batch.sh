#!/bin/sh
# otsh_batch.sh BUILD — otsh as a batch tool against a temporary store:
# -c and -f run in the order given, a script on stdin, --mode csv checked
# byte for byte and read back by Python's csv module, --mode json parsed by
# Python's json module, line mode, .schema/.tables, the exit status and
# stderr of a failing statement (line and column), usage errors (exit 2).
set -u
BUILD=${1:-build}
OTSH=$BUILD/bin/otsh
PY=/usr/bin/python3
[ -x "$OTSH" ] || { echo "otsh_batch.sh: $OTSH not built"; exit 1; }
[ -x "$PY" ] || { echo "otsh_batch.sh: skipped: $PY is missing (needed to read CSV and JSON back)"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ots-e2e-otsh.XXXXXX")
trap 'rm -rf "$T"' EXIT
S=$T/store
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect_file NAME WANT GOT: compare two files byte for byte
expect_file() {
    if cmp -s "$2" "$3"; then echo "ok: $1"; else
        fail "$1"; echo "--- want"; od -c "$2" | head -20; echo "--- got"; od -c "$3" | head -20
    fi
}

# ---- setup through -c, then -f, in the order given --------------------------
cat >"$T/load.sql" <<'SQL'
-- rows for the tests; the INSERT spans lines
INSERT INTO m VALUES
  ('2026-11-01T06:00:00Z', 'nyc', 'z1', 1.5, 3, TRUE, 'fine'),
  ('2026-11-01T07:00:00.5Z', 'nyc', 'z2', 0.1, NULL, FALSE, 'say "hi", then
leave'),
  ('2026-11-01T08:00:00Z', 'ldn', 'z1', NULL, -7, NULL, '');
SQL
"$OTSH" -d "$S" -c "CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING)" \
    -f "$T/load.sql" -c "SELECT count(*) AS c FROM m" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || { fail "setup exit $rc"; cat "$T/err"; }
printf 'CREATE TABLE\nINSERT 3\n c\n---\n 3\n(1 row)\n' >"$T/want"
expect_file "-c then -f then -c, table mode and statuses" "$T/want" "$T/out"

# -f before -c: the SELECT in -f sees no table yet, so order matters
printf 'SELECT count(*) AS c FROM later;\n' >"$T/later.sql"
"$OTSH" -d "$S" -f "$T/later.sql" -c "CREATE TABLE later (ts TIMESTAMP, city TAG, zone TAG)" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "-f before -c: exit $rc, want 1"
grep -q "CREATE TABLE" "$T/out" && fail "-c after a failing -f ran anyway"
"$OTSH" -d "$S" -c "CREATE TABLE later (ts TIMESTAMP, city TAG, zone TAG)" -f "$T/later.sql" >"$T/out" 2>"$T/err" ||
    fail "-c before -f: exit $?"
printf 'CREATE TABLE\n c\n---\n 0\n(1 row)\n' >"$T/want"
expect_file "-c before -f" "$T/want" "$T/out"

# ---- CSV: byte for byte, then read back by Python --------------------------
"$OTSH" -d "$S" --mode csv -c "SELECT ts, city, kwh, n, ok, note FROM m ORDER BY ts" >"$T/out.csv" 2>"$T/err" ||
    fail "csv exit $?"
printf 'ts,city,kwh,n,ok,note\r\n2026-11-01T06:00:00Z,nyc,1.5,3,true,fine\r\n2026-11-01T07:00:00.5Z,nyc,0.1,,false,"say ""hi"", then\nleave"\r\n2026-11-01T08:00:00Z,ldn,,-7,,""\r\n' >"$T/want"
expect_file "csv bytes" "$T/want" "$T/out.csv"
"$PY" - "$T/out.csv" <<'PY' && echo "ok: csv read back" || fail "csv read back"
import csv, sys
with open(sys.argv[1], newline='') as f:
    rows = list(csv.reader(f))
assert rows[0] == ['ts', 'city', 'kwh', 'n', 'ok', 'note'], rows[0]
assert rows[2] == ['2026-11-01T07:00:00.5Z', 'nyc', '0.1', '', 'false', 'say "hi", then\nleave'], rows[2]
assert rows[3][5] == '' and len(rows) == 4, rows
PY

# ---- JSON: parsed by Python ---------------------------------------------------
"$OTSH" -d "$S" --mode json -c "SELECT * FROM m ORDER BY ts" >"$T/out.json" 2>"$T/err" || fail "json exit $?"
"$PY" - "$T/out.json" <<'PY' && echo "ok: json parsed" || { fail "json parse"; cat "$T/out.json"; }
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 3, rows
assert rows[0] == {"ts": "2026-11-01T06:00:00Z", "city": "nyc", "zone": "z1", "kwh": 1.5, "n": 3,
                   "ok": True, "note": "fine"}, rows[0]
assert rows[1]["n"] is None and rows[1]["ok"] is False and rows[1]["note"] == 'say "hi", then\nleave', rows[1]
assert rows[2]["kwh"] is None and rows[2]["note"] == "", rows[2]
PY
"$OTSH" -d "$S" --mode json -c "SELECT n FROM m WHERE city = 'nowhere'" >"$T/out" 2>"$T/err"
printf '[]\n' >"$T/want"
expect_file "json empty result" "$T/want" "$T/out"

# ---- line mode, shortest doubles, .schema / .tables / .maxrows --------------
"$OTSH" -d "$S" --mode line -c "SELECT n, 0.1 + 0.2 AS x, 1 / 4.0 AS q FROM m WHERE n = 3" >"$T/out" 2>"$T/err" || fail "line exit $?"
printf 'n = 3\nx = 0.30000000000000004\nq = 0.25\n' >"$T/want"
expect_file "line mode" "$T/want" "$T/out"
"$OTSH" -d "$S" -c ".schema m" -c ".tables" -c ".maxrows 1" -c "SELECT n FROM m ORDER BY ts" >"$T/out" 2>"$T/err" ||
    fail ".schema exit $?"
printf 'CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING);\nlater\nm\n n\n---\n 3\n\342\200\246 2 more rows (.maxrows 1)\n(3 rows)\n' >"$T/want"
expect_file ".schema, .tables, .maxrows" "$T/want" "$T/out"

# ---- a script on stdin, with dot-commands and a last statement without ';' ---
printf '.mode csv\nSELECT city, count(*) AS c\n  FROM m\n GROUP BY city ORDER BY city;\n\nSELECT 1 AS one' |
    "$OTSH" -d "$S" >"$T/out" 2>"$T/err" || fail "stdin exit $?"
printf 'city,c\r\nldn,1\r\nnyc,2\r\none\r\n1\r\n' >"$T/want"
expect_file "script on stdin" "$T/want" "$T/out"

# ---- a failing statement: stderr names source, line, column; exit 1 ----------
printf 'SELECT 1 AS a;\n\n-- the next one is wrong\nSELECT n,\n  FROM m;\nSELECT 2 AS b;\n' >"$T/bad.sql"
"$OTSH" -d "$S" -f "$T/bad.sql" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "failing statement: exit $rc, want 1"
want="otsh: $T/bad.sql:4: line 2, column 3: unexpected 'FROM', expected an expression"
if grep -qxF "$want" "$T/err"; then echo "ok: error message"; else fail "error message"; echo "want: $want"; cat "$T/err"; fi
grep -q ' b' "$T/out" && fail "statement after the error ran"
grep -q ' a' "$T/out" || fail "statement before the error did not run"
"$OTSH" -d "$S" -c "SELECT 1" -c "SELECT nope FROM m" -c "SELECT 3 AS three" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "-c error exit"
grep -qxF "otsh: -c:1: line 1, column 8: no column 'nope' in table 'm'" "$T/err" || { fail "-c error message"; cat "$T/err"; }
grep -q three "$T/out" && fail "-c after the error ran"
"$OTSH" -d "$S" -c ".nosuch" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "unknown dot-command exit"
grep -q "otsh: -c:1: unknown command .nosuch" "$T/err" || fail "unknown dot-command message"

# ---- .output FILE / .output, .read FILE, a comment before a failing statement ---
"$OTSH" -d "$S" -c ".output $T/o.txt" -c "SELECT 1 AS one" -c ".output" -c "SELECT 2 AS two" -c ".read $T/later.sql" \
    >"$T/out" 2>"$T/err" || fail ".output/.read exit $?"
printf ' one\n-----\n   1\n(1 row)\n' >"$T/want"
expect_file ".output FILE" "$T/want" "$T/o.txt"
printf ' two\n-----\n   2\n(1 row)\n c\n---\n 0\n(1 row)\n' >"$T/want"
expect_file ".output back to stdout, .read" "$T/want" "$T/out"
"$OTSH" -d "$S" -c "SELECT 1 AS a;
/* a comment */ SELECT nope FROM m" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "comment + error exit"
grep -qxF "otsh: -c:2: line 1, column 8: no column 'nope' in table 'm'" "$T/err" || { fail "comment + error message"; cat "$T/err"; }

# ---- usage errors: exit 2 -----------------------------------------------------
for args in "--mode xml" "--bogus" "-c" "extra-arg"; do
    # shellcheck disable=SC2086
    "$OTSH" -d "$S" $args </dev/null >/dev/null 2>"$T/err"
    rc=$?
    [ $rc -eq 2 ] || fail "usage error '$args': exit $rc, want 2"
    grep -q "otsh:" "$T/err" || fail "usage error '$args': no message"
done
"$OTSH" --help >"$T/out" 2>&1 || fail "--help exit $?"
grep -q "usage: otsh" "$T/out" || fail "--help text"
"$OTSH" --version | grep -q "^otsh [0-9]" || fail "--version"

# ---- OTS_STORE, --timer on stderr --------------------------------------------
OTS_STORE="$S" "$OTSH" --timer -c "SELECT count(*) AS c FROM m" >"$T/out" 2>"$T/err" || fail "OTS_STORE exit $?"
grep -q "^ 3$" "$T/out" || fail "OTS_STORE: wrong store"
grep -Eq "^Time: [0-9]+\.[0-9]{3} ms$" "$T/err" || { fail "--timer line"; cat "$T/err"; }

if [ $fails -ne 0 ]; then echo "otsh_batch.sh: $fails failure(s)"; exit 1; fi
echo "otsh_batch.sh: all passed"
