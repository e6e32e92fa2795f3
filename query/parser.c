/*
 * parser.c — recursive-descent parser from tokens to the AST of one
 * statement (query_int.h).  Grammar and examples: docs/language.md.
 *
 * Errors name the offending token and what would have been accepted:
 * "line 1, column 8: unexpected 'FORM', expected FROM".  Names in bare
 * words are folded to lower case; "quoted names" are kept as written.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/query_int.h"

typedef struct parser {
    lexer *lx;
    qarena *a;
    qerr *e;
    token cur;
    size_t prev_end;
    int nest; /* recursion depth of the descent */
} parser;

/* Limits that keep recursion (here and in evaluation) bounded. */
#define MAX_NEST 200
#define MAX_DEPTH 1000

static const char *reserved[] = {
    "select", "from",     "where",    "group",  "by",   "having", "order",   "limit", "offset", "as",
    "and",    "or",       "not",      "in",     "is",   "null",   "between", "like",  "case",   "when",
    "then",   "else",     "end",      "asc",    "desc", "nulls",  "true",    "false", "join",   "on",
    "union",  "distinct", "interval", "within", "with", "values", NULL,
};

static int is_reserved(const char *w)
{
    for (int i = 0; reserved[i]; i++)
        if (!strcasecmp(reserved[i], w))
            return 1;
    return 0;
}

static int advance(parser *p)
{
    p->prev_end = p->cur.end;
    return ots_q_lex(p->lx, p->a, &p->cur, p->e);
}

static int is_kw(const parser *p, const char *kw) { return p->cur.kind == TK_IDENT && !strcasecmp(p->cur.s, kw); }

static int is_op(const parser *p, const char *op) { return p->cur.kind == TK_OP && !strcmp(p->cur.s, op); }

static int unexpected(parser *p, const char *expected)
{
    if (p->cur.kind == TK_EOF)
        return ots_q_err_at(p->e, p->cur.line, p->cur.col, "unexpected end of input, expected %s", expected);
    char shown[64];
    size_t n = strlen(p->cur.s);
    if (p->cur.kind == TK_STRING)
        snprintf(shown, sizeof shown, "'%.50s%s'", p->cur.s, n > 50 ? "…" : "");
    else
        snprintf(shown, sizeof shown, "%.50s%s", p->cur.s, n > 50 ? "…" : "");
    return ots_q_err_at(p->e, p->cur.line, p->cur.col, "unexpected %s%s%s, expected %s",
                        p->cur.kind == TK_STRING ? "" : "'", shown, p->cur.kind == TK_STRING ? "" : "'", expected);
}

static int not_supported(parser *p, const char *what)
{
    return ots_q_err_at(p->e, p->cur.line, p->cur.col, "not supported yet: %s", what);
}

static int accept_kw(parser *p, const char *kw, int *rc)
{
    if (!is_kw(p, kw))
        return 0;
    *rc = advance(p);
    return 1;
}

static int expect_kw(parser *p, const char *kw)
{
    if (!is_kw(p, kw)) {
        char up[32];
        size_t i = 0;
        for (; kw[i] && i < sizeof up - 1; i++)
            up[i] = (char)toupper((unsigned char)kw[i]);
        up[i] = 0;
        return unexpected(p, up);
    }
    return advance(p);
}

static int expect_op(parser *p, const char *op)
{
    if (!is_op(p, op)) {
        char q[8];
        snprintf(q, sizeof q, "'%s'", op);
        return unexpected(p, q);
    }
    return advance(p);
}

/* A name: bare word (lower-cased, not a reserved word) or "quoted". */
static int parse_name(parser *p, const char *what, const char **out, int *line, int *col)
{
    if (line)
        *line = p->cur.line, *col = p->cur.col;
    if (p->cur.kind == TK_QIDENT) {
        *out = p->cur.s;
        return advance(p);
    }
    if (p->cur.kind != TK_IDENT || is_reserved(p->cur.s))
        return unexpected(p, what);
    char *s = ots_q_strndup(p->a, p->cur.s, strlen(p->cur.s));
    if (!s)
        return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    *out = s;
    return advance(p);
}

static int parse_string(parser *p, const char *what, const char **out)
{
    if (p->cur.kind != TK_STRING)
        return unexpected(p, what);
    *out = p->cur.s;
    return advance(p);
}

static expr *new_expr(parser *p, ekind k, const token *at)
{
    expr *e = ots_q_alloc(p->a, sizeof *e);
    if (!e) {
        ots_q_err(p->e, OTS_ENOMEM, "out of memory");
        return NULL;
    }
    e->kind = k;
    e->line = at->line;
    e->col = at->col;
    e->off = at->off;
    e->end = at->end;
    e->slot = -1;
    return e;
}

/* Set e's height from its children; an error past MAX_DEPTH. */
static int fix_depth(parser *p, expr *e)
{
    int d = 0;
    for (size_t i = 0; i < e->na; i++)
        if (e->a[i]->depth > d)
            d = e->a[i]->depth;
    e->depth = d + 1;
    if (e->depth > MAX_DEPTH)
        return ots_q_err_at(p->e, e->line, e->col, "expression too long (more than %d levels)", MAX_DEPTH);
    return OTS_OK;
}

/* growable expr* list */
static int push(parser *p, expr ***v, size_t *n, size_t *cap, expr *x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        expr **nv = ots_q_alloc(p->a, nc * sizeof *nv);
        if (!nv)
            return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
        if (*n)
            memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return OTS_OK;
}

