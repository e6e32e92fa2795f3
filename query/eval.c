/*
 * eval.c — evaluation of planned expressions over a batch of rows.
 *
 * ots_q_eval computes an expression for all n rows of an environment (the
 * scan batch's columns, or the groups of an aggregation) into a qvec: the
 * children are evaluated as whole vectors first, then one kernel per node
 * combines them row by row.  NULL follows SQL: arithmetic and comparisons
 * with a NULL give NULL; AND/OR use three-valued logic; division by zero
 * gives NULL.  Types were checked by plan.c; kernels trust them.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/query_int.h"

const char *ots_q_type_name(int t)
{
    if (t == QT_NULL)
        return "NULL";
    if (t == QT_INTERVAL)
        return "INTERVAL";
    return ots_type_name((ots_type)t);
}

static int is_str(int t) { return t == OTS_STRING || t == OTS_TAG; }

qval ots_q_vec_get(const qvec *v, size_t i)
{
    qval x = {0};
    x.type = v->type;
    if (v->type == QT_NULL || (v->valid && !v->valid[i])) {
        x.null = 1;
        return x;
    }
    if (v->type == OTS_DOUBLE)
        x.f = v->f64[i];
    else if (v->type == OTS_BOOLEAN)
        x.i = v->b[i];
    else if (is_str(v->type))
        x.s = v->str[i];
    else
        x.i = v->i64[i];
    return x;
}

static int vec_alloc(const qenv *env, int type, size_t n, qvec *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    v->n = n;
    size_t m = n ? n : 1;
    v->valid = ots_q_alloc(env->tmp, m);
    if (type == OTS_DOUBLE)
        v->f64 = ots_q_alloc(env->tmp, m * sizeof(double));
    else if (type == OTS_BOOLEAN)
        v->b = ots_q_alloc(env->tmp, m);
    else if (is_str(type))
        v->str = ots_q_alloc(env->tmp, m * sizeof(char *));
    else if (type != QT_NULL)
        v->i64 = ots_q_alloc(env->tmp, m * sizeof(int64_t));
    if (env->tmp->oom)
        return ots_q_err(env->err, OTS_ENOMEM, "out of memory");
    return OTS_OK;
}

static void vec_set(qvec *v, size_t i, const qval *x)
{
    if (x->null || x->type == QT_NULL || v->type == QT_NULL) {
        v->valid[i] = 0;
        return;
    }
    v->valid[i] = 1;
    if (v->type == OTS_DOUBLE)
        v->f64[i] = x->type == OTS_DOUBLE ? x->f : (double)x->i;
    else if (v->type == OTS_BOOLEAN)
        v->b[i] = (uint8_t)(x->i != 0);
    else if (is_str(v->type))
        v->str[i] = x->s;
    else
        v->i64[i] = x->i;
}

static double num(const qval *v) { return v->type == OTS_DOUBLE ? v->f : (double)v->i; }

int ots_q_val_cmp(const qval *a, const qval *b)
{
    if (is_str(a->type) && is_str(b->type))
        return strcmp(a->s, b->s);
    if (a->type == OTS_DOUBLE || b->type == OTS_DOUBLE) {
        double x = num(a), y = num(b);
        if (isnan(x) || isnan(y))
            return isnan(x) - isnan(y); /* NaN sorts last, equal to itself */
        return (x > y) - (x < y);
    }
    return (a->i > b->i) - (a->i < b->i);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t ots_q_bucket(const qbucket *b, int64_t ts)
{
    if (b->months || b->days) {
        int64_t day = ots_fmt_tz_day(b->tz, ts, NULL, NULL), d0, start;
        if (b->months) {
            int64_t y;
            unsigned m, d;
            ots_fmt_civil_from_days(day, &y, &m, &d);
            int64_t mi = y * 12 + (int64_t)(m - 1) - 1970 * 12;
            mi = floordiv(mi, b->months) * b->months + 1970 * 12;
            d0 = ots_fmt_days_from_civil(floordiv(mi, 12), (unsigned)(mi - floordiv(mi, 12) * 12 + 1), 1);
        } else if (b->days % 7 == 0) {
            d0 = floordiv(day - 4, b->days) * b->days + 4; /* weeks start on Monday (1970-01-05) */
        } else {
            d0 = floordiv(day, b->days) * b->days;
        }
        ots_fmt_tz_day_bounds(b->tz, d0, &start, NULL);
        return start;
    }
    int64_t off = b->tz ? (int64_t)ots_fmt_tz_offset(b->tz, floordiv(ts, 1000000000)) * 1000000000 : 0;
    return floordiv(ts + off, b->ns) * b->ns - off;
}

