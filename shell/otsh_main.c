/*
 * otsh_main.c — otsh, the interactive SQL shell and batch tool over libots.
 *
 *   otsh [-d STORE] [-c SQL]... [-f FILE]... [--mode table|csv|json|line]
 *        [--timer] [--help] [--version]
 *
 * Statements end with ';' and may span lines; each is run with
 * ots_query_prepare (its tail pointer walks a script) and its rows are
 * printed in the current output mode, or its status text when it has no
 * result columns.  Lines starting with '.' (outside a statement) are
 * dot-commands.  Interactive mode (stdin a terminal, no -c/-f) uses libedit:
 * prompts, history in ~/.otsh_history, tab completion of keywords, tables
 * and columns, Ctrl-C cancelling the statement being typed or the running
 * query.  Batch mode stops at the first error with
 * "otsh: <source>:<line>: <message>" on stderr and exit status 1.
 * The reference is docs/otsh.md.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

#include "formats/formats.h"
#include <ots.h>

#define OTSH_HISTORY_FILE ".otsh_history"
#define OTSH_HISTORY_MAX 1000
#define OTSH_DEFAULT_MAXROWS 1000

typedef enum out_mode { MODE_TABLE = 0, MODE_CSV, MODE_JSON, MODE_LINE } out_mode;

static const char *const mode_names[] = {"table", "csv", "json", "line"};

typedef struct shell {
    ots_store *s;
    const char *store_dir;
    out_mode mode;
    int timer;       /* 1: "Time: N.NNN ms" after each statement (stderr) */
    size_t maxrows;  /* table mode row cap; 0 = no cap */
    FILE *out;       /* result output: stdout or the .output file */
    int interactive; /* 1: libedit input, errors do not stop the shell */
    int quit;        /* set by .quit */
    int read_depth;  /* nesting of .read, to refuse loops */
} shell;

/* Set by the SIGINT handler in interactive mode; polled between batches. */
static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

/* ---- a growable string ------------------------------------------------------ */
typedef struct sbuf {
    char *p;
    size_t len;
    size_t cap;
} sbuf;

static void die_oom(void)
{
    fputs("otsh: out of memory\n", stderr);
    exit(1);
}

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        die_oom();
    b->p = p;
    b->cap = cap;
}

static void sb_add(sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_addc(sbuf *b, char c) { sb_add(b, &c, 1); }

static void sb_clear(sbuf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

static void sb_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die_oom();
    return d;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- SQL text: where statements end ---------------------------------------------- */
/*
 * The length of the prefix of sql[0..len) that ends just after the last ';'
 * outside strings, quoted names and comments (0 when there is none).  Same
 * lexical rules as query/lexer.c: '…' and "…" with doubled quotes, -- line
 * comments, non-nesting block comments.
 */
static size_t scan_semicolons(const char *sql, size_t len, int first)
{
    size_t last = 0;
    size_t i = 0;
    while (i < len) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            i++;
            while (i < len) {
                if (sql[i] == c) {
                    if (i + 1 < len && sql[i + 1] == c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i++;
            }
            if (i >= len)
                return last; /* unterminated: the statement goes on */
            i++;
        } else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(sql[i] == '*' && sql[i + 1] == '/'))
                i++;
            if (i + 1 >= len)
                return last;
            i += 2;
        } else {
            if (c == ';') {
                last = i + 1;
                if (first)
                    return last;
            }
            i++;
        }
    }
    return last;
}

static size_t complete_prefix(const char *sql, size_t len) { return scan_semicolons(sql, len, 0); }

/* Just past the first statement-ending ';' of sql[0..len), or len. */
static size_t first_statement_end(const char *sql, size_t len)
{
    size_t n = scan_semicolons(sql, len, 1);
    return n ? n : len;
}

/* Length of the blanks and complete comments at the start of sql[0..len). */
static size_t blank_prefix(const char *sql, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (isspace((unsigned char)sql[i])) {
            i++;
        } else if (sql[i] == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                i++;
        } else if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < len && !(sql[j] == '*' && sql[j + 1] == '/'))
                j++;
            if (j + 1 >= len)
                return i; /* an unterminated comment is not blank */
            i = j + 2;
        } else {
            break;
        }
    }
    return i;
}

/* 1 when sql[0..len) holds only blanks and complete comments. */
static int is_blank(const char *sql, size_t len) { return blank_prefix(sql, len) == len; }

static int count_lines(const char *a, const char *b)
{
    int n = 0;
    for (; a < b; a++)
        n += *a == '\n';
    return n;
}