static int parse_expr(parser *p, expr **out);

static expr *binary(parser *p, int op, expr *l, expr *r, const token *at)
{
    expr *e = new_expr(p, E_BIN, at);
    if (!e)
        return NULL;
    e->op = op;
    e->a = ots_q_alloc(p->a, 2 * sizeof *e->a);
    if (!e->a) {
        ots_q_err(p->e, OTS_ENOMEM, "out of memory");
        return NULL;
    }
    e->a[0] = l, e->a[1] = r, e->na = 2;
    e->line = l->line, e->col = l->col, e->off = l->off, e->end = r->end;
    if (fix_depth(p, e))
        return NULL;
    return e;
}

static const char *aggs[] = {"count", "sum", "avg", "min", "max", "first", "last", "stddev", "percentile_cont", NULL};
static const char *funcs[] = {"now",   "time_bucket", "abs",    "round",    "floor", "ceil",
                              "lower", "upper",       "length", "coalesce", NULL};

static int in_list(const char **l, const char *w)
{
    for (int i = 0; l[i]; i++)
        if (!strcmp(l[i], w))
            return 1;
    return 0;
}

static int parse_call(parser *p, const token *nt, const char *name, expr **out)
{
    int rc;
    char *lname = ots_q_strndup(p->a, name, strlen(name));
    if (!lname)
        return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
    for (char *c = lname; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int agg = in_list(aggs, lname);
    if (!agg && !in_list(funcs, lname))
        return ots_q_err_at(p->e, nt->line, nt->col, "unknown function '%s'", name);
    expr *e = new_expr(p, agg ? E_AGG : E_FUNC, nt);
    if (!e)
        return p->e->rc;
    e->name = lname;
    if ((rc = expect_op(p, "(")))
        return rc;
    size_t cap = 0;
    if (agg && !strcmp(lname, "count") && is_op(p, "*")) {
        if ((rc = advance(p)))
            return rc;
    } else if (!strcmp(lname, "percentile_cont")) {
        expr *frac;
        if ((rc = parse_expr(p, &frac)))
            return rc;
        if ((rc = expect_op(p, ")")) || (rc = expect_kw(p, "within")) || (rc = expect_kw(p, "group")) ||
            (rc = expect_op(p, "(")) || (rc = expect_kw(p, "order")) || (rc = expect_kw(p, "by")))
            return rc;
        expr *x;
        if ((rc = parse_expr(p, &x)))
            return rc;
        if (is_kw(p, "desc"))
            return not_supported(p, "DESC in percentile_cont's ORDER BY");
        if (accept_kw(p, "asc", &rc) && rc)
            return rc;
        if ((rc = push(p, &e->a, &e->na, &cap, x)) || (rc = push(p, &e->a, &e->na, &cap, frac)))
            return rc;
    } else if (!is_op(p, ")")) {
        if (agg && accept_kw(p, "distinct", &rc)) {
            if (rc)
                return rc;
            if (strcmp(lname, "count"))
                return ots_q_err_at(p->e, nt->line, nt->col, "not supported yet: DISTINCT in %s()", lname);
            e->distinct = 1;
        }
        for (;;) {
            expr *x;
            if ((rc = parse_expr(p, &x)) || (rc = push(p, &e->a, &e->na, &cap, x)))
                return rc;
            if (!is_op(p, ","))
                break;
            if ((rc = advance(p)))
                return rc;
        }
    }
    e->end = p->cur.end;
    if ((rc = expect_op(p, ")")) || (rc = fix_depth(p, e)))
        return rc;
    *out = e;
    return OTS_OK;
}

/* A type name for CAST / :: (a few common aliases accepted). */
static int parse_type(parser *p, int *type)
{
    static const struct {
        const char *n;
        int t;
    } types[] = {
        {"timestamp", OTS_TIMESTAMP}, {"double", OTS_DOUBLE},  {"float", OTS_DOUBLE},    {"bigint", OTS_BIGINT},
        {"int", OTS_BIGINT},          {"integer", OTS_BIGINT}, {"boolean", OTS_BOOLEAN}, {"bool", OTS_BOOLEAN},
        {"string", OTS_STRING},       {"text", OTS_STRING},    {"tag", OTS_STRING},
    };
    if (p->cur.kind == TK_IDENT)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(p->cur.s, types[i].n)) {
                *type = types[i].t;
                return advance(p);
            }
    return unexpected(p, "a type (TIMESTAMP, DOUBLE, BIGINT, BOOLEAN, STRING)");
}

static int make_cast(parser *p, const token *at, expr *x, int type, size_t end, expr **out)
{
    expr *e = new_expr(p, E_CAST, at);
    if (!e)
        return p->e->rc;
    e->a = ots_q_alloc(p->a, sizeof *e->a);
    if (!e->a)
        return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
    e->a[0] = x, e->na = 1, e->op = type;
    e->off = x->off < at->off ? x->off : at->off;
    e->end = end;
    int rc = fix_depth(p, e);
    if (rc)
        return rc;
    *out = e;
    return OTS_OK;
}

