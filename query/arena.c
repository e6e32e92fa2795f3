/*
 * arena.c — the statement arena (everything a statement allocates is freed
 * together at ots_query_close), query error messages and the result table
 * (qtab) that every statement's rows are collected into.
 */
#include <stdio.h>
#include <string.h>

#include "query/query_int.h"

void *ots_q_alloc(qarena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    qarena_blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = ots_malloc(sizeof(qarena_blk) + 16 + cap);
        if (!b) {
            a->oom = 1;
            return NULL;
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    char *base = (char *)b + ((sizeof(qarena_blk) + 15) & ~(size_t)15);
    void *p = base + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *ots_q_strndup(qarena *a, const char *s, size_t n)
{
    char *p = ots_q_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

void ots_q_arena_free(qarena *a)
{
    qarena_blk *b = a->head;
    while (b) {
        qarena_blk *n = b->next;
        ots_free(b);
        b = n;
    }
    a->head = NULL;
    a->oom = 0;
}

int ots_q_err(qerr *e, int rc, const char *fmt, ...)
{
    if (e->rc)
        return e->rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->rc = rc;
    return rc;
}

int ots_q_err_at(qerr *e, int line, int col, const char *fmt, ...)
{
    if (e->rc)
        return e->rc;
    char tmp[440];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    snprintf(e->msg, sizeof e->msg, "line %d, column %d: %s", line, col, tmp);
    e->rc = OTS_EINVAL;
    return OTS_EINVAL;
}

/* ---- result table --------------------------------------------------------------- */
int ots_q_tab_init(qtab *t, size_t ncols, qarena *a)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    size_t m = ncols ? ncols : 1;
    t->types = ots_q_alloc(a, m * sizeof *t->types);
    t->names = ots_q_alloc(a, m * sizeof *t->names);
    t->i64 = ots_q_alloc(a, m * sizeof *t->i64);
    t->f64 = ots_q_alloc(a, m * sizeof *t->f64);
    t->b = ots_q_alloc(a, m * sizeof *t->b);
    t->str = ots_q_alloc(a, m * sizeof *t->str);
    t->valid = ots_q_alloc(a, m * sizeof *t->valid);
    return a->oom ? OTS_ENOMEM : OTS_OK;
}

void ots_q_tab_fini(qtab *t)
{
    for (size_t c = 0; c < t->ncols && t->valid; c++) {
        ots_free(t->i64[c]);
        ots_free(t->f64[c]);
        ots_free(t->b[c]);
        ots_free(t->str[c]);
        ots_free(t->valid[c]);
    }
    ots_q_arena_free(&t->strs);
    t->ncols = 0;
}

static int grow(void **p, size_t n, size_t sz)
{
    void *q = ots_realloc(*p, n * sz);
    if (!q)
        return OTS_ENOMEM;
    *p = q;
    return OTS_OK;
}

int ots_q_tab_reserve(qtab *t, size_t more)
{
    if (t->n + more <= t->cap)
        return OTS_OK;
    size_t cap = t->cap ? t->cap * 2 : 256;
    while (cap < t->n + more)
        cap *= 2;
    for (size_t c = 0; c < t->ncols; c++) {
        int ty = t->types[c];
        int rc = grow((void **)&t->valid[c], cap, 1);
        if (rc == OTS_OK) {
            if (ty == OTS_DOUBLE)
                rc = grow((void **)&t->f64[c], cap, sizeof(double));
            else if (ty == OTS_BOOLEAN)
                rc = grow((void **)&t->b[c], cap, 1);
            else if (ty == OTS_STRING || ty == OTS_TAG)
                rc = grow((void **)&t->str[c], cap, sizeof(char *));
            else
                rc = grow((void **)&t->i64[c], cap, sizeof(int64_t));
        }
        if (rc)
            return rc;
    }
    t->cap = cap;
    return OTS_OK;
}

void ots_q_tab_put(qtab *t, size_t c, size_t row, const qval *v)
{
    int ty = t->types[c];
    t->valid[c][row] = !v->null;
    if (ty == OTS_DOUBLE)
        t->f64[c][row] = v->null ? 0 : v->f;
    else if (ty == OTS_BOOLEAN)
        t->b[c][row] = v->null ? 0 : (uint8_t)(v->i != 0);
    else if (ty == OTS_STRING || ty == OTS_TAG)
        t->str[c][row] = v->null ? "" : v->s;
    else
        t->i64[c][row] = v->null ? 0 : v->i;
}

qval ots_q_tab_get(const qtab *t, size_t c, size_t row)
{
    qval v = {0};
    v.type = t->types[c];
    v.null = !t->valid[c][row];
    if (v.type == OTS_DOUBLE)
        v.f = t->f64[c][row];
    else if (v.type == OTS_BOOLEAN)
        v.i = t->b[c][row];
    else if (v.type == OTS_STRING || v.type == OTS_TAG)
        v.s = t->str[c][row];
    else
        v.i = t->i64[c][row];
    return v;
}

/* Copies strings into the table's own arena; values are converted to the
 * column type by the caller (types must match, or v is QT_NULL). */
int ots_q_tab_put_vec(qtab *t, size_t c, const qvec *v)
{
    size_t base = t->n;
    int ty = t->types[c];
    for (size_t i = 0; i < v->n; i++) {
        qval x = ots_q_vec_get(v, i);
        if (!x.null && (ty == OTS_STRING || ty == OTS_TAG)) {
            x.s = ots_q_strndup(&t->strs, x.s, strlen(x.s));
            if (!x.s)
                return OTS_ENOMEM;
        }
        if (x.type == QT_NULL)
            x.null = 1;
        ots_q_tab_put(t, c, base + i, &x);
    }
    return OTS_OK;
}
