/*
 * query.c — the public query API of include/ots.h: prepare (parse, then run
 * the statement: its rows are computed here and kept in the handle), the
 * result columns, and ots_query_next handing the rows out as ots_batch
 * pages of up to 4096 rows.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "query/query_int.h"

int ots_q_result_init(ots_query *q, size_t ncols, size_t nvisible)
{
    if (ots_q_tab_init(&q->res, ncols, &q->a))
        return ots_q_err(&q->err, OTS_ENOMEM, "out of memory");
    q->nout = nvisible;
    return OTS_OK;
}

void ots_q_set_col(ots_query *q, size_t c, const char *name, int type)
{
    q->res.names[c] = name;
    q->res.types[c] = type;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ots_query_prepare(ots_store *s, const char *sql, size_t len, ots_query **out, const char **tail)
{
    if (out)
        *out = NULL;
    if (!s || !sql || !out)
        return OTS_EINVAL;
    if (len == (size_t)-1)
        len = strlen(sql);
    ots_query *q = ots_calloc(1, sizeof *q);
    if (!q) {
        ots_q_store_err(s, OTS_ENOMEM, "out of memory");
        return OTS_ENOMEM;
    }
    q->s = s;
    q->src = sql;
    q->now_ns = now_ns();
    lexer lx = {.src = sql, .len = len, .pos = 0, .line = 1, .line_start = 0};
    stmt *st = NULL;
    int rc = ots_q_parse(&lx, &q->a, &st, &q->err);
    if (tail)
        *tail = sql + lx.pos;
    if (rc == OTS_OK && !st) {
        ots_query_close(q);
        return OTS_OK;
    }
    if (rc == OTS_OK) {
        if (st->kind == ST_SELECT || st->kind == ST_EXPLAIN)
            rc = ots_q_exec_select(q, st->sel, st->kind == ST_EXPLAIN);
        else if ((rc = ots_q_exec_stmt(q, st)) == OTS_OK)
            q->end = q->res.n;
    }
    if (rc == OTS_OK && q->a.oom)
        rc = ots_q_err(&q->err, OTS_ENOMEM, "out of memory");
    if (rc) {
        if (!q->err.rc)
            ots_q_err(&q->err, rc, "%s", ots_strerror(rc));
        ots_q_store_err(s, q->err.rc, q->err.msg);
        rc = q->err.rc;
        ots_query_close(q);
        return rc;
    }
    q->src = NULL;
    if (!q->res.types)
        ots_q_result_init(q, 0, 0);
    *out = q;
    return OTS_OK;
}

size_t ots_query_ncols(const ots_query *q) { return q ? q->nout : 0; }

const char *ots_query_col_name(const ots_query *q, size_t i) { return q && i < q->nout ? q->res.names[i] : NULL; }

ots_type ots_query_col_type(const ots_query *q, size_t i)
{
    if (!q || i >= q->nout)
        return (ots_type)0;
    int t = q->res.types[i];
    return (ots_type)(t == OTS_TAG ? OTS_STRING : t);
}

int ots_query_next(ots_query *q, const ots_batch **out)
{
    if (!q || !out)
        return OTS_EINVAL;
    if (q->nout == 0)
        return 0;
    if (q->pos >= q->end) {
        if (!q->stream)
            return 0;
        int rc = ots_q_stream_next(q);
        if (rc < 0)
            ots_q_store_err(q->s, rc, q->err.msg);
        if (rc <= 0)
            return rc;
    }
    size_t n = q->end - q->pos;
    if (n > Q_BATCH)
        n = Q_BATCH;
    if (!q->cols) {
        q->cols = ots_calloc(q->nout, sizeof *q->cols);
        /* per column: 8 bytes of value + 1 of valid per row */
        q->page = ots_malloc(q->nout * (size_t)Q_BATCH * 9);
        if (!q->cols || !q->page) {
            ots_q_store_err(q->s, OTS_ENOMEM, "out of memory");
            return OTS_ENOMEM;
        }
    }
    uint8_t *mem = q->page;
    for (size_t c = 0; c < q->nout; c++) {
        ots_column *col = &q->cols[c];
        uint8_t *vals = mem + c * (size_t)Q_BATCH * 9;
        uint8_t *valid = vals + (size_t)Q_BATCH * 8;
        int t = q->res.types[c];
        memset(col, 0, sizeof *col);
        col->type = (ots_type)(t == OTS_TAG ? OTS_STRING : t);
        col->name = q->res.names[c];
        int anynull = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = q->perm ? q->perm[q->pos + i] : q->pos + i;
            qval v = ots_q_tab_get(&q->res, c, r);
            valid[i] = !v.null;
            anynull |= v.null;
            if (t == OTS_DOUBLE)
                ((double *)(void *)vals)[i] = v.f;
            else if (t == OTS_BOOLEAN)
                vals[i] = (uint8_t)v.i;
            else if (t == OTS_STRING || t == OTS_TAG)
                ((const char **)(void *)vals)[i] = v.s;
            else
                ((int64_t *)(void *)vals)[i] = v.i;
        }
        if (t == OTS_DOUBLE)
            col->f64 = (const double *)(void *)vals;
        else if (t == OTS_BOOLEAN)
            col->b = vals;
        else if (t == OTS_STRING || t == OTS_TAG)
            col->str = (const char *const *)(void *)vals;
        else
            col->i64 = (const int64_t *)(void *)vals;
        col->valid = anynull ? valid : NULL;
    }
    q->pos += n;
    memset(&q->batch, 0, sizeof q->batch);
    q->batch.nrows = n;
    q->batch.ncols = q->nout;
    q->batch.cols = q->cols;
    *out = &q->batch;
    return 1;
}

const char *ots_query_status(const ots_query *q) { return q ? q->status : ""; }

void ots_query_close(ots_query *q)
{
    if (!q)
        return;
    ots_q_stream_close(q);
    ots_q_tab_fini(&q->res);
    for (size_t i = 0; i < q->ntzs; i++)
        ots_fmt_tz_free(q->tzs[i]);
    ots_free(q->tzs);
    ots_free(q->perm);
    ots_free(q->cols);
    ots_free(q->page);
    ots_q_arena_free(&q->a);
    ots_free(q);
}