static int parse_case(parser *p, const token *at, expr **out)
{
    int rc;
    expr *e = new_expr(p, E_CASE, at);
    if (!e)
        return p->e->rc;
    size_t cap = 0;
    if ((rc = advance(p)))
        return rc;
    if (!is_kw(p, "when")) {
        expr *x;
        if ((rc = parse_expr(p, &x)) || (rc = push(p, &e->a, &e->na, &cap, x)))
            return rc;
        e->has_operand = 1;
    }
    if (!is_kw(p, "when"))
        return unexpected(p, "WHEN");
    while (accept_kw(p, "when", &rc)) {
        expr *w, *t;
        if (rc || (rc = parse_expr(p, &w)) || (rc = expect_kw(p, "then")) || (rc = parse_expr(p, &t)) ||
            (rc = push(p, &e->a, &e->na, &cap, w)) || (rc = push(p, &e->a, &e->na, &cap, t)))
            return rc ? rc : p->e->rc;
    }
    if (rc)
        return rc;
    if (accept_kw(p, "else", &rc)) {
        expr *x;
        if (rc || (rc = parse_expr(p, &x)) || (rc = push(p, &e->a, &e->na, &cap, x)))
            return rc;
        e->has_else = 1;
    }
    e->end = p->cur.end;
    if ((rc = expect_kw(p, "end")) || (rc = fix_depth(p, e)))
        return rc;
    *out = e;
    return OTS_OK;
}

static int parse_primary(parser *p, expr **out)
{
    int rc;
    token t = p->cur;
    expr *e;
    switch (t.kind) {
    case TK_INT:
    case TK_FLOAT:
        if (!(e = new_expr(p, E_LIT, &t)))
            return p->e->rc;
        errno = 0;
        if (t.kind == TK_INT) {
            char *end;
            long long v = strtoll(t.s, &end, 10);
            if (errno == ERANGE) {
                e->lit.type = OTS_DOUBLE;
                e->lit.f = strtod(t.s, NULL);
            } else {
                e->lit.type = OTS_BIGINT;
                e->lit.i = v;
            }
        } else {
            e->lit.type = OTS_DOUBLE;
            e->lit.f = strtod(t.s, NULL);
        }
        *out = e;
        return advance(p);
    case TK_STRING:
        if (!(e = new_expr(p, E_LIT, &t)))
            return p->e->rc;
        e->lit.type = OTS_STRING;
        e->lit.s = t.s;
        *out = e;
        return advance(p);
    case TK_QIDENT:
        if (!(e = new_expr(p, E_COL, &t)))
            return p->e->rc;
        e->name = t.s;
        *out = e;
        return advance(p);
    case TK_OP:
        if (is_op(p, "(")) {
            if ((rc = advance(p)))
                return rc;
            if (is_kw(p, "select"))
                return not_supported(p, "subqueries");
            if ((rc = parse_expr(p, out)))
                return rc;
            (*out)->end = p->cur.end;
            return expect_op(p, ")");
        }
        return unexpected(p, "an expression");
    case TK_IDENT: break;
    default: return unexpected(p, "an expression");
    }
    /* words */
    if (is_kw(p, "null") || is_kw(p, "true") || is_kw(p, "false")) {
        if (!(e = new_expr(p, E_LIT, &t)))
            return p->e->rc;
        if (is_kw(p, "null"))
            e->lit.type = QT_NULL, e->lit.null = 1;
        else
            e->lit.type = OTS_BOOLEAN, e->lit.i = is_kw(p, "true");
        *out = e;
        return advance(p);
    }
    if (is_kw(p, "case"))
        return parse_case(p, &t, out);
    if (is_kw(p, "cast")) {
        expr *x;
        int type = 0;
        if ((rc = advance(p)) || (rc = expect_op(p, "(")) || (rc = parse_expr(p, &x)) || (rc = expect_kw(p, "as")) ||
            (rc = parse_type(p, &type)))
            return rc;
        size_t end = p->cur.end;
        if ((rc = expect_op(p, ")")))
            return rc;
        return make_cast(p, &t, x, type, end, out);
    }
    if (is_kw(p, "interval") || is_kw(p, "timestamp")) {
        int iv = is_kw(p, "interval");
        if ((rc = advance(p)))
            return rc;
        if (p->cur.kind != TK_STRING)
            return unexpected(p, iv ? "an interval string such as '1 day'" : "a timestamp string");
        token st = p->cur;
        if (!(e = new_expr(p, E_LIT, &t)))
            return p->e->rc;
        e->end = st.end;
        if (iv) {
            int64_t ns, months, days;
            if (ots_q_interval_parse(st.s, &ns, &months, &days))
                return ots_q_err_at(p->e, st.line, st.col,
                                    "bad interval '%s', expected a count and a unit such as '15 minutes'", st.s);
            if (months)
                return ots_q_err_at(p->e, st.line, st.col, "not supported yet: month intervals outside time_bucket");
            e->lit.type = QT_INTERVAL;
            e->lit.i = ns;
        } else {
            ots_fmt_err fe;
            memset(&fe, 0, sizeof fe);
            if (ots_fmt_ts_parse(st.s, strlen(st.s), NULL, &e->lit.i, &fe))
                return ots_q_err_at(p->e, st.line, st.col, "bad timestamp '%s': %s", st.s, fe.msg);
            e->lit.type = OTS_TIMESTAMP;
        }
        *out = e;
        return advance(p);
    }
    if (is_reserved(t.s))
        return unexpected(p, "an expression");
    if ((rc = advance(p)))
        return rc;
    if (is_op(p, "("))
        return parse_call(p, &t, t.s, out);
    if (is_op(p, "."))
        return not_supported(p, "qualified names (table.column)");
    if (!(e = new_expr(p, E_COL, &t)))
        return p->e->rc;
    char *s = ots_q_strndup(p->a, t.s, strlen(t.s));
    if (!s)
        return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    e->name = s;
    *out = e;
    return OTS_OK;
}

