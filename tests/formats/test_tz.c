/* test_tz.c — TZif reading, POSIX TZ footers, offsets, local time and local
 * days (DST days, midnight transitions, negative days), hostile TZif bytes. */
#include <pthread.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "formats/formats.h"
#include "tests/testutil.h"

int run_tz_tests(void);

#define H 3600
#define NS 1000000000LL

/* UTC seconds of a civil time (days_from_civil is checked separately). */
static int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return ots_fmt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t dayno(int64_t y, unsigned mo, unsigned d) { return ots_fmt_days_from_civil(y, mo, d); }

static ots_tz *load(const char *name)
{
    ots_tz *tz = NULL;
    ots_fmt_err err = {0};
    int rc = ots_fmt_tz_load(name, &tz, &err);
    if (rc != OTS_OK)
        print_error("loading %s: rc %d: %s\n", name, rc, err.msg);
    assert_int_equal(rc, OTS_OK);
    assert_non_null(tz);
    return tz;
}

/* Skip loudly when the system has no tz database. */
static int have_tzdata(void)
{
    if (access("/usr/share/zoneinfo/America/New_York", R_OK) == 0 || getenv("TZDIR"))
        return 1;
    print_message("SKIP: no tz database in /usr/share/zoneinfo (install tzdata)\n");
    return 0;
}

/* Length of local day `day` in hours. */
static double day_hours(const ots_tz *tz, int64_t day)
{
    int64_t s, e;
    ots_fmt_tz_day_bounds(tz, day, &s, &e);
    return (double)(e - s) / (3600.0 * NS);
}

static void civil_known_values(void **state)
{
    (void)state;
    assert_true(ots_fmt_days_from_civil(1970, 1, 1) == 0);
    assert_true(ots_fmt_days_from_civil(1969, 12, 31) == -1);
    assert_true(ots_fmt_days_from_civil(2000, 3, 1) == 11017);
    assert_true(ots_fmt_days_from_civil(2024, 3, 10) == 19792);
    assert_true(ots_fmt_days_from_civil(1600, 2, 29) == -135081);
    assert_true(ots_fmt_days_from_civil(1, 1, 1) == -719162);
    assert_true(ots_fmt_days_from_civil(0, 3, 1) == -719468);
    int64_t y;
    unsigned m, d;
    ots_fmt_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    ots_fmt_civil_from_days(-719468, &y, &m, &d);
    assert_true(y == 0 && m == 3 && d == 1);
    ots_fmt_civil_from_days(-719469, &y, &m, &d);
    assert_true(y == 0 && m == 2 && d == 29); /* year 0 is a leap year */
    /* round trip over a wide range, every day */
    int64_t prev = ots_fmt_days_from_civil(-1000, 1, 1) - 1;
    for (int64_t dn = prev + 1; dn < 1200000; dn += 1) {
        ots_fmt_civil_from_days(dn, &y, &m, &d);
        assert_true(ots_fmt_days_from_civil(y, m, d) == dn);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    }
    /* extremes do not overflow */
    ots_fmt_civil_from_days(INT64_MAX, &y, &m, &d);
    ots_fmt_civil_from_days(INT64_MIN, &y, &m, &d);
    (void)ots_fmt_days_from_civil(INT64_MAX, 12, 31);
    (void)ots_fmt_days_from_civil(INT64_MIN, 1, 1);
}

static void utc_names(void **state)
{
    (void)state;
    const char *names[] = {NULL, "", "UTC", "Etc/UTC"};
    for (int i = 0; i < 4; i++) {
        ots_tz *tz = load(names[i]);
        assert_string_equal(ots_fmt_tz_name(tz), "UTC");
        assert_int_equal(ots_fmt_tz_offset(tz, 1700000000), 0);
        assert_true(ots_fmt_tz_local_to_utc(tz, 1700000000) == 1700000000);
        int64_t s, e;
        assert_true(ots_fmt_tz_day(tz, -1, &s, &e) == -1);
        assert_true(s == -86400 * NS && e == 0);
        ots_fmt_tz_free(tz);
    }
    /* NULL means UTC everywhere */
    assert_string_equal(ots_fmt_tz_name(NULL), "UTC");
    assert_int_equal(ots_fmt_tz_offset(NULL, 123), 0);
    assert_true(ots_fmt_tz_local_to_utc(NULL, -5) == -5);
    int64_t s, e;
    assert_true(ots_fmt_tz_day(NULL, 86400 * NS, &s, &e) == 1);
    assert_true(s == 86400 * NS && e == 2 * 86400 * NS);
    ots_fmt_tz_free(NULL);
}