int ots_q_interval_parse(const char *s, int64_t *ns, int64_t *months, int64_t *days)
{
    *ns = *months = *days = 0;
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    long long n = 1;
    if (isdigit((unsigned char)*s)) {
        n = strtoll(s, &end, 10);
        s = end;
    }
    if (n <= 0 || n > 1000000000)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len > 1 && (s[len - 1] == 's' || s[len - 1] == 'S') && len > 2)
        len--; /* plural */
    char u[16];
    if (len == 0 || len >= sizeof u)
        return -1;
    for (size_t i = 0; i < len; i++)
        u[i] = (char)tolower((unsigned char)s[i]);
    u[len] = 0;
    static const struct {
        const char *u;
        int64_t ns;
        int kind;
    } units[] = {
        {"ns", 1, 0},
        {"nanosecond", 1, 0},
        {"us", 1000, 0},
        {"microsecond", 1000, 0},
        {"ms", 1000000, 0},
        {"millisecond", 1000000, 0},
        {"s", 1000000000, 0},
        {"sec", 1000000000, 0},
        {"second", 1000000000, 0},
        {"m", 60000000000LL, 0},
        {"min", 60000000000LL, 0},
        {"minute", 60000000000LL, 0},
        {"h", 3600000000000LL, 0},
        {"hr", 3600000000000LL, 0},
        {"hour", 3600000000000LL, 0},
        {"d", 86400000000000LL, 1},
        {"day", 86400000000000LL, 1},
        {"w", 604800000000000LL, 7},
        {"week", 604800000000000LL, 7},
        {"mon", 0, 2},
        {"month", 0, 2},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(u, units[i].u))
            continue;
        if (units[i].kind == 2) {
            *months = n;
            return 0;
        }
        if (units[i].ns && n > INT64_MAX / units[i].ns)
            return -1;
        *ns = n * units[i].ns;
        if (units[i].kind == 1)
            *days = n;
        else if (units[i].kind == 7)
            *days = 7 * n;
        return 0;
    }
    return -1;
}

static int like(const char *s, const char *p)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '_' || (*p && *p != '%' && *p == *s)) {
            s++, p++;
        } else if (*p == '%') {
            star_p = ++p;
            star_s = s;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (*p == '%')
        p++;
    return !*p;
}

/* CAST(x AS type): conversions allowed by plan.c; a string that does not
 * parse is an error at the cast's position. */