static int parse_unary(parser *p, expr **out)
{
    int rc;
    if (is_op(p, "-") || is_op(p, "+")) {
        token t = p->cur;
        int neg = is_op(p, "-");
        if ((rc = advance(p)))
            return rc;
        expr *x;
        if (++p->nest > MAX_NEST)
            return ots_q_err_at(p->e, t.line, t.col, "expression nested too deeply (more than %d levels)", MAX_NEST);
        rc = parse_unary(p, &x);
        p->nest--;
        if (rc)
            return rc;
        if (!neg) {
            *out = x;
            return OTS_OK;
        }
        if (x->kind == E_LIT && x->lit.type == OTS_BIGINT && x->lit.i != INT64_MIN) {
            x->lit.i = -x->lit.i;
        } else if (x->kind == E_LIT && x->lit.type == OTS_DOUBLE) {
            x->lit.f = -x->lit.f;
        } else {
            expr *e = new_expr(p, E_NEG, &t);
            if (!e)
                return p->e->rc;
            e->a = ots_q_alloc(p->a, sizeof *e->a);
            if (!e->a)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            e->a[0] = x, e->na = 1, e->end = x->end;
            if ((rc = fix_depth(p, e)))
                return rc;
            x = e;
        }
        x->line = t.line, x->col = t.col, x->off = t.off;
        *out = x;
        return OTS_OK;
    }
    if ((rc = parse_primary(p, out)))
        return rc;
    while (is_op(p, "::")) { /* postfix cast binds tighter than unary minus */
        token t = p->cur;
        int type = 0;
        if ((rc = advance(p)))
            return rc;
        size_t end = p->cur.end;
        if ((rc = parse_type(p, &type)) || (rc = make_cast(p, &t, *out, type, end, out)))
            return rc;
        (*out)->line = t.line, (*out)->col = t.col;
    }
    return OTS_OK;
}

static int parse_binlevel(parser *p, int level, expr **out);

/* levels: 0 OR, 1 AND, 2 NOT, 3 comparison, 4 + - ||, 5 * / % */
static int parse_cmp(parser *p, expr **out)
{
    int rc;
    expr *l;
    if ((rc = parse_binlevel(p, 4, &l)))
        return rc;
    static const struct {
        const char *op;
        int code;
    } cmps[] = {
        {"=", OP_EQ}, {"<>", OP_NE}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT}, {">=", OP_GE},
    };
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++)
        if (is_op(p, cmps[i].op)) {
            token t = p->cur;
            expr *r;
            if ((rc = advance(p)) || (rc = parse_binlevel(p, 4, &r)))
                return rc;
            if (!(*out = binary(p, cmps[i].code, l, r, &t)))
                return p->e->rc;
            return OTS_OK;
        }
    token t = p->cur;
    if (is_kw(p, "is")) {
        if ((rc = advance(p)))
            return rc;
        expr *e = new_expr(p, E_ISNULL, &t);
        if (!e)
            return p->e->rc;
        if (accept_kw(p, "not", &rc)) {
            if (rc)
                return rc;
            e->neg = 1;
        }
        e->end = p->cur.end;
        if ((rc = expect_kw(p, "null")))
            return rc;
        e->a = ots_q_alloc(p->a, sizeof *e->a);
        if (!e->a)
            return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
        e->a[0] = l, e->na = 1;
        e->line = l->line, e->col = l->col, e->off = l->off;
        if ((rc = fix_depth(p, e)))
            return rc;
        *out = e;
        return OTS_OK;
    }
    int neg = 0;
    if (is_kw(p, "not")) {
        neg = 1;
        if ((rc = advance(p)))
            return rc;
        if (!is_kw(p, "in") && !is_kw(p, "between") && !is_kw(p, "like"))
            return unexpected(p, "IN, BETWEEN or LIKE");
    }
    if (is_kw(p, "in") || is_kw(p, "between") || is_kw(p, "like")) {
        ekind k = is_kw(p, "in") ? E_IN : is_kw(p, "between") ? E_BETWEEN : E_LIKE;
        expr *e = new_expr(p, k, &t);
        if (!e)
            return p->e->rc;
        e->neg = neg;
        size_t cap = 0;
        if ((rc = advance(p)) || (rc = push(p, &e->a, &e->na, &cap, l)))
            return rc;
        if (k == E_IN) {
            if ((rc = expect_op(p, "(")))
                return rc;
            if (is_kw(p, "select"))
                return not_supported(p, "subqueries");
            for (;;) {
                expr *x;
                if ((rc = parse_expr(p, &x)) || (rc = push(p, &e->a, &e->na, &cap, x)))
                    return rc;
                if (!is_op(p, ","))
                    break;
                if ((rc = advance(p)))
                    return rc;
            }
            e->end = p->cur.end;
            if ((rc = expect_op(p, ")")))
                return rc;
        } else if (k == E_BETWEEN) {
            expr *lo, *hi;
            if ((rc = parse_binlevel(p, 4, &lo)) || (rc = expect_kw(p, "and")) || (rc = parse_binlevel(p, 4, &hi)) ||
                (rc = push(p, &e->a, &e->na, &cap, lo)) || (rc = push(p, &e->a, &e->na, &cap, hi)))
                return rc;
            e->end = hi->end;
        } else {
            expr *pat;
            if ((rc = parse_binlevel(p, 4, &pat)) || (rc = push(p, &e->a, &e->na, &cap, pat)))
                return rc;
            e->end = pat->end;
        }
        e->line = l->line, e->col = l->col, e->off = l->off;
        if ((rc = fix_depth(p, e)))
            return rc;
        *out = e;
        return OTS_OK;
    }
    *out = l;
    return OTS_OK;
}

