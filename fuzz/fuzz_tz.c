/*
 * fuzz_tz.c — the TZif parser (formats/tz.c, RFC 8536) on untrusted bytes.
 *
 * The input is parsed with ots_fmt_tz_parse; a zone that parses is then
 * queried: UTC offsets, local-to-UTC conversion and local day bounds at
 * instants spread over the whole int64-nanosecond range (kept a few days
 * inside it, where days have bounds), including every 8-byte word of the
 * input read as an instant.  Aborts if a parse failure leaves *out set or
 * names an offset past the input, the zone lost its name, or
 * ots_fmt_tz_day and ots_fmt_tz_day_bounds disagree about a day.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS_PER_S 1000000000LL
/* int64 ns spans 1677-09-21 .. 2262-04-11; stay 3 days inside */
#define TS_MAX_NS (INT64_MAX - 3 * 86400 * NS_PER_S)
#define TS_MIN_NS (INT64_MIN + 3 * 86400 * NS_PER_S)

static int64_t clamp_ns(uint64_t u)
{
    /* map any 64-bit word into [TS_MIN_NS, TS_MAX_NS] */
    uint64_t span = (uint64_t)TS_MAX_NS - (uint64_t)TS_MIN_NS;
    return (int64_t)((uint64_t)TS_MIN_NS + u % span);
}

static void query(const ots_tz *tz, int64_t ts_ns)
{
    int64_t s = ts_ns / NS_PER_S, start, end, start2, end2;
    int32_t off = ots_fmt_tz_offset(tz, s);
    (void)ots_fmt_tz_local_to_utc(tz, s + off);
    (void)ots_fmt_tz_local_to_utc(tz, s);
    int64_t day = ots_fmt_tz_day(tz, ts_ns, &start, &end);
    ots_fmt_tz_day_bounds(tz, day, &start2, &end2);
    if (start != start2 || end != end2)
        abort();
    (void)ots_fmt_tz_day(tz, ts_ns, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t fixed_s[] = {
        0,
        -1,
        86399,
        951782400,  /* 2000-02-29 */
        1710054000, /* 2024-03-10 07:00Z, US spring forward */
        1730613600, /* 2024-11-03 06:00Z, US fall back */
        2147483647,
        2147483648,
        -2147483648LL,
        -2147483649LL,
        4102444800,    /* 2100-01-01 */
        -5364662400LL, /* 1800-01-01 */
    };
    ots_tz *tz = NULL;
    ots_fmt_err err;

    memset(&err, 0, sizeof err);
    int rc = ots_fmt_tz_parse("fuzz/zone", data, size, &tz, &err);
    if (rc != OTS_OK) {
        if (tz != NULL || err.offset > size)
            abort();
        return 0;
    }
    if (!tz || strcmp(ots_fmt_tz_name(tz), "fuzz/zone") != 0)
        abort();
    for (size_t i = 0; i < sizeof fixed_s / sizeof fixed_s[0]; i++)
        query(tz, fixed_s[i] * NS_PER_S);
    query(tz, TS_MIN_NS);
    query(tz, TS_MAX_NS);
    for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8)
        query(tz, clamp_ns(ots_le64_get(data + i)));
    ots_fmt_tz_free(tz);
    return 0;
}