/* ---- value formatting -------------------------------------------------------------- */
/* Shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static void fmt_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

/*
 * Format row r of column c.  Returns NULL for SQL NULL; otherwise the text,
 * either in buf (cap >= 64) or the column's own string (valid for the batch).
 * *numeric tells whether the value is a number (right-aligned, bare in JSON).
 */
static const char *fmt_value(const ots_column *c, size_t r, char *buf, size_t cap, int *numeric)
{
    *numeric = 0;
    if (c->valid && !c->valid[r])
        return NULL;
    switch (c->type) {
    case OTS_TIMESTAMP:
        if (ots_fmt_ts_format(c->i64[r], NULL, buf, cap) < 0)
            snprintf(buf, cap, "%lld", (long long)c->i64[r]);
        return buf;
    case OTS_BIGINT:
        *numeric = 1;
        snprintf(buf, cap, "%lld", (long long)c->i64[r]);
        return buf;
    case OTS_DOUBLE:
        *numeric = isfinite(c->f64[r]) ? 1 : 0;
        fmt_double(c->f64[r], buf, cap);
        if (!*numeric)
            *numeric = -1; /* a number, but not valid JSON */
        return buf;
    case OTS_BOOLEAN: *numeric = 2; return c->b[r] ? "true" : "false";
    case OTS_TAG:
    case OTS_STRING: return c->str[r] ? c->str[r] : "";
    }
    return "?";
}

/* Display width of UTF-8 text: one column per code point. */
static size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Table cells show control characters escaped so rows stay on one line. */
static void add_display(sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n')
            sb_adds(b, "\\n");
        else if (ch == '\r')
            sb_adds(b, "\\r");
        else if (ch == '\t')
            sb_adds(b, "\\t");
        else if (ch < 0x20 || ch == 0x7f) {
            char e[8];
            snprintf(e, sizeof e, "\\x%02x", ch);
            sb_adds(b, e);
        } else
            sb_addc(b, (char)ch);
    }
}

static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (*s && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f); /* the empty string is "" so that it differs from NULL */
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (ch < 0x20)
                fprintf(f, "\\u%04x", ch);
            else
                fputc((char)ch, f);
        }
    }
    fputc('"', f);
}

/* ---- printing a result ------------------------------------------------------------- */
/* Table mode keeps up to maxrows formatted rows to size the columns. */
typedef struct table_acc {
    size_t ncols;
    char **cells; /* row-major, NULL cell = SQL NULL */
    size_t rows;  /* rows kept */
    size_t cap_rows;
    size_t more;  /* rows past the cap, counted only */
    int *numeric; /* per column: right-align */
} table_acc;

static void table_add_row(table_acc *t, const ots_batch *b, size_t r)
{
    if (t->rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            die_oom();
        t->cells = cells;
        t->cap_rows = cap;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        char buf[64];
        int num;
        const char *v = fmt_value(&b->cols[c], r, buf, sizeof buf, &num);
        char *cell = NULL;
        if (v) {
            sbuf sb = {0};
            add_display(&sb, v);
            if (!sb.p)
                sb_adds(&sb, "");
            cell = sb.p;
        }
        t->cells[t->rows * t->ncols + c] = cell;
    }
    t->rows++;
}

static void put_padded(FILE *f, const char *s, size_t width, int right)
{
    size_t w = utf8_width(s);
    if (right)
        for (size_t i = w; i < width; i++)
            fputc(' ', f);
    fputs(s, f);
    if (!right)
        for (size_t i = w; i < width; i++)
            fputc(' ', f);
}

static void table_print(shell *sh, const ots_query *q, table_acc *t)
{
    FILE *f = sh->out;
    size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
    if (!w)
        die_oom();
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = utf8_width(ots_query_col_name(q, c));
        for (size_t r = 0; r < t->rows; r++) {
            const char *cell = t->cells[r * t->ncols + c];
            size_t cw = cell ? utf8_width(cell) : 4;
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        fputs(c ? " | " : " ", f);
        /* the last column is not padded on the left-aligned side */
        if (c + 1 == t->ncols && !t->numeric[c])
            fputs(ots_query_col_name(q, c), f);
        else
            put_padded(f, ots_query_col_name(q, c), w[c], t->numeric[c]);
    }
    fputc('\n', f);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs(c ? "-+-" : "-", f);
        for (size_t i = 0; i < w[c]; i++)
            fputc('-', f);
    }
    fputs("-\n", f);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(c ? " | " : " ", f);
            if (c + 1 == t->ncols && !t->numeric[c])
                fputs(cell ? cell : "NULL", f);
            else
                put_padded(f, cell ? cell : "NULL", w[c], t->numeric[c]);
        }
        fputc('\n', f);
    }
    if (t->more)
        fprintf(f, "\xe2\x80\xa6 %zu more row%s (.maxrows %zu)\n", t->more, t->more == 1 ? "" : "s", sh->maxrows);
    size_t total = t->rows + t->more;
    fprintf(f, "(%zu row%s)\n", total, total == 1 ? "" : "s");
    free(w);
}

