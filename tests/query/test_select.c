/* test_select.c — SELECT execution: filters and pushdown, expressions,
 * NULLs, aggregates, GROUP BY / HAVING, time buckets (a DST day in
 * America/New_York), ORDER BY / LIMIT / OFFSET, EXPLAIN, type errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/query/qt.h"

static qt_store T;

static int setup(void **st)
{
    (void)st;
    qt_open(&T, "qselect");
    free(qt_run(
        T.s,
        "CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, meter TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, status STRING);"
        "INSERT INTO m VALUES"
        " ('2026-11-01T00:00:00Z', 'nyc', 'z1', 'm1', 1.0, 1, TRUE, 'ok'),"
        " ('2026-11-01T00:15:00Z', 'nyc', 'z1', 'm1', 2.0, 2, TRUE, 'ok'),"
        " ('2026-11-01T00:30:00Z', 'nyc', 'z2', 'm2', NULL, 3, FALSE, 'fault'),"
        " ('2026-11-01T01:00:00Z', 'nyc', 'z2', 'm2', 4.0, 4, TRUE, 'ok'),"
        " ('2026-11-02T00:00:00Z', 'ldn', 'z1', 'm3', 5.0, 5, FALSE, 'low battery'),"
        " ('2026-11-02T12:00:00Z', 'ldn', 'z1', 'm3', 6.0, NULL, TRUE, NULL)"));
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    qt_close(&T);
    return 0;
}

#define ERR(sql, want) assert_string_equal(qt_fail(T.s, (sql), OTS_EINVAL), (want))

static void test_filters(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT n FROM m WHERE city = 'nyc' AND kwh > 1 ORDER BY n", "n\n2\n4\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE zone IN ('z2') OR meter = 'm3' ORDER BY 1", "n\n3\n4\n5\nNULL\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE kwh BETWEEN 2 AND 5 ORDER BY n", "n\n2\n4\n5\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE n NOT BETWEEN 2 AND 5 ORDER BY n", "n\n1\n");
    QT_EQ(T.s, "SELECT n, status FROM m WHERE status LIKE '%o%' AND status NOT LIKE 'o_' ORDER BY n",
          "n|status\n5|low battery\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE kwh IS NULL", "n\n3\n");
    QT_EQ(T.s, "SELECT count(*) FROM m WHERE status IS NOT NULL AND NOT ok", "count(*)\n2\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE ts >= '2026-11-01T00:15:00Z' AND ts < '2026-11-02' ORDER BY ts", "n\n2\n3\n4\n");
    QT_EQ(T.s,
          "SELECT n FROM m WHERE ts BETWEEN '2026-11-01T01:00:00Z' AND TIMESTAMP '2026-11-02T00:00:00Z' ORDER BY ts",
          "n\n4\n5\n");
    QT_EQ(T.s, "SELECT count(*) AS c FROM m WHERE ts > now() - INTERVAL '1 day'", "c\n0\n");
    QT_EQ(T.s, "SELECT count(*) AS c FROM m WHERE ts = '2026-11-01T00:30:00Z'", "c\n1\n");
    QT_EQ(T.s, "SELECT count(*) AS c FROM m WHERE city IN ('nowhere')", "c\n0\n");
    QT_EQ(T.s, "SELECT n FROM m WHERE n IN (1, 5, NULL) ORDER BY n", "n\n1\n5\n");
}

static void test_expressions(void **st)
{
    (void)st;
    QT_EQ(T.s,
          "SELECT n, kwh * 2 AS dbl, n + 1 AS n1, n / 2 AS half, n % 2 AS odd, -kwh AS neg, kwh / 0 AS inf,"
          " CASE WHEN kwh IS NULL THEN 'none' WHEN kwh > 3 THEN 'high' ELSE 'low' END AS lvl,"
          " CASE zone WHEN 'z1' THEN 1 ELSE 2.5 END AS zc, upper(status) u, length(status) l, coalesce(kwh, 0) k,"
          " ts + INTERVAL '1 hour' AS later"
          " FROM m WHERE city = 'nyc' ORDER BY n",
          "n|dbl|n1|half|odd|neg|inf|lvl|zc|u|l|k|later\n"
          "1|2|2|0.5|1|-1|NULL|low|1|OK|2|1|2026-11-01T01:00:00Z\n"
          "2|4|3|1|0|-2|NULL|low|1|OK|2|2|2026-11-01T01:15:00Z\n"
          "3|NULL|4|1.5|1|NULL|NULL|none|2.5|FAULT|5|0|2026-11-01T01:30:00Z\n"
          "4|8|5|2|0|-4|NULL|high|2.5|OK|2|4|2026-11-01T02:00:00Z\n");
    QT_EQ(T.s, "SELECT NULL AND FALSE AS a, NULL OR TRUE AS b, NULL AND TRUE AS c, NOT NULL AS d, 1 = NULL AS e",
          "a|b|c|d|e\nfalse|true|NULL|NULL|NULL\n");
    QT_EQ(T.s, "SELECT round(2.345, 2) r, floor(-1.5) f, ceil(1.2) c, abs(-3) a, lower('AbC') lo",
          "r|f|c|a|lo\n2.35|-2|2|3|abc\n");
}

static void test_casts(void **st)
{
    (void)st;
    QT_EQ(T.s,
          "SELECT CAST(kwh AS BIGINT) AS k, n::DOUBLE / 4 AS q, CAST(ts AS STRING) AS t, ok::BIGINT AS b, CAST(n AS "
          "TEXT) || '!' AS s,"
          " '42'::BIGINT + 1 AS p, CAST('2026-11-01' AS TIMESTAMP) AS d, 0.1::STRING AS f, (-n)::STRING AS neg"
          " FROM m WHERE n = 2",
          "k|q|t|b|s|p|d|f|neg\n2|0.5|2026-11-01T00:15:00Z|1|2!|43|2026-11-01T00:00:00Z|0.1|-2\n");
    QT_EQ(T.s, "SELECT CAST(NULL AS DOUBLE) AS x, CAST(kwh AS STRING) AS y FROM m WHERE n = 3", "x|y\nNULL|NULL\n");
    ERR("SELECT CAST(ts AS DOUBLE) FROM m", "line 1, column 8: cannot cast TIMESTAMP (column 'ts') to DOUBLE");
    ERR("SELECT status::BIGINT FROM m ORDER BY 1", "line 1, column 14: cannot cast 'low battery' to BIGINT");
    /* a streamed SELECT meets the bad value in ots_query_next */
    ots_query *q;
    const ots_batch *b;
    assert_int_equal(ots_query_prepare(T.s, "SELECT status::BIGINT FROM m WHERE city = 'nyc'", (size_t)-1, &q, NULL),
                     OTS_OK);
    assert_int_equal(ots_query_next(q, &b), OTS_EINVAL);
    assert_string_equal(ots_errmsg(T.s), "line 1, column 14: cannot cast 'ok' to BIGINT");
    ots_query_close(q);
    ERR("SELECT -n::STRING FROM m", "line 1, column 8: cannot negate STRING");
    ERR("SELECT CAST(n AS WIDGET) FROM m",
        "line 1, column 18: unexpected 'WIDGET', expected a type (TIMESTAMP, DOUBLE, BIGINT, BOOLEAN, STRING)");
}

