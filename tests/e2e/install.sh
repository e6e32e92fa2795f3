#!/bin/sh
# install.sh BUILD — `make install PREFIX=…` then build a program against the
# installed header, library and ots.pc (pkg-config), and run it: it creates a
# store, appends rows, checkpoints, reopens and counts them.
set -eu
BUILD=${1:-build}
if [ -n "${OTS_SANITIZE:-}" ]; then
    echo "install.sh: skipped under SANITIZE (a sanitized libots.so cannot be loaded by a plain program)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ots-e2e-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory install PREFIX="$T/prefix" BUILD="$BUILD" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; echo "install.sh: make install failed"; exit 1; }
for f in include/ots.h lib/libots.a lib/libots.so lib/pkgconfig/ots.pc; do
    [ -e "$T/prefix/$f" ] || { echo "install.sh: $f was not installed"; exit 1; }
done
cat >"$T/prog.c" <<'C'
#include <ots.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    (void)argc;
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    ots_store *s;
    if (ots_store_open(argv[1], &o, &s) != OTS_OK) { fprintf(stderr, "%s\n", ots_errmsg(NULL)); return 1; }
    ots_column_def cols[] = {{"ts", OTS_TIMESTAMP}, {"city", OTS_TAG}, {"zone", OTS_TAG}, {"v", OTS_DOUBLE}};
    if (ots_table_create(s, "t", cols, 4, NULL, 0) != OTS_OK) { fprintf(stderr, "%s\n", ots_errmsg(s)); return 1; }
    int64_t ts[3] = {0, 1000000000, 2000000000};
    const char *c[3] = {"a", "a", "b"}, *z[3] = {"z", "z", "z"};
    double v[3] = {1, 2, 3};
    ots_vec vec[4] = {{ts, NULL}, {c, NULL}, {z, NULL}, {v, NULL}};
    if (ots_append(s, "t", vec, 3) != OTS_OK || ots_store_checkpoint(s) != OTS_OK) return 1;
    ots_store_close(s);
    if (ots_store_open(argv[1], &o, &s) != OTS_OK) return 1;
    ots_scan_spec sp;
    ots_scan_spec_init(&sp, "t");
    ots_scan *sc;
    const ots_batch *b;
    size_t n = 0;
    if (ots_scan_open(s, &sp, &sc) != OTS_OK) return 1;
    while (ots_scan_next(sc, &b) == 1) n += b->nrows;
    ots_scan_close(sc);
    ots_store_close(s);
    printf("rows %zu\n", n);
    return n == 3 ? 0 : 1;
}
C
PC="$T/prefix/lib/pkgconfig"
cc -o "$T/prog" "$T/prog.c" $(PKG_CONFIG_PATH="$PC" pkg-config --cflags --libs ots) \
    $(PKG_CONFIG_PATH="$PC" pkg-config --libs --static ots | sed 's/-L[^ ]* -lots//')
out=$(LD_LIBRARY_PATH="$T/prefix/lib" "$T/prog" "$T/store")
echo "$out"
[ "$out" = "rows 3" ] || { echo "install.sh: expected 'rows 3'"; exit 1; }
echo "install.sh: ok"
