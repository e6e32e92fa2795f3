/*
 * timestamp.c — text timestamps: ISO-8601 / RFC 3339 parsing and printing,
 * integer epochs in s / ms / us / ns, and "YYYY-MM-DD" day labels.
 * Implements the "timestamps" section of formats.h; the accepted forms and
 * error messages are listed in docs/formats/timestamps.md.
 *
 * Parsing is on the ingest hot path (one call per CSV row), so the common
 * fixed-width form "YYYY-MM-DD HH:MM:SS" (with 'T' and an optional 'Z') is
 * recognised by a fixed-position fast path; everything else, and every
 * error, goes through the general parser, which names the first bad byte.
 */
#include <stdarg.h>

#include "formats/formats.h"

#define NS_PER_S 1000000000LL
#define DAY_S 86400
#define YEAR_MIN 1678
#define YEAR_MAX 2261

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Fill err with "<what> at byte <off>" and return OTS_EINVAL. */
__attribute__((format(printf, 4, 5))) static int bad(ots_fmt_err *err, size_t off, size_t len, const char *fmt, ...)
{
    if (err) {
        char what[120];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        err->offset = off;
        snprintf(err->msg, sizeof err->msg, "%s at byte %zu%s", what, off, off >= len ? " (end of input)" : "");
    }
    return OTS_EINVAL;
}

static inline unsigned dig(const char *s, size_t i) { return (unsigned)((unsigned char)s[i] - '0'); }

/* n digits at s[i..]; returns the offset of the first non-digit, or
 * SIZE_MAX if all n are digits (value in *v). */
static size_t digits(const char *s, size_t len, size_t i, int n, unsigned *v)
{
    unsigned r = 0;
    for (int k = 0; k < n; k++, i++) {
        if (i >= len || dig(s, i) > 9)
            return i;
        r = r * 10 + dig(s, i);
    }
    *v = r;
    return SIZE_MAX;
}

static int is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28u + (unsigned)is_leap(y) : dim[m - 1];
}

/* days_from_civil (as in tz.c) for years >= 1, in unsigned arithmetic:
 * the parser's years are 1678..2261, and this is its hot path. */