static int cast(const expr *e, const qval *x, const qenv *env, qval *r)
{
    int to = e->type, from = x->type;
    char buf[64];
    if (x->null || from == QT_NULL) {
        r->null = 1;
        return OTS_OK;
    }
    if (is_str(to)) {
        if (is_str(from)) {
            r->s = x->s;
            return OTS_OK;
        }
        if (from == OTS_DOUBLE) {
            for (int prec = 15; prec <= 17; prec++) { /* shortest text that reads back */
                snprintf(buf, sizeof buf, "%.*g", prec, x->f);
                if (strtod(buf, NULL) == x->f || isnan(x->f))
                    break;
            }
        } else if (from == OTS_BOOLEAN) {
            snprintf(buf, sizeof buf, "%s", x->i ? "true" : "false");
        } else if (from == OTS_TIMESTAMP) {
            if (ots_fmt_ts_format(x->i, NULL, buf, sizeof buf) < 0)
                snprintf(buf, sizeof buf, "%lld", (long long)x->i);
        } else {
            snprintf(buf, sizeof buf, "%lld", (long long)x->i);
        }
        r->s = ots_q_strndup(env->tmp, buf, strlen(buf));
        return r->s ? OTS_OK : ots_q_err(env->err, OTS_ENOMEM, "out of memory");
    }
    if (is_str(from)) {
        const char *s = x->s;
        char *end = NULL;
        int bad = 0;
        errno = 0;
        if (to == OTS_TIMESTAMP) {
            ots_fmt_err fe;
            memset(&fe, 0, sizeof fe);
            bad = ots_fmt_ts_parse(s, strlen(s), NULL, &r->i, &fe) != OTS_OK;
        } else if (to == OTS_DOUBLE) {
            r->f = strtod(s, &end);
            bad = end == s || *end || isspace((unsigned char)*s);
        } else if (to == OTS_BIGINT) {
            r->i = strtoll(s, &end, 10);
            bad = end == s || *end || errno == ERANGE || isspace((unsigned char)*s);
        } else {
            bad = 1;
            if (!strcasecmp(s, "true") || !strcasecmp(s, "t") || !strcmp(s, "1"))
                r->i = 1, bad = 0;
            else if (!strcasecmp(s, "false") || !strcasecmp(s, "f") || !strcmp(s, "0"))
                r->i = 0, bad = 0;
        }
        if (bad)
            return ots_q_err_at(env->err, e->line, e->col, "cannot cast '%.40s' to %s", s, ots_q_type_name(to));
        return OTS_OK;
    }
    switch (to) {
    case OTS_DOUBLE: r->f = num(x); return OTS_OK;
    case OTS_BOOLEAN: r->i = from == OTS_DOUBLE ? x->f != 0 : x->i != 0; return OTS_OK;
    default: /* BIGINT, TIMESTAMP */
        if (from == OTS_DOUBLE) {
            if (!(x->f >= -9223372036854775808.0 && x->f < 9223372036854775808.0))
                return ots_q_err_at(env->err, e->line, e->col, "cannot cast %g to %s: out of range", x->f,
                                    ots_q_type_name(to));
            r->i = llround(x->f);
        } else {
            r->i = x->i;
        }
        return OTS_OK;
    }
}

static int truth(const qval *v) { return !v->null && v->type != QT_NULL && v->i != 0; }

