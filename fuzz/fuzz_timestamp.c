/*
 * fuzz_timestamp.c — timestamp parsing and printing (formats/timestamp.c)
 * on untrusted text, as a round trip: whatever ots_fmt_ts_parse accepts,
 * ots_fmt_ts_format must print so that parsing it again gives the same
 * instant — in UTC and in a zone with DST (America/New_York from the system
 * tz database, when present).  The input's first 8 bytes, read as an
 * instant inside the supported range (years 1678..2261), go round the same
 * way.  Also runs ots_fmt_epoch_parse in every unit and ots_fmt_day_format.
 * Aborts on a mismatch, a refused round trip, an error offset past the
 * input, or a format longer than the 36 bytes the contract promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS_PER_DAY (86400LL * 1000000000LL)

static const ots_tz *zone(void)
{
    static int loaded;
    static ots_tz *tz;
    if (!loaded) {
        ots_fmt_err err;
        loaded = 1;
        if (ots_fmt_tz_load("America/New_York", &tz, &err) != OTS_OK)
            tz = NULL; /* round trips then run in UTC only */
    }
    return tz;
}

/* format x in tz, parse it back (in tz, so a missing offset means the same),
 * and insist on x. */
static void round_trip(int64_t x, const ots_tz *tz)
{
    char buf[64];
    int64_t y;
    ots_fmt_err err;
    memset(buf, 0x7f, sizeof buf);
    int n = ots_fmt_ts_format(x, tz, buf, 36);
    if (n < 0 || n >= 36 || buf[n] != 0 || strlen(buf) != (size_t)n)
        abort();
    if (ots_fmt_ts_parse(buf, (size_t)n, tz, &y, &err) != OTS_OK) {
        fprintf(stderr, "round trip: '%s' (from %lld) refused: %s\n", buf, (long long)x, err.msg);
        abort();
    }
    if (y != x) {
        fprintf(stderr, "round trip: %lld -> '%s' -> %lld\n", (long long)x, buf, (long long)y);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t units[] = {1, 1000, 1000000, 1000000000};
    const char *s = (const char *)data;
    const ots_tz *tz = zone();
    ots_fmt_err err;
    int64_t x;

    /* text -> instant -> text -> instant.  The parseable range is in
     * wall-clock years, so an instant on its first or last day may print in
     * another zone as a year outside it (1678-01-01T00:00Z is 1677 in New
     * York; 2261-12-31T23:59 in New York is 2262 in UTC): round trips are
     * only required one day inside the range (the edge itself is covered by
     * the corpus's ts-edge-* inputs, which must not crash). */
    int64_t lo = ots_fmt_days_from_civil(1678, 1, 2) * NS_PER_DAY;
    int64_t hi = ots_fmt_days_from_civil(2261, 12, 31) * NS_PER_DAY;
    memset(&err, 0, sizeof err);
    if (ots_fmt_ts_parse(s, size, NULL, &x, &err) == OTS_OK) {
        if (x >= lo && x < hi) {
            round_trip(x, NULL);
            if (tz)
                round_trip(x, tz);
        }
    } else if (err.offset > size) {
        abort();
    }
    if (tz) {
        memset(&err, 0, sizeof err);
        if (ots_fmt_ts_parse(s, size, tz, &x, &err) == OTS_OK) {
            if (x >= lo && x < hi) {
                round_trip(x, tz);
                round_trip(x, NULL);
            }
        } else if (err.offset > size) {
            abort();
        }
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        memset(&err, 0, sizeof err);
        if (ots_fmt_epoch_parse(s, size, units[i], &x, &err) != OTS_OK && err.offset > size)
            abort();
    }

    /* instant -> text -> instant, for instants in [lo, hi) */
    if (size >= 8) {
        uint64_t u = ots_le64_get(data);
        x = (int64_t)((uint64_t)lo + u % ((uint64_t)hi - (uint64_t)lo));
        round_trip(x, NULL);
        if (tz)
            round_trip(x, tz);
        char day[11];
        int64_t d = ots_fmt_days_from_civil(1678, 1, 1) + (int64_t)(u % 213000);
        ots_fmt_day_format(d, day);
        if (day[10] != 0 || strlen(day) != 10)
            abort();
    }
    return 0;
}
