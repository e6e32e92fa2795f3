/*
 * plan.c — from a parsed SELECT to an executable splan: names resolved
 * against the table's schema, every expression typed (type errors name the
 * column and the types), aggregates collected, GROUP BY / ORDER BY items
 * matched to select items by alias, position or expression, and the WHERE
 * conjuncts that the storage can answer pushed into the scan:
 *
 *   tag = 'v', tag IN ('a', 'b')         -> ots_tag_pred (city/zone prune partitions)
 *   ts op constant, ts BETWEEN c1 AND c2 -> [ts_min, ts_max)
 *
 * Constants may be timestamp strings ('2026-11-01', '…T06:00:00Z', parsed
 * in UTC) or expressions without columns (now() - INTERVAL '1 day').
 * Pushed conjuncts are exact and leave the residual filter.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "query/query_int.h"

static int is_str(int t) { return t == OTS_STRING || t == OTS_TAG; }
static int is_num(int t) { return t == OTS_BIGINT || t == OTS_DOUBLE; }

static int oom(ots_query *q) { return ots_q_err(&q->err, OTS_ENOMEM, "out of memory"); }

const char *ots_q_expr_text(ots_query *q, const expr *e)
{
    if (!q->src || e->end <= e->off)
        return "?";
    size_t n = e->end - e->off;
    char *o = ots_q_alloc(&q->a, n + 1);
    if (!o)
        return "?";
    size_t k = 0;
    int instr = 0, sp = 0;
    for (size_t i = 0; i < n; i++) {
        char c = q->src[e->off + i];
        if (c == '\'')
            instr = !instr;
        if (!instr && isspace((unsigned char)c)) {
            sp = 1;
            continue;
        }
        if (sp && k)
            o[k++] = ' ';
        sp = 0;
        o[k++] = c;
    }
    o[k] = 0;
    return o;
}

/* Structural equality of two (possibly resolved) expressions. */
static int expr_eq(const expr *a, const expr *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind || a->op != b->op || a->neg != b->neg || a->distinct != b->distinct || a->na != b->na ||
        a->has_else != b->has_else || a->has_operand != b->has_operand)
        return 0;
    if ((a->name || b->name) && (!a->name || !b->name || strcmp(a->name, b->name)))
        return 0;
    if (a->kind == E_LIT) {
        if (a->lit.type != b->lit.type || a->lit.null != b->lit.null)
            return 0;
        if (a->lit.type == OTS_STRING)
            return !strcmp(a->lit.s, b->lit.s);
        if (a->lit.type == OTS_DOUBLE)
            return a->lit.f == b->lit.f;
        return a->lit.i == b->lit.i;
    }
    if (a->kind == E_AGG && a->pct != b->pct)
        return 0;
    for (size_t i = 0; i < a->na; i++)
        if (!expr_eq(a->a[i], b->a[i]))
            return 0;
    return 1;
}

static int has_agg(const expr *e)
{
    if (e->kind == E_AGG)
        return 1;
    for (size_t i = 0; i < e->na; i++)
        if (has_agg(e->a[i]))
            return 1;
    return 0;
}

static int has_col(const expr *e)
{
    if (e->kind == E_COL || e->kind == E_SLOT || e->kind == E_AGG || e->kind == E_STAR)
        return 1;
    for (size_t i = 0; i < e->na; i++)
        if (has_col(e->a[i]))
            return 1;
    return 0;
}

static int schema_col(const splan *p, const char *name)
{
    for (size_t i = 0; p->has_table && i < p->ti.ncols; i++)
        if (!strcmp(p->ti.cols[i].name, name))
            return (int)i;
    return -1;
}

static int add_scol(splan *p, int sc)
{
    const char *name = p->ti.cols[sc].name;
    for (size_t i = 0; i < p->nscols; i++)
        if (!strcmp(p->scols[i], name))
            return (int)i;
    if (p->nscols == p->capscols) {
        size_t nc = p->capscols ? p->capscols * 2 : 16;
        const char **n = ots_q_alloc(&p->q->a, nc * sizeof *n);
        int *t = ots_q_alloc(&p->q->a, nc * sizeof *t);
        if (!n || !t)
            return oom(p->q);
        if (p->nscols) {
            memcpy(n, p->scols, p->nscols * sizeof *n);
            memcpy(t, p->stypes, p->nscols * sizeof *t);
        }
        p->scols = n, p->stypes = t, p->capscols = nc;
    }
    p->scols[p->nscols] = name;
    p->stypes[p->nscols] = p->ti.cols[sc].type;
    if (!strcmp(name, "ts"))
        p->ts_slot = (int)p->nscols;
    return (int)p->nscols++;
}

