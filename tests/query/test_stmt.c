/* test_stmt.c — statements other than SELECT: CREATE/DROP TABLE, INSERT,
 * SHOW, DESCRIBE, LOAD, CHECKPOINT; their errors and statuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/query/qt.h"

static qt_store T;

static int setup(void **st)
{
    (void)st;
    qt_open(&T, "qstmt");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    qt_close(&T);
    return 0;
}

#define ERR(sql, rc, want) assert_string_equal(qt_fail(T.s, (sql), (rc)), (want))

static void test_create_describe_drop(void **st)
{
    (void)st;
    free(qt_run(T.s,
                "CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING)\n"
                "  WITH (rollup = '1h,1d', hot = '30 days', retain = 2)"));
    assert_string_equal(qt_status(), "CREATE TABLE");
    QT_EQ(T.s, "DESCRIBE m",
          "column|type\nts|TIMESTAMP\ncity|TAG\nzone|TAG\nkwh|DOUBLE\nn|BIGINT\nok|BOOLEAN\nnote|STRING\n");
    QT_EQ(T.s, "SHOW TABLES", "name|columns|options\nm|7|rollup = '1h,1d', hot = '30 days', retain = '2'\n");
    ERR("CREATE TABLE m (ts TIMESTAMP, city TAG, zone TAG)", OTS_EEXIST, "table 'm' already exists");
    free(qt_run(T.s, "DROP TABLE m; DROP TABLE IF EXISTS m"));
    assert_string_equal(qt_status(), "DROP TABLE");
    ERR("DROP TABLE m", OTS_ENOTFOUND, "no table 'm'");
    QT_EQ(T.s, "SHOW TABLES", "name|columns|options\n");
}

static void test_insert(void **st)
{
    (void)st;
    free(qt_run(T.s, "CREATE TABLE r (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING);"
                     "INSERT INTO r VALUES ('2026-11-01T06:00:00Z', 'nyc', 'z1', 1.5, 3, TRUE, 'fine'),"
                     "  (TIMESTAMP '2026-11-01T07:00:00Z', 'nyc', 'z2', 2, NULL, FALSE, NULL);"
                     "INSERT INTO r (zone, city, ts, kwh) VALUES ('z1', 'ldn', '2026-11-01', -0.25)"));
    assert_string_equal(qt_status(), "INSERT 1");
    QT_EQ(T.s, "SELECT * FROM r ORDER BY ts",
          "ts|city|zone|kwh|n|ok|note\n"
          "2026-11-01T00:00:00Z|ldn|z1|-0.25|NULL|NULL|NULL\n"
          "2026-11-01T06:00:00Z|nyc|z1|1.5|3|true|fine\n"
          "2026-11-01T07:00:00Z|nyc|z2|2|NULL|false|NULL\n");
    ERR("INSERT INTO r VALUES ('2026-11-01', 'nyc', 'z1', 'x', 1, TRUE, 'a')", OTS_EINVAL,
        "line 1, column 50: value for column 'kwh' is STRING, expected DOUBLE");
    ERR("INSERT INTO r (ts, city, zone, nope) VALUES (1, 'a', 'b', 2)", OTS_EINVAL,
        "line 1, column 32: no column 'nope' in table 'r'");
    ERR("INSERT INTO r (ts, city) VALUES ('2026-11-01', 'a')", OTS_EINVAL,
        "row 1, column 'zone': NULL in a TAG column");
    ERR("INSERT INTO r (ts, city, zone) VALUES ('2026-11-01', 'a')", OTS_EINVAL,
        "line 1, column 40: row 1 has 2 values, expected 3");
    ERR("INSERT INTO r (ts, city, zone) VALUES ('yesterday', 'a', 'b')", OTS_EINVAL,
        "line 1, column 40: bad timestamp 'yesterday' for column 'ts': expected 4-digit year at byte 0");
    ERR("INSERT INTO nope VALUES (1)", OTS_ENOTFOUND, "no table 'nope'");
    /* nothing of a failed statement was written */
    QT_EQ(T.s, "SELECT count(*) FROM r", "count(*)\n3\n");
}