static inline int64_t days_from_civil_pos(unsigned y, unsigned m, unsigned d)
{
    y -= m <= 2;
    unsigned era = y / 400, yoe = y - era * 400;
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static inline int finish(int64_t local_s, int has_off, int32_t off_s, uint32_t frac_ns, const ots_tz *tz,
                         int64_t *ts_ns, size_t len, ots_fmt_err *err)
{
    int64_t utc_s = has_off ? local_s - off_s : tz ? ots_fmt_tz_local_to_utc(tz, local_s) : local_s;
    int64_t ns;
    if (__builtin_mul_overflow(utc_s, NS_PER_S, &ns) || __builtin_add_overflow(ns, (int64_t)frac_ns, &ns))
        return bad(err, 0, len, "timestamp out of the int64 nanosecond range");
    *ts_ns = ns;
    return OTS_OK;
}

/* "YYYY-MM-DD HH:MM:SS" (' ', 'T' or 't'), 19 bytes, all fields in range.
 * Returns 1 and *local_s, or 0 to let the general parser decide (and
 * explain).  On little-endian machines the digits are checked eight at a
 * time: XOR with the expected text turns digits into 0..9 and separators
 * into 0, then one add-and-mask tests that every byte is <= 9. */
static inline int fast19(const char *s, int64_t *local_s)
{
    unsigned y, mo, d, h, mi, sec;
    if (s[10] != ' ' && (s[10] | 0x20) != 't')
        return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t a, b;
    uint16_t dd;
    memcpy(&a, s, 8);      /* YYYY-MM- */
    memcpy(&b, s + 11, 8); /* HH:MM:SS */
    memcpy(&dd, s + 8, 2); /* DD */
    a ^= 0x2D30302D30303030ull;
    b ^= 0x30303A30303A3030ull;
    uint32_t dv = (uint32_t)dd ^ 0x3030u;
    if ((a & 0xFF0000FF00000000ull) | (b & 0x0000FF0000FF0000ull))
        return 0;
    uint64_t hi = ((a + 0x7676767676767676ull) | a | (b + 0x7676767676767676ull) | b) & 0x8080808080808080ull;
    if (hi | (((dv + 0x7676u) | dv) & 0x8080u))
        return 0;
    y = (unsigned)(a & 0xFF) * 1000 + (unsigned)(a >> 8 & 0xFF) * 100 + (unsigned)(a >> 16 & 0xFF) * 10 +
        (unsigned)(a >> 24 & 0xFF);
    mo = (unsigned)(a >> 40 & 0xFF) * 10 + (unsigned)(a >> 48 & 0xFF);
    d = (dv & 0xFF) * 10 + (dv >> 8);
    h = (unsigned)(b & 0xFF) * 10 + (unsigned)(b >> 8 & 0xFF);
    mi = (unsigned)(b >> 24 & 0xFF) * 10 + (unsigned)(b >> 32 & 0xFF);
    sec = (unsigned)(b >> 48 & 0xFF) * 10 + (unsigned)(b >> 56);
#else
    if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return 0;
    static const unsigned char pos[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    unsigned v[14];
    for (int i = 0; i < 14; i++)
        if ((v[i] = dig(s, pos[i])) > 9)
            return 0;
    y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    mo = v[4] * 10 + v[5];
    d = v[6] * 10 + v[7];
    h = v[8] * 10 + v[9];
    mi = v[10] * 10 + v[11];
    sec = v[12] * 10 + v[13];
#endif
    if (y < YEAR_MIN || y > YEAR_MAX || mo - 1 > 11 || d - 1 > 30 || h > 23 || mi > 59 || sec > 59)
        return 0;
    if (d > 28 && d > days_in_month(y, mo))
        return 0;
    *local_s = days_from_civil_pos(y, mo, d) * DAY_S + (int64_t)(h * 3600 + mi * 60 + sec);
    return 1;
}

/* Every form, and every error message. */
__attribute__((noinline)) static int parse_general(const char *s, size_t len, const ots_tz *tz, int64_t *ts_ns,
                                                   ots_fmt_err *err)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    uint32_t frac = 0;
    size_t i, e;
    if ((e = digits(s, len, 0, 4, &y)) != SIZE_MAX)
        return bad(err, e, len, "expected 4-digit year");
    if (y < YEAR_MIN || y > YEAR_MAX)
        return bad(err, 0, len, "year %u out of range %d..%d", y, YEAR_MIN, YEAR_MAX);
    if (len <= 4 || s[4] != '-')
        return bad(err, 4, len, "expected '-' after the year");
    if ((e = digits(s, len, 5, 2, &mo)) != SIZE_MAX)
        return bad(err, e, len, "expected 2-digit month");
    if (mo < 1 || mo > 12)
        return bad(err, 5, len, "month %02u out of range 01..12", mo);
    if (len <= 7 || s[7] != '-')
        return bad(err, 7, len, "expected '-' after the month");
    if ((e = digits(s, len, 8, 2, &d)) != SIZE_MAX)
        return bad(err, e, len, "expected 2-digit day");
    if (d < 1 || d > days_in_month(y, mo))
        return bad(err, 8, len, "day %02u out of range for %04u-%02u", d, y, mo);
    int64_t days = days_from_civil_pos(y, mo, d);
    if (len == 10)
        return finish(days * DAY_S, 0, 0, 0, tz, ts_ns, len, err);
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return bad(err, 10, len, "expected 'T' or ' ' after the date");
    if ((e = digits(s, len, 11, 2, &h)) != SIZE_MAX)
        return bad(err, e, len, "expected 2-digit hour");
    if (h > 23)
        return bad(err, 11, len, "hour %02u out of range 00..23", h);
    if (len <= 13 || s[13] != ':')
        return bad(err, 13, len, "expected ':' after the hour");
    if ((e = digits(s, len, 14, 2, &mi)) != SIZE_MAX)
        return bad(err, e, len, "expected 2-digit minute");
    if (mi > 59)
        return bad(err, 14, len, "minute %02u out of range 00..59", mi);
    i = 16;
    const char *next = "expected ':', 'Z', '+hh:mm', '-hh:mm' or end of input";
    if (i < len && s[i] == ':') {
        if ((e = digits(s, len, 17, 2, &sec)) != SIZE_MAX)
            return bad(err, e, len, "expected 2-digit second");
        if (sec > 59)
            return bad(err, 17, len, "second %02u out of range 00..59", sec);
        i = 19;
        next = "expected '.', 'Z', '+hh:mm', '-hh:mm' or end of input";
        if (i < len && s[i] == '.') {
            i++;
            int nd = 0;
            while (i < len && dig(s, i) <= 9) {
                if (nd == 9)
                    return bad(err, i, len, "at most 9 fraction digits");
                frac = frac * 10 + dig(s, i);
                nd++;
                i++;
            }
            if (nd == 0)
                return bad(err, i, len, "expected fraction digits after '.'");
            for (; nd < 9; nd++)
                frac *= 10;
            next = "expected a fraction digit, 'Z', '+hh:mm', '-hh:mm' or end of input";
        }
    }
    int64_t local = days * DAY_S + h * 3600 + mi * 60 + sec;
    if (i == len)
        return finish(local, 0, 0, frac, tz, ts_ns, len, err);
    int32_t off = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int neg = s[i] == '-';
        unsigned oh, om = 0;
        if ((e = digits(s, len, i + 1, 2, &oh)) != SIZE_MAX)
            return bad(err, e, len, "expected 2-digit offset hours");
        if (oh > 23)
            return bad(err, i + 1, len, "offset hours %02u out of range 00..23", oh);
        i += 3;
        if (i < len) {
            size_t j = s[i] == ':' ? i + 1 : i;
            if ((e = digits(s, len, j, 2, &om)) != SIZE_MAX)
                return bad(err, e, len, "expected 2-digit offset minutes");
            if (om > 59)
                return bad(err, j, len, "offset minutes %02u out of range 00..59", om);
            i = j + 2;
        }
        off = (int32_t)(oh * 3600 + om * 60) * (neg ? -1 : 1);
    } else {
        return bad(err, i, len, "%s", next);
    }
    if (i != len)
        return bad(err, i, len, "expected end of input");
    return finish(local, 1, off, frac, tz, ts_ns, len, err);
}

