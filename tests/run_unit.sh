#!/bin/sh
# run_unit.sh BIN... — run cmocka test binaries; print each binary's verdict.
# cmocka prints its summary on stderr (DEPENDENCIES.md trap 4), so merge it.
fail=0
for b in "$@"; do
    if "$b" 2>&1; then echo "PASS $b"; else echo "FAIL $b"; fail=1; fi
done
exit $fail
