/* qt.c — query test helpers. */
#include "tests/query/qt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

static char last_status[256];

static void quiet(void *ctx, ots_log_level l, const char *m) { (void)ctx, (void)l, (void)m; }

void qt_open(qt_store *t, const char *tag)
{
    char *d = tu_mkdtemp(tag); /* malloc'd (testutil.c) */
    snprintf(t->dir, sizeof t->dir, "%s", d);
    free(d);
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.fsync = OTS_FSYNC_OFF;
    o.log = quiet;
    assert_int_equal(ots_store_open(t->dir, &o, &t->s), OTS_OK);
}

void qt_close(qt_store *t)
{
    ots_store_close(t->s);
    tu_rmrf(t->dir);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static void render(ots_query *q, sbuf *b)
{
    size_t nc = ots_query_ncols(q);
    for (size_t c = 0; c < nc; c++) {
        put(b, c ? "|" : "");
        put(b, ots_query_col_name(q, c));
    }
    put(b, "\n");
    const ots_batch *bt;
    int rc;
    while ((rc = ots_query_next(q, &bt)) == 1) {
        assert_int_equal(bt->ncols, nc);
        for (size_t r = 0; r < bt->nrows; r++) {
            for (size_t c = 0; c < nc; c++) {
                const ots_column *col = &bt->cols[c];
                char v[64];
                assert_int_equal(col->type, ots_query_col_type(q, c));
                if (col->valid && !col->valid[r]) {
                    snprintf(v, sizeof v, "NULL");
                } else {
                    switch (col->type) {
                    case OTS_DOUBLE: snprintf(v, sizeof v, "%g", col->f64[r]); break;
                    case OTS_BOOLEAN: snprintf(v, sizeof v, "%s", col->b[r] ? "true" : "false"); break;
                    case OTS_TIMESTAMP: ots_fmt_ts_format(col->i64[r], NULL, v, sizeof v); break;
                    case OTS_BIGINT: snprintf(v, sizeof v, "%lld", (long long)col->i64[r]); break;
                    default: v[0] = 0; break;
                    }
                }
                put(b, c ? "|" : "");
                if (col->type == OTS_STRING && !(col->valid && !col->valid[r]))
                    put(b, col->str[r]);
                else
                    put(b, v);
            }
            put(b, "\n");
        }
    }
    assert_int_equal(rc, 0);
}

char *qt_run(ots_store *s, const char *sql)
{
    sbuf b = {0};
    put(&b, "");
    const char *p = sql, *tail;
    while (*p) {
        ots_query *q = NULL;
        int rc = ots_query_prepare(s, p, (size_t)-1, &q, &tail);
        if (rc != OTS_OK)
            fail_msg("statement failed (%s): %s\n  in: %s", ots_strerror(rc), ots_errmsg(s), p);
        assert_true(tail > p || !*p);
        p = tail;
        if (!q)
            continue;
        snprintf(last_status, sizeof last_status, "%s", ots_query_status(q));
        if (ots_query_ncols(q)) {
            b.n = 0;
            b.p[0] = 0;
            render(q, &b);
        }
        ots_query_close(q);
    }
    return b.p;
}

const char *qt_fail(ots_store *s, const char *sql, int want)
{
    static char msg[600];
    ots_query *q = NULL;
    int rc = ots_query_prepare(s, sql, (size_t)-1, &q, NULL);
    if (rc == OTS_OK) {
        ots_query_close(q);
        fail_msg("statement succeeded but should fail: %s", sql);
    }
    assert_null(q);
    snprintf(msg, sizeof msg, "%s", ots_errmsg(s));
    if (rc != want)
        fail_msg("rc %d (%s), want %d: %s", rc, ots_strerror(rc), want, msg);
    return msg;
}

const char *qt_status(void) { return last_status; }
