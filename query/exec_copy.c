/*
 * exec_copy.c — COPY t FROM 'file.csv' (HEADER, DELIMITER ',', TIMEZONE 'z',
 * COLUMNS (…)): loads a CSV file (formats/ RFC 4180 reader) into a table.
 *
 * The CSV columns map to table columns by the header's names (HEADER), by
 * COLUMNS (…), or else in schema order.  Each line is converted and checked
 * before it joins a batch (ts and tags present, tags non-empty, numbers and
 * booleans well formed, timestamps ISO-8601 — local to TIMEZONE when they
 * carry no offset — or epoch seconds / ms / us / ns told apart by their
 * digit count), so a bad line is rejected alone with its line, column and
 * reason while the good ones load, in batches of 8192 rows to ots_append.
 * Status: "COPY n" or "COPY n (k rejected: line L, column C: reason; …)".
 * A batch the store refuses (I/O) ends the statement; earlier batches stay.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "query/query_int.h"

#define COPY_BATCH 8192
#define COPY_MAX_COLS 64
#define COPY_SHOW_REJECTS 5

typedef struct copyx {
    ots_query *q;
    ots_table_info ti;
    size_t ncols;
    int csv_to_col[COPY_MAX_COLS * 4]; /* CSV field -> schema column, -1 skip */
    size_t nfields;
    ots_tz *tz;
    /* batch */
    size_t n;
    void *data[COPY_MAX_COLS];
    uint8_t *valid[COPY_MAX_COLS];
    qarena strs;
    uint64_t loaded, rejected;
    char rej[700];
    size_t rejlen;
} copyx;

static int oom(ots_query *q) { return ots_q_err(&q->err, OTS_ENOMEM, "out of memory"); }

static void reject(copyx *x, uint64_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void reject(copyx *x, uint64_t line, uint32_t col, const char *fmt, ...)
{
    x->rejected++;
    if (x->rejected > COPY_SHOW_REJECTS)
        return;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (x->rejlen + 1 < sizeof x->rej) {
        int k = snprintf(x->rej + x->rejlen, sizeof x->rej - x->rejlen, "%sline %llu, column %u: %s",
                         x->rejlen ? "; " : "", (unsigned long long)line, col, why);
        if (k > 0)
            x->rejlen = x->rejlen + (size_t)k < sizeof x->rej ? x->rejlen + (size_t)k : sizeof x->rej - 1;
    }
}

static int flush(copyx *x)
{
    if (!x->n)
        return OTS_OK;
    ots_vec v[COPY_MAX_COLS];
    for (size_t c = 0; c < x->ncols; c++) {
        v[c].data = x->data[c];
        v[c].valid = NULL;
        for (size_t r = 0; r < x->n; r++)
            if (!x->valid[c][r]) {
                v[c].valid = x->valid[c];
                break;
            }
    }
    int rc = ots_append(x->q->s, x->ti.name, v, x->n);
    if (rc)
        return ots_q_err(&x->q->err, rc, "COPY stopped after %llu rows: %s", (unsigned long long)x->loaded,
                         ots_errmsg(x->q->s));
    x->loaded += x->n;
    x->n = 0;
    ots_q_arena_free(&x->strs);
    return OTS_OK;
}

static int all_digits(const char *s, size_t *intdigits)
{
    size_t i = 0, d = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    for (; isdigit((unsigned char)s[i]); i++)
        d++;
    *intdigits = d;
    if (s[i] == '.') {
        for (i++; isdigit((unsigned char)s[i]); i++)
            ;
    }
    return d > 0 && s[i] == 0;
}

/* Convert one field into row r of column c; a reason on failure. */
static const char *convert(copyx *x, size_t c, size_t r, const ots_csv_field *f, char *why, size_t cap)
{
    ots_type t = x->ti.cols[c].type;
    const char *s = f->p;
    int empty = f->len == 0 && !f->quoted;
    x->valid[c][r] = 0;
    if (empty || (!f->quoted && t != OTS_STRING && t != OTS_TAG && !strcasecmp(s, "null"))) {
        if (t == OTS_TIMESTAMP || t == OTS_TAG) {
            snprintf(why, cap, "column '%s': empty %s", x->ti.cols[c].name, ots_type_name(t));
            return why;
        }
        if (t == OTS_STRING || t == OTS_TAG)
            ((const char **)x->data[c])[r] = "";
        return NULL;
    }
    switch (t) {
    case OTS_TIMESTAMP: {
        ots_fmt_err fe;
        memset(&fe, 0, sizeof fe);
        size_t d;
        int64_t ts;
        int rc;
        if (all_digits(s, &d)) {
            int64_t unit = d <= 11 ? 1 : d <= 14 ? 1000 : d <= 17 ? 1000000 : 1000000000;
            rc = ots_fmt_epoch_parse(s, f->len, unit, &ts, &fe);
        } else {
            rc = ots_fmt_ts_parse(s, f->len, x->tz, &ts, &fe);
        }
        if (rc) {
            snprintf(why, cap, "column '%s': bad timestamp '%.40s': %s", x->ti.cols[c].name, s, fe.msg);
            return why;
        }
        ((int64_t *)x->data[c])[r] = ts;
        break;
    }
    case OTS_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || *end || isspace((unsigned char)*s)) {
            snprintf(why, cap, "column '%s': bad DOUBLE '%.40s'", x->ti.cols[c].name, s);
            return why;
        }
        ((double *)x->data[c])[r] = d;
        break;
    }
    case OTS_BIGINT: {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || *end || errno == ERANGE || isspace((unsigned char)*s)) {
            snprintf(why, cap, "column '%s': bad BIGINT '%.40s'", x->ti.cols[c].name, s);
            return why;
        }
        ((int64_t *)x->data[c])[r] = v;
        break;
    }
    case OTS_BOOLEAN: {
        static const char *yes[] = {"true", "t", "1", "yes", "y"}, *no[] = {"false", "f", "0", "no", "n"};
        int v = -1;
        for (int i = 0; i < 5; i++) {
            if (!strcasecmp(s, yes[i]))
                v = 1;
            if (!strcasecmp(s, no[i]))
                v = 0;
        }
        if (v < 0) {
            snprintf(why, cap, "column '%s': bad BOOLEAN '%.40s'", x->ti.cols[c].name, s);
            return why;
        }
        ((uint8_t *)x->data[c])[r] = (uint8_t)v;
        break;
    }
    default: {
        if (t == OTS_TAG && f->len == 0) {
            snprintf(why, cap, "column '%s': empty TAG", x->ti.cols[c].name);
            return why;
        }
        if (t == OTS_TAG && f->len > 65535) {
            snprintf(why, cap, "column '%s': tag value over 65535 bytes", x->ti.cols[c].name);
            return why;
        }
        if (f->len > (16u << 20)) {
            snprintf(why, cap, "column '%s': string over 16 MiB", x->ti.cols[c].name);
            return why;
        }
        if (memchr(s, 0, f->len)) {
            snprintf(why, cap, "column '%s': NUL byte in text", x->ti.cols[c].name);
            return why;
        }
        char *cp = ots_q_strndup(&x->strs, s, f->len);
        if (!cp) {
            snprintf(why, cap, "out of memory");
            return why;
        }
        ((const char **)x->data[c])[r] = cp;
        break;
    }
    }
    x->valid[c][r] = 1;
    return NULL;
}