static int parse_binlevel(parser *p, int level, expr **out)
{
    int rc;
    if (level == 2) {
        if (is_kw(p, "not")) {
            token t = p->cur;
            expr *x;
            if ((rc = advance(p)))
                return rc;
            if (++p->nest > MAX_NEST)
                return ots_q_err_at(p->e, t.line, t.col, "expression nested too deeply (more than %d levels)",
                                    MAX_NEST);
            rc = parse_binlevel(p, 2, &x);
            p->nest--;
            if (rc)
                return rc;
            expr *e = new_expr(p, E_NOT, &t);
            if (!e)
                return p->e->rc;
            e->a = ots_q_alloc(p->a, sizeof *e->a);
            if (!e->a)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            e->a[0] = x, e->na = 1, e->end = x->end;
            if ((rc = fix_depth(p, e)))
                return rc;
            *out = e;
            return OTS_OK;
        }
        return parse_cmp(p, out);
    }
    if (level == 3)
        return parse_cmp(p, out);
    if (level == 6)
        return parse_unary(p, out);
    expr *l;
    if ((rc = parse_binlevel(p, level + (level == 1 ? 1 : 1), &l)))
        return rc;
    for (;;) {
        int op = 0;
        if (level == 0 && is_kw(p, "or"))
            op = OP_OR;
        else if (level == 1 && is_kw(p, "and"))
            op = OP_AND;
        else if (level == 4 && is_op(p, "+"))
            op = OP_ADD;
        else if (level == 4 && is_op(p, "-"))
            op = OP_SUB;
        else if (level == 4 && is_op(p, "||"))
            op = OP_CAT;
        else if (level == 5 && is_op(p, "*"))
            op = OP_MUL;
        else if (level == 5 && is_op(p, "/"))
            op = OP_DIV;
        else if (level == 5 && is_op(p, "%"))
            op = OP_MOD;
        if (!op)
            break;
        token t = p->cur;
        expr *r;
        if ((rc = advance(p)) || (rc = parse_binlevel(p, level + 1, &r)))
            return rc;
        if (!(l = binary(p, op, l, r, &t)))
            return p->e->rc;
    }
    *out = l;
    return OTS_OK;
}

static int parse_expr(parser *p, expr **out)
{
    if (++p->nest > MAX_NEST)
        return ots_q_err_at(p->e, p->cur.line, p->cur.col, "expression nested too deeply (more than %d levels)",
                            MAX_NEST);
    int rc = parse_binlevel(p, 0, out);
    p->nest--;
    return rc;
}

/* ---- SELECT ----------------------------------------------------------------------- */
static int parse_select(parser *p, select_stmt **out)
{
    int rc;
    select_stmt *s = ots_q_alloc(p->a, sizeof *s);
    if (!s)
        return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
    if ((rc = expect_kw(p, "select")))
        return rc;
    if (is_kw(p, "distinct")) {
        s->distinct = 1;
        if ((rc = advance(p)))
            return rc;
    }
    size_t cap = 0;
    for (;;) {
        if (s->nitems == cap) {
            size_t nc = cap ? cap * 2 : 8;
            sel_item *ni = ots_q_alloc(p->a, nc * sizeof *ni);
            if (!ni)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            if (s->nitems)
                memcpy(ni, s->items, s->nitems * sizeof *ni);
            s->items = ni;
            cap = nc;
        }
        sel_item *it = &s->items[s->nitems++];
        if (is_op(p, "*")) {
            if (!(it->e = new_expr(p, E_STAR, &p->cur)))
                return p->e->rc;
            if ((rc = advance(p)))
                return rc;
        } else {
            if ((rc = parse_expr(p, &it->e)))
                return rc;
            if (accept_kw(p, "as", &rc)) {
                if (rc || (rc = parse_name(p, "an alias", &it->alias, NULL, NULL)))
                    return rc;
            } else if ((p->cur.kind == TK_IDENT && !is_reserved(p->cur.s)) || p->cur.kind == TK_QIDENT) {
                if ((rc = parse_name(p, "an alias", &it->alias, NULL, NULL)))
                    return rc;
            }
        }
        if (!is_op(p, ","))
            break;
        if ((rc = advance(p)))
            return rc;
    }
    if (accept_kw(p, "from", &rc)) {
        if (rc)
            return rc;
        if (is_op(p, "("))
            return not_supported(p, "subqueries in FROM");
        if ((rc = parse_name(p, "a table name", &s->table, &s->tline, &s->tcol)))
            return rc;
        if (is_kw(p, "join") || is_kw(p, "left") || is_kw(p, "inner") || is_op(p, ","))
            return not_supported(p, "joins");
    }
    if (accept_kw(p, "where", &rc) && (rc || (rc = parse_expr(p, &s->where))))
        return rc;
    if (is_kw(p, "group")) {
        if ((rc = advance(p)) || (rc = expect_kw(p, "by")))
            return rc;
        size_t gc = 0;
        for (;;) {
            expr *x;
            if ((rc = parse_expr(p, &x)) || (rc = push(p, &s->group, &s->ngroup, &gc, x)))
                return rc;
            if (!is_op(p, ","))
                break;
            if ((rc = advance(p)))
                return rc;
        }
    }
    if (accept_kw(p, "having", &rc) && (rc || (rc = parse_expr(p, &s->having))))
        return rc;
    if (is_kw(p, "order")) {
        if ((rc = advance(p)) || (rc = expect_kw(p, "by")))
            return rc;
        size_t oc = 0;
        for (;;) {
            if (s->norder == oc) {
                size_t nc = oc ? oc * 2 : 4;
                order_item *no = ots_q_alloc(p->a, nc * sizeof *no);
                if (!no)
                    return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
                if (s->norder)
                    memcpy(no, s->order, s->norder * sizeof *no);
                s->order = no;
                oc = nc;
            }
            order_item *o = &s->order[s->norder++];
            o->nulls_first = -1;
            if ((rc = parse_expr(p, &o->e)))
                return rc;
            if (accept_kw(p, "desc", &rc))
                o->desc = 1;
            else if (!rc)
                accept_kw(p, "asc", &rc);
            if (rc)
                return rc;
            if (accept_kw(p, "nulls", &rc)) {
                if (rc)
                    return rc;
                if (is_kw(p, "first"))
                    o->nulls_first = 1;
                else if (is_kw(p, "last"))
                    o->nulls_first = 0;
                else
                    return unexpected(p, "FIRST or LAST");
                if ((rc = advance(p)))
                    return rc;
            }
            if (!is_op(p, ","))
                break;
            if ((rc = advance(p)))
                return rc;
        }
    }
    if (accept_kw(p, "limit", &rc) && (rc || (rc = parse_expr(p, &s->limit))))
        return rc;
    if (accept_kw(p, "offset", &rc) && (rc || (rc = parse_expr(p, &s->offset))))
        return rc;
    *out = s;
    return OTS_OK;
}