static void test_show_partitions_storage_checkpoint(void **st)
{
    (void)st;
    free(qt_run(T.s,
                "CREATE TABLE p (ts TIMESTAMP, city TAG, zone TAG, v BIGINT);"
                "INSERT INTO p VALUES ('2026-11-01T01:00:00Z', 'a', 'z', 1), ('2026-11-01T02:00:00Z', 'a', 'z', 2),"
                " ('2026-11-02T01:00:00Z', 'b', 'z', 3);"
                "CHECKPOINT"));
    assert_string_equal(qt_status(), "CHECKPOINT");
    /* bytes depend on the encoders: compare around them */
    char *got = qt_run(T.s, "SHOW PARTITIONS p");
    assert_non_null(
        strstr(got, "city|zone|day|segments|rows|buffered_rows|bytes|ts_min|ts_max\na|z|2026-11-01|1|2|0|"));
    assert_non_null(strstr(got, "|2026-11-01T01:00:00Z|2026-11-01T02:00:00Z\nb|z|2026-11-02|1|1|0|"));
    assert_non_null(strstr(got, "|2026-11-02T01:00:00Z|2026-11-02T01:00:00Z\n"));
    free(got);
    got = qt_run(T.s, "SHOW STORAGE p");
    assert_non_null(strstr(got, "column|type|bytes|values|encodings\nts|TIMESTAMP|"));
    assert_non_null(strstr(got, "\nv|BIGINT|"));
    free(got);
    ERR("SHOW PARTITIONS nope", OTS_ENOTFOUND, "no table 'nope'");
}

static void test_show_cities_zones_load(void **st)
{
    (void)st;
    char path[600], gj[600];
    snprintf(path, sizeof path, "%s/cities.csv", T.dir);
    const char *csv = "id,name,tz,lat,lon\nbos,Boston,America/New_York,42.4,-71\npar,Paris,Europe/Paris,48.9,2.35\n";
    assert_int_equal(tu_write_file(path, csv, strlen(csv)), 0);
    snprintf(gj, sizeof gj, "%s/z.geojson", T.dir);
    const char *geo =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"zid\":\"z1\","
        "\"nm\":\"Zone One\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}}]}";
    assert_int_equal(tu_write_file(gj, geo, strlen(geo)), 0);
    char sql[2000];
    snprintf(sql, sizeof sql, "LOAD CITIES FROM '%s'", path);
    free(qt_run(T.s, sql));
    assert_string_equal(qt_status(), "LOAD CITIES 2");
    snprintf(sql, sizeof sql, "LOAD ZONES FROM '%s' (CITY 'bos', ID 'zid', NAME 'nm')", gj);
    free(qt_run(T.s, sql));
    assert_string_equal(qt_status(), "LOAD ZONES 1");
    QT_EQ(T.s, "SHOW CITIES",
          "id|name|tz|lat|lon\na|NULL|UTC|NULL|NULL\nb|NULL|UTC|NULL|NULL\n"
          "bos|Boston|America/New_York|42.4|-71\nldn|NULL|UTC|NULL|NULL\nnyc|NULL|UTC|NULL|NULL\npar|Paris|Europe/"
          "Paris|48.9|2.35\n");
    QT_EQ(T.s, "SHOW ZONES", "city|id|name|has_geometry\nbos|z1|Zone One|true\n");
    ERR("LOAD CITIES FROM '/nonexistent/c.csv'", OTS_ENOTFOUND,
        "/nonexistent/c.csv: cannot open: No such file or directory");
}

static void write_tmp(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", T.dir, name);
    assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
}

