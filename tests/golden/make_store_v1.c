/*
 * make_store_v1.c — how tests/golden/store-v1-{segment,wal} were made (kept
 * for the record; not built).  `make_store_v1 DIR 0` leaves the rows in the
 * WAL; `make_store_v1 DIR 1` checkpoints them into one segment.  The rows
 * are the ones tests/storage/test_golden.c expects: 40 rows of table m, the
 * first 20 appended twice (last write wins).
 */
#include "ots.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    int ck = atoi(argv[2]);
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    ots_store *s;
    if (ots_store_open(argv[1], &o, &s)) {
        puts(ots_errmsg(NULL));
        return 1;
    }
    ots_column_def cols[] = {{"ts", OTS_TIMESTAMP}, {"city", OTS_TAG},      {"zone", OTS_TAG}, {"meter", OTS_TAG},
                             {"kwh", OTS_DOUBLE},   {"status", OTS_STRING}, {"n", OTS_BIGINT}, {"ok", OTS_BOOLEAN}};
    ots_table_create(s, "m", cols, 8, NULL, 0);
    enum { N = 40 };
    int64_t ts[N], n[N];
    const char *c[N], *z[N], *m[N], *st[N];
    double k[N];
    uint8_t ok[N], kv[N], sv[N];
    for (int i = 0; i < N; i++) {
        ts[i] = 1709251200000000000LL + (int64_t)(i / 4) * 60000000000LL;
        c[i] = "c1";
        z[i] = "z1";
        m[i] = (i % 4 == 0) ? "m1" : (i % 4 == 1) ? "m2" : (i % 4 == 2) ? "m3" : "m4";
        k[i] = 1.0 + i * 0.25;
        kv[i] = i % 7 != 3;
        st[i] = i % 5 ? "ok" : "fault";
        sv[i] = i % 9 != 2;
        n[i] = i * 1000 - 7;
        ok[i] = i & 1;
    }
    ots_vec v[8] = {{ts, 0}, {c, 0}, {z, 0}, {m, 0}, {k, kv}, {st, sv}, {n, 0}, {ok, 0}};
    ots_append(s, "m", v, N / 2);
    ots_append(s, "m", v + 0, N / 2);
    ots_vec v2[8] = {{ts + N / 2, 0},         {c + N / 2, 0},           {z + N / 2, 0}, {m + N / 2, 0},
                     {k + N / 2, kv + N / 2}, {st + N / 2, sv + N / 2}, {n + N / 2, 0}, {ok + N / 2, 0}};
    ots_append(s, "m", v2, N / 2);
    if (ck)
        ots_store_checkpoint(s);
    ots_store_close(s);
    return 0;
}