static void bad_names_rejected(void **state)
{
    (void)state;
    const char *names[] = {"../../etc/passwd", "/etc/localtime", "America/../UTC", "..", "No/Such_Zone", "America"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ots_tz *tz = (ots_tz *)1;
        ots_fmt_err err = {0};
        assert_int_equal(ots_fmt_tz_load(names[i], &tz, &err), OTS_ENOTFOUND);
        assert_null(tz);
        assert_true(err.msg[0] != 0);
    }
    if (!have_tzdata())
        return;
    /* a file that is not TZif is corrupt, not missing */
    if (access("/usr/share/zoneinfo/zone.tab", R_OK) == 0 && !getenv("TZDIR")) {
        ots_tz *tz = NULL;
        ots_fmt_err err = {0};
        assert_int_equal(ots_fmt_tz_load("zone.tab", &tz, &err), OTS_ECORRUPT);
        assert_null(tz);
    }
}

static void new_york_dst(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    ots_tz *tz = load("America/New_York");
    assert_string_equal(ots_fmt_tz_name(tz), "America/New_York");
    /* spring forward 2024-03-10 02:00 EST = 07:00Z */
    assert_int_equal(ots_fmt_tz_offset(tz, 1710054000 - 1), -5 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1710054000), -4 * H);
    /* fall back 2024-11-03 02:00 EDT = 06:00Z */
    assert_int_equal(ots_fmt_tz_offset(tz, 1730613600 - 1), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1730613600), -5 * H);
    /* day lengths */
    assert_true(day_hours(tz, dayno(2024, 3, 10)) == 23.0);
    assert_true(day_hours(tz, dayno(2024, 11, 3)) == 25.0);
    assert_true(day_hours(tz, dayno(2024, 3, 9)) == 24.0);
    assert_true(day_hours(tz, dayno(2024, 7, 4)) == 24.0);
    int64_t s, e;
    ots_fmt_tz_day_bounds(tz, dayno(2024, 3, 10), &s, &e);
    assert_true(s == utc(2024, 3, 10, 5, 0, 0) * NS);
    assert_true(e == utc(2024, 3, 11, 4, 0, 0) * NS);
    /* the day of an instant */
    assert_true(ots_fmt_tz_day(tz, utc(2024, 3, 11, 3, 59, 59) * NS, &s, &e) == dayno(2024, 3, 10));
    assert_true(ots_fmt_tz_day(tz, utc(2024, 3, 11, 4, 0, 0) * NS, NULL, NULL) == dayno(2024, 3, 11));
    assert_true(ots_fmt_tz_day(tz, utc(2024, 11, 4, 4, 59, 59) * NS, &s, &e) == dayno(2024, 11, 3));
    assert_true(s == utc(2024, 11, 3, 4, 0, 0) * NS && e == utc(2024, 11, 4, 5, 0, 0) * NS);
    /* local to UTC: plain, in the gap (-> end of gap), ambiguous (-> earlier) */
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 7, 1, 12, 0, 0)) == utc(2024, 7, 1, 16, 0, 0));
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 3, 10, 2, 30, 0)) == 1710054000);
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 3, 10, 2, 0, 0)) == 1710054000);
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 3, 10, 1, 59, 59)) == 1710054000 - 1);
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 3, 10, 3, 0, 0)) == 1710054000);
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 11, 3, 1, 30, 0)) == utc(2024, 11, 3, 5, 30, 0));
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 11, 3, 0, 59, 59)) == utc(2024, 11, 3, 4, 59, 59));
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 11, 3, 2, 0, 0)) == utc(2024, 11, 3, 7, 0, 0));
    /* far future, past the file's transitions: the footer EST5EDT,M3.2.0,M11.1.0 */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 3, 11, 7, 0, 0) - 1), -5 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 3, 11, 7, 0, 0)), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 11, 4, 6, 0, 0) - 1), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 11, 4, 6, 0, 0)), -5 * H);
    assert_true(day_hours(tz, dayno(2040, 3, 11)) == 23.0);
    assert_true(day_hours(tz, dayno(2040, 11, 4)) == 25.0);
    /* and far past the pre-computed table (rule evaluated directly) */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(3000, 7, 1, 0, 0, 0)), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(3000, 1, 1, 0, 0, 0)), -5 * H);
    /* 2300: second Sunday of March is the 11th */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2300, 3, 11, 7, 0, 0) - 1), -5 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2300, 3, 11, 7, 0, 0)), -4 * H);
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2300, 3, 11, 2, 30, 0)) == utc(2300, 3, 11, 7, 0, 0));
    /* history: 1883 local mean time -4:56:02 */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(1850, 1, 1, 0, 0, 0)), -(4 * H + 56 * 60 + 2));
    ots_fmt_tz_free(tz);
}

