/* test_timestamp.c — ISO-8601 / RFC 3339 parsing (forms, ranges, error
 * offsets), integer epochs, printing and day labels. */
#include <stdlib.h>
#include <unistd.h>

#include "formats/formats.h"
#include "tests/testutil.h"

int run_timestamp_tests(void);

#define NS 1000000000LL
#define T20240301 1709251200LL /* 2024-03-01T00:00:00Z */

static int64_t parse_ok(const char *s, const ots_tz *tz)
{
    int64_t ts = 0;
    ots_fmt_err err = {0};
    int rc = ots_fmt_ts_parse(s, strlen(s), tz, &ts, &err);
    if (rc != OTS_OK)
        print_error("'%s': %s\n", s, err.msg);
    assert_int_equal(rc, OTS_OK);
    return ts;
}

/* The parse fails at byte off with a message containing `what`. */
static void parse_bad(const char *s, uint64_t off, const char *what)
{
    int64_t ts = 12345;
    ots_fmt_err err = {0};
    int rc = ots_fmt_ts_parse(s, strlen(s), NULL, &ts, &err);
    if (rc != OTS_EINVAL || err.offset != off || !strstr(err.msg, what))
        print_error("'%s': rc %d offset %llu msg '%s' (wanted %llu '%s')\n", s, rc, (unsigned long long)err.offset,
                    err.msg, (unsigned long long)off, what);
    assert_int_equal(rc, OTS_EINVAL);
    assert_true(err.offset == off);
    assert_non_null(strstr(err.msg, what));
    assert_true(ts == 12345); /* untouched */
}

static ots_tz *zone(const char *name)
{
    ots_tz *tz = NULL;
    ots_fmt_err err;
    if (ots_fmt_tz_load(name, &tz, &err) != OTS_OK)
        return NULL;
    return tz;
}