static void test_aggregates(void **st)
{
    (void)st;
    QT_EQ(T.s,
          "SELECT count(*), count(kwh), count(n), sum(kwh), sum(n), avg(kwh), min(kwh), max(n), min(status),"
          " max(ts), count(DISTINCT meter) AS meters FROM m",
          "count(*)|count(kwh)|count(n)|sum(kwh)|sum(n)|avg(kwh)|min(kwh)|max(n)|min(status)|max(ts)|meters\n"
          "6|5|5|18|15|3.6|1|5|fault|2026-11-02T12:00:00Z|3\n");
    QT_EQ(T.s,
          "SELECT first(kwh) f, last(kwh) l, first(status) fs, last(n) ln, round(stddev(kwh), 4) sd,"
          " percentile_cont(0.5) WITHIN GROUP (ORDER BY kwh) med, percentile_cont(0.25) WITHIN GROUP (ORDER BY n) p25"
          " FROM m",
          "f|l|fs|ln|sd|med|p25\n1|6|ok|5|2.0736|4|2\n");
    /* no rows: count is 0, the others NULL */
    QT_EQ(T.s, "SELECT count(*), sum(kwh), avg(n), first(kwh) FROM m WHERE city = 'nowhere'",
          "count(*)|sum(kwh)|avg(n)|first(kwh)\n0|NULL|NULL|NULL\n");
}