static void table_free(table_acc *t)
{
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->numeric);
}

/*
 * Fetch and print every row of q in the current mode.  Returns 0, 1 when
 * cancelled by Ctrl-C, or a negative libots error (message in ots_errmsg).
 */
static int print_rows(shell *sh, ots_query *q)
{
    size_t ncols = ots_query_ncols(q);
    FILE *f = sh->out;
    table_acc t = {0};
    size_t nrows = 0;
    int rc;
    const ots_batch *b;
    char buf[64];
    int num;
    size_t namew = 0;

    if (sh->mode == MODE_TABLE) {
        t.ncols = ncols;
        t.numeric = calloc(ncols, sizeof *t.numeric);
        if (!t.numeric)
            die_oom();
        for (size_t c = 0; c < ncols; c++) {
            ots_type ty = ots_query_col_type(q, c);
            t.numeric[c] = ty == OTS_BIGINT || ty == OTS_DOUBLE;
        }
    } else if (sh->mode == MODE_CSV) {
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                fputc(',', f);
            csv_field(f, ots_query_col_name(q, c));
        }
        fputs("\r\n", f);
    } else if (sh->mode == MODE_JSON) {
        fputc('[', f);
    } else {
        for (size_t c = 0; c < ncols; c++) {
            size_t w = utf8_width(ots_query_col_name(q, c));
            if (w > namew)
                namew = w;
        }
    }

    while ((rc = ots_query_next(q, &b)) == 1) {
        if (g_interrupted)
            break;
        for (size_t r = 0; r < b->nrows; r++, nrows++) {
            switch (sh->mode) {
            case MODE_TABLE:
                if (sh->maxrows && t.rows >= sh->maxrows)
                    t.more++;
                else
                    table_add_row(&t, b, r);
                break;
            case MODE_CSV:
                for (size_t c = 0; c < ncols; c++) {
                    if (c)
                        fputc(',', f);
                    csv_field(f, fmt_value(&b->cols[c], r, buf, sizeof buf, &num));
                }
                fputs("\r\n", f);
                break;
            case MODE_JSON:
                fputs(nrows ? ",\n{" : "{", f);
                for (size_t c = 0; c < ncols; c++) {
                    if (c)
                        fputc(',', f);
                    json_string(f, ots_query_col_name(q, c));
                    fputc(':', f);
                    const char *v = fmt_value(&b->cols[c], r, buf, sizeof buf, &num);
                    if (!v || num < 0)
                        fputs("null", f);
                    else if (num)
                        fputs(v, f);
                    else
                        json_string(f, v);
                }
                fputc('}', f);
                break;
            case MODE_LINE:
                if (nrows)
                    fputc('\n', f);
                for (size_t c = 0; c < ncols; c++) {
                    const char *v = fmt_value(&b->cols[c], r, buf, sizeof buf, &num);
                    put_padded(f, ots_query_col_name(q, c), namew, 1);
                    fputs(" = ", f);
                    fputs(v ? v : "NULL", f);
                    fputc('\n', f);
                }
                break;
            }
        }
    }
    if (g_interrupted) {
        if (sh->mode == MODE_JSON)
            fputs("]\n", f);
        table_free(&t);
        fflush(f);
        return 1;
    }
    if (rc < 0) {
        if (sh->mode == MODE_JSON)
            fputs("]\n", f);
        table_free(&t);
        fflush(f);
        return rc;
    }
    if (sh->mode == MODE_TABLE)
        table_print(sh, q, &t);
    else if (sh->mode == MODE_JSON)
        fputs("]\n", f);
    table_free(&t);
    fflush(f);
    return 0;
}

