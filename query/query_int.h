/*
 * query_int.h — private structures of the query module: arena, tokens, the
 * AST, typed value vectors, the plan and the query handle.
 *
 * Pipeline: lexer.c (tokens) -> parser.c (AST) -> plan.c (name resolution,
 * types, pushdown into an ots_scan_spec) -> exec_select.c (vectorised
 * evaluation over scan batches, hash aggregation, sort, limit) and
 * exec_stmt.c (DDL, SHOW, INSERT, LOAD).  Results are kept in a qtab and
 * handed out as ots_batch pages by query.c.
 */
#ifndef OTS_QUERY_INT_H
#define OTS_QUERY_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"
#include "ots.h"
#include "query/query.h"

/* Internal value types beyond ots_type. */
#define QT_NULL 0      /* the type of a bare NULL literal */
#define QT_INTERVAL 99 /* a fixed duration in ns (i64) */

#define Q_BATCH 4096

/* ---- arena: everything of a statement is freed at once ---------------------- */
typedef struct qarena_blk {
    struct qarena_blk *next;
    size_t used, cap;
    /* data follows, 16-aligned */
} qarena_blk;

typedef struct qarena {
    qarena_blk *head;
    int oom; /* an allocation failed */
} qarena;

void *ots_q_alloc(qarena *a, size_t n); /* zeroed; NULL on OOM (a->oom set) */
char *ots_q_strndup(qarena *a, const char *s, size_t n);
void ots_q_arena_free(qarena *a);

/* ---- errors ------------------------------------------------------------------ */
typedef struct qerr {
    int rc;
    char msg[512];
} qerr;