static void accepted_forms(void **state)
{
    (void)state;
    assert_true(parse_ok("2024-03-01 00:00:00", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T00:00:00", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01t00:00:00", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T00:00:00Z", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T00:00:00z", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01 12:34", NULL) == (T20240301 + 12 * 3600 + 34 * 60) * NS);
    assert_true(parse_ok("2024-03-01T12:34Z", NULL) == (T20240301 + 12 * 3600 + 34 * 60) * NS);
    assert_true(parse_ok("2024-03-01 00:00:01.5", NULL) == T20240301 * NS + NS + 500000000);
    assert_true(parse_ok("2024-03-01 00:00:00.000000001Z", NULL) == T20240301 * NS + 1);
    assert_true(parse_ok("2024-03-01 00:00:00.123456789", NULL) == T20240301 * NS + 123456789);
    assert_true(parse_ok("2024-03-01T05:30:00+05:30", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T05:30:00+0530", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T05:00:00+05", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-02-29T16:00:00-08:00", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-02-29T16:00-0800", NULL) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01T00:00:00.25-00:00", NULL) == T20240301 * NS + 250000000);
    assert_true(parse_ok("2024-02-29", NULL) == (T20240301 - 86400) * NS);
    assert_true(parse_ok("2000-02-29", NULL) == 951782400LL * NS);
    /* range ends */
    assert_true(parse_ok("1678-01-01 00:00:00", NULL) == -9214560000LL * NS);
    assert_true(parse_ok("2261-12-31T23:59:59.999999999Z", NULL) == 9214646399LL * NS + 999999999);
    assert_true(parse_ok("1970-01-01", NULL) == 0);
    assert_true(parse_ok("1969-12-31T23:59:59.999999999Z", NULL) == -1);
}

static void local_time_in_zone(void **state)
{
    (void)state;
    ots_tz *ny = zone("America/New_York");
    if (!ny) {
        print_message("SKIP: no America/New_York in the tz database\n");
        skip();
    }
    assert_true(parse_ok("2024-03-01 00:00:00", ny) == (T20240301 + 5 * 3600) * NS);
    assert_true(parse_ok("2024-03-01", ny) == (T20240301 + 5 * 3600) * NS);
    assert_true(parse_ok("2024-07-01T12:00", ny) == (1719835200LL + 16 * 3600 - 12 * 3600) * NS);
    /* gap: 02:30 does not exist on 2024-03-10 -> the end of the gap, 07:00Z */
    assert_true(parse_ok("2024-03-10 02:30:00", ny) == 1710054000LL * NS);
    assert_true(parse_ok("2024-03-10 02:30:00.5", ny) == 1710054000LL * NS + 500000000);
    /* overlap: 01:30 on 2024-11-03 happens twice -> the earlier, 05:30Z */
    assert_true(parse_ok("2024-11-03 01:30:00", ny) == (1730613600LL - 1800) * NS);
    /* an explicit offset wins over the zone */
    assert_true(parse_ok("2024-03-01 00:00:00Z", ny) == T20240301 * NS);
    assert_true(parse_ok("2024-03-01 00:00:00+01:00", ny) == (T20240301 - 3600) * NS);
    ots_fmt_tz_free(ny);
}

static void error_offsets(void **state)
{
    (void)state;
    parse_bad("", 0, "expected 4-digit year at byte 0 (end of input)");
    parse_bad("202", 3, "expected 4-digit year");
    parse_bad("x024-03-01", 0, "expected 4-digit year at byte 0");
    parse_bad("2024/03/01", 4, "expected '-' after the year at byte 4");
    parse_bad("2024-xx-01", 5, "expected 2-digit month at byte 5");
    parse_bad("2024-3-01", 6, "expected 2-digit month at byte 6");
    parse_bad("2024-13-01", 5, "month 13 out of range 01..12 at byte 5");
    parse_bad("2024-00-01", 5, "month 00 out of range");
    parse_bad("2024-03", 7, "expected '-' after the month at byte 7 (end of input)");
    parse_bad("2024-02-30", 8, "day 30 out of range for 2024-02 at byte 8");
    parse_bad("2023-02-29", 8, "day 29 out of range for 2023-02");
    parse_bad("1900-02-29", 8, "day 29 out of range");
    parse_bad("2024-04-31", 8, "day 31 out of range");
    parse_bad("2024-03-00", 8, "day 00 out of range");
    parse_bad("2024-03-1", 9, "expected 2-digit day at byte 9");
    parse_bad("1677-12-31", 0, "year 1677 out of range 1678..2261");
    parse_bad("2262-01-01", 0, "year 2262 out of range");
    parse_bad("2024-03-01X00:00", 10, "expected 'T' or ' ' after the date at byte 10");
    parse_bad("2024-03-01 ", 11, "expected 2-digit hour at byte 11 (end of input)");
    parse_bad("2024-03-01 24:00:00", 11, "hour 24 out of range 00..23 at byte 11");
    parse_bad("2024-03-01 7:00:00", 12, "expected 2-digit hour");
    parse_bad("2024-03-01 07-00", 13, "expected ':' after the hour at byte 13");
    parse_bad("2024-03-01 23:60", 14, "minute 60 out of range");
    parse_bad("2024-03-01 23:5", 15, "expected 2-digit minute at byte 15");
    parse_bad("2024-03-01 23:59:60", 17, "second 60 out of range");
    parse_bad("2024-03-01 23:59:6", 18, "expected 2-digit second");
    parse_bad("2024-03-01 23:59:59.", 20, "expected fraction digits after '.'");
    parse_bad("2024-03-01 23:59:59.1234567891", 29, "at most 9 fraction digits at byte 29");
    parse_bad("2024-03-01 23:59:59 ", 19, "expected '.', 'Z', '+hh:mm', '-hh:mm' or end of input at byte 19");
    parse_bad("2024-03-01 23:59.5", 16, "expected ':', 'Z'");
    parse_bad("2024-03-01 23:59:59.5x", 21, "expected a fraction digit");
    parse_bad("2024-03-01 23:59:59ZZ", 20, "expected end of input at byte 20");
    parse_bad("2024-03-01 23:59:59+1", 21, "expected 2-digit offset hours");
    parse_bad("2024-03-01 23:59:59+24:00", 20, "offset hours 24 out of range");
    parse_bad("2024-03-01 23:59:59+05:3", 24, "expected 2-digit offset minutes");
    parse_bad("2024-03-01 23:59:59+05:60", 23, "offset minutes 60 out of range");
    parse_bad("2024-03-01 23:59:59+05:30:00", 25, "expected end of input");
    parse_bad("2024-03-01 00:00:00 +01:00", 19, "expected '.', 'Z'");
    /* NULL with length 0 is an empty string */
    int64_t ts;
    ots_fmt_err err;
    assert_int_equal(ots_fmt_ts_parse(NULL, 0, NULL, &ts, &err), OTS_EINVAL);
    /* err may be NULL */
    assert_int_equal(ots_fmt_ts_parse("2024-13-01", 10, NULL, &ts, NULL), OTS_EINVAL);
    /* the length is respected: no reading past it */
    char *heap = malloc(10);
    memcpy(heap, "2024-03-01", 10);
    assert_int_equal(ots_fmt_ts_parse(heap, 10, NULL, &ts, &err), OTS_OK);
    for (size_t n = 0; n < 10; n++)
        assert_int_equal(ots_fmt_ts_parse(heap, n, NULL, &ts, &err), OTS_EINVAL);
    free(heap);
    heap = malloc(19);
    memcpy(heap, "2024-03-01 00:00:00", 19);
    for (size_t n = 0; n <= 19; n++)
        (void)ots_fmt_ts_parse(heap, n, NULL, &ts, &err);
    free(heap);
}

/* The fixed-width fast path agrees with the general parser (reached by
 * appending ".0") for every byte value at every position. */
static void fast_path_agrees(void **state)
{
    (void)state;
    const char *bases[] = {"2024-03-01 00:00:00", "2024-02-29T23:59:59", "1678-01-01t00:00:00", "2261-12-31 23:59:59"};
    for (size_t bi = 0; bi < 4; bi++) {
        for (int zulu = 0; zulu < 2; zulu++) {
            for (size_t pos = 0; pos < 19; pos++) {
                for (int v = 0; v < 256; v++) {
                    if (pos == 16 && (v == '+' || v == '-'))
                        continue; /* "HH:MM+SS" is HH:MM with an offset; not comparable */
                    char a[32], b[32];
                    memcpy(a, bases[bi], 19);
                    a[pos] = (char)v;
                    memcpy(b, a, 19);
                    size_t na = 19, nb = 21;
                    b[19] = '.', b[20] = '0';
                    if (zulu) {
                        a[na++] = 'Z';
                        b[nb++] = 'Z';
                    }
                    int64_t ta = 1, tb = 2;
                    ots_fmt_err ea = {0}, eb = {0};
                    int ra = ots_fmt_ts_parse(a, na, NULL, &ta, &ea);
                    int rb = ots_fmt_ts_parse(b, nb, NULL, &tb, &eb);
                    assert_int_equal(ra, rb);
                    if (ra == OTS_OK)
                        assert_true(ta == tb);
                    else
                        assert_true(ea.offset == eb.offset && strcmp(ea.msg, eb.msg) == 0);
                }
            }
        }
    }
}

static void epochs(void **state)
{
    (void)state;
    int64_t ts = 0;
    ots_fmt_err err;
#define EP(s, unit) ots_fmt_epoch_parse(s, strlen(s), unit, &ts, &err)
    assert_int_equal(EP("1700000000", 1), OTS_OK);
    assert_true(ts == 1700000000LL * NS);
    assert_int_equal(EP("1700000000123", 1000), OTS_OK);
    assert_true(ts == 1700000000123000000LL);
    assert_int_equal(EP("1700000000123456", 1000000), OTS_OK);
    assert_true(ts == 1700000000123456000LL);
    assert_int_equal(EP("1700000000123456789", 1000000000), OTS_OK);
    assert_true(ts == 1700000000123456789LL);
    assert_int_equal(EP("-1.5", 1), OTS_OK);
    assert_true(ts == -1500000000LL);
    assert_int_equal(EP("+1.000000001", 1), OTS_OK);
    assert_true(ts == NS + 1);
    assert_int_equal(EP("0", 1), OTS_OK);
    assert_true(ts == 0);
    assert_int_equal(EP("-0", 1000), OTS_OK);
    assert_true(ts == 0);
    assert_int_equal(EP("9223372036854775807", 1000000000), OTS_OK);
    assert_true(ts == INT64_MAX);
    assert_int_equal(EP("-9223372036854775808", 1000000000), OTS_OK);
    assert_true(ts == INT64_MIN);
    assert_int_equal(EP("9223372036.854775807", 1), OTS_OK);
    assert_true(ts == INT64_MAX);
    /* overflow */
    ts = 77;
    assert_int_equal(EP("9223372036854775808", 1000000000), OTS_EINVAL);
    assert_non_null(strstr(err.msg, "out of"));
    assert_int_equal(EP("-9223372036854775809", 1000000000), OTS_EINVAL);
    assert_int_equal(EP("9223372037", 1), OTS_EINVAL);
    assert_int_equal(EP("9223372036.854775808", 1), OTS_EINVAL);
    assert_int_equal(EP("9223372036854776", 1000), OTS_EINVAL);
    assert_int_equal(EP("99999999999999999999999999", 1), OTS_EINVAL);
    assert_true(ts == 77);
    /* syntax, with the offset of the bad byte */
    assert_int_equal(EP("", 1), OTS_EINVAL);
    assert_true(err.offset == 0);
    assert_int_equal(EP("-", 1), OTS_EINVAL);
    assert_true(err.offset == 1);
    assert_int_equal(EP("12a", 1), OTS_EINVAL);
    assert_true(err.offset == 2);
    assert_int_equal(EP("1.5", 1000), OTS_EINVAL);
    assert_true(err.offset == 1);
    assert_non_null(strstr(err.msg, "only for epoch seconds"));
    assert_int_equal(EP("1.", 1), OTS_EINVAL);
    assert_true(err.offset == 2);
    assert_int_equal(EP("1.1234567891", 1), OTS_EINVAL);
    assert_true(err.offset == 11);
    assert_int_equal(EP(" 1", 1), OTS_EINVAL);
    assert_true(err.offset == 0);
    assert_int_equal(EP("1e9", 1), OTS_EINVAL);
    assert_true(err.offset == 1);
    assert_int_equal(EP("1", 60), OTS_EINVAL);
#undef EP
}

static const char *fmt(int64_t ts, const ots_tz *tz)
{
    static char buf[64];
    int n = ots_fmt_ts_format(ts, tz, buf, 36);
    assert_true(n > 0 && n <= 35);
    assert_int_equal((int)strlen(buf), n);
    return buf;
}

static void formatting(void **state)
{
    (void)state;
    assert_string_equal(fmt(0, NULL), "1970-01-01T00:00:00Z");
    assert_string_equal(fmt(-1, NULL), "1969-12-31T23:59:59.999999999Z");
    assert_string_equal(fmt(1500000000, NULL), "1970-01-01T00:00:01.5Z");
    assert_string_equal(fmt(T20240301 * NS + 120000, NULL), "2024-03-01T00:00:00.00012Z");
    assert_string_equal(fmt(-86400 * NS, NULL), "1969-12-31T00:00:00Z");
    assert_string_equal(fmt(INT64_MAX, NULL), "2262-04-11T23:47:16.854775807Z");
    assert_string_equal(fmt(INT64_MIN, NULL), "1677-09-21T00:12:43.145224192Z");
    char small[24];
    assert_true(ots_fmt_ts_format(0, NULL, small, 20) < 0);
    assert_true(ots_fmt_ts_format(0, NULL, small, 21) == 20);
    char d[11];
    ots_fmt_day_format(0, d);
    assert_string_equal(d, "1970-01-01");
    ots_fmt_day_format(-1, d);
    assert_string_equal(d, "1969-12-31");
    ots_fmt_day_format(19792, d);
    assert_string_equal(d, "2024-03-10");
    ots_fmt_day_format(-719162, d);
    assert_string_equal(d, "0001-01-01");
    ots_fmt_day_format(2932896, d);
    assert_string_equal(d, "9999-12-31");
    ots_fmt_day_format(2932897, d);
    assert_string_equal(d, "xxxx-xx-xx");
    ots_fmt_day_format(INT64_MIN, d);
    assert_string_equal(d, "xxxx-xx-xx");

    ots_tz *ny = zone("America/New_York");
    ots_tz *in = zone("Asia/Kolkata");
    if (!ny || !in) {
        print_message("SKIP: zones missing from the tz database\n");
        ots_fmt_tz_free(ny);
        ots_fmt_tz_free(in);
        return;
    }
    assert_string_equal(fmt(1793512800LL * NS, ny), "2026-11-01T01:00:00-05:00");
    assert_string_equal(fmt(1793512800LL * NS - 1, ny), "2026-11-01T01:59:59.999999999-04:00");
    assert_string_equal(fmt(0, in), "1970-01-01T05:30:00+05:30");
    assert_string_equal(fmt(-1, in), "1970-01-01T05:29:59.999999999+05:30");
    /* local mean time (-4:56:02) prints with the offset cut to minutes,
     * the wall time following it: still the exact instant */
    const char *lmt = fmt(-5364662400LL * NS, ny);
    assert_string_equal(lmt, "1799-12-31T19:04:00-04:56");
    int64_t back;
    ots_fmt_err err;
    assert_int_equal(ots_fmt_ts_parse(lmt, strlen(lmt), NULL, &back, &err), OTS_OK);
    assert_true(back == -5364662400LL * NS);
    ots_fmt_tz_free(ny);
    ots_fmt_tz_free(in);
}

/* format then parse gives the instant back, in UTC and in zones */
static void round_trip(void **state)
{
    (void)state;
    ots_tz *zones[4] = {NULL, zone("America/New_York"), zone("Asia/Kathmandu"), zone("Australia/Lord_Howe")};
    unsigned seed = 42;
    for (int i = 0; i < 200000; i++) {
        int64_t ts =
            (int64_t)(((uint64_t)rand_r(&seed) << 42) ^ ((uint64_t)rand_r(&seed) << 21) ^ (uint64_t)rand_r(&seed));
        ts = ts % (9200000000LL * NS); /* within years 1678..2261, even locally */
        if (i % 3 == 0)
            ts -= ts % NS; /* whole seconds too */
        for (int z = 0; z < 4; z++) {
            if (z && !zones[z])
                continue;
            char buf[36];
            int n = ots_fmt_ts_format(ts, zones[z], buf, sizeof buf);
            assert_true(n > 0);
            int64_t back = 0;
            ots_fmt_err err;
            int rc = ots_fmt_ts_parse(buf, (size_t)n, zones[z], &back, &err);
            if (rc != OTS_OK || back != ts)
                print_error("%lld -> %s -> %lld (%s)\n", (long long)ts, buf, (long long)back, err.msg);
            assert_int_equal(rc, OTS_OK);
            assert_true(back == ts);
        }
    }
    for (int z = 1; z < 4; z++)
        ots_fmt_tz_free(zones[z]);
}

int run_timestamp_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_forms), cmocka_unit_test(local_time_in_zone),
        cmocka_unit_test(error_offsets),  cmocka_unit_test(fast_path_agrees),
        cmocka_unit_test(epochs),         cmocka_unit_test(formatting),
        cmocka_unit_test(round_trip),
    };
    return cmocka_run_group_tests_name("formats/timestamp", tests, NULL, NULL);
}