/* one row of a node whose children are in args[] */
static int kernel(const expr *e, const qval *args, const qenv *env, qval *r)
{
    memset(r, 0, sizeof *r);
    r->type = e->type;
    switch (e->kind) {
    case E_BIN: {
        const qval *x = &args[0], *y = &args[1];
        if (e->op == OP_AND || e->op == OP_OR) {
            int xn = x->null || x->type == QT_NULL, yn = y->null || y->type == QT_NULL;
            int xv = !xn && x->i, yv = !yn && y->i;
            if (e->op == OP_AND) {
                if ((!xn && !xv) || (!yn && !yv))
                    r->i = 0;
                else if (xn || yn)
                    r->null = 1;
                else
                    r->i = 1;
            } else {
                if (xv || yv)
                    r->i = 1;
                else if (xn || yn)
                    r->null = 1;
                else
                    r->i = 0;
            }
            return OTS_OK;
        }
        if (x->null || y->null || x->type == QT_NULL || y->type == QT_NULL) {
            r->null = 1;
            return OTS_OK;
        }
        if (e->op >= OP_EQ && e->op <= OP_GE) {
            int c = ots_q_val_cmp(x, y);
            switch (e->op) {
            case OP_EQ: r->i = c == 0; break;
            case OP_NE: r->i = c != 0; break;
            case OP_LT: r->i = c < 0; break;
            case OP_LE: r->i = c <= 0; break;
            case OP_GT: r->i = c > 0; break;
            default: r->i = c >= 0; break;
            }
            return OTS_OK;
        }
        if (e->op == OP_CAT) {
            size_t a = strlen(x->s), b = strlen(y->s);
            char *s = ots_q_alloc(env->tmp, a + b + 1);
            if (!s)
                return ots_q_err(env->err, OTS_ENOMEM, "out of memory");
            memcpy(s, x->s, a);
            memcpy(s + a, y->s, b);
            r->s = s;
            return OTS_OK;
        }
        if (e->type == OTS_DOUBLE) {
            double a = num(x), b = num(y);
            switch (e->op) {
            case OP_ADD: r->f = a + b; break;
            case OP_SUB: r->f = a - b; break;
            case OP_MUL: r->f = a * b; break;
            case OP_DIV:
                if (b == 0)
                    r->null = 1;
                else
                    r->f = a / b;
                break;
            default:
                if (b == 0)
                    r->null = 1;
                else
                    r->f = fmod(a, b);
                break;
            }
            return OTS_OK;
        }
        /* integer kinds: BIGINT, TIMESTAMP, INTERVAL; wrap on overflow */
        uint64_t a = (uint64_t)x->i, b = (uint64_t)y->i;
        switch (e->op) {
        case OP_ADD: r->i = (int64_t)(a + b); break;
        case OP_SUB: r->i = (int64_t)(a - b); break;
        case OP_MUL: r->i = (int64_t)(a * b); break;
        default:
            if (y->i == 0 || (x->i == INT64_MIN && y->i == -1))
                r->null = 1;
            else
                r->i = e->op == OP_DIV ? x->i / y->i : x->i % y->i;
            break;
        }
        return OTS_OK;
    }
    case E_NOT:
        if (args[0].null || args[0].type == QT_NULL)
            r->null = 1;
        else
            r->i = !args[0].i;
        return OTS_OK;
    case E_NEG:
        if (args[0].null || args[0].type == QT_NULL)
            r->null = 1;
        else if (e->type == OTS_DOUBLE)
            r->f = -args[0].f;
        else
            r->i = (int64_t)(0 - (uint64_t)args[0].i);
        return OTS_OK;
    case E_ISNULL: r->i = (args[0].null || args[0].type == QT_NULL) != e->neg; return OTS_OK;
    case E_IN: {
        if (args[0].null || args[0].type == QT_NULL) {
            r->null = 1;
            return OTS_OK;
        }
        int found = 0, anynull = 0;
        for (size_t k = 1; k < e->na && !found; k++) {
            if (args[k].null || args[k].type == QT_NULL)
                anynull = 1;
            else if (ots_q_val_cmp(&args[0], &args[k]) == 0)
                found = 1;
        }
        if (!found && anynull)
            r->null = 1;
        else
            r->i = found != e->neg;
        return OTS_OK;
    }
    case E_BETWEEN:
        for (int k = 0; k < 3; k++)
            if (args[k].null || args[k].type == QT_NULL) {
                r->null = 1;
                return OTS_OK;
            }
        r->i = (ots_q_val_cmp(&args[0], &args[1]) >= 0 && ots_q_val_cmp(&args[0], &args[2]) <= 0) != e->neg;
        return OTS_OK;
    case E_LIKE:
        if (args[0].null || args[1].null || args[0].type == QT_NULL || args[1].type == QT_NULL)
            r->null = 1;
        else
            r->i = like(args[0].s, args[1].s) != e->neg;
        return OTS_OK;
    case E_CASE: {
        size_t k = 0, n = e->na;
        size_t npairs = (n - (size_t)e->has_operand - (size_t)e->has_else) / 2;
        if (e->has_operand)
            k = 1;
        for (size_t j = 0; j < npairs; j++, k += 2) {
            int hit;
            if (e->has_operand) {
                const qval *o = &args[0], *w = &args[k];
                hit = !o->null && !w->null && o->type != QT_NULL && w->type != QT_NULL && ots_q_val_cmp(o, w) == 0;
            } else {
                hit = truth(&args[k]);
            }
            if (hit) {
                *r = args[k + 1];
                goto conv;
            }
        }
        if (e->has_else)
            *r = args[n - 1];
        else
            r->null = 1;
    conv:
        if (!r->null && r->type != QT_NULL && e->type == OTS_DOUBLE && r->type != OTS_DOUBLE)
            r->f = (double)r->i;
        if (r->type == QT_NULL)
            r->null = 1;
        r->type = e->type;
        return OTS_OK;
    }
    case E_CAST: return cast(e, &args[0], env, r);
    case E_FUNC: {
        const char *f = e->name;
        if (!strcmp(f, "now")) {
            r->i = env->now_ns;
            return OTS_OK;
        }
        if (!strcmp(f, "coalesce")) {
            for (size_t k = 0; k < e->na; k++)
                if (!args[k].null && args[k].type != QT_NULL) {
                    *r = args[k];
                    if (e->type == OTS_DOUBLE && r->type != OTS_DOUBLE)
                        r->f = (double)r->i;
                    r->type = e->type;
                    return OTS_OK;
                }
            r->null = 1;
            return OTS_OK;
        }
        for (size_t k = 0; k < e->na; k++)
            if (args[k].null || args[k].type == QT_NULL) {
                r->null = 1;
                return OTS_OK;
            }
        if (!strcmp(f, "time_bucket")) {
            r->i = ots_q_bucket(e->aux, args[1].i);
        } else if (!strcmp(f, "abs")) {
            if (e->type == OTS_DOUBLE)
                r->f = fabs(args[0].f);
            else
                r->i = args[0].i < 0 ? (int64_t)(0 - (uint64_t)args[0].i) : args[0].i;
        } else if (!strcmp(f, "round") || !strcmp(f, "floor") || !strcmp(f, "ceil")) {
            if (e->type != OTS_DOUBLE) {
                r->i = args[0].i;
            } else {
                double x = num(&args[0]), sc = 1;
                if (e->na > 1)
                    sc = pow(10, (double)(args[1].i > 15 ? 15 : args[1].i < -15 ? -15 : args[1].i));
                x *= sc;
                x = f[0] == 'r' ? round(x) : f[0] == 'f' ? floor(x) : ceil(x);
                r->f = x / sc;
            }
        } else if (!strcmp(f, "lower") || !strcmp(f, "upper")) {
            size_t n = strlen(args[0].s);
            char *s = ots_q_strndup(env->tmp, args[0].s, n);
            if (!s)
                return ots_q_err(env->err, OTS_ENOMEM, "out of memory");
            for (size_t k = 0; k < n; k++)
                s[k] = (char)(f[0] == 'l' ? tolower((unsigned char)s[k]) : toupper((unsigned char)s[k]));
            r->s = s;
        } else if (!strcmp(f, "length")) {
            r->i = (int64_t)strlen(args[0].s);
        }
        return OTS_OK;
    }
    default: return ots_q_err(env->err, OTS_ERROR, "internal error: cannot evaluate node %d", (int)e->kind);
    }
}