static int map_column(copyx *x, size_t field, const char *name, int line, int col)
{
    for (size_t c = 0; c < x->ncols; c++)
        if (!strcmp(x->ti.cols[c].name, name)) {
            for (size_t j = 0; j < field; j++)
                if (x->csv_to_col[j] == (int)c)
                    return ots_q_err_at(&x->q->err, line, col, "column '%s' given twice", name);
            x->csv_to_col[field] = (int)c;
            return OTS_OK;
        }
    return ots_q_err_at(&x->q->err, line, col, "no column '%s' in table '%s'", name, x->ti.name);
}

int ots_q_exec_copy(ots_query *q, const stmt *st)
{
    copyx *x = ots_calloc(1, sizeof *x);
    if (!x)
        return oom(q);
    x->q = q;
    int rc = ots_q_table_get(q, st->table, &x->ti);
    ots_csv *csv = NULL;
    if (rc) {
        rc = rc == OTS_ENOMEM ? oom(q) : ots_q_err(&q->err, rc, "%s", ots_errmsg(q->s));
        goto out;
    }
    x->ncols = x->ti.ncols;
    if (st->tz) {
        ots_fmt_err fe;
        memset(&fe, 0, sizeof fe);
        if ((rc = ots_fmt_tz_load(st->tz, &x->tz, &fe))) {
            rc = rc == OTS_ENOMEM ? oom(q) : ots_q_err_at(&q->err, st->line, st->col, "unknown time zone '%s'", st->tz);
            goto out;
        }
    }
    for (size_t c = 0; c < x->ncols; c++) {
        x->data[c] = ots_calloc(COPY_BATCH, 8);
        x->valid[c] = ots_calloc(COPY_BATCH, 1);
        if (!x->data[c] || !x->valid[c]) {
            rc = oom(q);
            goto out;
        }
    }
    struct stat sb;
    if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        rc = ots_q_err(&q->err, OTS_EINVAL, "%s: not a regular file", st->path);
        goto out;
    }
    ots_csv_opts o;
    ots_csv_opts_init(&o);
    if (st->delimiter)
        o.delimiter = st->delimiter;
    if ((rc = ots_csv_open_path(st->path, &o, &csv))) {
        rc = ots_q_err(&q->err, rc, "%s: cannot open for COPY (%s)", st->path, ots_strerror(rc));
        goto out;
    }
    /* column mapping */
    if (st->icols) {
        if (st->nicols > COPY_MAX_COLS) {
            rc = ots_q_err_at(&q->err, st->line, st->col, "too many COLUMNS");
            goto out;
        }
        for (size_t i = 0; i < st->nicols; i++)
            if ((rc = map_column(x, i, st->icols[i], st->icol_line[i], st->icol_col[i])))
                goto out;
        x->nfields = st->nicols;
    }
    const ots_csv_field *f;
    size_t nf;
    if (st->header) {
        rc = ots_csv_next(csv, &f, &nf);
        if (rc < 0) {
            rc = ots_q_err(&q->err, rc, "%s", ots_csv_error(csv));
            goto out;
        }
        if (rc == 0)
            nf = 0;
        if (!st->icols) {
            if (nf > COPY_MAX_COLS * 4) {
                rc = ots_q_err(&q->err, OTS_EINVAL, "%s:1: more than %d columns", st->path, COPY_MAX_COLS * 4);
                goto out;
            }
            for (size_t i = 0; i < nf; i++) {
                x->csv_to_col[i] = -1;
                for (size_t c = 0; c < x->ncols; c++)
                    if (!strcasecmp(x->ti.cols[c].name, f[i].p))
                        x->csv_to_col[i] = (int)c;
                if (x->csv_to_col[i] < 0) {
                    rc = ots_q_err(&q->err, OTS_EINVAL, "%s:%llu:%u: header names no column of table '%s': '%.60s'",
                                   st->path, (unsigned long long)ots_csv_line(csv), f[i].col, x->ti.name, f[i].p);
                    goto out;
                }
                for (size_t j = 0; j < i; j++)
                    if (x->csv_to_col[j] == x->csv_to_col[i]) {
                        rc = ots_q_err(&q->err, OTS_EINVAL, "%s:%llu:%u: column '%s' appears twice in the header",
                                       st->path, (unsigned long long)ots_csv_line(csv), f[i].col, f[i].p);
                        goto out;
                    }
            }
            x->nfields = nf;
        }
    }
    if (!x->nfields) {
        for (size_t c = 0; c < x->ncols; c++)
            x->csv_to_col[c] = (int)c;
        x->nfields = x->ncols;
    }
    int present[COPY_MAX_COLS] = {0};
    for (size_t i = 0; i < x->nfields; i++)
        present[x->csv_to_col[i]] = 1;
    for (;;) {
        rc = ots_csv_next(csv, &f, &nf);
        if (rc == 0)
            break;
        if (rc == OTS_EIO) {
            rc = ots_q_err(&q->err, rc, "%s", ots_csv_error(csv));
            goto out;
        }
        uint64_t line = ots_csv_line(csv);
        if (rc < 0) {
            const char *e = ots_csv_error(csv), *p = e;
            /* "name:line:col: reason" -> keep the reason and the column */
            unsigned col = 1;
            for (int k = 0; k < 2 && p; k++)
                p = strchr(p + 1, ':');
            if (p)
                col = (unsigned)strtoul(p + 1, NULL, 10), p = strchr(p + 1, ':');
            reject(x, line, col, "%s", p ? p + 2 : e);
            continue;
        }
        if (nf != x->nfields) {
            reject(x, line, 1, "expected %zu fields, got %zu", x->nfields, nf);
            continue;
        }
        size_t r = x->n;
        const char *bad = NULL;
        uint32_t badcol = 1;
        char why[300];
        for (size_t i = 0; i < nf && !bad; i++) {
            bad = convert(x, (size_t)x->csv_to_col[i], r, &f[i], why, sizeof why);
            badcol = f[i].col;
        }
        for (size_t c = 0; c < x->ncols && !bad; c++) {
            if (present[c])
                continue;
            ots_type t = x->ti.cols[c].type;
            if (t == OTS_TIMESTAMP || t == OTS_TAG) {
                snprintf(why, sizeof why, "column '%s' is not in the file and may not be NULL", x->ti.cols[c].name);
                bad = why;
                badcol = 1;
            }
            x->valid[c][r] = 0;
            if (t == OTS_STRING)
                ((const char **)x->data[c])[r] = "";
        }
        if (x->strs.oom) {
            rc = oom(q);
            goto out;
        }
        if (bad) {
            reject(x, line, badcol, "%s", bad);
            continue;
        }
        if (++x->n == COPY_BATCH && (rc = flush(x)))
            goto out;
    }
    if ((rc = flush(x)))
        goto out;
    if (x->rejected)
        snprintf(q->status, sizeof q->status, "COPY %llu (%llu rejected: %s%s)", (unsigned long long)x->loaded,
                 (unsigned long long)x->rejected, x->rej, x->rejected > COPY_SHOW_REJECTS ? "; …" : "");
    else
        snprintf(q->status, sizeof q->status, "COPY %llu", (unsigned long long)x->loaded);
    rc = OTS_OK;
out:
    ots_csv_close(csv);
    for (size_t c = 0; c < COPY_MAX_COLS; c++) {
        ots_free(x->data[c]);
        ots_free(x->valid[c]);
    }
    ots_fmt_tz_free(x->tz);
    ots_q_arena_free(&x->strs);
    ots_free(x);
    return rc;
}