static void test_group_by(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT city, zone, count(*) AS c, sum(kwh) AS s FROM m GROUP BY city, zone ORDER BY city, zone",
          "city|zone|c|s\nldn|z1|2|11\nnyc|z1|2|3\nnyc|z2|2|4\n");
    QT_EQ(T.s, "SELECT zone AS z, count(*) FROM m GROUP BY z ORDER BY 2 DESC, z", "z|count(*)\nz1|4\nz2|2\n");
    QT_EQ(T.s, "SELECT status, count(*) c FROM m GROUP BY 1 ORDER BY status NULLS FIRST",
          "status|c\nNULL|1\nfault|1\nlow battery|1\nok|3\n");
    QT_EQ(T.s, "SELECT status, count(*) c FROM m GROUP BY 1 ORDER BY status DESC NULLS LAST",
          "status|c\nok|3\nlow battery|1\nfault|1\nNULL|1\n");
    QT_EQ(T.s,
          "SELECT meter, max(kwh) - min(kwh) AS spread FROM m GROUP BY meter HAVING count(kwh) > 1 ORDER BY spread "
          "DESC, meter",
          "meter|spread\nm1|1\nm3|1\n");
    QT_EQ(T.s, "SELECT city FROM m GROUP BY city HAVING sum(n) > 5", "city\nnyc\n");
    QT_EQ(T.s, "SELECT city, sum(n) AS total FROM m GROUP BY city HAVING total < 6 ORDER BY total * 2",
          "city|total\nldn|5\n");
    QT_EQ(T.s, "SELECT ok, count(*) FROM m GROUP BY ok ORDER BY ok", "ok|count(*)\nfalse|2\ntrue|4\n");
    QT_EQ(T.s, "SELECT n % 2 AS parity, count(*) FROM m WHERE n IS NOT NULL GROUP BY n % 2 ORDER BY parity",
          "parity|count(*)\n0|2\n1|3\n");
    ERR("SELECT zone, kwh FROM m GROUP BY zone",
        "line 1, column 14: column 'kwh' must appear in GROUP BY or be used in an aggregate");
    ERR("SELECT count(*) FROM m WHERE sum(n) > 1",
        "line 1, column 30: aggregates are not allowed in WHERE (use HAVING)");
    ERR("SELECT zone FROM m GROUP BY 3", "line 1, column 29: GROUP BY position 3 is not in the select list (1..1)");
}

static void test_distinct(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT DISTINCT city, zone FROM m ORDER BY city, zone", "city|zone\nldn|z1\nnyc|z1\nnyc|z2\n");
    QT_EQ(T.s, "SELECT DISTINCT status FROM m ORDER BY 1 NULLS FIRST", "status\nNULL\nfault\nlow battery\nok\n");
    QT_EQ(T.s, "SELECT DISTINCT ok FROM m WHERE city = 'ldn' ORDER BY ok DESC", "ok\ntrue\nfalse\n");
    ERR("SELECT DISTINCT zone FROM m ORDER BY n",
        "line 1, column 38: for SELECT DISTINCT, ORDER BY expressions must appear in the select list");
    ERR("SELECT DISTINCT zone, count(*) FROM m GROUP BY zone",
        "line 1, column 17: not supported yet: SELECT DISTINCT with GROUP BY, HAVING or aggregates");
}

static void test_order_limit(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT n FROM m ORDER BY kwh DESC LIMIT 3", "n\n3\nNULL\n5\n");
    QT_EQ(T.s, "SELECT n FROM m ORDER BY kwh NULLS FIRST LIMIT 2 OFFSET 1", "n\n1\n2\n");
    QT_EQ(T.s, "SELECT n FROM m ORDER BY n LIMIT 0", "n\n");
    QT_EQ(T.s, "SELECT n FROM m ORDER BY n OFFSET 4", "n\n5\nNULL\n");
    QT_EQ(T.s, "SELECT count(*) FROM m LIMIT 10 OFFSET 1", "count(*)\n");
    ERR("SELECT n FROM m LIMIT -1", "line 1, column 23: LIMIT must be a non-negative integer");
    ERR("SELECT n FROM m ORDER BY 2", "line 1, column 26: ORDER BY position 2 is not in the select list (1..1)");
}