static void london_dst(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    ots_tz *tz = load("Europe/London");
    assert_int_equal(ots_fmt_tz_offset(tz, 1711846800 - 1), 0);
    assert_int_equal(ots_fmt_tz_offset(tz, 1711846800), H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1729990800 - 1), H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1729990800), 0);
    assert_true(day_hours(tz, dayno(2024, 3, 31)) == 23.0);
    assert_true(day_hours(tz, dayno(2024, 10, 27)) == 25.0);
    assert_true(day_hours(tz, dayno(2024, 10, 28)) == 24.0);
    int64_t s, e;
    ots_fmt_tz_day_bounds(tz, dayno(2024, 10, 27), &s, &e);
    assert_true(s == utc(2024, 10, 26, 23, 0, 0) * NS && e == utc(2024, 10, 28, 0, 0, 0) * NS);
    /* 01:30 on 2024-03-31 does not exist: the instant after the gap */
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 3, 31, 1, 30, 0)) == 1711846800);
    /* 01:30 on 2024-10-27 happens twice: the earlier (BST) */
    assert_true(ots_fmt_tz_local_to_utc(tz, utc(2024, 10, 27, 1, 30, 0)) == utc(2024, 10, 27, 0, 30, 0));
    /* footer GMT0BST,M3.5.0/1,M10.5.0: last Sundays of 2040 are 03-25 and 10-28 */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 3, 25, 1, 0, 0) - 1), 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 3, 25, 1, 0, 0)), H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 10, 28, 1, 0, 0) - 1), H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2040, 10, 28, 1, 0, 0)), 0);
    assert_true(day_hours(tz, dayno(2040, 3, 25)) == 23.0);
    /* 1971: British Standard Time, +1 all year */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(1970, 1, 15, 0, 0, 0)), H);
    ots_fmt_tz_free(tz);
}

static void odd_offsets(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    ots_tz *k = load("Asia/Kolkata");
    assert_int_equal(ots_fmt_tz_offset(k, 1700000000), 5 * H + 30 * 60);
    assert_int_equal(ots_fmt_tz_offset(k, utc(2100, 1, 1, 0, 0, 0)), 5 * H + 30 * 60);
    int64_t s, e;
    assert_true(ots_fmt_tz_day(k, utc(2023, 12, 31, 18, 30, 0) * NS, &s, &e) == dayno(2024, 1, 1));
    assert_true(s == utc(2023, 12, 31, 18, 30, 0) * NS && e - s == 86400 * NS);
    assert_true(ots_fmt_tz_day(k, utc(2023, 12, 31, 18, 29, 59) * NS, NULL, NULL) == dayno(2023, 12, 31));
    ots_fmt_tz_free(k);

    ots_tz *n = load("Asia/Kathmandu");
    assert_int_equal(ots_fmt_tz_offset(n, 1700000000), 5 * H + 45 * 60);
    assert_int_equal(ots_fmt_tz_offset(n, 0), 5 * H + 30 * 60); /* +05:45 since 1986 */
    assert_int_equal(ots_fmt_tz_offset(n, utc(2200, 6, 1, 0, 0, 0)), 5 * H + 45 * 60);
    assert_true(ots_fmt_tz_local_to_utc(n, utc(2024, 1, 1, 0, 0, 0)) == utc(2023, 12, 31, 18, 15, 0));
    /* the 1986 change (+05:30 -> +05:45) made a 15-minute gap and a
     * 23h45 day */
    assert_true(day_hours(n, dayno(1986, 1, 1)) == 23.75);
    ots_fmt_tz_free(n);
}

/* Zones whose DST change happens at local midnight: the day starts at the
 * first instant whose local date is that day. */
static void midnight_transitions(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    int64_t s, e;
    ots_tz *cl = load("America/Santiago");
    /* 2024-09-08 00:00 -04 -> 01:00 -03: local midnight does not exist */
    ots_fmt_tz_day_bounds(cl, dayno(2024, 9, 8), &s, &e);
    assert_true(s == 1725768000 * NS);
    assert_true(e == utc(2024, 9, 9, 3, 0, 0) * NS);
    assert_true(day_hours(cl, dayno(2024, 9, 8)) == 23.0);
    assert_true(ots_fmt_tz_day(cl, 1725768000 * NS, NULL, NULL) == dayno(2024, 9, 8));
    assert_true(ots_fmt_tz_day(cl, (1725768000 - 1) * NS, &s, &e) == dayno(2024, 9, 7));
    assert_true(e == 1725768000 * NS);
    assert_true(ots_fmt_tz_local_to_utc(cl, utc(2024, 9, 8, 0, 30, 0)) == 1725768000);
    /* 2024-04-07 00:00 -03 -> 2024-04-06 23:00 -04: a 25-hour 6 April */
    assert_true(day_hours(cl, dayno(2024, 4, 6)) == 25.0);
    ots_fmt_tz_day_bounds(cl, dayno(2024, 4, 7), &s, &e);
    assert_true(s == utc(2024, 4, 7, 4, 0, 0) * NS);
    /* far future via the footer <-04>4<-03>,M9.1.6/24,M4.1.6/24 (hours > 24):
     * 2045-09-02 is the first Saturday of September 2045 */
    ots_fmt_tz_day_bounds(cl, dayno(2045, 9, 3), &s, &e);
    assert_true(s == utc(2045, 9, 3, 4, 0, 0) * NS);
    assert_true(day_hours(cl, dayno(2045, 9, 3)) == 23.0);
    ots_fmt_tz_free(cl);

    ots_tz *hv = load("America/Havana"); /* CST5CDT,M3.2.0/0,M11.1.0/1 */
    ots_fmt_tz_day_bounds(hv, dayno(2024, 3, 10), &s, &e);
    assert_true(s == 1710046800 * NS); /* 05:00Z = 01:00 CDT */
    assert_true(day_hours(hv, dayno(2024, 3, 10)) == 23.0);
    assert_true(day_hours(hv, dayno(2024, 11, 3)) == 25.0);
    ots_fmt_tz_free(hv);

    ots_tz *br = load("Asia/Beirut"); /* EET-2EEST,M3.5.0/0,M10.5.0/0 */
    ots_fmt_tz_day_bounds(br, dayno(2024, 3, 31), &s, &e);
    assert_true(s == 1711836000 * NS);
    assert_true(day_hours(br, dayno(2024, 3, 31)) == 23.0);
    /* DST ends at 00:00 EEST on 27 October: the 26th gets 25 hours */
    assert_true(day_hours(br, dayno(2024, 10, 26)) == 25.0);
    assert_true(day_hours(br, dayno(2024, 10, 27)) == 24.0);
    ots_fmt_tz_free(br);
}