/* ---- running SQL ------------------------------------------------------------------ */
/* Report an error: batch "otsh: src:line: msg", interactive "Error: msg". */
static void report(const shell *sh, const char *src, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(sh->out);
    if (sh->interactive && !sh->read_depth)
        fputs("Error: ", stderr);
    else if (sh->interactive)
        fprintf(stderr, "Error: %s:%d: ", src, line);
    else
        fprintf(stderr, "otsh: %s:%d: ", src, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/*
 * Run every statement of sql[0..len), whose first line is line `line` of
 * `src`.  Returns 0, or -1 after an error (already reported).  Interactive
 * mode goes on with the next statement after an error; batch mode stops.
 */
static int run_sql(shell *sh, const char *src, int line, const char *sql, size_t len)
{
    const char *p = sql, *end = sql + len;
    int failed = 0;
    while (p < end && !sh->quit) {
        const char *start = p;
        p += blank_prefix(p, (size_t)(end - p));
        line += count_lines(start, p);
        if (p >= end)
            break;
        if (g_interrupted) /* Ctrl-C (interactive only): drop the rest */
            break;
        double t0 = now_ms();
        ots_query *q = NULL;
        const char *tail = NULL;
        int rc = ots_query_prepare(sh->s, p, (size_t)(end - p), &q, &tail);
        if (rc != OTS_OK) {
            report(sh, src, line, "%s", ots_errmsg(sh->s));
            failed = 1;
            if (!sh->interactive)
                return -1;
            /* skip to the end of the failed statement */
            const char *next = p + first_statement_end(p, (size_t)(end - p));
            line += count_lines(p, next);
            p = next;
            continue;
        }
        if (q) {
            if (ots_query_ncols(q) > 0) {
                int prc = print_rows(sh, q);
                if (prc == 1) { /* Ctrl-C: the rest of this input is dropped too */
                    fputs("Interrupted: query cancelled\n", stderr);
                    ots_query_close(q);
                    return failed ? -1 : 0;
                } else if (prc < 0) {
                    report(sh, src, line, "%s", ots_errmsg(sh->s));
                    ots_query_close(q);
                    if (!sh->interactive)
                        return -1;
                    failed = 1;
                    goto next_stmt;
                }
            } else if (sh->mode == MODE_TABLE || sh->mode == MODE_LINE) {
                fprintf(sh->out, "%s\n", ots_query_status(q));
                fflush(sh->out);
            }
            ots_query_close(q);
            if (sh->timer)
                fprintf(stderr, "Time: %.3f ms\n", now_ms() - t0);
        }
    next_stmt:
        if (!tail || tail <= p)
            break;
        line += count_lines(p, tail);
        p = tail;
    }
    return failed ? -1 : 0;
}

/* ---- dot-commands ------------------------------------------------------------------- */
static int run_file(shell *sh, const char *path);

static int parse_mode(const char *s, out_mode *m)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof *mode_names; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *m = (out_mode)i;
            return 0;
        }
    return -1;
}

static int parse_count(const char *s, size_t *out)
{
    char *e;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e)
        return -1;
    *out = (size_t)v;
    return 0;
}

static const char *const help_text = ".help              this text\n"
                                     ".mode MODE         output mode: table, csv, json or line\n"
                                     ".timer on|off      print the time each statement takes\n"
                                     ".output [FILE]     send results to FILE (no argument: back to stdout)\n"
                                     ".read FILE         run the statements and dot-commands of FILE\n"
                                     ".tables            list the tables\n"
                                     ".schema [TABLE]    print CREATE TABLE statements\n"
                                     ".maxrows N         table mode shows at most N rows (0: no cap)\n"
                                     ".quit              leave otsh (also Ctrl-D)\n"
                                     "SQL statements end with ';' and may span lines; Ctrl-C cancels.\n";