static void test_time_bucket(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT time_bucket('30 minutes', ts) AS b, count(*) FROM m WHERE city = 'nyc' GROUP BY b ORDER BY b",
          "b|count(*)\n2026-11-01T00:00:00Z|2\n2026-11-01T00:30:00Z|1\n2026-11-01T01:00:00Z|1\n");
    QT_EQ(T.s, "SELECT time_bucket('1 day', ts) AS d, sum(n) FROM m GROUP BY 1 ORDER BY 1",
          "d|sum(n)\n2026-11-01T00:00:00Z|10\n2026-11-02T00:00:00Z|5\n");
    QT_EQ(T.s, "SELECT time_bucket('15m', ts) AS q, time_bucket(INTERVAL '2 hours', ts) AS h2 FROM m WHERE n = 4",
          "q|h2\n2026-11-01T01:00:00Z|2026-11-01T00:00:00Z\n");
    QT_EQ(T.s, "SELECT time_bucket('1 month', ts) AS mo, count(*) FROM m GROUP BY mo",
          "mo|count(*)\n2026-11-01T00:00:00Z|6\n");
    QT_EQ(T.s, "SELECT time_bucket('1 week', ts) AS w, count(*) FROM m GROUP BY w ORDER BY w",
          "w|count(*)\n2026-10-26T00:00:00Z|4\n2026-11-02T00:00:00Z|2\n");
    ERR("SELECT time_bucket('soon', ts) FROM m",
        "line 1, column 20: bad time_bucket width 'soon', expected e.g. '15 minutes', '1 day', '1 month'");
    ERR("SELECT time_bucket('1 day', ts, 'Mars/Base') FROM m", "line 1, column 33: unknown time zone 'Mars/Base'");
    ERR("SELECT time_bucket('1 day', kwh) FROM m",
        "line 1, column 29: time_bucket needs a TIMESTAMP, not DOUBLE (column 'kwh')");
}

/* 2026-11-01 is the day New York leaves DST: 25 local hours, 04:00Z to 05:00Z next day. */
static void test_time_bucket_dst(void **st)
{
    (void)st;
    free(qt_run(T.s, "CREATE TABLE d (ts TIMESTAMP, city TAG, zone TAG, v BIGINT)"));
    /* one row per UTC hour from 2026-11-01T00:00Z (20:00 local) for 72 hours, v = 1 */
    ots_vec v[4];
    int64_t ts[72], one[72];
    const char *city[72], *zone[72];
    for (int i = 0; i < 72; i++) {
        ts[i] = (int64_t)(1793491200 + i * 3600) * 1000000000; /* 2026-11-01T00:00:00Z */
        one[i] = 1;
        city[i] = "nyc";
        zone[i] = "z";
    }
    v[0] = (ots_vec){ts, NULL};
    v[1] = (ots_vec){city, NULL};
    v[2] = (ots_vec){zone, NULL};
    v[3] = (ots_vec){one, NULL};
    assert_int_equal(ots_append(T.s, "d", v, 72), OTS_OK);
    QT_EQ(
        T.s,
        "SELECT time_bucket('1 day', ts, 'America/New_York') AS day, sum(v) AS hours FROM d GROUP BY day ORDER BY day",
        "day|hours\n"
        "2026-10-31T04:00:00Z|4\n"
        "2026-11-01T04:00:00Z|25\n"
        "2026-11-02T05:00:00Z|24\n"
        "2026-11-03T05:00:00Z|19\n");
    /* hourly buckets in local time: the repeated 01:00 hour stays two buckets */
    QT_EQ(
        T.s,
        "SELECT time_bucket('1 hour', ts, 'America/New_York') AS h, count(*) FROM d"
        " WHERE ts >= '2026-11-01T04:00:00Z' AND ts < '2026-11-01T08:00:00Z' GROUP BY h ORDER BY h",
        "h|count(*)\n2026-11-01T04:00:00Z|1\n2026-11-01T05:00:00Z|1\n2026-11-01T06:00:00Z|1\n2026-11-01T07:00:00Z|1\n");
    QT_EQ(T.s, "SELECT time_bucket('1 month', ts, 'America/New_York') AS mo, count(*) FROM d GROUP BY mo ORDER BY mo",
          "mo|count(*)\n2026-10-01T04:00:00Z|4\n2026-11-01T04:00:00Z|68\n");
}