/* ---- other statements -------------------------------------------------------------------- */
static int parse_create(parser *p, stmt *st)
{
    int rc;
    if ((rc = advance(p)))
        return rc;
    if (!is_kw(p, "table"))
        return unexpected(p, "TABLE");
    if ((rc = advance(p)) || (rc = parse_name(p, "a table name", &st->table, NULL, NULL)) || (rc = expect_op(p, "(")))
        return rc;
    static const struct {
        const char *n;
        ots_type t;
    } types[] = {
        {"timestamp", OTS_TIMESTAMP}, {"tag", OTS_TAG},         {"double", OTS_DOUBLE},
        {"bigint", OTS_BIGINT},       {"boolean", OTS_BOOLEAN}, {"string", OTS_STRING},
    };
    size_t cap = 0;
    for (;;) {
        if (st->ncols == cap) {
            size_t nc = cap ? cap * 2 : 8;
            ots_column_def *n = ots_q_alloc(p->a, nc * sizeof *n);
            if (!n)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            if (st->ncols)
                memcpy(n, st->cols, st->ncols * sizeof *n);
            st->cols = n;
            cap = nc;
        }
        ots_column_def *c = &st->cols[st->ncols];
        if ((rc = parse_name(p, "a column name", &c->name, NULL, NULL)))
            return rc;
        int found = 0;
        if (p->cur.kind == TK_IDENT)
            for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
                if (!strcasecmp(p->cur.s, types[i].n))
                    c->type = types[i].t, found = 1;
        if (!found)
            return unexpected(p, "a column type (TIMESTAMP, TAG, DOUBLE, BIGINT, BOOLEAN, STRING)");
        st->ncols++;
        if ((rc = advance(p)))
            return rc;
        if (is_op(p, ")"))
            break;
        if (!is_op(p, ","))
            return unexpected(p, "',' or ')'");
        if ((rc = advance(p)))
            return rc;
    }
    if ((rc = advance(p)))
        return rc;
    if (accept_kw(p, "with", &rc)) {
        if (rc || (rc = expect_op(p, "(")))
            return rc;
        size_t oc = 0;
        for (;;) {
            if (st->nopts == oc) {
                size_t nc = oc ? oc * 2 : 4;
                ots_option *n = ots_q_alloc(p->a, nc * sizeof *n);
                if (!n)
                    return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
                if (st->nopts)
                    memcpy(n, st->opts, st->nopts * sizeof *n);
                st->opts = n;
                oc = nc;
            }
            ots_option *o = &st->opts[st->nopts];
            if ((rc = parse_name(p, "an option name", &o->key, NULL, NULL)) || (rc = expect_op(p, "=")))
                return rc;
            if (p->cur.kind == TK_STRING || p->cur.kind == TK_INT || p->cur.kind == TK_FLOAT ||
                (p->cur.kind == TK_IDENT && !is_reserved(p->cur.s)))
                o->value = p->cur.s;
            else
                return unexpected(p, "an option value");
            st->nopts++;
            if ((rc = advance(p)))
                return rc;
            if (is_op(p, ")"))
                break;
            if (!is_op(p, ","))
                return unexpected(p, "',' or ')'");
            if ((rc = advance(p)))
                return rc;
        }
        if ((rc = advance(p)))
            return rc;
    }
    st->kind = ST_CREATE;
    return OTS_OK;
}

/* A column-name list after its '(' up to and including the ')', into
 * st->icols (with positions); INSERT and COPY … (COLUMNS (…)) share it. */
