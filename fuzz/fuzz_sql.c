/*
 * fuzz_sql.c — the SQL front end and executor (query/) on untrusted text.
 *
 * Each input is SQL text run statement by statement (ots_query_prepare with
 * *tail; after a failed statement the run resumes past the next ';')
 * against a fresh scratch store holding table m (ts, city, zone, meter TAG,
 * kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING) with a few rows.  Every
 * result batch is read to the end and every value touched.  Aborts when a
 * failed statement leaves no message or sets *out, a batch disagrees with
 * the column count or types, or prepare stops advancing through the text.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void quiet(void *ctx, ots_log_level l, const char *m) { (void)ctx, (void)l, (void)m; }

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rmrf(void) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static const char *setup_sql =
    "CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, meter TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING);"
    "INSERT INTO m VALUES ('2026-11-01T00:00:00Z', 'nyc', 'z1', 'a', 1.5, 1, TRUE, 'x'),"
    " ('2026-11-01T05:30:00Z', 'nyc', 'z2', 'b', NULL, 2, FALSE, NULL),"
    " ('2026-11-02T00:00:00Z', 'ldn', 'z1', 'c', -3, NULL, TRUE, 'yy');";

static void run(ots_store *s, const char *sql, int must_succeed)
{
    const char *p = sql, *end = sql + strlen(sql);
    while (p < end) {
        ots_query *q = (ots_query *)&q;
        const char *tail = NULL;
        int rc = ots_query_prepare(s, p, (size_t)(end - p), &q, &tail);
        if (rc != OTS_OK) {
            if (q || must_succeed || !ots_errmsg(s)[0])
                abort();
            const char *semi = memchr(p, ';', (size_t)(end - p));
            p = semi ? semi + 1 : end;
            continue;
        }
        if (!tail || tail <= p || tail > end)
            abort();
        p = tail;
        if (!q)
            continue;
        size_t nc = ots_query_ncols(q);
        for (size_t c = 0; c < nc; c++)
            if (!ots_query_col_name(q, c))
                abort();
        const ots_batch *b;
        volatile size_t sink = 0;
        while ((rc = ots_query_next(q, &b)) == 1) {
            if (b->ncols != nc || b->nrows == 0 || b->nrows > 4096)
                abort();
            for (size_t c = 0; c < nc; c++) {
                const ots_column *col = &b->cols[c];
                if (col->type != ots_query_col_type(q, c))
                    abort();
                for (size_t r = 0; r < b->nrows; r++) {
                    if (col->valid && !col->valid[r])
                        continue;
                    switch (col->type) {
                    case OTS_STRING: sink += strlen(col->str[r]); break;
                    case OTS_DOUBLE: sink += col->f64[r] > 0; break;
                    case OTS_BOOLEAN: sink += col->b[r]; break;
                    default: sink += (size_t)col->i64[r]; break;
                    }
                }
            }
        }
        (void)sink;
        if (rc < 0 && !ots_errmsg(s)[0])
            abort();
        (void)ots_query_status(q);
        ots_query_close(q);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ots-fuzz-sql-%ld", t && *t ? t : "/tmp", (long)getpid());
    }
    rmrf();
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = quiet;
    ots_store *s;
    if (ots_store_open(dir, &o, &s) != OTS_OK)
        abort();
    run(s, setup_sql, 1);
    char *sql = malloc(size + 1);
    if (!sql)
        abort();
    memcpy(sql, data, size);
    sql[size] = 0;
    run(s, sql, 0);
    free(sql);
    ots_store_close(s);
    rmrf();
    return 0;
}
