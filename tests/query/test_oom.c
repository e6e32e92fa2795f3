/* test_oom.c — every allocation of a statement failing in turn: the
 * statement fails with OTS_ENOMEM (or succeeds with the right rows), never
 * crashes or leaks (run under ASan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/query/qt.h"

static qt_store T;

static int setup(void **st)
{
    (void)st;
    qt_open(&T, "qoom");
    free(qt_run(T.s, "CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, note STRING);"
                     "INSERT INTO m VALUES ('2026-11-01T00:00:00Z', 'nyc', 'z1', 1, 'a'), ('2026-11-01T01:00:00Z', "
                     "'nyc', 'z2', 2, 'b'),"
                     " ('2026-11-02T00:00:00Z', 'ldn', 'z1', 3, NULL)"));
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    qt_close(&T);
    return 0;
}

/* Run sql with the n-th allocation failing; returns the rendered rows or
 * NULL when the statement failed (with OTS_ENOMEM). */
static char *attempt(const char *sql, uint64_t n, int sticky)
{
    ots_query *q = NULL;
    ots_alloc_fail_after(n, sticky);
    int rc = ots_query_prepare(T.s, sql, (size_t)-1, &q, NULL);
    char *out = NULL;
    if (rc == OTS_OK) {
        size_t cap = 4096, len = 0;
        out = calloc(1, cap);
        const ots_batch *b;
        int r;
        while ((r = ots_query_next(q, &b)) == 1)
            for (size_t i = 0; i < b->nrows; i++)
                for (size_t c = 0; c < b->ncols; c++) {
                    char v[64];
                    const ots_column *col = &b->cols[c];
                    if (col->valid && !col->valid[i])
                        snprintf(v, sizeof v, "NULL|");
                    else if (col->type == OTS_STRING)
                        snprintf(v, sizeof v, "%s|", col->str[i]);
                    else if (col->type == OTS_DOUBLE)
                        snprintf(v, sizeof v, "%g|", col->f64[i]);
                    else
                        snprintf(v, sizeof v, "%lld|", (long long)col->i64[i]);
                    if (len + strlen(v) + 1 < cap)
                        strcat(out, v), len += strlen(v);
                }
        ots_alloc_fail_after(0, 0);
        if (r < 0) {
            assert_int_equal(r, OTS_ENOMEM);
            free(out);
            out = NULL;
        }
        ots_query_close(q);
    } else {
        ots_alloc_fail_after(0, 0);
        assert_null(q);
        if (rc != OTS_ENOMEM)
            fail_msg("n=%llu: rc %d (%s): %s", (unsigned long long)n, rc, ots_strerror(rc), ots_errmsg(T.s));
    }
    ots_alloc_fail_after(0, 0);
    return out;
}

static void check(const char *sql)
{
    char *want = attempt(sql, 0, 0);
    assert_non_null(want);
    for (int sticky = 0; sticky <= 1; sticky++)
        for (uint64_t n = 1; n < 400; n++) {
            char *got = attempt(sql, n, sticky);
            if (got) {
                assert_string_equal(got, want);
                free(got);
            }
        }
    free(want);
}

static void test_oom_select(void **st)
{
    (void)st;
    check("SELECT zone, count(*), avg(kwh), min(note), count(DISTINCT city),"
          " percentile_cont(0.5) WITHIN GROUP (ORDER BY kwh) FROM m WHERE ts >= '2026-11-01' GROUP BY zone ORDER BY "
          "zone");
    check("SELECT upper(note) || '!' AS x, time_bucket('1 day', ts, 'Europe/London') FROM m WHERE kwh > 1 ORDER BY x "
          "LIMIT 5");
    check("EXPLAIN SELECT count(*) FROM m WHERE city = 'nyc'");
    check("SHOW PARTITIONS m");
}

int run_oom_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_select),
    };
    return cmocka_run_group_tests_name("query_oom", tests, setup, teardown);
}