static int parse_col_list(parser *p, stmt *st)
{
    int rc;
    size_t cap = 0;
    for (;;) {
        if (st->nicols == cap) {
            size_t nc = cap ? cap * 2 : 8;
            const char **n = ots_q_alloc(p->a, nc * sizeof *n);
            int *l = ots_q_alloc(p->a, nc * sizeof *l), *c = ots_q_alloc(p->a, nc * sizeof *c);
            if (!n || !l || !c)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            if (st->nicols) {
                memcpy(n, st->icols, st->nicols * sizeof *n);
                memcpy(l, st->icol_line, st->nicols * sizeof *l);
                memcpy(c, st->icol_col, st->nicols * sizeof *c);
            }
            st->icols = n, st->icol_line = l, st->icol_col = c;
            cap = nc;
        }
        size_t i = st->nicols;
        if ((rc = parse_name(p, "a column name", &st->icols[i], &st->icol_line[i], &st->icol_col[i])))
            return rc;
        st->nicols++;
        if (is_op(p, ")"))
            break;
        if (!is_op(p, ","))
            return unexpected(p, "',' or ')'");
        if ((rc = advance(p)))
            return rc;
    }
    if ((rc = advance(p)))
        return rc;
    return OTS_OK;
}

static int parse_insert(parser *p, stmt *st)
{
    int rc;
    if ((rc = advance(p)) || (rc = expect_kw(p, "into")) ||
        (rc = parse_name(p, "a table name", &st->table, NULL, NULL)))
        return rc;
    if (is_op(p, "(")) {
        if ((rc = advance(p)) || (rc = parse_col_list(p, st)))
            return rc;
    }
    if (is_kw(p, "select"))
        return not_supported(p, "INSERT … SELECT");
    if ((rc = expect_kw(p, "values")))
        return rc;
    size_t rcap = 0;
    for (;;) {
        if (st->nrows == rcap) {
            size_t nc = rcap ? rcap * 2 : 8;
            expr ***nr = ots_q_alloc(p->a, nc * sizeof *nr);
            size_t *nl = ots_q_alloc(p->a, nc * sizeof *nl);
            if (!nr || !nl)
                return ots_q_err(p->e, OTS_ENOMEM, "out of memory");
            if (st->nrows) {
                memcpy(nr, st->rows, st->nrows * sizeof *nr);
                memcpy(nl, st->rowlen, st->nrows * sizeof *nl);
            }
            st->rows = nr, st->rowlen = nl;
            rcap = nc;
        }
        if ((rc = expect_op(p, "(")))
            return rc;
        expr **row = NULL;
        size_t n = 0, cap = 0;
        for (;;) {
            expr *x;
            if ((rc = parse_expr(p, &x)) || (rc = push(p, &row, &n, &cap, x)))
                return rc;
            if (is_op(p, ")"))
                break;
            if (!is_op(p, ","))
                return unexpected(p, "',' or ')'");
            if ((rc = advance(p)))
                return rc;
        }
        if ((rc = advance(p)))
            return rc;
        st->rows[st->nrows] = row;
        st->rowlen[st->nrows++] = n;
        if (!is_op(p, ","))
            break;
        if ((rc = advance(p)))
            return rc;
    }
    st->kind = ST_INSERT;
    return OTS_OK;
}

static int parse_load(parser *p, stmt *st)
{
    int rc;
    if ((rc = advance(p)))
        return rc;
    if (is_kw(p, "cities")) {
        if ((rc = advance(p)) || (rc = expect_kw(p, "from")) || (rc = parse_string(p, "a file name string", &st->path)))
            return rc;
        st->kind = ST_LOAD_CITIES;
        return OTS_OK;
    }
    if (!is_kw(p, "zones"))
        return unexpected(p, "CITIES or ZONES");
    if ((rc = advance(p)) || (rc = expect_kw(p, "from")) || (rc = parse_string(p, "a file name string", &st->path)) ||
        (rc = expect_op(p, "(")))
        return rc;
    for (;;) {
        const char **dst;
        if (is_kw(p, "city"))
            dst = &st->city;
        else if (is_kw(p, "id"))
            dst = &st->id_prop;
        else if (is_kw(p, "name"))
            dst = &st->name_prop;
        else
            return unexpected(p, "CITY, ID or NAME");
        if ((rc = advance(p)) || (rc = parse_string(p, "a string", dst)))
            return rc;
        if (is_op(p, ")"))
            break;
        if (!is_op(p, ","))
            return unexpected(p, "',' or ')'");
        if ((rc = advance(p)))
            return rc;
    }
    if (!st->city || !st->id_prop)
        return ots_q_err_at(p->e, p->cur.line, p->cur.col, "LOAD ZONES needs CITY '…' and ID '…'");
    st->kind = ST_LOAD_ZONES;
    return advance(p);
}