static void print_schema(FILE *f, const ots_table_info *ti)
{
    fprintf(f, "CREATE TABLE %s (", ti->name);
    for (size_t c = 0; c < ti->ncols; c++)
        fprintf(f, "%s%s %s", c ? ", " : "", ti->cols[c].name, ots_type_name(ti->cols[c].type));
    fputc(')', f);
    if (ti->noptions) {
        fputs(" WITH (", f);
        for (size_t o = 0; o < ti->noptions; o++) {
            fprintf(f, "%s%s = '", o ? ", " : "", ti->options[o].key);
            for (const char *v = ti->options[o].value; v && *v; v++) {
                if (*v == '\'')
                    fputc('\'', f);
                fputc(*v, f);
            }
            fputc('\'', f);
        }
        fputc(')', f);
    }
    fputs(";\n", f);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The table names, sorted; the caller frees them with free_names. */
static size_t table_names(const shell *sh, char ***out)
{
    size_t n = ots_table_count(sh->s), k = 0;
    char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
        die_oom();
    for (size_t i = 0; i < n; i++) {
        ots_table_info ti;
        if (ots_table_at(sh->s, i, &ti) == OTS_OK)
            names[k++] = xstrdup(ti.name);
    }
    qsort(names, k, sizeof *names, cmp_names);
    *out = names;
    return k;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* 1 (reported) unless the command has lo..hi arguments. */
static int bad_args(const shell *sh, const char *src, int line, int argc, int lo, int hi, const char *usage)
{
    if (argc - 1 >= lo && argc - 1 <= hi)
        return 0;
    report(sh, src, line, "usage: %s", usage);
    return 1;
}

/* Run one dot-command line.  Returns 0 or -1 after an error (reported). */
static int run_dot(shell *sh, const char *src, int line, const char *text)
{
    char *copy = xstrdup(text);
    char *argv[4] = {0};
    int argc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (argc == 4) {
            report(sh, src, line, "too many arguments to %s", argv[0]);
            free(copy);
            return -1;
        }
        argv[argc++] = tok;
    }
    int rc = 0;
    const char *cmd = argv[0] ? argv[0] : ".";
    if (strcmp(cmd, ".help") == 0) {
        fputs(help_text, sh->out);
    } else if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0) {
        if (bad_args(sh, src, line, argc, 0, 0, ".quit")) {
            rc = -1;
            goto out;
        }
        sh->quit = 1;
    } else if (strcmp(cmd, ".mode") == 0) {
        if (bad_args(sh, src, line, argc, 0, 1, ".mode table|csv|json|line")) {
            rc = -1;
            goto out;
        }
        if (argc == 1)
            fprintf(sh->out, "%s\n", mode_names[sh->mode]);
        else if (parse_mode(argv[1], &sh->mode)) {
            report(sh, src, line, "unknown mode '%s' (table, csv, json or line)", argv[1]);
            rc = -1;
        }
    } else if (strcmp(cmd, ".timer") == 0) {
        if (bad_args(sh, src, line, argc, 1, 1, ".timer on|off")) {
            rc = -1;
            goto out;
        }
        if (strcmp(argv[1], "on") == 0)
            sh->timer = 1;
        else if (strcmp(argv[1], "off") == 0)
            sh->timer = 0;
        else {
            report(sh, src, line, "usage: .timer on|off");
            rc = -1;
        }
    } else if (strcmp(cmd, ".maxrows") == 0) {
        if (bad_args(sh, src, line, argc, 1, 1, ".maxrows N")) {
            rc = -1;
            goto out;
        }
        if (parse_count(argv[1], &sh->maxrows)) {
            report(sh, src, line, "bad row count '%s'", argv[1]);
            rc = -1;
        }
    } else if (strcmp(cmd, ".output") == 0) {
        if (bad_args(sh, src, line, argc, 0, 1, ".output [FILE]")) {
            rc = -1;
            goto out;
        }
        FILE *nf = stdout;
        if (argc == 2 && !(nf = fopen(argv[1], "w"))) {
            report(sh, src, line, "cannot open '%s': %s", argv[1], strerror(errno));
            rc = -1;
            goto out;
        }
        if (sh->out != stdout)
            fclose(sh->out);
        sh->out = nf;
    } else if (strcmp(cmd, ".read") == 0) {
        if (bad_args(sh, src, line, argc, 1, 1, ".read FILE")) {
            rc = -1;
            goto out;
        }
        if (sh->read_depth >= 16) {
            report(sh, src, line, ".read nested too deeply");
            rc = -1;
        } else {
            sh->read_depth++;
            rc = run_file(sh, argv[1]);
            sh->read_depth--;
        }
    } else if (strcmp(cmd, ".tables") == 0) {
        if (bad_args(sh, src, line, argc, 0, 0, ".tables")) {
            rc = -1;
            goto out;
        }
        char **names = NULL;
        size_t n = table_names(sh, &names);
        for (size_t i = 0; i < n; i++)
            fprintf(sh->out, "%s\n", names[i]);
        free_names(names, n);
    } else if (strcmp(cmd, ".schema") == 0) {
        if (bad_args(sh, src, line, argc, 0, 1, ".schema [TABLE]")) {
            rc = -1;
            goto out;
        }
        ots_table_info ti;
        if (argc == 2) {
            if (ots_table_get(sh->s, argv[1], &ti) != OTS_OK) {
                report(sh, src, line, "no table '%s'", argv[1]);
                rc = -1;
            } else
                print_schema(sh->out, &ti);
        } else {
            char **names = NULL;
            size_t n = table_names(sh, &names);
            for (size_t i = 0; i < n; i++)
                if (ots_table_get(sh->s, names[i], &ti) == OTS_OK)
                    print_schema(sh->out, &ti);
            free_names(names, n);
        }
    } else {
        report(sh, src, line, "unknown command %s (see .help)", cmd);
        rc = -1;
    }
out:
    fflush(sh->out);
    free(copy);
    return rc;
}