/* For every hour over three years in several zones: the instant lies in the
 * bounds of its day, consecutive days tile the time line, and the local
 * date of the day's first instant is the day (or, in a gap, after it). */
static void day_bounds_tile(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    const char *zones[] = {"America/New_York", "Europe/London",       "America/Santiago", "Asia/Beirut",
                           "America/Havana",   "Australia/Lord_Howe", "Asia/Kathmandu",   "Pacific/Apia"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        ots_tz *tz = load(zones[z]);
        int64_t t0 = utc(2010, 1, 1, 0, 0, 0), t1 = utc(2013, 1, 1, 0, 0, 0);
        for (int64_t t = t0; t < t1; t += 1800) {
            int64_t s, e, s2, e2;
            int64_t d = ots_fmt_tz_day(tz, t * NS, &s, &e);
            assert_true(s <= t * NS && t * NS < e);
            ots_fmt_tz_day_bounds(tz, d, &s2, &e2);
            assert_true(s == s2 && e == e2);
            ots_fmt_tz_day_bounds(tz, d + 1, &s2, &e2);
            assert_true(s2 == e);
            int64_t ls = s / NS + ots_fmt_tz_offset(tz, s / NS);
            assert_true(ls >= d * 86400 && ls < (d + 1) * 86400);
        }
        ots_fmt_tz_free(tz);
    }
}

static void negative_days(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    ots_tz *tz = load("America/New_York");
    int64_t s, e;
    /* 1969-12-31 23:00Z is 18:00 EST on 1969-12-31 */
    assert_true(ots_fmt_tz_day(tz, -3600 * NS, &s, &e) == -1);
    assert_true(s == 5 * 3600 * NS - 86400 * NS && e == 5 * 3600 * NS);
    /* 1950-07-04: EDT (New York observed DST then) */
    assert_true(ots_fmt_tz_day(tz, utc(1950, 7, 4, 12, 0, 0) * NS, &s, &e) == dayno(1950, 7, 4));
    assert_true(s == utc(1950, 7, 4, 4, 0, 0) * NS && e - s == 86400 * NS);
    /* 1900: negative day numbers below -25000 */
    int64_t d1900 = dayno(1900, 3, 1);
    assert_true(d1900 < -25000);
    assert_true(ots_fmt_tz_day(tz, utc(1900, 3, 1, 12, 0, 0) * NS, NULL, NULL) == d1900);
    ots_fmt_tz_free(tz);
    /* UTC floor division: 1 ns before the epoch is day -1 */
    assert_true(ots_fmt_tz_day(NULL, -1, &s, &e) == -1);
    assert_true(s == -86400 * NS && e == 0);
    assert_true(ots_fmt_tz_day(NULL, -86400 * NS, NULL, NULL) == -1);
    assert_true(ots_fmt_tz_day(NULL, -86400 * NS - 1, NULL, NULL) == -2);
    /* the extremes of int64 ns do not overflow */
    (void)ots_fmt_tz_day(NULL, INT64_MIN, &s, &e);
    (void)ots_fmt_tz_day(NULL, INT64_MAX, &s, &e);
}

/* ---- synthetic TZif files ----------------------------------------------------- */
typedef struct tzb {
    uint8_t b[8192];
    size_t n;
} tzb;

