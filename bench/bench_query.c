/*
 * bench_query.c — the SQL layer (ots_query_*) on the synthetic meter day
 * ($OTS_BENCH_DATA, from tools/gen_meters).
 *
 *   query/copy_from_csv      CREATE TABLE, then COPY meter_readings FROM
 *                            '<csv>' (HEADER) and CHECKPOINT (timed) into a
 *                            fresh store: rows/s (items).  Counters:
 *                            bytes_per_row (segment bytes under hot/ / rows)
 *                            and checkpoint_share (the CHECKPOINT's part of
 *                            the timed work).
 *   query/q1_latest_meter    the queries below, each iteration running the
 *   …                        statement to completion (every batch of
 *   query/q6_top_voltage     ots_query_next consumed): items = result rows.
 *
 * The store the COPY leaves behind is the one the queries read; when the
 * COPY benchmark is filtered out, the first query loads it (untimed).  The
 * store is opened with the defaults (as otsh does) under $TMPDIR and removed
 * at exit.  bench/peers/ runs the same six queries on DuckDB and SQLite.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/shim/shim.h"
#include "ots.h"

#define CREATE_SQL                                                                              \
    "CREATE TABLE meter_readings (ts TIMESTAMP, city TAG, zone TAG, meter_id TAG, kwh DOUBLE, " \
    "voltage DOUBLE, status STRING)"

typedef struct query_def {
    const char *name;
    const char *sql;
} query_def;

/* The same text as bench/peers/queries.sql (the peers' copies of Q1–Q6). */
static const query_def QUERIES[] = {
    {"query/q1_latest_meter",
     "SELECT ts, kwh, voltage, status FROM meter_readings WHERE city='berlin' AND zone='z07' AND "
     "meter_id='1317' ORDER BY ts DESC LIMIT 1"},
    {"query/q2_zone_hour", "SELECT * FROM meter_readings WHERE city='berlin' AND zone='z07' AND ts >= "
                           "'2024-03-01T01:00:00Z' AND ts < '2024-03-01T02:00:00Z'"},
    {"query/q3_hourly_zone_stats", "SELECT zone, time_bucket('1 hour', ts) AS h, avg(kwh), min(kwh), max(kwh) FROM "
                                   "meter_readings WHERE city='oslo' GROUP BY zone, h"},
    {"query/q4_kwh_per_city", "SELECT city, sum(kwh) FROM meter_readings GROUP BY city"},
    {"query/q5_faults_per_zone",
     "SELECT city, zone, count(*) FROM meter_readings WHERE status='fault' GROUP BY city, zone"},
    {"query/q6_top_voltage",
     "SELECT meter_id, max(voltage) AS v FROM meter_readings GROUP BY meter_id ORDER BY v DESC, "
     "meter_id LIMIT 10"},
};
#define NQUERIES (sizeof QUERIES / sizeof QUERIES[0])

static struct {
    int state; /* 0 not loaded, 1 ready, -1 failed */
    char err[512];
    char dir[512];
    ots_store *s;
    uint64_t rows;
} Q;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Run sql to completion on s: 0 and *rows (result rows), or -1 with err set.
 * *status (may be NULL) gets the completion text. */
static int run_sql(ots_store *s, const char *sql, uint64_t *rows, char *status, size_t scap, char *err, size_t ecap)
{
    ots_query *q = NULL;
    if (ots_query_prepare(s, sql, (size_t)-1, &q, NULL) != OTS_OK) {
        snprintf(err, ecap, "%.60s…: %s", sql, ots_errmsg(s));
        return -1;
    }
    uint64_t n = 0;
    if (q) {
        const ots_batch *b;
        int rc;
        while ((rc = ots_query_next(q, &b)) == 1)
            n += b->nrows;
        if (rc < 0) {
            snprintf(err, ecap, "%.60s…: %s", sql, ots_errmsg(s));
            ots_query_close(q);
            return -1;
        }
        if (status)
            snprintf(status, scap, "%s", ots_query_status(q) ? ots_query_status(q) : "");
        ots_query_close(q);
    } else if (status) {
        status[0] = 0;
    }
    if (rows)
        *rows = n;
    return 0;
}

static const char *csv_path(char *buf, size_t cap)
{
    const char *p = getenv("OTS_BENCH_DATA");
    if (!p || !*p)
        p = "bench/data/meters-144.csv";
    char *abs = realpath(p, NULL);
    if (!abs)
        return NULL;
    /* double any quote for the SQL string literal */
    size_t j = 0;
    for (const char *c = abs; *c && j + 2 < cap; c++) {
        if (*c == '\'')
            buf[j++] = '\'';
        buf[j++] = *c;
    }
    buf[j] = 0;
    free(abs);
    return buf;
}

/* Close any previous store, and make a fresh empty one with the table:
 * 0 or -1 (Q.err set). */
static int fresh_store(void)
{
    if (Q.s) {
        ots_store_close(Q.s);
        Q.s = NULL;
    }
    if (!Q.dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(Q.dir, sizeof Q.dir, "%s/ots-bench-query-%ld", t && *t ? t : "/tmp", (long)getpid());
    }
    ots_bench_rmrf(Q.dir);
    ots_store_opts o;
    ots_store_opts_init(&o);
    o.log = ots_bench_quiet_log; /* "city not in the registry" warnings */
    if (ots_store_open(Q.dir, &o, &Q.s) != OTS_OK) {
        snprintf(Q.err, sizeof Q.err, "open %.300s: %.200s", Q.dir, ots_errmsg(NULL));
        return -1;
    }
    return run_sql(Q.s, CREATE_SQL, NULL, NULL, 0, Q.err, sizeof Q.err);
}

