#!/bin/sh
# otsh_interactive.sh BUILD — otsh on a terminal, driven through tmux:
# prompts, a statement typed over two lines, tab completion of a table name,
# Ctrl-C abandoning a half-typed statement, history (Up arrow) re-running a
# statement, .mode csv, .quit, and the history file it leaves behind.
# Skips (exit 77) when tmux is missing.
set -u
BUILD=${1:-build}
OTSH=$BUILD/bin/otsh
[ -x "$OTSH" ] || { echo "otsh_interactive.sh: $OTSH not built"; exit 1; }
command -v tmux >/dev/null 2>&1 || { echo "otsh_interactive.sh: skipped: tmux is not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ots-e2e-otshi.XXXXXX")
SOCK=otsh-e2e-$$   # a private tmux server, so no other session is touched
SES=otsh
tmx() { tmux -L "$SOCK" "$@"; }
trap 'tmx kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
S=$T/store
mkdir -p "$T/home"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$OTSH" -d "$S" -c "CREATE TABLE outages_daily (ts TIMESTAMP, city TAG, zone TAG, customers BIGINT);
INSERT INTO outages_daily VALUES ('2026-11-01T06:00:00Z', 'nyc', 'z1', 120), ('2026-11-01T07:00:00Z', 'nyc', 'z2', 30),
  ('2026-11-02T06:00:00Z', 'ldn', 'z1', 5)" >/dev/null 2>"$T/setup.err" || { cat "$T/setup.err"; echo "setup failed"; exit 1; }

# the environment of the shell under test: a fresh HOME for its history
tmx -f /dev/null new-session -d -s "$SES" -x 200 -y 50 \
    "env HOME='$T/home' TERM=xterm '$OTSH' -d '$S'; echo OTSH-EXIT=\$?; sleep 30" ||
    { echo "otsh_interactive.sh: skipped: tmux cannot start a session here"; exit 77; }

screen() { tmx capture-pane -p -t "$SES"; }
# wait_for TEXT: poll the pane (5 s) until a line contains TEXT (capture-pane
# drops trailing blanks, so prompts are matched as "ots>" and "...>")
wait_for() {
    i=0
    while [ $i -lt 50 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# count_of TEXT: lines of the pane containing TEXT
count_of() { screen | grep -cF -- "$1"; }
# type TEXT: literal keys; a ';' is sent as a hex key (tmux would read a
# trailing ';' as its own command separator)
type_text() {
    case $1 in
    *\;) tmx send-keys -t "$SES" -l -- "${1%;}"; tmx send-keys -t "$SES" -H 3b ;;
    *) tmx send-keys -t "$SES" -l -- "$1" ;;
    esac
}
key() { tmx send-keys -t "$SES" "$@"; }
check() { # name TEXT: the pane shows TEXT
    if wait_for "$2"; then echo "ok: $1"; else fail "$1 (no '$2' on screen)"; screen | grep -v '^$' | tail -20; fi
}

check "banner and prompt" "ots>"

# 1. a statement over two lines: continuation prompt, then the result
type_text "SELECT city, sum(customers) AS total"; key Enter
check "continuation prompt" "...>"
type_text "FROM outages_daily GROUP BY city ORDER BY city;"; key Enter
check "multi-line result header" " city | total"
check "multi-line result row" " nyc  |   150"

# 2. tab completion of a table name: "outa" + Tab -> "outages_daily "
type_text "SELECT count(*) AS n FROM outa"; key Tab
check "tab completion" "FROM outages_daily"
type_text ";"; key Enter
check "completed statement ran" " 3"

# 3. Ctrl-C abandons a half-typed statement; the shell stays
type_text "SELECT nothing_yet,"; key Enter
i=0 # the second continuation prompt of the session
while [ "$(count_of "...>")" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
type_text "and_more"
# the tty discards keys not yet read when ^C arrives: wait for the echo first
wait_for "...> and_more" || fail "half-typed line not echoed"
key C-c
check "Ctrl-C shows a fresh prompt" "and_more^C"
i=0 # and for the fresh prompt after it
while [ "$(screen | grep -v '^$' | tail -n 1)" != "ots>" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
type_text "SELECT 41 + 1 AS answer;"; key Enter
check "statement after Ctrl-C runs alone" "    42"
if screen | grep -q "nothing_yet.*Error\|Error.*nothing_yet"; then fail "abandoned statement was run"; fi
screen | grep -q "^Error" && { fail "an error was printed"; screen | grep "^Error"; }

# 4. history: Up Up recalls the completed count(*) statement; run it again
before=$(count_of "(1 row)")
key Up; key Up
want="ots> SELECT count(*) AS n FROM outages_daily ;"
i=0 # the recalled statement is on the last line, not yet run
while [ "$(screen | grep -v '^$' | tail -n 1)" != "$want" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(screen | grep -v '^$' | tail -n 1)" = "$want" ]; then echo "ok: history recall"; else
    fail "history recall"; screen | grep -v '^$' | tail -n 3
fi
key Enter
i=0
while [ "$(count_of "(1 row)")" -le "$before" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(count_of "(1 row)")" -gt "$before" ] && echo "ok: history re-run" || fail "history re-run"

# 5. .mode csv
type_text ".mode csv"; key Enter
type_text "SELECT zone, customers FROM outages_daily WHERE city = 'nyc' ORDER BY zone;"; key Enter
check "csv header" "zone,customers"
check "csv row" "z2,30"

# 6. .quit ends the shell with status 0 and saves the history
type_text ".quit"; key Enter
check ".quit exits 0" "OTSH-EXIT=0"
if [ -f "$T/home/.otsh_history" ] && grep -q "outages_daily" "$T/home/.otsh_history"; then
    echo "ok: history file"
else
    fail "history file ~/.otsh_history"
fi

if [ $fails -ne 0 ]; then
    echo "--- last screen"; screen | grep -v '^$'
    echo "otsh_interactive.sh: $fails failure(s)"; exit 1
fi
echo "otsh_interactive.sh: all passed"