int ots_fmt_ts_parse(const char *s, size_t len, const ots_tz *tz, int64_t *ts_ns, ots_fmt_err *err)
{
    int64_t local_s;
    if (!s)
        len = 0;
    if (len == 19 && fast19(s, &local_s)) {
        if (tz)
            local_s = ots_fmt_tz_local_to_utc(tz, local_s);
        *ts_ns = local_s * NS_PER_S; /* years 1678..2261 (and +-2 days) fit */
        return OTS_OK;
    }
    if (len == 20 && (s[19] == 'Z' || s[19] == 'z') && fast19(s, &local_s)) {
        *ts_ns = local_s * NS_PER_S;
        return OTS_OK;
    }
    return parse_general(s, len, tz, ts_ns, err);
}

int ots_fmt_epoch_parse(const char *s, size_t len, int64_t unit_per_s, int64_t *ts_ns, ots_fmt_err *err)
{
    uint64_t mult;
    switch (unit_per_s) {
    case 1: mult = 1000000000; break;
    case 1000: mult = 1000000; break;
    case 1000000: mult = 1000; break;
    case 1000000000: mult = 1; break;
    default: return bad(err, 0, len, "epoch unit must be 1, 1000, 1000000 or 1000000000 per second");
    }
    if (!s)
        len = 0;
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i >= len || dig(s, i) > 9)
        return bad(err, i, len, "expected digits");
    uint64_t v = 0;
    for (; i < len && dig(s, i) <= 9; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return bad(err, 0, len, "epoch value out of range");
        v = v * 10 + dig(s, i);
    }
    uint64_t frac = 0;
    if (i < len && s[i] == '.') {
        if (unit_per_s != 1)
            return bad(err, i, len, "a fraction is allowed only for epoch seconds");
        i++;
        int nd = 0;
        for (; i < len && dig(s, i) <= 9; i++, nd++) {
            if (nd == 9)
                return bad(err, i, len, "at most 9 fraction digits");
            frac = frac * 10 + dig(s, i);
        }
        if (nd == 0)
            return bad(err, i, len, "expected fraction digits after '.'");
        for (; nd < 9; nd++)
            frac *= 10;
    }
    if (i != len)
        return bad(err, i, len, "expected a digit or end of input");
    uint64_t mag;
    if (__builtin_mul_overflow(v, mult, &mag) || __builtin_add_overflow(mag, frac, &mag) ||
        mag > (uint64_t)INT64_MAX + (uint64_t)neg)
        return bad(err, 0, len, "epoch value out of the int64 nanosecond range");
    *ts_ns = neg ? (int64_t)(0 - mag) : (int64_t)mag; /* 0 - 2^63 wraps to INT64_MIN, as intended */
    return OTS_OK;
}

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *put_date(char *p, int64_t y, unsigned m, unsigned d)
{
    unsigned uy = (unsigned)y;
    p = put2(p, uy / 100);
    p = put2(p, uy % 100);
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    return put2(p, d);
}