static void pb(tzb *t, const void *p, size_t n)
{
    if (n)
        memcpy(t->b + t->n, p, n);
    t->n += n;
}
static void p8(tzb *t, uint8_t v) { pb(t, &v, 1); }
static void p32(tzb *t, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pb(t, x, 4);
}
static void p64(tzb *t, uint64_t v)
{
    p32(t, (uint32_t)(v >> 32));
    p32(t, (uint32_t)v);
}

static void hdr(tzb *t, uint8_t version, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
    pb(t, "TZif", 4);
    p8(t, version);
    for (int i = 0; i < 15; i++)
        p8(t, 0);
    p32(t, 0); /* isutcnt */
    p32(t, 0); /* isstdcnt */
    p32(t, 0); /* leapcnt */
    p32(t, timecnt);
    p32(t, typecnt);
    p32(t, charcnt);
}

/* version 0: 32-bit data only; else a minimal v1 block, the 64-bit block and
 * footer (NULL footer: none written) */
static size_t build(tzb *t, uint8_t version, const int64_t *times, const uint8_t *idx, size_t nt, const int32_t *offs,
                    size_t ntypes, const char *footer)
{
    t->n = 0;
    if (version == 0) {
        hdr(t, 0, (uint32_t)nt, (uint32_t)ntypes, 4);
        for (size_t i = 0; i < nt; i++)
            p32(t, (uint32_t)(int32_t)times[i]);
        pb(t, idx, nt);
    } else {
        hdr(t, version, 0, 1, 1);
        p32(t, 0), p8(t, 0), p8(t, 0), p8(t, 0);
        hdr(t, version, (uint32_t)nt, (uint32_t)ntypes, 4);
        for (size_t i = 0; i < nt; i++)
            p64(t, (uint64_t)times[i]);
        pb(t, idx, nt);
    }
    for (size_t i = 0; i < ntypes; i++) {
        p32(t, (uint32_t)offs[i]);
        p8(t, i > 0), p8(t, 0);
    }
    pb(t, "XXX", 4);
    if (version != 0 && footer) {
        p8(t, '\n');
        pb(t, footer, strlen(footer));
        p8(t, '\n');
    }
    return t->n;
}

/* A zone with no transitions and this footer. */
static ots_tz *footer_zone(const char *footer, int32_t type0)
{
    static tzb t;
    build(&t, '3', NULL, NULL, 0, &type0, 1, footer);
    ots_tz *tz = NULL;
    ots_fmt_err err = {0};
    int rc = ots_fmt_tz_parse("test", t.b, t.n, &tz, &err);
    if (rc != OTS_OK)
        print_error("footer %s: %s at %llu\n", footer, err.msg, (unsigned long long)err.offset);
    assert_int_equal(rc, OTS_OK);
    return tz;
}