static const char *opname(int op)
{
    static const char *n[] = {"?", "+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "||"};
    return op > 0 && op <= OP_CAT ? n[op] : "?";
}

/* "STRING (column 'status')" */
static const char *describe(ots_query *q, const expr *e)
{
    char buf[128];
    if (e->kind == E_COL)
        snprintf(buf, sizeof buf, "%s (column '%s')", ots_q_type_name(e->type), e->name);
    else
        snprintf(buf, sizeof buf, "%s", ots_q_type_name(e->type));
    char *s = ots_q_strndup(&q->a, buf, strlen(buf));
    return s ? s : "?";
}

/* Turn a string literal compared with a TIMESTAMP into a timestamp. */
static int coerce_ts(ots_query *q, expr *e)
{
    if (e->type != OTS_STRING)
        return OTS_OK;
    if (e->kind != E_LIT)
        return OTS_OK;
    ots_fmt_err fe;
    memset(&fe, 0, sizeof fe);
    int64_t ts;
    if (ots_fmt_ts_parse(e->lit.s, strlen(e->lit.s), NULL, &ts, &fe))
        return ots_q_err_at(&q->err, e->line, e->col, "bad timestamp '%s': %s", e->lit.s, fe.msg);
    e->lit.type = OTS_TIMESTAMP;
    e->lit.i = ts;
    e->lit.s = NULL;
    e->type = OTS_TIMESTAMP;
    return OTS_OK;
}

static int comparable(int a, int b)
{
    if (a == QT_NULL || b == QT_NULL)
        return 1;
    if (is_num(a) && is_num(b))
        return 1;
    if (is_str(a) && is_str(b))
        return 1;
    return a == b;
}

static int check_cmp(ots_query *q, expr *x, expr *y, const expr *at, const char *what)
{
    int rc;
    if (x->type == OTS_TIMESTAMP && (rc = coerce_ts(q, y)))
        return rc;
    if (y->type == OTS_TIMESTAMP && (rc = coerce_ts(q, x)))
        return rc;
    if (!comparable(x->type, y->type))
        return ots_q_err_at(&q->err, at->line, at->col, "cannot compare %s with %s in %s", describe(q, x),
                            describe(q, y), what);
    return OTS_OK;
}

static int unify(int a, int b)
{
    if (a == QT_NULL)
        return b;
    if (b == QT_NULL)
        return a;
    if (a == b)
        return a;
    if (is_num(a) && is_num(b))
        return OTS_DOUBLE;
    if (is_str(a) && is_str(b))
        return OTS_STRING;
    return -1;
}

static int want_bool(ots_query *q, const expr *e, const char *where)
{
    if (e->type != OTS_BOOLEAN && e->type != QT_NULL)
        return ots_q_err_at(&q->err, e->line, e->col, "%s must be BOOLEAN, not %s", where, describe(q, e));
    return OTS_OK;
}

static int resolve_bucket(splan *p, expr *e)
{
    ots_query *q = p->q;
    if (e->na < 2 || e->na > 3)
        return ots_q_err_at(&q->err, e->line, e->col,
                            "time_bucket takes (width, ts [, time zone]), e.g. time_bucket('1 hour', ts)");
    expr *w = e->a[0];
    if (w->kind != E_LIT || (w->lit.type != OTS_STRING && w->lit.type != QT_INTERVAL))
        return ots_q_err_at(&q->err, w->line, w->col, "time_bucket width must be a string such as '15 minutes'");
    if (e->a[1]->type != OTS_TIMESTAMP)
        return ots_q_err_at(&q->err, e->a[1]->line, e->a[1]->col, "time_bucket needs a TIMESTAMP, not %s",
                            describe(q, e->a[1]));
    qbucket *b = ots_q_alloc(&q->a, sizeof *b);
    if (!b)
        return oom(q);
    if (w->lit.type == QT_INTERVAL) {
        b->ns = w->lit.i;
    } else if (ots_q_interval_parse(w->lit.s, &b->ns, &b->months, &b->days)) {
        return ots_q_err_at(&q->err, w->line, w->col,
                            "bad time_bucket width '%s', expected e.g. '15 minutes', '1 day', '1 month'", w->lit.s);
    }
    if (!b->months && !b->days && b->ns <= 0)
        return ots_q_err_at(&q->err, w->line, w->col, "time_bucket width must be positive");
    if (e->na == 3) {
        expr *z = e->a[2];
        if (z->kind != E_LIT || z->lit.type != OTS_STRING)
            return ots_q_err_at(&q->err, z->line, z->col,
                                "time_bucket time zone must be a string such as 'Europe/London'");
        ots_tz *tz = NULL;
        ots_fmt_err fe;
        memset(&fe, 0, sizeof fe);
        int rc = ots_fmt_tz_load(z->lit.s, &tz, &fe);
        if (rc == OTS_ENOMEM)
            return oom(q);
        if (rc)
            return ots_q_err_at(&q->err, z->line, z->col, "unknown time zone '%s'", z->lit.s);
        ots_tz **n = ots_realloc(q->tzs, (q->ntzs + 1) * sizeof *n);
        if (!n) {
            ots_fmt_tz_free(tz);
            return oom(q);
        }
        q->tzs = n;
        q->tzs[q->ntzs++] = tz;
        b->tz = tz;
    }
    e->aux = b;
    e->type = OTS_TIMESTAMP;
    return OTS_OK;
}

static int resolve(splan *p, expr *e, int allow_agg);

static int type_func(splan *p, expr *e)
{
    ots_query *q = p->q;
    const char *f = e->name;
    int t0 = e->na ? e->a[0]->type : QT_NULL;
#define NARGS(lo, hi)                                                                               \
    if (e->na < (lo) || e->na > (hi))                                                               \
        return ots_q_err_at(&q->err, e->line, e->col, "%s() takes %d%s argument%s, not %zu", f, lo, \
                            (hi) > (lo) ? " or more" : "", (hi) == 1 ? "" : "s", e->na);
    if (!strcmp(f, "now")) {
        if (e->na)
            return ots_q_err_at(&q->err, e->line, e->col, "now() takes no arguments");
        e->type = OTS_TIMESTAMP;
    } else if (!strcmp(f, "time_bucket")) {
        return resolve_bucket(p, e);
    } else if (!strcmp(f, "abs") || !strcmp(f, "round") || !strcmp(f, "floor") || !strcmp(f, "ceil")) {
        if (!strcmp(f, "round")) {
            NARGS(1, 2);
        } else {
            NARGS(1, 1);
        }
        if (!is_num(t0) && t0 != QT_NULL)
            return ots_q_err_at(&q->err, e->line, e->col, "%s() needs a number, not %s", f, describe(q, e->a[0]));
        if (e->na == 2 && e->a[1]->type != OTS_BIGINT)
            return ots_q_err_at(&q->err, e->a[1]->line, e->a[1]->col, "round() digits must be BIGINT");
        e->type = t0 == QT_NULL ? OTS_DOUBLE : t0;
    } else if (!strcmp(f, "lower") || !strcmp(f, "upper") || !strcmp(f, "length")) {
        NARGS(1, 1);
        if (!is_str(t0) && t0 != QT_NULL)
            return ots_q_err_at(&q->err, e->line, e->col, "%s() needs a STRING, not %s", f, describe(q, e->a[0]));
        e->type = f[0] == 'l' && f[1] == 'e' ? OTS_BIGINT : OTS_STRING;
    } else if (!strcmp(f, "coalesce")) {
        if (e->na < 1)
            return ots_q_err_at(&q->err, e->line, e->col, "coalesce() takes 1 or more arguments");
        int t = QT_NULL;
        for (size_t i = 0; i < e->na; i++) {
            int u = unify(t, e->a[i]->type);
            if (u < 0)
                return ots_q_err_at(&q->err, e->a[i]->line, e->a[i]->col, "coalesce() mixes %s and %s",
                                    ots_q_type_name(t), describe(q, e->a[i]));
            t = u;
        }
        e->type = t;
    }
#undef NARGS
    return OTS_OK;
}

static int type_agg(splan *p, expr *e)
{
    ots_query *q = p->q;
    const char *f = e->name;
    if (!strcmp(f, "count")) {
        if (e->na > 1)
            return ots_q_err_at(&q->err, e->line, e->col, "count() takes one argument or *");
        e->type = OTS_BIGINT;
        return OTS_OK;
    }
    if (!strcmp(f, "percentile_cont")) {
        expr *fr = e->a[1];
        qval v;
        if (has_col(fr) || ots_q_eval_const(fr, &q->a, q->now_ns, &q->err, &v))
            return ots_q_err_at(&q->err, fr->line, fr->col, "percentile_cont fraction must be a constant");
        double d = v.type == OTS_DOUBLE ? v.f : (double)v.i;
        if (v.null || !is_num(v.type) || !(d >= 0 && d <= 1))
            return ots_q_err_at(&q->err, fr->line, fr->col, "percentile_cont fraction must be between 0 and 1");
        e->pct = d;
        e->na = 1;
    }
    if (e->na != 1)
        return ots_q_err_at(&q->err, e->line, e->col, "%s() takes one argument", f);
    int t = e->a[0]->type;
    if (!strcmp(f, "sum") || !strcmp(f, "avg") || !strcmp(f, "stddev") || !strcmp(f, "percentile_cont")) {
        if (!is_num(t) && t != QT_NULL)
            return ots_q_err_at(&q->err, e->line, e->col, "%s() needs a number, not %s", f, describe(q, e->a[0]));
        e->type = !strcmp(f, "sum") && t == OTS_BIGINT ? OTS_BIGINT : OTS_DOUBLE;
        return OTS_OK;
    }
    if (!strcmp(f, "first") || !strcmp(f, "last")) {
        if (p->ts_slot < 0) {
            int sc = schema_col(p, "ts");
            if (sc < 0)
                return ots_q_err_at(&q->err, e->line, e->col, "%s() needs a table with a ts column", f);
            if (add_scol(p, sc) < 0)
                return q->err.rc;
        }
    }
    e->type = t == OTS_TAG ? OTS_STRING : t == QT_NULL ? OTS_STRING : t;
    return OTS_OK;
}

/* Resolve names and types of e in the scan environment. */
static int resolve(splan *p, expr *e, int allow_agg)
{
    ots_query *q = p->q;
    int rc;
    switch (e->kind) {
    case E_LIT: e->type = e->lit.type; return OTS_OK;
    case E_STAR:
        return ots_q_err_at(&q->err, e->line, e->col, "'*' is only allowed alone in the select list or in count(*)");
    case E_COL: {
        int sc = schema_col(p, e->name);
        if (sc < 0) {
            if (!p->has_table)
                return ots_q_err_at(&q->err, e->line, e->col, "no column '%s' (the query has no FROM)", e->name);
            return ots_q_err_at(&q->err, e->line, e->col, "no column '%s' in table '%s'", e->name, p->ti.name);
        }
        int slot = add_scol(p, sc);
        if (slot < 0)
            return q->err.rc;
        e->slot = slot;
        e->type = p->ti.cols[sc].type == OTS_TAG ? OTS_STRING : (int)p->ti.cols[sc].type;
        return OTS_OK;
    }
    case E_AGG:
        if (!allow_agg)
            return ots_q_err_at(&q->err, e->line, e->col, "aggregate %s() is not allowed here", e->name);
        for (size_t i = 0; i < e->na; i++)
            if ((rc = resolve(p, e->a[i], 0)))
                return rc;
        return type_agg(p, e);
    default: break;
    }
    for (size_t i = 0; i < e->na; i++)
        if ((rc = resolve(p, e->a[i], allow_agg)))
            return rc;
    expr **a = e->a;
    switch (e->kind) {
    case E_BIN: {
        int x = a[0]->type, y = a[1]->type;
        if (e->op == OP_AND || e->op == OP_OR) {
            if ((rc = want_bool(q, a[0], opname(e->op))) || (rc = want_bool(q, a[1], opname(e->op))))
                return rc;
            e->type = OTS_BOOLEAN;
        } else if (e->op >= OP_EQ && e->op <= OP_GE) {
            if ((rc = check_cmp(q, a[0], a[1], e, opname(e->op))))
                return rc;
            e->type = OTS_BOOLEAN;
        } else if (e->op == OP_CAT) {
            if ((!is_str(x) && x != QT_NULL) || (!is_str(y) && y != QT_NULL))
                goto bad;
            e->type = OTS_STRING;
        } else if (x == QT_NULL || y == QT_NULL) {
            int o = x == QT_NULL ? y : x;
            e->type = o == QT_NULL ? OTS_BIGINT : o;
        } else if (is_num(x) && is_num(y)) {
            e->type = (x == OTS_DOUBLE || y == OTS_DOUBLE || e->op == OP_DIV) ? OTS_DOUBLE : OTS_BIGINT;
        } else if (x == OTS_TIMESTAMP && y == QT_INTERVAL && (e->op == OP_ADD || e->op == OP_SUB)) {
            e->type = OTS_TIMESTAMP;
        } else if (x == QT_INTERVAL && y == OTS_TIMESTAMP && e->op == OP_ADD) {
            e->type = OTS_TIMESTAMP;
        } else if (x == OTS_TIMESTAMP && y == OTS_TIMESTAMP && e->op == OP_SUB) {
            e->type = QT_INTERVAL;
        } else if (x == QT_INTERVAL && y == QT_INTERVAL && (e->op == OP_ADD || e->op == OP_SUB)) {
            e->type = QT_INTERVAL;
        } else if (((x == QT_INTERVAL && y == OTS_BIGINT) || (x == OTS_BIGINT && y == QT_INTERVAL)) &&
                   e->op == OP_MUL) {
            e->type = QT_INTERVAL;
        } else {
        bad:
            return ots_q_err_at(&q->err, e->line, e->col, "operator '%s' cannot take %s and %s", opname(e->op),
                                describe(q, a[0]), describe(q, a[1]));
        }
        return OTS_OK;
    }
    case E_NOT:
        if ((rc = want_bool(q, a[0], "NOT's operand")))
            return rc;
        e->type = OTS_BOOLEAN;
        return OTS_OK;
    case E_NEG:
        if (!is_num(a[0]->type) && a[0]->type != QT_INTERVAL && a[0]->type != QT_NULL)
            return ots_q_err_at(&q->err, e->line, e->col, "cannot negate %s", describe(q, a[0]));
        e->type = a[0]->type == QT_NULL ? OTS_BIGINT : a[0]->type;
        return OTS_OK;
    case E_ISNULL: e->type = OTS_BOOLEAN; return OTS_OK;
    case E_IN:
        for (size_t i = 1; i < e->na; i++)
            if ((rc = check_cmp(q, a[0], a[i], a[i], "IN")))
                return rc;
        e->type = OTS_BOOLEAN;
        return OTS_OK;
    case E_BETWEEN:
        if ((rc = check_cmp(q, a[0], a[1], a[1], "BETWEEN")) || (rc = check_cmp(q, a[0], a[2], a[2], "BETWEEN")))
            return rc;
        e->type = OTS_BOOLEAN;
        return OTS_OK;
    case E_LIKE:
        if ((!is_str(a[0]->type) && a[0]->type != QT_NULL) || (!is_str(a[1]->type) && a[1]->type != QT_NULL))
            return ots_q_err_at(&q->err, e->line, e->col, "LIKE needs strings, not %s and %s", describe(q, a[0]),
                                describe(q, a[1]));
        e->type = OTS_BOOLEAN;
        return OTS_OK;
    case E_CASE: {
        size_t k = e->has_operand ? 1 : 0;
        size_t npairs = (e->na - k - (size_t)e->has_else) / 2;
        int t = QT_NULL;
        for (size_t j = 0; j < npairs; j++, k += 2) {
            if (e->has_operand) {
                if ((rc = check_cmp(q, a[0], a[k], a[k], "CASE")))
                    return rc;
            } else if ((rc = want_bool(q, a[k], "a WHEN condition"))) {
                return rc;
            }
            int u = unify(t, a[k + 1]->type);
            if (u < 0)
                return ots_q_err_at(&q->err, a[k + 1]->line, a[k + 1]->col, "CASE mixes %s and %s", ots_q_type_name(t),
                                    describe(q, a[k + 1]));
            t = u;
        }
        if (e->has_else) {
            int u = unify(t, a[e->na - 1]->type);
            if (u < 0)
                return ots_q_err_at(&q->err, a[e->na - 1]->line, a[e->na - 1]->col, "CASE mixes %s and %s",
                                    ots_q_type_name(t), describe(q, a[e->na - 1]));
            t = u;
        }
        e->type = t;
        return OTS_OK;
    }
    case E_FUNC: return type_func(p, e);
    case E_CAST: {
        int from = a[0]->type, to = e->op;
        int ok = from == QT_NULL || from == to || is_str(to) || (is_str(from) && to != QT_INTERVAL) ||
                 (is_num(from) && is_num(to)) || (from == OTS_BOOLEAN && to == OTS_BIGINT) ||
                 (from == OTS_BIGINT && (to == OTS_BOOLEAN || to == OTS_TIMESTAMP)) ||
                 (from == OTS_TIMESTAMP && to == OTS_BIGINT) || (from == QT_INTERVAL && to == OTS_BIGINT);
        if (!ok)
            return ots_q_err_at(&q->err, e->line, e->col, "cannot cast %s to %s", describe(q, a[0]),
                                ots_q_type_name(to));
        e->type = to;
        return OTS_OK;
    }
    default: return ots_q_err(&q->err, OTS_ERROR, "internal error: unexpected node %d", (int)e->kind);
    }
}

/* ---- aggregation: rewrite outputs over (keys…, aggregates…) ------------------ */
static expr *mk_slot(ots_query *q, const expr *from, int slot, int type)
{
    expr *s = ots_q_alloc(&q->a, sizeof *s);
    if (!s) {
        oom(q);
        return NULL;
    }
    *s = *from;
    s->kind = E_SLOT;
    s->slot = slot;
    s->type = type;
    s->na = 0;
    s->a = NULL;
    return s;
}

static int add_agg(splan *p, expr *e)
{
    for (size_t i = 0; i < p->naggs; i++)
        if (expr_eq(p->aggs[i], e))
            return (int)i;
    if (p->naggs == p->capaggs) {
        size_t nc = p->capaggs ? p->capaggs * 2 : 8;
        expr **n = ots_q_alloc(&p->q->a, nc * sizeof *n);
        if (!n)
            return oom(p->q);
        if (p->naggs)
            memcpy(n, p->aggs, p->naggs * sizeof *n);
        p->aggs = n, p->capaggs = nc;
    }
    p->aggs[p->naggs] = e;
    return (int)p->naggs++;
}

/* e was resolved in the scan env; returns its copy over the group env. */
static int rewrite(splan *p, expr *e, expr **out)
{
    ots_query *q = p->q;
    for (size_t k = 0; k < p->nkeys; k++)
        if (expr_eq(e, p->keys[k])) {
            *out = mk_slot(q, e, (int)k, p->keys[k]->type);
            return *out ? OTS_OK : q->err.rc;
        }
    if (e->kind == E_AGG) {
        int i = add_agg(p, e);
        if (i < 0)
            return q->err.rc;
        *out = mk_slot(q, e, (int)p->nkeys + i, e->type);
        return *out ? OTS_OK : q->err.rc;
    }
    if (e->kind == E_COL)
        return ots_q_err_at(&q->err, e->line, e->col, "column '%s' must appear in GROUP BY or be used in an aggregate",
                            e->name);
    expr *c = ots_q_alloc(&q->a, sizeof *c);
    if (!c)
        return oom(q);
    *c = *e;
    if (e->na) {
        c->a = ots_q_alloc(&q->a, e->na * sizeof *c->a);
        if (!c->a)
            return oom(q);
        for (size_t i = 0; i < e->na; i++) {
            int rc = rewrite(p, e->a[i], &c->a[i]);
            if (rc)
                return rc;
        }
    }
    *out = c;
    return OTS_OK;
}

static int add_out(splan *p, expr *e, const char *name)
{
    if (p->nouts == p->capouts) {
        size_t nc = p->capouts ? p->capouts * 2 : 16;
        expr **n = ots_q_alloc(&p->q->a, nc * sizeof *n);
        const char **nm = ots_q_alloc(&p->q->a, nc * sizeof *nm);
        if (!n || !nm)
            return oom(p->q);
        if (p->nouts) {
            memcpy(n, p->outs, p->nouts * sizeof *n);
            memcpy(nm, p->names, p->nouts * sizeof *nm);
        }
        p->outs = n, p->names = nm, p->capouts = nc;
    }
    p->outs[p->nouts] = e;
    p->names[p->nouts] = name;
    return (int)p->nouts++;
}

/* ---- pushdown --------------------------------------------------------------------------- */
static int const_ts(splan *p, expr *e, int64_t *out)
{
    if (has_col(e) || e->type != OTS_TIMESTAMP)
        return 0;
    qval v;
    if (ots_q_eval_const(e, &p->q->a, p->q->now_ns, &p->q->err, &v) || v.null)
        return 0;
    *out = v.i;
    return 1;
}

static int is_tag_col(const splan *p, const expr *e)
{
    if (e->kind != E_COL)
        return 0;
    int sc = schema_col(p, e->name);
    return sc >= 0 && p->ti.cols[sc].type == OTS_TAG;
}

static int is_ts_col(const expr *e) { return e->kind == E_COL && !strcmp(e->name, "ts") && e->type == OTS_TIMESTAMP; }

static int add_pred(splan *p, const char *col, const char **vals, size_t n)
{
    if (p->npreds == p->cappreds) {
        size_t nc = p->cappreds ? p->cappreds * 2 : 4;
        ots_tag_pred *np = ots_q_alloc(&p->q->a, nc * sizeof *np);
        if (!np)
            return oom(p->q);
        if (p->npreds)
            memcpy(np, p->preds, p->npreds * sizeof *np);
        p->preds = np, p->cappreds = nc;
    }
    p->preds[p->npreds++] = (ots_tag_pred){col, vals, n};
    return OTS_OK;
}

static void narrow(splan *p, int64_t lo, int64_t hi)
{
    if (lo > p->ts_min)
        p->ts_min = lo;
    if (hi < p->ts_max)
        p->ts_max = hi;
}

/* 1 when conjunct c was pushed into the scan (and needs no evaluation). */
static int push_down(splan *p, expr *c)
{
    if (c->kind == E_BIN && c->op == OP_EQ) {
        expr *col = c->a[0], *v = c->a[1];
        if (!is_tag_col(p, col))
            col = c->a[1], v = c->a[0];
        if (is_tag_col(p, col) && v->kind == E_LIT && v->lit.type == OTS_STRING) {
            const char **vals = ots_q_alloc(&p->q->a, sizeof *vals);
            if (!vals)
                return 0;
            vals[0] = v->lit.s;
            return add_pred(p, col->name, vals, 1) == OTS_OK;
        }
    }
    if (c->kind == E_IN && !c->neg && is_tag_col(p, c->a[0])) {
        for (size_t i = 1; i < c->na; i++)
            if (c->a[i]->kind != E_LIT || c->a[i]->lit.type != OTS_STRING)
                return 0;
        const char **vals = ots_q_alloc(&p->q->a, (c->na - 1) * sizeof *vals);
        if (!vals)
            return 0;
        for (size_t i = 1; i < c->na; i++)
            vals[i - 1] = c->a[i]->lit.s;
        return add_pred(p, c->a[0]->name, vals, c->na - 1) == OTS_OK;
    }
    if (c->kind == E_BIN && c->op >= OP_EQ && c->op <= OP_GE && c->op != OP_NE) {
        int op = c->op;
        expr *col = c->a[0], *v = c->a[1];
        if (!is_ts_col(col)) {
            col = c->a[1], v = c->a[0];
            op = op == OP_LT ? OP_GT : op == OP_GT ? OP_LT : op == OP_LE ? OP_GE : op == OP_GE ? OP_LE : op;
        }
        int64_t t;
        if (!is_ts_col(col) || !const_ts(p, v, &t))
            return 0;
        switch (op) {
        case OP_EQ: narrow(p, t, t == INT64_MAX ? t : t + 1); break;
        case OP_LT: narrow(p, INT64_MIN, t); break;
        case OP_LE: narrow(p, INT64_MIN, t == INT64_MAX ? t : t + 1); break;
        case OP_GT: narrow(p, t == INT64_MAX ? t : t + 1, INT64_MAX); break;
        default: narrow(p, t, INT64_MAX); break;
        }
        return t != INT64_MAX;
    }
    if (c->kind == E_BETWEEN && !c->neg && is_ts_col(c->a[0])) {
        int64_t lo, hi;
        if (!const_ts(p, c->a[1], &lo) || !const_ts(p, c->a[2], &hi) || hi == INT64_MAX)
            return 0;
        narrow(p, lo, hi + 1);
        return 1;
    }
    return 0;
}

static int split_and(splan *p, expr *e, expr **rest)
{
    if (e->kind == E_BIN && e->op == OP_AND) {
        int rc = split_and(p, e->a[0], rest);
        return rc ? rc : split_and(p, e->a[1], rest);
    }
    if (p->has_table && push_down(p, e))
        return OTS_OK;
    if (p->q->err.rc)
        return p->q->err.rc;
    if (!*rest) {
        *rest = e;
        return OTS_OK;
    }
    expr *a = ots_q_alloc(&p->q->a, sizeof *a);
    expr **kids = ots_q_alloc(&p->q->a, 2 * sizeof *kids);
    if (!a || !kids)
        return oom(p->q);
    *a = *e;
    a->kind = E_BIN;
    a->op = OP_AND;
    a->type = OTS_BOOLEAN;
    a->a = kids;
    a->na = 2;
    kids[0] = *rest, kids[1] = e;
    a->off = (*rest)->off < e->off ? (*rest)->off : e->off;
    a->end = (*rest)->end > e->end ? (*rest)->end : e->end;
    *rest = a;
    return OTS_OK;
}

/* Replace names of select aliases (that are not table columns) by the
 * aliased expression, for HAVING and ORDER BY expressions. */
static expr *subst_alias(splan *p, expr *e)
{
    const select_stmt *sel = p->sel;
    if (e->kind == E_COL && schema_col(p, e->name) < 0) {
        for (size_t i = 0; i < sel->nitems; i++)
            if (sel->items[i].alias && !strcmp(sel->items[i].alias, e->name))
                return sel->items[i].e;
        return e;
    }
    for (size_t i = 0; i < e->na; i++)
        e->a[i] = subst_alias(p, e->a[i]);
    return e;
}

int ots_q_table_get(ots_query *q, const char *name, ots_table_info *out)
{
    ots_table_info ti;
    int rc = ots_table_get(q->s, name, &ti);
    if (rc)
        return rc;
    ots_column_def *cols = ots_q_alloc(&q->a, (ti.ncols + 1) * sizeof *cols);
    char *tname = ots_q_strndup(&q->a, ti.name, strlen(ti.name));
    if (!cols || !tname)
        return OTS_ENOMEM;
    for (size_t i = 0; i < ti.ncols; i++) {
        cols[i].type = ti.cols[i].type;
        cols[i].name = ots_q_strndup(&q->a, ti.cols[i].name, strlen(ti.cols[i].name));
        if (!cols[i].name)
            return OTS_ENOMEM;
    }
    *out = ti;
    out->name = tname;
    out->cols = cols;
    out->noptions = 0; /* not copied: callers that need options use ots_table_get */
    out->options = NULL;
    return OTS_OK;
}

/* ---- the select -------------------------------------------------------------------------- */
static const char *item_name(ots_query *q, const sel_item *it)
{
    if (it->alias)
        return it->alias;
    if (it->e->kind == E_COL)
        return it->e->name;
    return ots_q_expr_text(q, it->e);
}

static int const_int(splan *p, expr *e, const char *what, int64_t *out)
{
    ots_query *q = p->q;
    qval v;
    int rc;
    if (has_col(e))
        return ots_q_err_at(&q->err, e->line, e->col, "%s must be a constant", what);
    if ((rc = resolve(p, e, 0)) || (rc = ots_q_eval_const(e, &q->a, q->now_ns, &q->err, &v)))
        return rc;
    if (v.null || v.type != OTS_BIGINT || v.i < 0)
        return ots_q_err_at(&q->err, e->line, e->col, "%s must be a non-negative integer", what);
    *out = v.i;
    return OTS_OK;
}

int ots_q_plan_select(ots_query *q, const select_stmt *sel, splan *p)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->q = q;
    p->sel = sel;
    p->ts_slot = -1;
    p->ts_min = INT64_MIN;
    p->ts_max = INT64_MAX;
    p->limit = -1;
    if (sel->table) {
        if ((rc = ots_q_table_get(q, sel->table, &p->ti))) {
            if (rc == OTS_ENOTFOUND)
                return ots_q_err_at(&q->err, sel->tline, sel->tcol, "no table '%s'", sel->table);
            if (rc == OTS_ENOMEM)
                return oom(q);
            return ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
        }
        p->has_table = 1;
    }
    /* expand *, resolve the select list */
    size_t nitems = 0;
    expr **items = NULL;
    const char **inames = NULL;
    {
        size_t cap = 0;
        for (size_t i = 0; i < sel->nitems; i++)
            cap += sel->items[i].e->kind == E_STAR ? (p->has_table ? p->ti.ncols : 1) : 1;
        items = ots_q_alloc(&q->a, (cap + 1) * sizeof *items);
        inames = ots_q_alloc(&q->a, (cap + 1) * sizeof *inames);
        if (!items || !inames)
            return oom(q);
        for (size_t i = 0; i < sel->nitems; i++) {
            expr *e = sel->items[i].e;
            if (e->kind == E_STAR) {
                if (!p->has_table)
                    return ots_q_err_at(&q->err, e->line, e->col, "SELECT * needs a FROM table");
                for (size_t c = 0; c < p->ti.ncols; c++) {
                    expr *x = ots_q_alloc(&q->a, sizeof *x);
                    if (!x)
                        return oom(q);
                    *x = *e;
                    x->kind = E_COL;
                    x->name = p->ti.cols[c].name;
                    x->slot = -1;
                    items[nitems] = x;
                    inames[nitems++] = x->name;
                }
            } else {
                items[nitems] = e;
                inames[nitems++] = item_name(q, &sel->items[i]);
            }
        }
    }
    for (size_t i = 0; i < nitems; i++)
        if ((rc = resolve(p, items[i], 1)))
            return rc;
    /* WHERE */
    if (sel->where) {
        if (has_agg(sel->where)) {
            const expr *w = sel->where;
            return ots_q_err_at(&q->err, w->line, w->col, "aggregates are not allowed in WHERE (use HAVING)");
        }
        if ((rc = resolve(p, sel->where, 0)) || (rc = want_bool(q, sel->where, "WHERE")))
            return rc;
        if ((rc = split_and(p, sel->where, &p->filter)))
            return rc;
    }
    /* GROUP BY */
    int any_agg = sel->ngroup > 0 || (sel->having != NULL);
    for (size_t i = 0; i < nitems; i++)
        any_agg |= has_agg(items[i]);
    for (size_t i = 0; i < sel->norder; i++)
        any_agg |= has_agg(sel->order[i].e);
    if (sel->distinct) {
        /* SELECT DISTINCT a, b … is grouping by every select item */
        if (any_agg) {
            const expr *e = items[0];
            return ots_q_err_at(&q->err, e->line, e->col,
                                "not supported yet: SELECT DISTINCT with GROUP BY, HAVING or aggregates");
        }
        p->keys = ots_q_alloc(&q->a, (nitems + 1) * sizeof *p->keys);
        if (!p->keys)
            return oom(q);
        for (size_t i = 0; i < nitems; i++)
            p->keys[p->nkeys++] = items[i];
        any_agg = 1;
    }
    p->agg = any_agg;
    if (sel->ngroup) {
        p->keys = ots_q_alloc(&q->a, sel->ngroup * sizeof *p->keys);
        if (!p->keys)
            return oom(q);
        for (size_t g = 0; g < sel->ngroup; g++) {
            expr *e = sel->group[g];
            if (e->kind == E_LIT && e->lit.type == OTS_BIGINT) {
                if (e->lit.i < 1 || (size_t)e->lit.i > nitems)
                    return ots_q_err_at(&q->err, e->line, e->col,
                                        "GROUP BY position %lld is not in the select list (1..%zu)",
                                        (long long)e->lit.i, nitems);
                e = items[e->lit.i - 1];
            } else if (e->kind == E_COL && schema_col(p, e->name) < 0) {
                for (size_t i = 0; i < sel->nitems; i++)
                    if (sel->items[i].alias && !strcmp(sel->items[i].alias, e->name))
                        e = sel->items[i].e;
            }
            if (has_agg(e))
                return ots_q_err_at(&q->err, sel->group[g]->line, sel->group[g]->col,
                                    "aggregates are not allowed in GROUP BY");
            if ((rc = resolve(p, e, 0)))
                return rc;
            p->keys[p->nkeys++] = e;
        }
    }
    /* outputs */
    for (size_t i = 0; i < nitems; i++) {
        expr *e = items[i];
        if (p->agg && (rc = rewrite(p, e, &e)))
            return rc;
        if (add_out(p, e, inames[i]) < 0)
            return q->err.rc;
    }
    p->nvis = p->nouts;
    if (sel->having) {
        expr *h = subst_alias(p, sel->having);
        if ((rc = resolve(p, h, 1)) || (rc = want_bool(q, h, "HAVING")) || (rc = rewrite(p, h, &p->having)))
            return rc;
    }
    /* ORDER BY */
    p->nord = sel->norder;
    p->ord_col = ots_q_alloc(&q->a, (sel->norder + 1) * sizeof *p->ord_col);
    if (!p->ord_col)
        return oom(q);
    for (size_t o = 0; o < sel->norder; o++) {
        expr *e = sel->order[o].e;
        long found = -1;
        if (e->kind == E_LIT && e->lit.type == OTS_BIGINT) {
            if (e->lit.i < 1 || (size_t)e->lit.i > p->nvis)
                return ots_q_err_at(&q->err, e->line, e->col,
                                    "ORDER BY position %lld is not in the select list (1..%zu)", (long long)e->lit.i,
                                    p->nvis);
            found = (long)e->lit.i - 1;
        } else if (e->kind == E_COL) {
            for (size_t i = 0; i < sel->nitems && found < 0; i++)
                if (sel->items[i].alias && !strcmp(sel->items[i].alias, e->name))
                    for (size_t k = 0; k < nitems; k++)
                        if (items[k] == sel->items[i].e)
                            found = (long)k;
        }
        for (size_t i = 0; i < nitems && found < 0; i++)
            if (expr_eq(items[i], e))
                found = (long)i;
        if (found < 0 && sel->distinct)
            return ots_q_err_at(&q->err, e->line, e->col,
                                "for SELECT DISTINCT, ORDER BY expressions must appear in the select list");
        if (found < 0) {
            e = subst_alias(p, e);
            if ((rc = resolve(p, e, 1)))
                return rc;
            if (p->agg && (rc = rewrite(p, e, &e)))
                return rc;
            if ((found = add_out(p, e, "")) < 0)
                return q->err.rc;
        }
        p->ord_col[o] = (size_t)found;
    }
    if (sel->limit && (rc = const_int(p, sel->limit, "LIMIT", &p->limit)))
        return rc;
    if (sel->offset && (rc = const_int(p, sel->offset, "OFFSET", &p->offset)))
        return rc;
    if (p->has_table && p->nscols == 0) {
        int sc = schema_col(p, "ts");
        if (sc < 0 || add_scol(p, sc) < 0)
            return q->err.rc ? q->err.rc : ots_q_err(&q->err, OTS_ERROR, "table without ts");
    }
    return OTS_OK;
}