static int is_int(int t) { return t == OTS_BIGINT || t == OTS_TIMESTAMP || t == QT_INTERVAL; }

static int cmp_f(double x, double y)
{
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static double at_f(const qvec *v, size_t i) { return v->f64 ? v->f64[i] : (double)v->i64[i]; }

static int cmp_res(int op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* Whole-vector loops for the common binary operators when neither side has
 * NULLs; 1 when out was filled, 0 to use the row kernel. */
static int fast_bin(const expr *e, const qvec *x, const qvec *y, qvec *out)
{
    if (x->valid || y->valid || x->type == QT_NULL || y->type == QT_NULL)
        return 0;
    size_t n = out->n;
    int op = e->op;
    int xn = is_int(x->type) || x->type == OTS_DOUBLE, yn = is_int(y->type) || y->type == OTS_DOUBLE;
    if (op >= OP_EQ && op <= OP_GE) {
        if (is_int(x->type) && is_int(y->type)) {
            for (size_t i = 0; i < n; i++) {
                int64_t a = x->i64[i], b = y->i64[i];
                out->b[i] = (uint8_t)cmp_res(op, (a > b) - (a < b));
            }
        } else if (xn && yn) {
            for (size_t i = 0; i < n; i++)
                out->b[i] = (uint8_t)cmp_res(op, cmp_f(at_f(x, i), at_f(y, i)));
        } else {
            return 0;
        }
        out->valid = NULL;
        return 1;
    }
    if (op == OP_AND || op == OP_OR) {
        if (x->type != OTS_BOOLEAN || y->type != OTS_BOOLEAN)
            return 0;
        for (size_t i = 0; i < n; i++)
            out->b[i] = op == OP_AND ? (uint8_t)(x->b[i] && y->b[i]) : (uint8_t)(x->b[i] || y->b[i]);
        out->valid = NULL;
        return 1;
    }
    if (op < OP_ADD || op > OP_DIV || !xn || !yn)
        return 0;
    if (out->type == OTS_DOUBLE) {
        int anynull = 0;
        for (size_t i = 0; i < n; i++) {
            double a = at_f(x, i), b = at_f(y, i);
            out->valid[i] = 1;
            switch (op) {
            case OP_ADD: out->f64[i] = a + b; break;
            case OP_SUB: out->f64[i] = a - b; break;
            case OP_MUL: out->f64[i] = a * b; break;
            default:
                if (b == 0)
                    out->valid[i] = 0, out->f64[i] = 0, anynull = 1;
                else
                    out->f64[i] = a / b;
                break;
            }
        }
        if (!anynull)
            out->valid = NULL;
        return 1;
    }
    if (!is_int(out->type) || op == OP_DIV || !x->i64 || !y->i64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = (uint64_t)x->i64[i], b = (uint64_t)y->i64[i];
        out->i64[i] = (int64_t)(op == OP_ADD ? a + b : op == OP_SUB ? a - b : a * b);
    }
    out->valid = NULL;
    return 1;
}

int ots_q_eval(const expr *e, const qenv *env, qvec *out)
{
    int rc;
    if (e->kind == E_SLOT || (e->kind == E_COL && e->slot >= 0)) {
        *out = env->slots[e->slot];
        out->n = env->n;
        return OTS_OK;
    }
    if (e->kind == E_LIT) {
        if ((rc = vec_alloc(env, e->type, env->n, out)))
            return rc;
        qval v = e->lit;
        if (e->type == OTS_DOUBLE && v.type != OTS_DOUBLE)
            v.f = (double)v.i;
        for (size_t i = 0; i < env->n; i++)
            vec_set(out, i, &v);
        if (!v.null && v.type != QT_NULL)
            out->valid = NULL;
        return OTS_OK;
    }
    qvec *kids = ots_q_alloc(env->tmp, (e->na ? e->na : 1) * sizeof *kids);
    qval *args = ots_q_alloc(env->tmp, (e->na ? e->na : 1) * sizeof *args);
    if (!kids || !args)
        return ots_q_err(env->err, OTS_ENOMEM, "out of memory");
    for (size_t k = 0; k < e->na; k++)
        if ((rc = ots_q_eval(e->a[k], env, &kids[k])))
            return rc;
    if ((rc = vec_alloc(env, e->type, env->n, out)))
        return rc;
    if (e->kind == E_BIN && fast_bin(e, &kids[0], &kids[1], out))
        return OTS_OK;
    if (e->kind == E_FUNC && e->aux && !kids[1].valid && kids[1].i64) { /* time_bucket */
        const qbucket *b = e->aux;
        if (!b->months && !b->days && !b->tz) {
            for (size_t i = 0; i < env->n; i++)
                out->i64[i] = floordiv(kids[1].i64[i], b->ns) * b->ns;
        } else {
            for (size_t i = 0; i < env->n; i++)
                out->i64[i] = ots_q_bucket(b, kids[1].i64[i]);
        }
        out->valid = NULL;
        return OTS_OK;
    }
    for (size_t i = 0; i < env->n; i++) {
        for (size_t k = 0; k < e->na; k++)
            args[k] = ots_q_vec_get(&kids[k], i);
        qval r;
        if ((rc = kernel(e, args, env, &r)))
            return rc;
        vec_set(out, i, &r);
    }
    size_t i = 0;
    while (i < env->n && out->valid[i])
        i++;
    if (i == env->n && out->type != QT_NULL)
        out->valid = NULL; /* no NULL: lets the next operator take a fast path */
    return OTS_OK;
}

int ots_q_eval_const(const expr *e, qarena *tmp, int64_t now_ns, qerr *err, qval *out)
{
    qenv env = {.slots = NULL, .nslots = 0, .n = 1, .tmp = tmp, .now_ns = now_ns, .err = err};
    qvec v;
    int rc = ots_q_eval(e, &env, &v);
    if (rc)
        return rc;
    *out = ots_q_vec_get(&v, 0);
    return OTS_OK;
}