static void posix_footers(void **state)
{
    (void)state;
    /* US rules, no transitions at all in the file */
    ots_tz *tz = footer_zone("EST5EDT,M3.2.0,M11.1.0", -5 * H);
    assert_string_equal(ots_fmt_tz_name(tz), "test");
    assert_int_equal(ots_fmt_tz_offset(tz, 1710054000 - 1), -5 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1710054000), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(1850, 7, 1, 0, 0, 0)), -4 * H); /* rule applies everywhere */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2500, 7, 1, 0, 0, 0)), -4 * H);
    assert_true(day_hours(tz, dayno(2024, 11, 3)) == 25.0);
    assert_true(day_hours(tz, dayno(1850, 11, 3)) == 25.0); /* first Sunday of Nov 1850 */
    ots_fmt_tz_free(tz);

    /* no DST, quoted name, positive offset */
    tz = footer_zone("<+03>-3", 3 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1700000000), 3 * H);
    ots_fmt_tz_free(tz);

    /* Jn: day 60 is 1 March even in leap years */
    tz = footer_zone("AAA0BBB,J60/2,J300/2", 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 3, 1, 2, 0, 0) - 1), 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 3, 1, 2, 0, 0)), H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2023, 3, 1, 2, 0, 0)), H);
    /* J300 = 27 October; the end time is in DST (02:00 BBB = 01:00Z) */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 10, 27, 1, 0, 0) - 1), H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 10, 27, 1, 0, 0)), 0);
    ots_fmt_tz_free(tz);

    /* n: zero-based, 29 February counted: day 59 is 29 Feb in 2024, 1 Mar in 2023 */
    tz = footer_zone("AAA0BBB,59/0,299/0", 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 2, 29, 0, 0, 0) - 1), 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 2, 29, 0, 0, 0)), H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2023, 2, 28, 12, 0, 0)), 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2023, 3, 1, 0, 0, 0)), H);
    ots_fmt_tz_free(tz);

    /* negative rule time (Nuuk): last Sunday of March at -1:00 local =
     * Saturday 23:00 -02 = 01:00Z Sunday */
    tz = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -2 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 3, 31, 1, 0, 0) - 1), -2 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 3, 31, 1, 0, 0)), -1 * H);
    /* ends last Sunday of October 00:00 -01 = 01:00Z */
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 10, 27, 1, 0, 0) - 1), -1 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 10, 27, 1, 0, 0)), -2 * H);
    ots_fmt_tz_free(tz);

    /* time past 24h: M9.1.6/24 = Saturday 24:00 = Sunday 00:00 */
    tz = footer_zone("<-04>4<-03>,M9.1.6/24,M4.1.6/24", -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1725768000 - 1), -4 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1725768000), -3 * H);
    ots_fmt_tz_free(tz);

    /* RFC 8536 3.3.1: DST all year */
    tz = footer_zone("EST5EDT,0/0,J365/25", -5 * H);
    for (int y = 1990; y < 2300; y += 7) {
        assert_int_equal(ots_fmt_tz_offset(tz, utc(y, 1, 1, 0, 0, 0)), -4 * H);
        assert_int_equal(ots_fmt_tz_offset(tz, utc(y, 12, 31, 23, 59, 59)), -4 * H);
        assert_int_equal(ots_fmt_tz_offset(tz, utc(y, 7, 1, 0, 0, 0)), -4 * H);
    }
    assert_true(day_hours(tz, dayno(2024, 1, 1)) == 24.0);
    ots_fmt_tz_free(tz);

    /* explicit DST offset and times with minutes and seconds */
    tz = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 10 * H + 30 * 60);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 1, 1, 0, 0, 0)), 11 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 7, 1, 0, 0, 0)), 10 * H + 30 * 60);
    assert_true(day_hours(tz, dayno(2024, 10, 6)) == 23.5);
    ots_fmt_tz_free(tz);

    tz = footer_zone("XXX-1:02:03YYY-3:04:05,M3.1.0/-167,M10.1.0/167:59:59", 0);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 1, 1, 0, 0, 0)), 3723);
    assert_int_equal(ots_fmt_tz_offset(tz, utc(2024, 7, 1, 0, 0, 0)), 11045);
    ots_fmt_tz_free(tz);

    /* malformed footers are corrupt, with the offset of the fault */
    const char *bad[] = {"E5",
                         "EST",
                         "EST5EDT,M13.1.0,M11.1.0",
                         "EST5EDT,M3.6.0,M11.1.0",
                         "EST5EDT,M3.2.7,M11.1.0",
                         "EST5EDT,J0,J10",
                         "EST5EDT,J366,J10",
                         "EST5EDT,366,10",
                         "EST5EDT,M3.2.0/168,M11.1.0",
                         "EST25",
                         "EST5EDT,M3.2.0",
                         "EST5EDT,M3.2.0,M11.1.0x",
                         "<AB>3",
                         "<+03-3",
                         "EST5:60",
                         "EST5EDT;M3.2.0,M11.1.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tzb t;
        int32_t o = 0;
        build(&t, '2', NULL, NULL, 0, &o, 1, bad[i]);
        ots_tz *z = (ots_tz *)1;
        ots_fmt_err err = {0};
        int rc = ots_fmt_tz_parse("bad", t.b, t.n, &z, &err);
        if (rc != OTS_ECORRUPT)
            print_error("footer '%s' accepted\n", bad[i]);
        assert_int_equal(rc, OTS_ECORRUPT);
        assert_null(z);
        assert_true(err.offset >= t.n - strlen(bad[i]) - 1 && err.offset < t.n);
        assert_non_null(strstr(err.msg, "TZ string"));
    }
}

