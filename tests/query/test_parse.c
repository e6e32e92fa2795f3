/* test_parse.c — lexer and parser: every statement parses, and bad input
 * gives "line L, column C: …" with what was expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/query/qt.h"

static qt_store T;

static int setup(void **st)
{
    (void)st;
    qt_open(&T, "qparse");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    qt_close(&T);
    return 0;
}

#define ERR(sql, want) assert_string_equal(qt_fail(T.s, (sql), OTS_EINVAL), (want))

static void test_empty_statements(void **st)
{
    (void)st;
    ots_query *q = (ots_query *)1;
    const char *tail;
    const char *sql = "  -- nothing\n /* block\n comment */ ;SELECT 1";
    assert_int_equal(ots_query_prepare(T.s, sql, (size_t)-1, &q, &tail), OTS_OK);
    assert_null(q);
    assert_string_equal(tail, "SELECT 1");
    assert_int_equal(ots_query_prepare(T.s, "   ", 3, &q, &tail), OTS_OK);
    assert_null(q);
    /* len bounds the text: only "SELECT 1" of "SELECT 12" */
    char *r = NULL;
    assert_int_equal(ots_query_prepare(T.s, "SELECT 12", 8, &q, &tail), OTS_OK);
    const ots_batch *b;
    assert_int_equal(ots_query_next(q, &b), 1);
    assert_int_equal(b->cols[0].i64[0], 1);
    ots_query_close(q);
    (void)r;
}

static void test_script_tail(void **st)
{
    (void)st;
    QT_EQ(T.s, "select 1 as a; SELECT 'x' AS \"B\", 2.5, TRUE, NULL -- done\n;", "B|2.5|TRUE|NULL\nx|2.5|true|NULL\n");
}

static void test_literals_and_escapes(void **st)
{
    (void)st;
    QT_EQ(T.s, "SELECT 'it''s' AS s, 1 AS \"a\"\"B\", 1.5e3, .5, 9223372036854775807, 'a' || 'b' AS cat",
          "s|a\"B|1.5e3|.5|9223372036854775807|cat\nit's|1|1500|0.5|9223372036854775807|ab\n");
}

static void test_syntax_errors(void **st)
{
    (void)st;
    ERR("SELEC 1", "line 1, column 1: unexpected 'SELEC', expected a statement (SELECT, EXPLAIN, CREATE, DROP, INSERT, "
                   "SHOW, DESCRIBE, LOAD, CHECKPOINT)");
    ERR("SELECT 1 x FORM t", "line 1, column 12: unexpected 'FORM', expected ';' or the end of the statement");
    ERR("SELECT\n  a,\n  FROM t", "line 3, column 3: unexpected 'FROM', expected an expression");
    ERR("SELECT (1 + 2", "line 1, column 14: unexpected end of input, expected ')'");
    ERR("SELECT 'abc", "line 1, column 8: unterminated string");
    ERR("SELECT 1 /* open", "line 1, column 10: unterminated comment");
    ERR("SELECT 1 # 2", "line 1, column 10: unexpected character '#'");
    ERR("CREATE TABLE t (ts TIMESTAMP, x FLOAT)", "line 1, column 33: unexpected 'FLOAT', expected a column type "
                                                  "(TIMESTAMP, TAG, DOUBLE, BIGINT, BOOLEAN, STRING)");
    ERR("CREATE TABLE t (ts TIMESTAMP", "line 1, column 29: unexpected end of input, expected ',' or ')'");
    ERR("CREATE t (ts TIMESTAMP)", "line 1, column 8: unexpected 't', expected TABLE");
    ERR("DROP TABLE IF t", "line 1, column 15: unexpected 't', expected EXISTS");
    ERR("SHOW FOO", "line 1, column 6: unexpected 'FOO', expected TABLES, PARTITIONS, STORAGE, CITIES or ZONES");
    ERR("DESCRIBE", "line 1, column 9: unexpected end of input, expected a table name");
    ERR("LOAD ZONES FROM 'z.geojson' (CITY 'x')", "line 1, column 38: LOAD ZONES needs CITY '…' and ID '…'");
    ERR("LOAD CITIES FROM cities", "line 1, column 18: unexpected 'cities', expected a file name string");
    ERR("INSERT INTO t VALUES (1, 2", "line 1, column 27: unexpected end of input, expected ',' or ')'");
    ERR("INSERT t VALUES (1)", "line 1, column 8: unexpected 't', expected INTO");
    ERR("SELECT a FROM t ORDER BY a NULLS MIDDLE", "line 1, column 34: unexpected 'MIDDLE', expected FIRST or LAST");
    ERR("SELECT a NOT 1", "line 1, column 14: unexpected '1', expected IN, BETWEEN or LIKE");
    ERR("SELECT CASE 1 END", "line 1, column 15: unexpected 'END', expected WHEN");
    ERR("SELECT a IS 1", "line 1, column 13: unexpected '1', expected NULL");
    ERR("SELECT foo(1)", "line 1, column 8: unknown function 'foo'");
    ERR("SELECT INTERVAL 'fortnight'",
        "line 1, column 17: bad interval 'fortnight', expected a count and a unit such as '15 minutes'");
    ERR("SELECT TIMESTAMP '2026-13-01'",
        "line 1, column 18: bad timestamp '2026-13-01': month 13 out of range 01..12 at byte 5");
    ERR("EXPLAIN DROP TABLE t", "line 1, column 9: unexpected 'DROP', expected SELECT");
}