/* Set err (first error wins) and return rc. */
int ots_q_err(qerr *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "line L, column C: " + fmt, OTS_EINVAL. */
int ots_q_err_at(qerr *e, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Copy a message into the store's ots_errmsg (query/error.c). */
void ots_q_store_err(ots_store *s, int rc, const char *msg);

/* ---- lexer -------------------------------------------------------------------- */
typedef enum {
    TK_EOF = 0,
    TK_IDENT,  /* bare word: keyword or name */
    TK_QIDENT, /* "quoted name" */
    TK_STRING, /* 'text' */
    TK_INT,
    TK_FLOAT,
    TK_OP, /* punctuation / operator; text in tok.s */
} tkind;

typedef struct token {
    tkind kind;
    const char *s; /* NUL-terminated text (arena): unquoted/unescaped */
    size_t off;    /* byte offset in the statement text */
    size_t end;    /* offset past the token */
    int line, col;
} token;

typedef struct lexer {
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start;
} lexer;

/* Next token; OTS_EINVAL with e set on a bad character / unterminated text. */
int ots_q_lex(lexer *lx, qarena *a, token *t, qerr *e);

/* ---- AST ------------------------------------------------------------------------- */
typedef enum {
    E_LIT,  /* lit */
    E_COL,  /* name (resolved: slot) */
    E_SLOT, /* input slot `slot` (after planning) */
    E_BIN,  /* op: + - * / % = <> < <= > >= AND OR || */
    E_NOT,
    E_NEG,
    E_IN,      /* a[0] IN (a[1..]); neg */
    E_BETWEEN, /* a[0] BETWEEN a[1] AND a[2]; neg */
    E_LIKE,    /* a[0] LIKE a[1]; neg */
    E_ISNULL,  /* a[0] IS NULL; neg */
    E_CASE,    /* a: [operand?] when,then pairs [else]: see flags */
    E_FUNC,    /* scalar function name(args) */
    E_AGG,     /* aggregate name(args) */
    E_STAR,    /* * in a select list or count(*) */
    E_CAST,    /* CAST(a[0] AS type) / a[0]::type; op = target ots_type */
} ekind;

enum { OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR, OP_CAT };

typedef struct qval {
    int type; /* ots_type or QT_* */
    int null;
    int64_t i; /* TIMESTAMP, BIGINT, BOOLEAN, INTERVAL */
    double f;
    const char *s; /* STRING/TAG */
} qval;

typedef struct expr expr;
struct expr {
    ekind kind;
    int op;
    int neg;         /* NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL */
    int distinct;    /* count(DISTINCT x) */
    int has_else;    /* CASE … ELSE */
    int has_operand; /* CASE x WHEN … */
    int line, col;
    int depth;       /* height of the tree below (parser limit) */
    size_t off, end; /* source text span */
    qval lit;
    const char *name; /* column / function name (lower case for functions) */
    expr **a;
    size_t na;
    /* resolved by plan.c */
    int type;        /* result type */
    int slot;        /* E_SLOT: input slot */
    double pct;      /* percentile_cont fraction */
    const void *aux; /* time_bucket: its qbucket */
};

/* time_bucket's resolved width and zone. */
typedef struct qbucket {
    int64_t ns;       /* fixed width (0 when calendar) */
    int64_t days;     /* calendar days (weeks = 7 * n), local to tz */
    int64_t months;   /* calendar months, local to tz */
    const ots_tz *tz; /* NULL = UTC */
} qbucket;
int64_t ots_q_bucket(const qbucket *b, int64_t ts_ns);

typedef struct sel_item {
    expr *e;
    const char *alias; /* NULL: derived name */
} sel_item;

typedef struct order_item {
    expr *e;
    int desc;
    int nulls_first; /* -1 default (NULLS LAST for ASC, FIRST for DESC) */
} order_item;

typedef struct select_stmt {
    int distinct; /* SELECT DISTINCT */
    sel_item *items;
    size_t nitems;
    const char *table;
    int tline, tcol;
    expr *where;
    expr **group;
    size_t ngroup;
    expr *having;
    order_item *order;
    size_t norder;
    expr *limit, *offset;
} select_stmt;

typedef enum {
    ST_SELECT = 1,
    ST_EXPLAIN,
    ST_CREATE,
    ST_DROP,
    ST_SHOW_TABLES,
    ST_DESCRIBE,
    ST_SHOW_PARTITIONS,
    ST_SHOW_STORAGE,
    ST_SHOW_CITIES,
    ST_SHOW_ZONES,
    ST_LOAD_CITIES,
    ST_LOAD_ZONES,
    ST_CHECKPOINT,
    ST_INSERT,
    ST_COPY,
} skind;

typedef struct stmt {
    skind kind;
    const char *table;
    int if_exists;
    ots_column_def *cols; /* CREATE */
    size_t ncols;
    ots_option *opts;
    size_t nopts;
    const char *path;                       /* LOAD */
    const char *city, *id_prop, *name_prop; /* LOAD ZONES */
    const char **icols;                     /* INSERT column list (NULL = schema) */
    int *icol_line, *icol_col;
    size_t nicols;
    expr ***rows; /* INSERT VALUES rows */
    size_t *rowlen;
    size_t nrows;
    select_stmt *sel; /* SELECT / EXPLAIN */
    int header;       /* COPY (HEADER) */
    char delimiter;   /* COPY (DELIMITER ','), 0 = default */
    const char *tz;   /* COPY (TIMEZONE '…') */
    int line, col;    /* position of the statement's first token */
} stmt;

/* Parse one statement from lx.  Returns OTS_OK with *out (NULL for an empty
 * statement) and the lexer positioned past the statement's ';'. */
int ots_q_parse(lexer *lx, qarena *a, stmt **out, qerr *e);

/* ---- value vectors -------------------------------------------------------------- */
typedef struct qvec {
    int type;
    size_t n;
    int64_t *i64;
    double *f64;
    uint8_t *b;
    const char **str;
    uint8_t *valid;        /* NULL: all present */
    const uint32_t *codes; /* TAG/STRING columns of a scan: str[i] == dict[codes[i]] */
    size_t dict_size;
} qvec;

/* A growable result table: columns of values. */
typedef struct qtab {
    size_t ncols, n, cap;
    int *types;
    const char **names;
    int64_t **i64;
    double **f64;
    uint8_t **b;
    const char ***str;
    uint8_t **valid; /* always allocated per column */
    qarena strs;     /* copies of result strings */
} qtab;

int ots_q_tab_init(qtab *t, size_t ncols, qarena *a);
void ots_q_tab_fini(qtab *t);
/* Append v (n rows) as column c's next values; call for every column, then
 * ots_q_tab_commit(t, n). */
int ots_q_tab_reserve(qtab *t, size_t more);
void ots_q_tab_put(qtab *t, size_t c, size_t row, const qval *v);
int ots_q_tab_put_vec(qtab *t, size_t c, const qvec *v);
qval ots_q_tab_get(const qtab *t, size_t c, size_t row);

/* ---- evaluation (eval.c) --------------------------------------------------------- */
typedef struct qenv {
    const qvec *slots;
    size_t nslots;
    size_t n;    /* rows */
    qarena *tmp; /* per-batch scratch */
    int64_t now_ns;
    qerr *err;
} qenv;

int ots_q_eval(const expr *e, const qenv *env, qvec *out);
/* Evaluate a constant expression (no slots) to one value. */
int ots_q_eval_const(const expr *e, qarena *tmp, int64_t now_ns, qerr *err, qval *out);
qval ots_q_vec_get(const qvec *v, size_t i);
/* Compare two values of the same comparable type; NULLs not allowed. */
int ots_q_val_cmp(const qval *a, const qval *b);
/* Parse '15 minutes' into ns; 0 months.  Or a calendar width in months. */
int ots_q_interval_parse(const char *s, int64_t *ns, int64_t *months, int64_t *days);
const char *ots_q_type_name(int t);

/* ---- plan & execution ---------------------------------------------------------------- */
typedef struct ots_query ots_query;
struct ots_query {
    ots_store *s;
    qarena a;     /* AST and plan */
    qtab res;     /* result rows */
    size_t nout;  /* visible result columns (res may hold hidden sort keys) */
    size_t pos;   /* next row to hand out */
    size_t end;   /* last row + 1 (LIMIT applied) */
    size_t *perm; /* sort order (NULL: identity) */
    char status[1024];
    qerr err;
    const char *src; /* statement text: valid during prepare only */
    int64_t now_ns;  /* now() for the whole statement */
    ots_tz **tzs;    /* zones loaded by time_bucket, freed at close */
    size_t ntzs;
    struct qstream *stream; /* a SELECT streaming from its scan, or NULL */
    /* the current output page */
    ots_batch batch;
    ots_column *cols;
    void *page; /* arrays of the current page */
};

/* A planned SELECT (plan.c), executed by exec_select.c. */
typedef struct splan {
    ots_query *q;
    const select_stmt *sel;
    int has_table;
    ots_table_info ti;
    /* scan */
    const char **scols; /* columns read, in slot order */
    int *stypes;        /* their ots_type */
    size_t nscols, capscols;
    int ts_slot; /* slot of ts, or -1 */
    ots_tag_pred *preds;
    size_t npreds, cappreds;
    int64_t ts_min, ts_max;
    expr *filter; /* WHERE left after pushdown (scan env), or NULL */
    /* aggregation */
    int agg;
    expr **keys; /* GROUP BY expressions (scan env) */
    size_t nkeys;
    expr **aggs; /* E_AGG nodes; args in the scan env */
    size_t naggs, capaggs;
    /* output: visible columns then hidden sort keys (scan env, or the group
     * env of keys then aggregate results) */
    expr **outs;
    const char **names;
    size_t nvis, nouts, capouts;
    expr *having;    /* group env */
    size_t *ord_col; /* ORDER BY: result column of each item */
    size_t nord;
    int64_t limit; /* -1 none */
    int64_t offset;
} splan;

int ots_q_plan_select(ots_query *q, const select_stmt *sel, splan *p);
/* ots_table_get with the names copied into q's arena (the store's pointers
 * only live until the next CREATE/DROP, which another thread may run). */
int ots_q_table_get(ots_query *q, const char *name, ots_table_info *out);
/* The source text of e, whitespace-collapsed, into the arena. */
const char *ots_q_expr_text(ots_query *q, const expr *e);
int ots_q_exec_select(ots_query *q, const select_stmt *sel, int explain);
/* Streaming SELECT: fill q->res with the next rows (q->pos..q->end);
 * 1 rows ready, 0 at the end, < 0 error (q->err set). */
int ots_q_stream_next(ots_query *q);
void ots_q_stream_close(ots_query *q);
int ots_q_exec_stmt(ots_query *q, const stmt *st);
int ots_q_exec_copy(ots_query *q, const stmt *st);
/* Set result column c's name and type (before rows are added). */
void ots_q_set_col(ots_query *q, size_t c, const char *name, int type);
int ots_q_result_init(ots_query *q, size_t ncols, size_t nvisible);

#endif /* OTS_QUERY_INT_H */