static void version1_and_transitions(void **state)
{
    (void)state;
    const int64_t times[] = {-1000000, 0, 1000000};
    const uint8_t idx[] = {1, 0, 2};
    const int32_t offs[] = {H, 2 * H, -3 * H};
    tzb t;
    build(&t, 0, times, idx, 3, offs, 3, NULL);
    ots_tz *tz = NULL;
    ots_fmt_err err;
    assert_int_equal(ots_fmt_tz_parse("v1", t.b, t.n, &tz, &err), OTS_OK);
    assert_int_equal(ots_fmt_tz_offset(tz, -2000000), H); /* type 0 before the first */
    assert_int_equal(ots_fmt_tz_offset(tz, -1000000), 2 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, -1), 2 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, 0), H);
    assert_int_equal(ots_fmt_tz_offset(tz, 999999), H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1000000), -3 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, INT64_MAX), -3 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, INT64_MIN), H);
    /* the fall back at 0 (+2h -> +1h): local 00:30 happens twice */
    assert_true(ots_fmt_tz_local_to_utc(tz, 1800) == 1800 - 2 * H);
    /* the jump at 1000000 (+1h -> -3h) repeats four hours */
    assert_true(ots_fmt_tz_local_to_utc(tz, 1000000 + 0) == 1000000 - H);
    ots_fmt_tz_free(tz);

    /* the same data as v2 with an empty footer */
    build(&t, '2', times, idx, 3, offs, 3, "");
    assert_int_equal(ots_fmt_tz_parse("v2", t.b, t.n, &tz, &err), OTS_OK);
    assert_int_equal(ots_fmt_tz_offset(tz, 5000000), -3 * H);
    ots_fmt_tz_free(tz);

    /* not ascending */
    const int64_t bad_times[] = {0, 0};
    const uint8_t idx2[] = {0, 0};
    build(&t, '2', bad_times, idx2, 2, offs, 1, "");
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_ECORRUPT);
    assert_null(tz);
    assert_true(err.offset == 44 + 4 + 3 + 44 + 8);
    /* type index out of range */
    const uint8_t idx3[] = {0, 5};
    const int64_t ok_times[] = {0, 10};
    build(&t, '2', ok_times, idx3, 2, offs, 2, "");
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_ECORRUPT);
    assert_true(err.offset == 44 + 7 + 44 + 16 + 1);
    /* offsets out of range */
    const int32_t huge[] = {INT32_MIN};
    build(&t, '2', NULL, NULL, 0, huge, 1, "");
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_ECORRUPT);
    /* "big bang" and far transitions are accepted */
    const int64_t far[] = {INT64_MIN, -((int64_t)1 << 59), 0, INT64_MAX};
    const uint8_t idx4[] = {1, 0, 1, 0};
    build(&t, '3', far, idx4, 4, offs, 2, "");
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_OK);
    assert_int_equal(ots_fmt_tz_offset(tz, -1), H);
    assert_int_equal(ots_fmt_tz_offset(tz, 1), 2 * H);
    assert_int_equal(ots_fmt_tz_offset(tz, INT64_MAX), 2 * H);
    (void)ots_fmt_tz_local_to_utc(tz, INT64_MAX);
    (void)ots_fmt_tz_local_to_utc(tz, INT64_MIN);
    ots_fmt_tz_free(tz);
    /* bad magic, unknown version, zero typecnt */
    build(&t, '2', NULL, NULL, 0, offs, 1, "");
    t.b[0] = 'X';
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_ECORRUPT);
    assert_true(err.offset == 0);
    t.b[0] = 'T';
    t.b[4] = '9';
    assert_int_equal(ots_fmt_tz_parse("x", t.b, t.n, &tz, &err), OTS_ECORRUPT);
    assert_true(err.offset == 4);
    assert_int_equal(ots_fmt_tz_parse("x", NULL, 0, &tz, &err), OTS_ECORRUPT);
}

/* Every instant-dependent call on a parsed zone, at assorted instants. */
static void exercise(const ots_tz *tz)
{
    static const int64_t ts[] = {INT64_MIN,    -((int64_t)1 << 59), -4000000000LL,    -1,       0, 1, 1710054000,
                                 2215062000LL, 9000000000LL,        (int64_t)1 << 40, INT64_MAX};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        int32_t o = ots_fmt_tz_offset(tz, ts[i]);
        assert_true(o > -2 * 86400 && o < 2 * 86400);
        (void)ots_fmt_tz_local_to_utc(tz, ts[i]);
        int64_t s, e;
        if (ts[i] > -9000000000LL && ts[i] < 9000000000LL) {
            (void)ots_fmt_tz_day(tz, ts[i] * NS, &s, &e);
            assert_true(s <= ts[i] * NS && ts[i] * NS < e);
        }
        ots_fmt_tz_day_bounds(tz, ts[i] / 86400, &s, &e);
        assert_true(s <= e);
    }
}

static void corrupt_never_crashes(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    const char *files[] = {"/usr/share/zoneinfo/America/New_York", "/usr/share/zoneinfo/Asia/Kathmandu"};
    for (size_t f = 0; f < 2; f++) {
        size_t len = 0;
        unsigned char *buf = tu_read_file(files[f], &len);
        if (!buf) {
            print_message("SKIP: %s unreadable\n", files[f]);
            continue;
        }
        ots_tz *tz = NULL;
        ots_fmt_err err;
        assert_int_equal(ots_fmt_tz_parse("full", buf, len, &tz, &err), OTS_OK);
        ots_fmt_tz_free(tz);
        /* every truncation is refused (the footer's final newline is the last byte) */
        for (size_t n = 0; n < len; n++) {
            uint8_t *cp = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
            memcpy(cp, buf, n);
            tz = (ots_tz *)1;
            int rc = ots_fmt_tz_parse("cut", cp, n, &tz, &err);
            assert_int_equal(rc, OTS_ECORRUPT);
            assert_null(tz);
            assert_true(err.offset <= n);
            free(cp);
        }
        /* flipped bytes: an error or a zone that works */
        static const uint8_t masks[] = {0x01, 0x80, 0xff, 0x10};
        for (size_t i = 0; i < len; i++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                uint8_t *cp = malloc(len);
                memcpy(cp, buf, len);
                cp[i] ^= masks[m];
                tz = NULL;
                int rc = ots_fmt_tz_parse("flip", cp, len, &tz, &err);
                if (rc == OTS_OK) {
                    exercise(tz);
                    ots_fmt_tz_free(tz);
                } else {
                    assert_int_equal(rc, OTS_ECORRUPT);
                    assert_true(err.offset <= len);
                }
                free(cp);
            }
        }
        free(buf);
    }
    /* random bytes behind a plausible header */
    unsigned seed = 7;
    for (int it = 0; it < 3000; it++) {
        tzb t;
        int32_t o = 0;
        build(&t, '2', NULL, NULL, 0, &o, 1, "");
        size_t n = 44 + (size_t)(rand_r(&seed) % 300);
        for (size_t i = 20; i < n; i++)
            t.b[i] = (uint8_t)(rand_r(&seed) % 4 == 0 ? rand_r(&seed) : 0);
        uint8_t *cp = malloc(n);
        memcpy(cp, t.b, n);
        ots_tz *tz = NULL;
        ots_fmt_err err;
        if (ots_fmt_tz_parse("rnd", cp, n, &tz, &err) == OTS_OK) {
            exercise(tz);
            ots_fmt_tz_free(tz);
        }
        free(cp);
    }
}