static void test_type_errors(void **st)
{
    (void)st;
    ERR("SELECT kwh + status FROM m",
        "line 1, column 8: operator '+' cannot take DOUBLE (column 'kwh') and STRING (column 'status')");
    ERR("SELECT n FROM m WHERE zone = 3", "line 1, column 23: cannot compare STRING (column 'zone') with BIGINT in =");
    ERR("SELECT n FROM m WHERE kwh", "line 1, column 23: WHERE must be BOOLEAN, not DOUBLE (column 'kwh')");
    ERR("SELECT n FROM m WHERE ts > 'tomorrow'",
        "line 1, column 28: bad timestamp 'tomorrow': expected 4-digit year at byte 0");
    ERR("SELECT sum(status) FROM m", "line 1, column 8: sum() needs a number, not STRING (column 'status')");
    ERR("SELECT nope FROM m", "line 1, column 8: no column 'nope' in table 'm'");
    ERR("SELECT n FROM nope", "line 1, column 15: no table 'nope'");
    ERR("SELECT status LIKE 1 FROM m", "line 1, column 8: LIKE needs strings, not STRING (column 'status') and BIGINT");
    ERR("SELECT CASE WHEN ok THEN 1 ELSE 'x' END FROM m", "line 1, column 33: CASE mixes BIGINT and STRING");
}

static void test_explain(void **st)
{
    (void)st;
    QT_EQ(T.s,
          "EXPLAIN SELECT zone, avg(kwh) FROM m WHERE city = 'nyc' AND ts >= '2026-11-01' AND ts < '2026-11-02'"
          " AND kwh > 1 GROUP BY zone ORDER BY zone LIMIT 5",
          "plan\n"
          "Scan m\n"
          "  columns: zone, kwh, city, ts\n"
          "  tag filter: city IN ('nyc')\n"
          "  time range: [2026-11-01T00:00:00Z, 2026-11-02T00:00:00Z)\n"
          "  filter: kwh > 1\n"
          "  partitions: 3 total, 1 pruned\n"
          "  segments: 0 total, 0 pruned\n"
          "  rows: 4 read, 4 returned\n"
          "Aggregate: group by zone\n"
          "  avg(kwh)\n"
          "Sort: zone ASC\n"
          "Limit: 5 offset 0\n");
    /* a now()-relative range: compare around the instant */
    char *got = qt_run(T.s, "EXPLAIN SELECT n FROM m WHERE zone IN ('z1', 'z9') AND ts > now() - INTERVAL '100000 days'"
                            " ORDER BY kwh DESC LIMIT 2");
    assert_non_null(strstr(
        got, "plan\nScan m\n  columns: n, zone, ts, kwh\n  tag filter: zone IN ('z1', 'z9')\n  time range: [17"));
    assert_non_null(strstr(
        got, "Z, +inf)\n  partitions: 3 total, 1 pruned\n  segments: 0 total, 0 pruned\n  rows: 4 read, 4 returned\n"
             "Sort: kwh DESC (keeps the first 2 rows while scanning)\nLimit: 2 offset 0\n"));
    free(got);
}

static void test_explain_stream(void **st)
{
    (void)st;
    char *got = qt_run(T.s, "EXPLAIN SELECT n FROM m WHERE meter = 'm3' OR n > 3");
    assert_string_equal(got, "plan\n"
                             "Scan m\n"
                             "  columns: n, meter\n"
                             "  time range: all\n"
                             "  filter: meter = 'm3' OR n > 3\n"
                             "  partitions: 3 total, 0 pruned\n"
                             "  segments: 0 total, 0 pruned\n"
                             "  rows: 6 read, 6 returned\n"
                             "Stream: rows handed out per scan batch\n");
    free(got);
    got = qt_run(T.s, "EXPLAIN SELECT n FROM m ORDER BY ts LIMIT 2 OFFSET 1");
    assert_non_null(strstr(got, "Sort: ts ASC (keeps the first 3 rows while scanning)\nLimit: 2 offset 1\n"));
    free(got);
    QT_EQ(T.s, "EXPLAIN SELECT 1 + 1", "plan\nResult: one row, no table\n");
}