/* ---- input: lines into statements ------------------------------------------------- */
typedef struct feeder {
    shell *sh;
    const char *src; /* "-c", a file name, "<stdin>" */
    sbuf buf;        /* the statement text not yet run */
    int buf_line;    /* line number of buf's first line */
} feeder;

/* Feed one line (without its newline).  Returns 0 or -1 after an error. */
static int feed_line(feeder *fd, const char *line, int lineno)
{
    if (fd->buf.len == 0) {
        const char *t = line;
        while (isspace((unsigned char)*t))
            t++;
        if (*t == '.')
            return run_dot(fd->sh, fd->src, lineno, t);
        fd->buf_line = lineno;
    }
    sb_adds(&fd->buf, line);
    sb_addc(&fd->buf, '\n');
    size_t n = complete_prefix(fd->buf.p, fd->buf.len);
    int rc = 0;
    if (n) {
        rc = run_sql(fd->sh, fd->src, fd->buf_line, fd->buf.p, n);
        fd->buf_line += count_lines(fd->buf.p, fd->buf.p + n);
        memmove(fd->buf.p, fd->buf.p + n, fd->buf.len - n + 1);
        fd->buf.len -= n;
    }
    if (is_blank(fd->buf.p, fd->buf.len))
        sb_clear(&fd->buf);
    return rc;
}

/* End of input: a last statement without ';' runs too. */
static int feed_end(feeder *fd)
{
    int rc = 0;
    if (fd->buf.len && !is_blank(fd->buf.p, fd->buf.len))
        rc = run_sql(fd->sh, fd->src, fd->buf_line, fd->buf.p, fd->buf.len);
    sb_free(&fd->buf);
    return rc;
}

/* Run a stream of lines.  Non-interactive: stop at the first error. */
static int run_stream(shell *sh, FILE *in, const char *src)
{
    feeder fd = {.sh = sh, .src = src};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while (!sh->quit && !g_interrupted && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (feed_line(&fd, line, lineno)) {
            rc = -1;
            if (!sh->interactive || sh->read_depth)
                break;
        }
    }
    free(line);
    if (rc == 0 && !sh->quit && !g_interrupted)
        rc = feed_end(&fd);
    sb_free(&fd.buf);
    return rc;
}