static void tzdir_override(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tz");
    char sub[4200], path[4300];
    snprintf(sub, sizeof sub, "%s/Test", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/Zone", sub);
    tzb t;
    int32_t o = 5 * H + 45 * 60;
    build(&t, '2', NULL, NULL, 0, &o, 1, "<+0545>-5:45");
    assert_int_equal(tu_write_file(path, t.b, t.n), 0);
    const char *old = getenv("TZDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZDIR", dir, 1);
    ots_tz *tz = load("Test/Zone");
    assert_string_equal(ots_fmt_tz_name(tz), "Test/Zone");
    assert_int_equal(ots_fmt_tz_offset(tz, 0), 5 * H + 45 * 60);
    ots_fmt_tz_free(tz);
    ots_fmt_err err;
    assert_int_equal(ots_fmt_tz_load("Test", &tz, &err), OTS_ENOTFOUND); /* a directory */
    if (saved) {
        setenv("TZDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("TZDIR");
    }
    tu_rmrf(dir);
    free(dir);
}

static void load_out_of_memory(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    for (uint64_t n = 1; n < 10; n++) {
        ots_alloc_fail_after(n, 1);
        ots_tz *tz = NULL;
        ots_fmt_err err;
        int rc = ots_fmt_tz_load("Europe/London", &tz, &err);
        ots_alloc_fail_after(0, 0);
        if (rc == OTS_OK) {
            assert_int_equal(ots_fmt_tz_offset(tz, 1711846800), H);
            ots_fmt_tz_free(tz);
            break;
        }
        assert_int_equal(rc, OTS_ENOMEM);
        assert_null(tz);
    }
}

typedef struct thr_arg {
    const ots_tz *tz;
    int64_t base;
    int bad;
} thr_arg;

static void *thr_main(void *p)
{
    thr_arg *a = p;
    for (int i = 0; i < 200000; i++) {
        int64_t t = a->base + (int64_t)(i % 1000) * 86400 * 7;
        int32_t o = ots_fmt_tz_offset(a->tz, t);
        int64_t d = ots_fmt_tz_day(a->tz, t * NS, NULL, NULL);
        if (o != -5 * H && o != -4 * H)
            a->bad++;
        if (d != (t + o) / 86400)
            a->bad++;
    }
    return NULL;
}

/* one ots_tz shared by threads looking up distant instants (the hint
 * word is contended) */
static void shared_between_threads(void **state)
{
    (void)state;
    if (!have_tzdata())
        skip();
    ots_tz *tz = load("America/New_York");
    pthread_t th[4];
    thr_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thr_arg){tz, utc(1990 + 10 * i, 1, 1, 0, 0, 0), 0};
        assert_int_equal(pthread_create(&th[i], NULL, thr_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    ots_fmt_tz_free(tz);
}

int run_tz_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_known_values),
        cmocka_unit_test(utc_names),
        cmocka_unit_test(bad_names_rejected),
        cmocka_unit_test(new_york_dst),
        cmocka_unit_test(london_dst),
        cmocka_unit_test(odd_offsets),
        cmocka_unit_test(midnight_transitions),
        cmocka_unit_test(day_bounds_tile),
        cmocka_unit_test(negative_days),
        cmocka_unit_test(posix_footers),
        cmocka_unit_test(version1_and_transitions),
        cmocka_unit_test(corrupt_never_crashes),
        cmocka_unit_test(tzdir_override),
        cmocka_unit_test(load_out_of_memory),
        cmocka_unit_test(shared_between_threads),
    };
    return cmocka_run_group_tests_name("formats/tz", tests, NULL, NULL);
}