static void test_results_in_batches(void **st)
{
    (void)st;
    free(qt_run(T.s, "CREATE TABLE big (ts TIMESTAMP, city TAG, zone TAG, v BIGINT)"));
    enum { N = 10000 };
    int64_t *ts = malloc(N * 8), *val = malloc(N * 8);
    const char **city = malloc(N * sizeof *city), **zone = malloc(N * sizeof *zone);
    for (int i = 0; i < N; i++) {
        ts[i] = (int64_t)(1793491200 + i) * 1000000000;
        val[i] = i;
        city[i] = "c";
        zone[i] = i % 2 ? "odd" : "even";
    }
    ots_vec v[4] = {{ts, NULL}, {city, NULL}, {zone, NULL}, {val, NULL}};
    assert_int_equal(ots_append(T.s, "big", v, N), OTS_OK);
    ots_query *q;
    assert_int_equal(ots_query_prepare(T.s, "SELECT v, zone FROM big ORDER BY v DESC", (size_t)-1, &q, NULL), OTS_OK);
    const ots_batch *b;
    size_t total = 0, batches = 0;
    int64_t expect = N - 1;
    while (ots_query_next(q, &b) == 1) {
        assert_true(b->nrows <= 4096);
        assert_null(b->city);
        for (size_t i = 0; i < b->nrows; i++, expect--) {
            assert_int_equal(b->cols[0].i64[i], expect);
            assert_string_equal(b->cols[1].str[i], expect % 2 ? "odd" : "even");
        }
        total += b->nrows;
        batches++;
    }
    assert_int_equal(total, N);
    assert_int_equal(batches, 3);
    assert_string_equal(ots_query_status(q), "SELECT 10000");
    assert_int_equal(ots_query_col_type(q, 1), OTS_STRING);
    ots_query_close(q);
    QT_EQ(T.s, "SELECT zone, count(*), sum(v) FROM big GROUP BY zone ORDER BY zone",
          "zone|count(*)|sum(v)\neven|5000|24995000\nodd|5000|25000000\n");
    QT_EQ(T.s, "SELECT v FROM big WHERE v % 1000 = 7 LIMIT 3", "v\n7\n1007\n2007\n");
    /* streamed (no ORDER BY): OFFSET and LIMIT across scan batches */
    QT_EQ(T.s, "SELECT v FROM big WHERE zone = 'even' LIMIT 3 OFFSET 4095", "v\n8190\n8192\n8194\n");
    QT_EQ(T.s, "SELECT count(*) FROM big WHERE v >= 0", "count(*)\n10000\n");
    assert_int_equal(ots_query_prepare(T.s, "SELECT ts, v FROM big WHERE v % 2 = 1", (size_t)-1, &q, NULL), OTS_OK);
    total = 0;
    while (ots_query_next(q, &b) == 1) {
        for (size_t i = 0; i < b->nrows; i++)
            assert_int_equal(b->cols[1].i64[i] % 2, 1);
        total += b->nrows;
    }
    assert_int_equal(total, 5000);
    assert_int_equal(ots_query_next(q, &b), 0);
    assert_string_equal(ots_query_status(q), "SELECT 5000");
    ots_query_close(q);
    /* ORDER BY … LIMIT keeps only the rows it needs while scanning */
    QT_EQ(T.s, "SELECT v FROM big ORDER BY v DESC LIMIT 3 OFFSET 2", "v\n9997\n9996\n9995\n");
    QT_EQ(T.s, "SELECT zone, v FROM big ORDER BY zone DESC, v LIMIT 2", "zone|v\nodd|1\nodd|3\n");
    QT_EQ(T.s, "SELECT v FROM big ORDER BY v LIMIT 9223372036854775807 OFFSET 9998", "v\n9998\n9999\n");
    /* the same after a checkpoint (rows from segments, tag dictionaries) */
    free(qt_run(T.s, "CHECKPOINT"));
    QT_EQ(T.s, "SELECT zone, count(*), sum(v) FROM big GROUP BY zone ORDER BY zone",
          "zone|count(*)|sum(v)\neven|5000|24995000\nodd|5000|25000000\n");
    QT_EQ(T.s, "SELECT v FROM big WHERE zone = 'even' LIMIT 3 OFFSET 4095", "v\n8190\n8192\n8194\n");
    free(ts), free(val), free(city), free(zone);
}

int run_select_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_group_by),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_order_limit),
        cmocka_unit_test(test_time_bucket),
        cmocka_unit_test(test_time_bucket_dst),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_explain_stream),
        cmocka_unit_test(test_results_in_batches),
    };
    return cmocka_run_group_tests_name("query_select", tests, setup, teardown);
}