static void test_limits(void **st)
{
    (void)st;
    char *sql = malloc(200000);
    strcpy(sql, "SELECT ");
    for (int i = 0; i < 300; i++)
        strcat(sql, "(");
    strcat(sql, "1");
    ERR(sql, "line 1, column 208: expression nested too deeply (more than 200 levels)");
    strcpy(sql, "SELECT 1");
    for (int i = 0; i < 20000; i++)
        strcat(sql + 8 + (size_t)i * 2, "+1");
    ERR(sql, "line 1, column 8: expression too long (more than 1000 levels)");
    strcpy(sql, "SELECT ");
    for (int i = 0; i < 5000; i++)
        strcat(sql + 7 + (size_t)i * 4, "NOT ");
    strcat(sql, "TRUE");
    ERR(sql, "line 1, column 804: expression nested too deeply (more than 200 levels)");
    /* a long but flat IN list is fine */
    strcpy(sql, "SELECT 3 IN (1");
    for (int i = 0; i < 5000; i++)
        strcat(sql + 14 + (size_t)i * 2, ",3");
    strcat(sql, ") AS hit");
    QT_EQ(T.s, sql, "hit\ntrue\n");
    free(sql);
}

static void test_not_supported(void **st)
{
    (void)st;
    ERR("COPY t TO 'x.csv'", "line 1, column 8: not supported yet: COPY … TO");
    ERR("COPY (SELECT 1) TO 'x.csv'", "line 1, column 6: not supported yet: COPY (SELECT …) TO");
    ERR("COPY t FROM 'x.csv' (HEADER, QUOTE '\"')",
        "line 1, column 30: unexpected 'QUOTE', expected HEADER, DELIMITER, TIMEZONE or COLUMNS");
    ERR("COPY t FROM 'x.csv' (DELIMITER ';;')",
        "line 1, column 32: DELIMITER must be one character (not a quote or line break)");
    ERR("SELECT a FROM t JOIN u ON t.a = u.a", "line 1, column 17: not supported yet: joins");
    ERR("SELECT a FROM (SELECT 1)", "line 1, column 15: not supported yet: subqueries in FROM");
    ERR("WITH x AS (SELECT 1) SELECT * FROM x", "line 1, column 1: not supported yet: WITH (common table expressions)");
    ERR("DELETE FROM t",
        "line 1, column 1: not supported yet: UPDATE and DELETE (tables are append-only; use DROP TABLE)");
    ERR("SELECT 1 UNION SELECT 2", "line 1, column 10: not supported yet: UNION, INTERSECT and EXCEPT");
    ERR("SELECT t.a FROM t", "line 1, column 9: not supported yet: qualified names (table.column)");
    ERR("SELECT sum(DISTINCT a) FROM t", "line 1, column 8: not supported yet: DISTINCT in sum()");
}

static void test_keywords_case_insensitive(void **st)
{
    (void)st;
    QT_EQ(T.s, "sElEcT 1 + 2 * 3 As x, (1 + 2) * 3 y, -4 % 3 z, 7 / 2 w", "x|y|z|w\n7|9|-1|3.5\n");
}

int run_parse_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_statements),
        cmocka_unit_test(test_script_tail),
        cmocka_unit_test(test_literals_and_escapes),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_not_supported),
        cmocka_unit_test(test_keywords_case_insensitive),
    };
    return cmocka_run_group_tests_name("query_parse", tests, setup, teardown);
}