/* COPY t FROM 'f.csv' [(HEADER [TRUE|FALSE], DELIMITER ',', TIMEZONE 'z', COLUMNS (a, b))] */
static int parse_copy(parser *p, stmt *st)
{
    int rc;
    if ((rc = advance(p)))
        return rc;
    if (is_op(p, "("))
        return not_supported(p, "COPY (SELECT …) TO");
    if ((rc = parse_name(p, "a table name", &st->table, NULL, NULL)))
        return rc;
    if (is_kw(p, "to"))
        return not_supported(p, "COPY … TO");
    if ((rc = expect_kw(p, "from")) || (rc = parse_string(p, "a file name string", &st->path)))
        return rc;
    st->kind = ST_COPY;
    if (!is_op(p, "("))
        return OTS_OK;
    if ((rc = advance(p)))
        return rc;
    for (;;) {
        if (is_kw(p, "header")) {
            if ((rc = advance(p)))
                return rc;
            st->header = 1;
            if (is_kw(p, "true") || is_kw(p, "false")) {
                st->header = is_kw(p, "true");
                if ((rc = advance(p)))
                    return rc;
            }
        } else if (is_kw(p, "delimiter")) {
            if ((rc = advance(p)))
                return rc;
            token t = p->cur;
            const char *d = NULL;
            if ((rc = parse_string(p, "a one-character string", &d)))
                return rc;
            if (strlen(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
                return ots_q_err_at(p->e, t.line, t.col, "DELIMITER must be one character (not a quote or line break)");
            st->delimiter = d[0];
        } else if (is_kw(p, "timezone")) {
            if ((rc = advance(p)) || (rc = parse_string(p, "a time zone string", &st->tz)))
                return rc;
        } else if (is_kw(p, "columns")) {
            if ((rc = advance(p)) || (rc = expect_op(p, "(")) || (rc = parse_col_list(p, st)))
                return rc;
        } else {
            return unexpected(p, "HEADER, DELIMITER, TIMEZONE or COLUMNS");
        }
        if (is_op(p, ")"))
            break;
        if (!is_op(p, ","))
            return unexpected(p, "',' or ')'");
        if ((rc = advance(p)))
            return rc;
    }
    return advance(p);
}

static int parse_stmt(parser *p, stmt *st)
{
    int rc;
    if (is_kw(p, "select")) {
        st->kind = ST_SELECT;
        return parse_select(p, &st->sel);
    }
    if (is_kw(p, "explain")) {
        if ((rc = advance(p)))
            return rc;
        if (is_kw(p, "analyze"))
            return not_supported(p, "EXPLAIN ANALYZE (EXPLAIN already runs the scan's pruning)");
        if (!is_kw(p, "select"))
            return unexpected(p, "SELECT");
        st->kind = ST_EXPLAIN;
        return parse_select(p, &st->sel);
    }
    if (is_kw(p, "create"))
        return parse_create(p, st);
    if (is_kw(p, "drop")) {
        if ((rc = advance(p)) || (rc = expect_kw(p, "table")))
            return rc;
        if (accept_kw(p, "if", &rc)) {
            if (rc || (rc = expect_kw(p, "exists")))
                return rc;
            st->if_exists = 1;
        }
        st->kind = ST_DROP;
        return parse_name(p, "a table name", &st->table, NULL, NULL);
    }
    if (is_kw(p, "show")) {
        if ((rc = advance(p)))
            return rc;
        if (is_kw(p, "tables"))
            st->kind = ST_SHOW_TABLES;
        else if (is_kw(p, "cities"))
            st->kind = ST_SHOW_CITIES;
        else if (is_kw(p, "zones"))
            st->kind = ST_SHOW_ZONES;
        else if (is_kw(p, "partitions"))
            st->kind = ST_SHOW_PARTITIONS;
        else if (is_kw(p, "storage"))
            st->kind = ST_SHOW_STORAGE;
        else
            return unexpected(p, "TABLES, PARTITIONS, STORAGE, CITIES or ZONES");
        if ((rc = advance(p)))
            return rc;
        if (st->kind == ST_SHOW_PARTITIONS || st->kind == ST_SHOW_STORAGE)
            return parse_name(p, "a table name", &st->table, NULL, NULL);
        return OTS_OK;
    }
    if (is_kw(p, "describe")) {
        st->kind = ST_DESCRIBE;
        if ((rc = advance(p)))
            return rc;
        return parse_name(p, "a table name", &st->table, NULL, NULL);
    }
    if (is_kw(p, "load"))
        return parse_load(p, st);
    if (is_kw(p, "checkpoint")) {
        st->kind = ST_CHECKPOINT;
        return advance(p);
    }
    if (is_kw(p, "insert"))
        return parse_insert(p, st);
    if (is_kw(p, "copy"))
        return parse_copy(p, st);
    if (is_kw(p, "with"))
        return not_supported(p, "WITH (common table expressions)");
    if (is_kw(p, "update") || is_kw(p, "delete"))
        return not_supported(p, "UPDATE and DELETE (tables are append-only; use DROP TABLE)");
    return unexpected(p, "a statement (SELECT, EXPLAIN, CREATE, DROP, INSERT, SHOW, DESCRIBE, LOAD, CHECKPOINT)");
}

int ots_q_parse(lexer *lx, qarena *a, stmt **out, qerr *e)
{
    parser p = {.lx = lx, .a = a, .e = e};
    int rc;
    *out = NULL;
    if ((rc = advance(&p)))
        return rc;
    if (p.cur.kind == TK_EOF)
        return OTS_OK;
    if (is_op(&p, ";"))
        return OTS_OK; /* lexer is past the ';' */
    stmt *st = ots_q_alloc(a, sizeof *st);
    if (!st)
        return ots_q_err(e, OTS_ENOMEM, "out of memory");
    st->line = p.cur.line;
    st->col = p.cur.col;
    if ((rc = parse_stmt(&p, st)))
        return rc;
    if (is_kw(&p, "union") || is_kw(&p, "intersect") || is_kw(&p, "except"))
        return not_supported(&p, "UNION, INTERSECT and EXCEPT");
    if (p.cur.kind != TK_EOF && !is_op(&p, ";"))
        return unexpected(&p, "';' or the end of the statement");
    if (is_op(&p, ";") == 0) {
        /* at EOF: nothing */
    }
    *out = st;
    return OTS_OK;
}