/* COPY + CHECKPOINT into the (fresh) store: 0 with *rows, or -1.  *ckpt_s
 * gets the CHECKPOINT's wall time. */
static int copy_checkpoint(const char *copy_sql, uint64_t *rows, double *ckpt_s)
{
    char status[256];
    if (run_sql(Q.s, copy_sql, NULL, status, sizeof status, Q.err, sizeof Q.err) < 0)
        return -1;
    unsigned long long n = 0;
    if (sscanf(status, "COPY %llu", &n) != 1 || n == 0) {
        snprintf(Q.err, sizeof Q.err, "COPY status '%s': no rows", status);
        return -1;
    }
    if (strstr(status, "rejected")) {
        snprintf(Q.err, sizeof Q.err, "COPY rejected rows: %s", status);
        return -1;
    }
    double t0 = now_s();
    if (run_sql(Q.s, "CHECKPOINT", NULL, NULL, 0, Q.err, sizeof Q.err) < 0)
        return -1;
    *ckpt_s = now_s() - t0;
    *rows = n;
    return 0;
}

static const char *copy_sql(char *buf, size_t cap)
{
    char path[600];
    if (!csv_path(path, sizeof path)) {
        snprintf(Q.err, sizeof Q.err, "cannot find %s (run via bench/run.sh)",
                 getenv("OTS_BENCH_DATA") ? getenv("OTS_BENCH_DATA") : "bench/data/meters-144.csv");
        return NULL;
    }
    snprintf(buf, cap, "COPY meter_readings FROM '%s' (HEADER)", path);
    return buf;
}

static void fail(ots_bench_state *st, const char *msg)
{
    ots_bench_skip_with_error(st, msg);
    while (ots_bench_keep_running(st)) {
    }
}

/* The loaded store for the queries (loads it untimed when needed). */
static ots_store *ready_store(void)
{
    if (Q.state)
        return Q.state > 0 ? Q.s : NULL;
    char sql[800];
    double ck;
    if (!copy_sql(sql, sizeof sql) || fresh_store() < 0 || copy_checkpoint(sql, &Q.rows, &ck) < 0) {
        Q.state = -1;
        return NULL;
    }
    Q.state = 1;
    return Q.s;
}

static void bm_copy(ots_bench_state *st, void *arg)
{
    (void)arg;
    char sql[800];
    if (!copy_sql(sql, sizeof sql)) {
        fail(st, Q.err);
        return;
    }
    uint64_t rows = 0, total = 0, bytes = 0;
    double ckpt = 0, work = 0;
    Q.state = 0; /* the store is rebuilt below */
    while (ots_bench_keep_running(st)) {
        ots_bench_pause(st);
        int rc = fresh_store();
        ots_bench_resume(st);
        double t0 = now_s(), ck = 0;
        if (rc < 0 || copy_checkpoint(sql, &rows, &ck) < 0) {
            ots_bench_skip_with_error(st, Q.err);
            Q.state = -1;
            break;
        }
        work += now_s() - t0;
        ckpt += ck;
        total += rows;
        ots_bench_pause(st);
        char hot[600];
        snprintf(hot, sizeof hot, "%s/hot", Q.dir);
        bytes = ots_bench_du(hot);
        ots_bench_resume(st);
    }
    if (Q.state == 0 && total > 0) { /* the last load serves the queries */
        Q.state = 1;
        Q.rows = rows;
    }
    ots_bench_set_items_processed(st, (int64_t)total);
    ots_bench_counter(st, "bytes_per_row", rows ? (double)bytes / (double)rows : 0, 0);
    ots_bench_counter(st, "rows", (double)rows, 0);
    ots_bench_counter(st, "checkpoint_share", work > 0 ? ckpt / work : 0, 0);
}

static void bm_query(ots_bench_state *st, void *arg)
{
    const query_def *qd = arg;
    ots_store *s = ready_store();
    if (!s) {
        fail(st, Q.err);
        return;
    }
    uint64_t total = 0, rows = 0;
    char err[512];
    while (ots_bench_keep_running(st)) {
        if (run_sql(s, qd->sql, &rows, NULL, 0, err, sizeof err) < 0) {
            ots_bench_skip_with_error(st, err);
            break;
        }
        total += rows;
    }
    ots_bench_set_items_processed(st, (int64_t)total);
    ots_bench_counter(st, "result_rows", (double)rows, 0);
    char label[64];
    snprintf(label, sizeof label, "%llu of %llu rows", (unsigned long long)rows, (unsigned long long)Q.rows);
    ots_bench_set_label(st, label);
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
    if (Q.s)
        ots_store_close(Q.s);
    Q.s = NULL;
    if (Q.dir[0])
        ots_bench_rmrf(Q.dir);
}

OTS_BENCH_SUITE(register_query)
{
    ots_bench *b = ots_bench_register("query/copy_from_csv", bm_copy, NULL);
    ots_bench_use_real_time(b);
    ots_bench_set_unit(b, OTS_BENCH_MS);
    for (size_t i = 0; i < NQUERIES; i++) {
        b = ots_bench_register(QUERIES[i].name, bm_query, (void *)&QUERIES[i]);
        ots_bench_use_real_time(b);
        ots_bench_set_unit(b, OTS_BENCH_MS);
    }
}