static int run_file(shell *sh, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fflush(sh->out);
        fprintf(stderr, "otsh: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = run_stream(sh, f, path);
    fclose(f);
    return rc;
}

/* -c SQL: its lines go through the same feeder as a file. */
static int run_string(shell *sh, const char *text)
{
    feeder fd = {.sh = sh, .src = "-c"};
    int lineno = 0, rc = 0;
    const char *p = text;
    while (!sh->quit && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        if (!line)
            die_oom();
        memcpy(line, p, n);
        line[n] = '\0';
        lineno++;
        rc = feed_line(&fd, line, lineno);
        free(line);
        if (rc)
            break;
        p += n + (nl ? 1 : 0);
    }
    if (rc == 0 && !sh->quit && !g_interrupted)
        rc = feed_end(&fd);
    sb_free(&fd.buf);
    return rc;
}

/* ---- interactive: libedit ---------------------------------------------------------- */
static shell *g_shell; /* for the completion callbacks */

static const char *const sql_keywords[] = {
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "CASE",
    "CHECKPOINT",
    "COPY",
    "CREATE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FROM",
    "GROUP",
    "HAVING",
    "HEADER",
    "IF",
    "IN",
    "INSERT",
    "INTERVAL",
    "INTO",
    "IS",
    "LIKE",
    "LIMIT",
    "LOAD",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "OR",
    "ORDER",
    "PARTITIONS",
    "SELECT",
    "SHOW",
    "STORAGE",
    "STRING",
    "TABLE",
    "TABLES",
    "TAG",
    "THEN",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
    /* functions */
    "abs",
    "avg",
    "ceil",
    "coalesce",
    "count",
    "first",
    "floor",
    "last",
    "length",
    "lower",
    "max",
    "min",
    "now",
    "round",
    "stddev",
    "sum",
    "time_bucket",
    "upper",
};

static const char *const dot_commands[] = {".help",   ".mode",   ".timer",   ".output", ".read",
                                           ".tables", ".schema", ".maxrows", ".quit"};

/* Candidate i of the completion list: keywords, dot-commands, tables, columns. */
static char *complete_gen(const char *text, int state)
{
    static size_t idx;
    static size_t len;
    if (state == 0) {
        idx = 0;
        len = strlen(text);
    }
    int lower = len > 0 && islower((unsigned char)text[0]);
    size_t nk = sizeof sql_keywords / sizeof *sql_keywords;
    size_t nd = sizeof dot_commands / sizeof *dot_commands;
    while (1) {
        size_t i = idx++;
        if (i < nk) {
            if (strncasecmp(sql_keywords[i], text, len) == 0) {
                char *m = xstrdup(sql_keywords[i]);
                for (char *c = m; *c; c++)
                    *c = (char)(lower ? tolower((unsigned char)*c) : toupper((unsigned char)*c));
                return m;
            }
            continue;
        }
        i -= nk;
        if (i < nd) {
            if (strncmp(dot_commands[i], text, len) == 0)
                return xstrdup(dot_commands[i]);
            continue;
        }
        i -= nd;
        size_t nt = g_shell && g_shell->s ? ots_table_count(g_shell->s) : 0;
        if (i < nt) {
            ots_table_info ti;
            if (ots_table_at(g_shell->s, i, &ti) == OTS_OK && strncmp(ti.name, text, len) == 0)
                return xstrdup(ti.name);
            continue;
        }
        i -= nt;
        /* columns: walk (table, column) pairs by a flat index */
        for (size_t t = 0; t < nt; t++) {
            ots_table_info ti;
            if (ots_table_at(g_shell->s, t, &ti) != OTS_OK)
                continue;
            if (i < ti.ncols) {
                const char *name = ti.cols[i].name;
                /* skip names already offered (tables share city, zone, ts) */
                int dup = 0;
                for (size_t u = 0; u < t && !dup; u++) {
                    ots_table_info tu;
                    if (ots_table_at(g_shell->s, u, &tu) != OTS_OK)
                        continue;
                    for (size_t k = 0; k < tu.ncols; k++)
                        if (strcmp(tu.cols[k].name, name) == 0)
                            dup = 1;
                }
                for (size_t k = 0; k < i && !dup; k++)
                    if (strcmp(ti.cols[k].name, name) == 0)
                        dup = 1;
                if (!dup && strncmp(name, text, len) == 0)
                    return xstrdup(name);
                goto next;
            }
            i -= ti.ncols;
        }
        return NULL;
    next:;
    }
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    return rl_completion_matches(text, complete_gen);
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof OTSH_HISTORY_FILE + 2;
    char *p = malloc(n);
    if (!p)
        die_oom();
    snprintf(p, n, "%s/%s", home, OTSH_HISTORY_FILE);
    return p;
}

/* One history entry per statement, its lines joined by spaces. */
static void remember(const char *text)
{
    char *h = xstrdup(text);
    size_t n = strlen(h);
    while (n && isspace((unsigned char)h[n - 1]))
        h[--n] = '\0';
    for (char *c = h; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    if (*h)
        add_history(h);
    free(h);
}

static int run_interactive(shell *sh)
{
    g_shell = sh;
    rl_readline_name = "otsh";
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(OTSH_HISTORY_MAX);
    char *hist = history_path();
    if (hist)
        read_history(hist);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART; /* libots' reads and waits are not cut short */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    printf("otsh %s: store %s.  Type .help for help; statements end with ';'.\n", OTS_VERSION_STRING, sh->store_dir);
    fflush(stdout);

    feeder fd = {.sh = sh, .src = "<stdin>"};
    sbuf stmt = {0}; /* the statement being typed, for history */
    int lineno = 0;
    while (!sh->quit) {
        g_interrupted = 0;
        char *line = readline(fd.buf.len ? "...> " : "ots> ");
        if (g_interrupted) { /* Ctrl-C: drop the statement being typed */
            free(line);
            sb_clear(&fd.buf);
            sb_clear(&stmt);
            fputs("^C\n", stdout);
            fflush(stdout);
            continue;
        }
        if (!line) { /* Ctrl-D */
            fputc('\n', stdout);
            break;
        }
        lineno++;
        int was_empty = fd.buf.len == 0;
        const char *t = line;
        while (isspace((unsigned char)*t))
            t++;
        if (was_empty && *t == '.') {
            remember(t);
            feed_line(&fd, line, lineno);
            free(line);
            continue;
        }
        if (stmt.len)
            sb_addc(&stmt, '\n');
        sb_adds(&stmt, line);
        feed_line(&fd, line, lineno);
        if (g_interrupted) /* a query was cancelled: forget the rest too */
            sb_clear(&fd.buf);
        if (fd.buf.len == 0) {
            remember(stmt.p ? stmt.p : "");
            sb_clear(&stmt);
        }
        free(line);
    }
    sb_free(&fd.buf);
    sb_free(&stmt);
    if (hist) {
        write_history(hist);
        free(hist);
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------- */
static void usage(FILE *f)
{
    fputs("usage: otsh [-d STORE] [-c SQL]... [-f FILE]... [--mode table|csv|json|line]\n"
          "            [--timer] [--help] [--version]\n"
          "  -d, --store STORE  the store directory (default $OTS_STORE or ./ots-data)\n"
          "  -c, --command SQL  run SQL (statements and dot-commands); repeatable\n"
          "  -f, --file FILE    run the statements of FILE (- for stdin); repeatable\n"
          "  --mode MODE        output mode: table (default), csv, json, line\n"
          "  --timer            print each statement's wall time on stderr\n"
          "  --help, --version  this text; the version\n"
          "-c and -f run in the order given and stop at the first error (exit 1).\n"
          "Without them otsh reads statements from stdin: interactively on a terminal.\n",
          f);
}

typedef struct action {
    char kind; /* 'c' or 'f' */
    const char *arg;
} action;

int main(int argc, char **argv)
{
    shell sh = {.mode = MODE_TABLE, .maxrows = OTSH_DEFAULT_MAXROWS};
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 'd'}, {"command", required_argument, NULL, 'c'},
        {"file", required_argument, NULL, 'f'},  {"mode", required_argument, NULL, 'm'},
        {"timer", no_argument, NULL, 't'},       {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},     {NULL, 0, NULL, 0},
    };
    action *acts = calloc((size_t)argc, sizeof *acts);
    size_t nacts = 0;
    if (!acts)
        die_oom();
    const char *store = getenv("OTS_STORE");
    if (!store || !*store)
        store = "./ots-data";
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+d:c:f:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': store = optarg; break;
        case 'c':
        case 'f':
            acts[nacts].kind = (char)opt;
            acts[nacts++].arg = optarg;
            break;
        case 'm':
            if (parse_mode(optarg, &sh.mode)) {
                fprintf(stderr, "otsh: unknown mode '%s' (table, csv, json or line)\n", optarg);
                free(acts);
                return 2;
            }
            break;
        case 't': sh.timer = 1; break;
        case 'h':
            usage(stdout);
            free(acts);
            return 0;
        case 'V':
            printf("otsh %s (libots %s)\n", OTS_VERSION_STRING, OTS_VERSION_STRING);
            free(acts);
            return 0;
        default:
            if (optopt && strchr("dcf", optopt))
                fprintf(stderr, "otsh: option -%c needs an argument\n", optopt);
            else if (optind > 0 && optind <= argc)
                fprintf(stderr, "otsh: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            free(acts);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otsh: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        free(acts);
        return 2;
    }

    sh.store_dir = store;
    sh.out = stdout;
    int rc = ots_store_open(store, NULL, &sh.s);
    if (rc != OTS_OK) {
        fprintf(stderr, "otsh: cannot open store '%s': %s\n", store, ots_errmsg(NULL));
        free(acts);
        return 1;
    }

    int failed = 0;
    if (nacts) {
        for (size_t i = 0; i < nacts && !failed && !sh.quit; i++) {
            if (acts[i].kind == 'c')
                failed = run_string(&sh, acts[i].arg) != 0;
            else if (strcmp(acts[i].arg, "-") == 0)
                failed = run_stream(&sh, stdin, "<stdin>") != 0;
            else
                failed = run_file(&sh, acts[i].arg) != 0;
        }
    } else if (isatty(STDIN_FILENO)) {
        sh.interactive = 1;
        run_interactive(&sh);
    } else {
        failed = run_stream(&sh, stdin, "<stdin>") != 0;
    }

    if (sh.out != stdout)
        fclose(sh.out);
    fflush(stdout);
    rc = ots_store_close(sh.s);
    if (rc != OTS_OK && !failed) {
        fprintf(stderr, "otsh: closing the store: %s\n", ots_strerror(rc));
        failed = 1;
    }
    free(acts);
    return failed ? 1 : 0;
}