static void test_copy(void **st)
{
    (void)st;
    char path[600], sql[1200];
    free(qt_run(T.s,
                "CREATE TABLE c (ts TIMESTAMP, city TAG, zone TAG, kwh DOUBLE, n BIGINT, ok BOOLEAN, note STRING)"));
    /* header in another order, a missing column (note), ISO and epoch timestamps, local times */
    write_tmp("a.csv",
              "zone,city,ts,kwh,n,ok\n"
              "z1,nyc,2026-11-01T06:00:00Z,1.5,1,true\n"
              "z1,nyc,2026-11-01 01:30,2.5,2,f\n" /* EDT: 05:30Z */
              "z2,nyc,1793509200,,3,1\n"          /* epoch s: 2026-11-01T05:00:00Z */
              "z2,nyc,1793509200000,4,x,1\n"      /* bad BIGINT */
              "z2,,2026-11-01,4,4,1\n"            /* empty tag */
              "z2,nyc,yesterday,4,4,1\n"          /* bad timestamp */
              "z2,nyc,2026-11-01T07:00:00Z,4\n"   /* short line */
              "z2,nyc,1793512800123,4,5,no\n",    /* epoch ms: 06:00:00.123Z */
              path, sizeof path);
    snprintf(sql, sizeof sql, "COPY c FROM '%s' (HEADER, TIMEZONE 'America/New_York')", path);
    free(qt_run(T.s, sql));
    assert_string_equal(qt_status(),
                        "COPY 4 (4 rejected: line 5, column 24: column 'n': bad BIGINT 'x'; "
                        "line 6, column 4: column 'city': empty TAG; "
                        "line 7, column 8: column 'ts': bad timestamp 'yesterday': expected 4-digit year at byte 0; "
                        "line 8, column 1: expected 6 fields, got 4)");
    QT_EQ(T.s, "SELECT ts, zone, kwh, n, ok, note FROM c ORDER BY ts",
          "ts|zone|kwh|n|ok|note\n"
          "2026-11-01T05:00:00Z|z2|NULL|3|true|NULL\n"
          "2026-11-01T05:30:00Z|z1|2.5|2|false|NULL\n"
          "2026-11-01T06:00:00Z|z1|1.5|1|true|NULL\n"
          "2026-11-01T06:00:00.123Z|z2|4|5|false|NULL\n");
    /* no header, a delimiter, COLUMNS */
    write_tmp("b.csv", "2026-11-02T00:00:00Z;ldn;z9;\"semi;colon\"\n", path, sizeof path);
    snprintf(sql, sizeof sql, "COPY c FROM '%s' (DELIMITER ';', COLUMNS (ts, city, zone, note))", path);
    free(qt_run(T.s, sql));
    assert_string_equal(qt_status(), "COPY 1");
    QT_EQ(T.s, "SELECT note FROM c WHERE city = 'ldn'", "note\nsemi;colon\n");
    /* header naming an unknown column: the statement fails, nothing loads */
    write_tmp("h.csv", "ts,city,zone,watts\n2026-11-01,a,b,1\n", path, sizeof path);
    snprintf(sql, sizeof sql, "COPY c FROM '%s' (HEADER)", path);
    char want[800];
    snprintf(want, sizeof want, "%s:1:14: header names no column of table 'c': 'watts'", path);
    assert_string_equal(qt_fail(T.s, sql, OTS_EINVAL), want);
    snprintf(sql, sizeof sql, "COPY c FROM '%s/none.csv'", T.dir);
    qt_fail(T.s, sql, OTS_ENOTFOUND);
    assert_string_equal(qt_fail(T.s, "COPY c FROM '/dev/null'", OTS_EINVAL), "/dev/null: not a regular file");
    /* many rows: several batches */
    char *big = malloc(20000 * 40), *p = big;
    p += sprintf(p, "ts,city,zone,n\n");
    for (int i = 0; i < 20000; i++)
        p += sprintf(p, "%lld,big,z,%d\n", 1793491200LL + i, i);
    write_tmp("big.csv", big, path, sizeof path);
    free(big);
    snprintf(sql, sizeof sql, "COPY c FROM '%s' (HEADER)", path);
    free(qt_run(T.s, sql));
    assert_string_equal(qt_status(), "COPY 20000");
    QT_EQ(T.s, "SELECT count(*), sum(n), min(ts), max(ts) FROM c WHERE city = 'big'",
          "count(*)|sum(n)|min(ts)|max(ts)\n20000|199990000|2026-11-01T00:00:00Z|2026-11-01T05:33:19Z\n");
}

int run_stmt_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_describe_drop),
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_show_partitions_storage_checkpoint),
        cmocka_unit_test(test_show_cities_zones_load),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests_name("query_stmt", tests, setup, teardown);
}