int ots_fmt_ts_format(int64_t ts_ns, const ots_tz *tz, char *buf, size_t cap)
{
    int64_t sub = ts_ns % NS_PER_S, s = ts_ns / NS_PER_S;
    if (sub < 0) {
        sub += NS_PER_S;
        s--;
    }
    /* Offsets print as +hh:mm; a zone offset with seconds (local mean time
     * before ~1900) is truncated to whole minutes and the printed wall time
     * follows it, so the text still names the exact instant. */
    int32_t off = tz ? ots_fmt_tz_offset(tz, s) / 60 * 60 : 0;
    int64_t local = s + off;
    int64_t days = floor_div(local, DAY_S), sod = local - days * DAY_S;
    int64_t y;
    unsigned m, d;
    ots_fmt_civil_from_days(days, &y, &m, &d);
    char tmp[48], *p = tmp;
    p = put_date(p, y, m, d);
    *p++ = 'T';
    p = put2(p, (unsigned)(sod / 3600));
    *p++ = ':';
    p = put2(p, (unsigned)(sod / 60 % 60));
    *p++ = ':';
    p = put2(p, (unsigned)(sod % 60));
    if (sub) {
        char f[9];
        int64_t v = sub;
        for (int k = 8; k >= 0; k--, v /= 10)
            f[k] = (char)('0' + v % 10);
        int nd = 9;
        while (f[nd - 1] == '0')
            nd--;
        *p++ = '.';
        memcpy(p, f, (size_t)nd);
        p += nd;
    }
    if (!tz) {
        *p++ = 'Z';
    } else {
        int32_t a = off < 0 ? -off : off;
        *p++ = off < 0 ? '-' : '+';
        p = put2(p, (unsigned)(a / 3600));
        *p++ = ':';
        p = put2(p, (unsigned)(a / 60 % 60));
    }
    size_t n = (size_t)(p - tmp);
    if (!buf || cap < n + 1)
        return OTS_EINVAL;
    memcpy(buf, tmp, n);
    buf[n] = 0;
    return (int)n;
}

void ots_fmt_day_format(int64_t day, char buf[11])
{
    int64_t y;
    unsigned m, d;
    ots_fmt_civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        memcpy(buf, "xxxx-xx-xx", 11); /* outside years 0000..9999 */
        return;
    }
    put_date(buf, y, m, d);
    buf[10] = 0;
}
