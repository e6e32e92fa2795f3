/*
 * tz.c — time zones from the system tz database.
 *
 * Implements the "time zones" section of formats.h:
 *   - a reader for TZif files, versions 1 to 4 (RFC 8536; version 4 from
 *     RFC 9636 has the same layout), using the 64-bit body when present;
 *   - the POSIX TZ string of the v2+ footer (RFC 8536 section 3.3, with the
 *     section 3.3.1 extensions: rule times from -167 to 167 hours), which
 *     governs instants past the last transition in the file;
 *   - UTC offsets at an instant, local wall time to UTC, the local calendar
 *     day of an instant and the UTC window of a local day;
 *   - the proleptic Gregorian civil-date conversions (Howard Hinnant's
 *     days_from_civil / civil_from_days algorithms).
 *
 * TZif bytes are untrusted: every count, index and offset is checked against
 * the file length, and a refusal is OTS_ECORRUPT with the byte offset.
 *
 * Representation.  A loaded zone is a table of UTC transition instants at[]
 * (strictly ascending) and the offsets off[] in force between them; off[0]
 * applies before at[0] (time type 0, RFC 8536 section 3.2).  When the
 * footer has a daylight-saving rule, its transitions are generated into the
 * table up to GEN_END_YEAR, so every instant an int64 nanosecond timestamp
 * can hold is answered by one binary search; past that (and in the rare
 * case of a file whose transitions stop before 1900) the rule is evaluated
 * directly.  A loaded ots_tz is immutable except for a one-word lookup hint
 * (a relaxed atomic), so one ots_tz may be used from several threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/formats.h"

#define DAY_S 86400
/* Every offset accepted (TZif types and footer offsets) is well inside
 * (-MAXOFF, MAXOFF); the local-time walks below rely on it. */
#define MAXOFF (2 * DAY_S)
/* Footer transitions are pre-computed into the table through this year. */
#define GEN_FIRST_YEAR 1900
#define GEN_END_YEAR 2270
/* Instants beyond +-TIME_LIMIT are clamped (transitions there are dropped);
 * RFC 8536 uses -2^59 as the "big bang" time. */
#define TIME_LIMIT ((int64_t)1 << 60)
/* Local times handed to the walks are clamped to +-LOCAL_LIMIT. */
#define LOCAL_LIMIT ((int64_t)1 << 59)
#define MAX_FILE_BYTES (8u << 20)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- civil dates (Howard Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"), valid for |y| <= 2^50 and |days| <= 2^55 (inputs beyond are
 * clamped so nothing overflows). ------------------------------------------------ */
int64_t ots_fmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y = clamp64(y, -((int64_t)1 << 50), (int64_t)1 << 50);
    int64_t mm = m, dd = d;
    y -= mm <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                       /* [0, 399] */
    int64_t doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + dd - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void ots_fmt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = clamp64(days, -((int64_t)1 << 55), (int64_t)1 << 55) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + is_leap(y) : dim[m - 1];
}

static int64_t year_of(int64_t t)
{
    int64_t y;
    unsigned m, d;
    ots_fmt_civil_from_days(floor_div(clamp64(t, -TIME_LIMIT, TIME_LIMIT), DAY_S), &y, &m, &d);
    return y;
}

/* ---- POSIX TZ strings (RFC 8536 section 3.3) -------------------------------------- */
enum { RULE_J = 1, RULE_N = 2, RULE_M = 3 };

typedef struct tz_rule {
    int kind;       /* RULE_J: Jn, n in 1..365, Feb 29 never counted;
                       RULE_N: n, 0..365 zero-based, Feb 29 counted;
                       RULE_M: Mm.w.d */
    int day;        /* J/N: the day number; M: weekday 0 (Sunday)..6 */
    int week;       /* M: 1..5 (5 = last) */
    int month;      /* M: 1..12 */
    int32_t time_s; /* local wall time of the change, -167h..167h */
} tz_rule;

typedef struct tz_posix {
    int32_t std_off; /* seconds east of UTC */
    int32_t dst_off; /* seconds east of UTC while daylight saving is in effect */
    int has_dst;     /* 1: a DST name was given (and so a rule) */
    tz_rule start;   /* change to DST, in standard time */
    tz_rule end;     /* change back, in daylight time */
} tz_posix;

typedef struct tzs {
    const char *s;
    size_t n, i;
    const char *why; /* what was expected, on failure */
} tzs;

static int tzs_digit(const tzs *p) { return p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9'; }

/* up to maxd digits, at least one; value <= max */
static int tzs_num(tzs *p, int maxd, long max, long *out)
{
    long v = 0;
    int nd = 0;
    while (tzs_digit(p) && nd < maxd) {
        v = v * 10 + (p->s[p->i++] - '0');
        nd++;
    }
    if (nd == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

static int tzs_name(tzs *p)
{
    size_t start = p->i;
    if (p->i < p->n && p->s[p->i] == '<') {
        p->i++;
        start = p->i;
        while (p->i < p->n) {
            char c = p->s[p->i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-'))
                break;
            p->i++;
        }
        if (p->i - start < 3 || p->i >= p->n || p->s[p->i] != '>') {
            p->why = "a quoted zone name <...> of 3 or more characters";
            return -1;
        }
        p->i++;
        return 0;
    }
    while (p->i < p->n && ((p->s[p->i] >= 'A' && p->s[p->i] <= 'Z') || (p->s[p->i] >= 'a' && p->s[p->i] <= 'z')))
        p->i++;
    if (p->i - start < 3) {
        p->i = start;
        p->why = "a zone name of 3 or more letters";
        return -1;
    }
    return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h; the sign is kept in *out */
static int tzs_hms(tzs *p, long max_h, int32_t *out)
{
    int neg = 0;
    long h, m = 0, s = 0;
    if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
        neg = p->s[p->i++] == '-';
    if (tzs_num(p, 3, max_h, &h) < 0)
        goto bad;
    if (p->i < p->n && p->s[p->i] == ':') {
        p->i++;
        if (tzs_num(p, 2, 59, &m) < 0)
            goto bad;
        if (p->i < p->n && p->s[p->i] == ':') {
            p->i++;
            if (tzs_num(p, 2, 59, &s) < 0)
                goto bad;
        }
    }
    *out = (int32_t)((h * 3600 + m * 60 + s) * (neg ? -1 : 1));
    return 0;
bad:
    p->why = "a time [+-]hh[:mm[:ss]] in range";
    return -1;
}

static int tzs_rule(tzs *p, tz_rule *r)
{
    long v, w, d;
    r->time_s = 2 * 3600;
    if (p->i < p->n && p->s[p->i] == 'J') {
        p->i++;
        if (tzs_num(p, 3, 365, &v) < 0 || v < 1)
            goto bad;
        r->kind = RULE_J;
        r->day = (int)v;
    } else if (p->i < p->n && p->s[p->i] == 'M') {
        p->i++;
        if (tzs_num(p, 2, 12, &v) < 0 || v < 1)
            goto bad;
        if (p->i >= p->n || p->s[p->i++] != '.' || tzs_num(p, 1, 5, &w) < 0 || w < 1)
            goto bad;
        if (p->i >= p->n || p->s[p->i++] != '.' || tzs_num(p, 1, 6, &d) < 0)
            goto bad;
        r->kind = RULE_M;
        r->month = (int)v;
        r->week = (int)w;
        r->day = (int)d;
    } else {
        if (tzs_num(p, 3, 365, &v) < 0)
            goto bad;
        r->kind = RULE_N;
        r->day = (int)v;
    }
    if (p->i < p->n && p->s[p->i] == '/') {
        p->i++;
        if (tzs_hms(p, 167, &r->time_s) < 0)
            return -1;
    }
    return 0;
bad:
    p->why = "a rule date Jn, n or Mm.w.d";
    return -1;
}

/* Parse a TZ string; on failure *bad is the byte offset in s. */
static int posix_parse(const char *s, size_t n, tz_posix *out, size_t *bad, const char **why)
{
    tzs p = {s, n, 0, NULL};
    int32_t v;
    memset(out, 0, sizeof *out);
    if (tzs_name(&p) < 0)
        goto fail;
    if (tzs_hms(&p, 24, &v) < 0)
        goto fail;
    out->std_off = -v; /* POSIX offsets count hours west */
    out->dst_off = out->std_off;
    if (p.i == n)
        return 0;
    if (tzs_name(&p) < 0)
        goto fail;
    out->has_dst = 1;
    out->dst_off = out->std_off + 3600;
    if (p.i < n && p.s[p.i] != ',') {
        if (tzs_hms(&p, 24, &v) < 0)
            goto fail;
        out->dst_off = -v;
    }
    if (p.i == n) {
        /* no rule: the traditional default (tzcode, glibc) "M3.2.0,M11.1.0" */
        out->start = (tz_rule){RULE_M, 0, 2, 3, 7200};
        out->end = (tz_rule){RULE_M, 0, 1, 11, 7200};
        return 0;
    }
    if (p.s[p.i] != ',') {
        p.why = "',' and a rule";
        goto fail;
    }
    p.i++;
    if (tzs_rule(&p, &out->start) < 0)
        goto fail;
    if (p.i >= n || p.s[p.i] != ',') {
        p.why = "',' and the end rule";
        goto fail;
    }
    p.i++;
    if (tzs_rule(&p, &out->end) < 0)
        goto fail;
    if (p.i != n) {
        p.why = "end of the TZ string";
        goto fail;
    }
    return 0;
fail:
    *bad = p.i;
    *why = p.why ? p.why : "a valid TZ string";
    return -1;
}

/* Days since the epoch of the rule's date in year y. */
static int64_t rule_day(const tz_rule *r, int64_t y)
{
    int64_t jan1 = ots_fmt_days_from_civil(y, 1, 1);
    if (r->kind == RULE_J)
        return jan1 + r->day - 1 + (is_leap(y) && r->day >= 60);
    if (r->kind == RULE_N)
        return jan1 + r->day;
    int64_t first = ots_fmt_days_from_civil(y, (unsigned)r->month, 1);
    int64_t wd = floor_div(first + 4, 7); /* 1970-01-01 was a Thursday (4) */
    wd = first + 4 - wd * 7;
    int64_t d = first + (r->day - wd + 7) % 7 + 7 * (r->week - 1);
    int64_t lim = first + days_in_month(y, r->month);
    while (d >= lim)
        d -= 7;
    return d;
}

typedef struct rtrans {
    int64_t at;   /* UTC instant */
    int64_t year; /* the rule year it belongs to (orders coincident changes) */
    int to_dst;   /* 1: start of DST, 0: end */
} rtrans;

static void rule_year(const tz_posix *r, int64_t y, rtrans out[2])
{
    out[0] = (rtrans){rule_day(&r->start, y) * DAY_S + r->start.time_s - r->std_off, y, 1};
    out[1] = (rtrans){rule_day(&r->end, y) * DAY_S + r->end.time_s - r->dst_off, y, 0};
}

static int rtrans_before(const rtrans *a, const rtrans *b)
{
    if (a->at != b->at)
        return a->at < b->at;
    if (a->year != b->year)
        return a->year < b->year;
    return a->to_dst > b->to_dst; /* within a year, start before end */
}

/* Insertion sort (inputs are nearly sorted), then collapse: of changes at
 * the same instant the last wins, and changes to the state already in force
 * are dropped (a DST that starts as it ends cancels).  Returns the count. */
static size_t rtrans_normalise(rtrans *t, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        rtrans x = t[i];
        size_t j = i;
        while (j > 0 && rtrans_before(&x, &t[j - 1])) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && t[i + 1].at == t[i].at)
            continue;
        if (m > 0 && t[m - 1].to_dst == t[i].to_dst)
            continue;
        t[m++] = t[i];
    }
    return m;
}

/* One stretch of constant offset: [start, end). */
typedef struct tz_seg {
    int64_t start;
    int64_t end;
    int32_t off;
} tz_seg;

/* The footer rule's segment containing t (t within +-TIME_LIMIT). */
static void rule_seg(const tz_posix *r, int64_t t, tz_seg *sg)
{
    rtrans tr[10];
    int64_t y = year_of(t);
    for (int i = 0; i < 5; i++)
        rule_year(r, y - 2 + i, &tr[2 * i]);
    size_t m = rtrans_normalise(tr, 10);
    if (m == 0) {
        *sg = (tz_seg){INT64_MIN, INT64_MAX, r->std_off};
        return;
    }
    size_t j = 0;
    while (j < m && tr[j].at <= t)
        j++;
    if (j == 0) {
        *sg = (tz_seg){INT64_MIN, tr[0].at, tr[0].to_dst ? r->std_off : r->dst_off};
        return;
    }
    sg->start = tr[j - 1].at;
    sg->end = j < m ? tr[j].at : INT64_MAX;
    sg->off = tr[j - 1].to_dst ? r->dst_off : r->std_off;
}

/* ---- the zone ------------------------------------------------------------------------ */
struct ots_tz {
    char *name;            /* as loaded; "UTC" for UTC */
    size_t n;              /* transitions in at[] (file + generated), < UINT32_MAX */
    size_t nfile;          /* of which from the file (the first nfile) */
    int64_t *at;           /* n UTC instants, strictly ascending, within +-TIME_LIMIT */
    int32_t *off;          /* n + 1 offsets east of UTC (s): off[k] holds on [at[k-1], at[k]) */
    int has_rule;          /* the footer has a DST rule */
    int rule_at_nfile;     /* the rule (not off[nfile]) governs [at[nfile-1], at[nfile]):
                               the file has no transitions, or they stop before GEN_FIRST_YEAR */
    int64_t rule_from_s;   /* with has_rule: instants >= this past at[n-1] use the rule */
    tz_posix rule;         /* the footer */
    _Atomic uint32_t hint; /* last interval index k found by a lookup (any thread) */
};

/* Number of at[] <= t, i.e. the index k of the interval holding t.  The hint
 * makes runs of nearby lookups O(1); it is only a guess, checked each time. */
static size_t find_k(const ots_tz *tz, int64_t t)
{
    ots_tz *mut = (ots_tz *)tz; /* the hint is the one mutable word, atomic */
    size_t k = atomic_load_explicit(&mut->hint, memory_order_relaxed);
    size_t n = tz->n;
    if (k <= n && (k == 0 || tz->at[k - 1] <= t) && (k == n || t < tz->at[k]))
        return k;
    if (n == 0)
        return 0;
    /* branch-free upper bound: the answer stays in [lo, lo + len] */
    const int64_t *at = tz->at;
    size_t lo = 0, len = n;
    while (len > 1) {
        size_t half = len / 2;
        lo = at[lo + half - 1] <= t ? lo + half : lo;
        len -= half;
    }
    lo += at[lo] <= t;
    atomic_store_explicit(&mut->hint, (uint32_t)lo, memory_order_relaxed);
    return lo;
}

static int use_rule(const ots_tz *tz, size_t k, int64_t t)
{
    return tz->has_rule && ((k == tz->n && t >= tz->rule_from_s) || (tz->rule_at_nfile && k == tz->nfile));
}

/* The segment of constant offset containing t.  Segments may be split at
 * points where the offset does not change; callers do not mind. */
static void find_seg(const ots_tz *tz, int64_t t, tz_seg *sg)
{
    size_t k = find_k(tz, t);
    int64_t lo = k ? tz->at[k - 1] : INT64_MIN;
    int64_t hi = k < tz->n ? tz->at[k] : INT64_MAX;
    if (use_rule(tz, k, t)) {
        rule_seg(&tz->rule, clamp64(t, -TIME_LIMIT, TIME_LIMIT), sg);
        if (sg->end <= t) /* t beyond TIME_LIMIT: the segment runs to the end */
            sg->end = INT64_MAX;
        if (sg->start > t)
            sg->start = INT64_MIN;
        if (sg->start < lo)
            sg->start = lo;
        if (sg->end > hi)
            sg->end = hi;
        return;
    }
    sg->start = lo;
    sg->end = hi;
    sg->off = tz->off[k];
    if (tz->has_rule && k == tz->n) /* the rule takes over at rule_from_s */
        sg->end = tz->rule_from_s;
}

int32_t ots_fmt_tz_offset(const ots_tz *tz, int64_t utc_s)
{
    if (!tz)
        return 0;
    size_t k = find_k(tz, utc_s);
    if (tz->has_rule && use_rule(tz, k, utc_s)) {
        tz_seg sg;
        rule_seg(&tz->rule, clamp64(utc_s, -TIME_LIMIT, TIME_LIMIT), &sg);
        return sg.off;
    }
    return tz->off[k];
}

/* The smallest instant u with u + offset(u) >= local: the instant of a wall
 * time, the end of a gap for a time inside one, the earlier instant of an
 * ambiguous time.  Monotonic in local. */
int64_t ots_fmt_tz_local_to_utc(const ots_tz *tz, int64_t local_s)
{
    if (!tz)
        return local_s;
    int64_t L = clamp64(local_s, -LOCAL_LIMIT, LOCAL_LIMIT);
    /* Fast path: the interval of the last lookup, if L maps into it well
     * after its start (then no earlier interval can reach L either). */
    size_t k = atomic_load_explicit(&((ots_tz *)tz)->hint, memory_order_relaxed);
    if (k <= tz->n && !(tz->has_rule && (k == tz->n || (tz->rule_at_nfile && k == tz->nfile)))) {
        int64_t u = L - tz->off[k];
        if ((k == 0 || u - 2 * MAXOFF >= tz->at[k - 1]) && (k == tz->n || u < tz->at[k]))
            return u;
    }
    tz_seg sg;
    find_seg(tz, L - MAXOFF, &sg);
    for (;;) {
        int64_t u = L - sg.off;
        if (u < sg.start)
            return sg.start; /* L fell in the gap before this segment */
        if (u < sg.end || sg.end == INT64_MAX)
            return u;
        int64_t next = sg.end;
        find_seg(tz, next, &sg);
        if (sg.end <= next) /* cannot happen; never loop */
            return u;
    }
}

static int64_t sat_ns(int64_t s)
{
    if (s > INT64_MAX / 1000000000)
        return INT64_MAX;
    if (s < INT64_MIN / 1000000000)
        return INT64_MIN;
    return s * 1000000000;
}

void ots_fmt_tz_day_bounds(const ots_tz *tz, int64_t day, int64_t *start_ns, int64_t *end_ns)
{
    day = clamp64(day, -(LOCAL_LIMIT / DAY_S) + 2, LOCAL_LIMIT / DAY_S - 2);
    if (start_ns)
        *start_ns = sat_ns(ots_fmt_tz_local_to_utc(tz, day * DAY_S));
    if (end_ns)
        *end_ns = sat_ns(ots_fmt_tz_local_to_utc(tz, (day + 1) * DAY_S));
}

int64_t ots_fmt_tz_day(const ots_tz *tz, int64_t ts_ns, int64_t *start_ns, int64_t *end_ns)
{
    int64_t s = floor_div(ts_ns, 1000000000);
    if (!tz) {
        int64_t day = floor_div(s, DAY_S);
        if (start_ns)
            *start_ns = sat_ns(day * DAY_S);
        if (end_ns)
            *end_ns = sat_ns((day + 1) * DAY_S);
        return day;
    }
    tz_seg sg;
    find_seg(tz, s, &sg);
    int64_t day = floor_div(s + sg.off, DAY_S);
    int64_t st = day * DAY_S - sg.off;
    /* Fast path: the whole local day, with two offsets' worth of margin
     * before it, lies in one segment, so its bounds are plain arithmetic. */
    if (sg.start != INT64_MIN ? st - 2 * MAXOFF >= sg.start : 1) {
        if (st + DAY_S < sg.end) {
            if (start_ns)
                *start_ns = sat_ns(st);
            if (end_ns)
                *end_ns = sat_ns(st + DAY_S);
            return day;
        }
    }
    /* Near a transition: the day is the one whose [start, end) holds s
     * (local dates can run backwards across midnight in odd zones, so
     * the local date of s alone is not enough). */
    for (int i = 0; i < 4 && ots_fmt_tz_local_to_utc(tz, day * DAY_S) > s; i++)
        day--;
    for (int i = 0; i < 4 && ots_fmt_tz_local_to_utc(tz, (day + 1) * DAY_S) <= s; i++)
        day++;
    ots_fmt_tz_day_bounds(tz, day, start_ns, end_ns);
    return day;
}

const char *ots_fmt_tz_name(const ots_tz *tz) { return tz ? tz->name : "UTC"; }

void ots_fmt_tz_free(ots_tz *tz)
{
    if (!tz)
        return;
    ots_free(tz->name);
    ots_free(tz->at);
    ots_free(tz->off);
    ots_free(tz);
}

/* ---- TZif reader (RFC 8536 section 3) --------------------------------------------- */
__attribute__((format(printf, 3, 4))) static int corrupt(ots_fmt_err *err, uint64_t off, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->offset = off;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return OTS_ECORRUPT;
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static uint64_t be64(const uint8_t *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }

typedef struct tzif_hdr {
    uint8_t version; /* 0, '2', '3' or '4' */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_hdr;

#define TZIF_HDR_BYTES 44

static int read_hdr(const uint8_t *b, size_t len, size_t at, tzif_hdr *h, ots_fmt_err *err)
{
    if (len < at || len - at < TZIF_HDR_BYTES)
        return corrupt(err, at, "truncated TZif header (need 44 bytes)");
    if (memcmp(b + at, "TZif", 4) != 0)
        return corrupt(err, at, "expected TZif magic");
    h->version = b[at + 4];
    if (h->version != 0 && h->version != '2' && h->version != '3' && h->version != '4')
        return corrupt(err, at + 4, "unsupported TZif version byte 0x%02x", h->version);
    const uint8_t *c = b + at + 20;
    h->isutcnt = be32(c);
    h->isstdcnt = be32(c + 4);
    h->leapcnt = be32(c + 8);
    h->timecnt = be32(c + 12);
    h->typecnt = be32(c + 16);
    h->charcnt = be32(c + 20);
    if (h->typecnt == 0)
        return corrupt(err, at + 36, "typecnt is zero");
    if (h->charcnt == 0)
        return corrupt(err, at + 40, "charcnt is zero");
    if (h->isutcnt != 0 && h->isutcnt != h->typecnt)
        return corrupt(err, at + 20, "isutcnt %u is neither 0 nor typecnt %u", h->isutcnt, h->typecnt);
    if (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)
        return corrupt(err, at + 24, "isstdcnt %u is neither 0 nor typecnt %u", h->isstdcnt, h->typecnt);
    return OTS_OK;
}

static uint64_t block_bytes(const tzif_hdr *h, unsigned tsize)
{
    return (uint64_t)h->timecnt * tsize + h->timecnt + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

static ots_tz *tz_alloc(const char *name)
{
    ots_tz *tz = ots_calloc(1, sizeof *tz);
    if (!tz)
        return NULL;
    tz->name = ots_strdup(name ? name : "");
    if (!tz->name) {
        ots_free(tz);
        return NULL;
    }
    atomic_init(&tz->hint, 0);
    return tz;
}

/* Append the footer rule's transitions after the file's, through
 * GEN_END_YEAR (the table has room for them). */
static int generate(ots_tz *tz)
{
    int64_t y0 = tz->nfile ? year_of(tz->at[tz->nfile - 1]) : GEN_FIRST_YEAR;
    if (y0 < GEN_FIRST_YEAR) {
        y0 = GEN_FIRST_YEAR;
        tz->rule_at_nfile = 1;
    }
    if (tz->nfile == 0)
        tz->rule_at_nfile = 1;
    tz->rule_from_s = ots_fmt_days_from_civil(GEN_END_YEAR, 7, 1) * DAY_S;
    if (y0 > GEN_END_YEAR)
        return OTS_OK;
    size_t cnt = (size_t)(GEN_END_YEAR - y0 + 1) * 2;
    rtrans *tr = ots_malloc(cnt * sizeof *tr);
    if (!tr)
        return OTS_ENOMEM;
    for (int64_t y = y0; y <= GEN_END_YEAR; y++)
        rule_year(&tz->rule, y, &tr[(y - y0) * 2]);
    size_t m = rtrans_normalise(tr, cnt);
    int64_t last = tz->nfile ? tz->at[tz->nfile - 1] : INT64_MIN;
    int64_t cur = tz->rule_at_nfile ? INT64_MIN : tz->off[tz->nfile];
    size_t n = tz->nfile;
    for (size_t i = 0; i < m; i++) {
        int32_t o = tr[i].to_dst ? tz->rule.dst_off : tz->rule.std_off;
        if (tr[i].at <= last || o == cur)
            continue;
        tz->at[n] = tr[i].at;
        tz->off[n + 1] = o;
        cur = o;
        n++;
    }
    tz->n = n;
    ots_free(tr);
    return OTS_OK;
}

int ots_fmt_tz_parse(const char *name, const uint8_t *buf, size_t len, ots_tz **out, ots_fmt_err *err)
{
    int rc;
    tzif_hdr h1, h;
    *out = NULL;
    if (!buf)
        return corrupt(err, 0, "no TZif bytes");
    if ((rc = read_hdr(buf, len, 0, &h1, err)) < 0)
        return rc;
    size_t at = TZIF_HDR_BYTES;
    uint64_t b1 = block_bytes(&h1, 4);
    if (b1 > len - at)
        return corrupt(err, len, "truncated v1 data block (need %llu bytes at offset 44)", (unsigned long long)b1);
    unsigned tsize = 4;
    h = h1;
    if (h1.version >= '2') {
        at += (size_t)b1;
        if ((rc = read_hdr(buf, len, at, &h, err)) < 0)
            return rc;
        if (h.version < '2')
            return corrupt(err, at + 4, "second header has version 1");
        at += TZIF_HDR_BYTES;
        tsize = 8;
        uint64_t b2 = block_bytes(&h, 8);
        if (b2 > len - at)
            return corrupt(err, len, "truncated v2 data block (need %llu bytes at offset %zu)", (unsigned long long)b2,
                           at);
    }
    const uint8_t *times = buf + at;
    const uint8_t *idx = times + (size_t)h.timecnt * tsize;
    const uint8_t *types = idx + h.timecnt;
    size_t types_at = at + (size_t)h.timecnt * (tsize + 1);
    size_t end_at = at + (size_t)block_bytes(&h, tsize);

    /* types */
    for (uint32_t i = 0; i < h.typecnt; i++) {
        const uint8_t *t = types + 6 * (size_t)i;
        int32_t utoff = (int32_t)be32(t);
        if (utoff < -89999 || utoff > 93599)
            return corrupt(err, types_at + 6 * (size_t)i, "UT offset %d of type %u out of range", utoff, i);
        if (t[4] > 1)
            return corrupt(err, types_at + 6 * (size_t)i + 4, "isdst of type %u is not 0 or 1", i);
        if (t[5] >= h.charcnt)
            return corrupt(err, types_at + 6 * (size_t)i + 5, "designation index of type %u past charcnt", i);
    }
    /* transitions */
    for (uint32_t i = 0; i < h.timecnt; i++) {
        if (idx[i] >= h.typecnt)
            return corrupt(err, at + (size_t)h.timecnt * tsize + i, "transition %u names type %u of %u", i, idx[i],
                           h.typecnt);
    }
    ots_tz *tz = tz_alloc(name);
    if (!tz)
        return OTS_ENOMEM;
    tz_posix rule;
    memset(&rule, 0, sizeof rule);
    if (tsize == 8) {
        /* footer: '\n' TZ-string '\n' */
        if (end_at >= len || buf[end_at] != '\n') {
            rc = corrupt(err, end_at, "expected newline before the TZ string footer");
            goto out_free;
        }
        const uint8_t *fs = buf + end_at + 1;
        const uint8_t *nl = memchr(fs, '\n', len - end_at - 1);
        if (!nl) {
            rc = corrupt(err, len, "unterminated TZ string footer");
            goto out_free;
        }
        size_t flen = (size_t)(nl - fs), bad = 0;
        const char *why = NULL;
        if (flen > 0 && posix_parse((const char *)fs, flen, &rule, &bad, &why) < 0) {
            rc = corrupt(err, end_at + 1 + bad, "bad TZ string footer: expected %s", why);
            goto out_free;
        }
    }
    size_t gen_cap = rule.has_dst ? (size_t)(GEN_END_YEAR - GEN_FIRST_YEAR + 1) * 2 : 0;
    tz->at = ots_malloc(((size_t)h.timecnt + gen_cap) * sizeof *tz->at);
    tz->off = ots_malloc(((size_t)h.timecnt + gen_cap + 1) * sizeof *tz->off);
    if (!tz->at || !tz->off) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    tz->off[0] = (int32_t)be32(types);
    size_t n = 0;
    int64_t prev = 0;
    for (uint32_t i = 0; i < h.timecnt; i++) {
        const uint8_t *p = times + (size_t)i * tsize;
        int64_t t = tsize == 8 ? (int64_t)be64(p) : (int64_t)(int32_t)be32(p);
        int32_t o = (int32_t)be32(types + 6 * (size_t)idx[i]);
        if (i > 0 && t <= prev) {
            rc = corrupt(err, at + (size_t)i * tsize, "transition %u not after the one before", i);
            goto out_free;
        }
        prev = t;
        if (t < -TIME_LIMIT) { /* before the big bang: only its type matters */
            tz->off[0] = o;
            continue;
        }
        if (t > TIME_LIMIT)
            continue;
        tz->at[n] = t;
        tz->off[n + 1] = o;
        n++;
    }
    tz->n = tz->nfile = n;
    if (rule.has_dst) {
        tz->rule = rule;
        tz->has_rule = 1;
        if ((rc = generate(tz)) < 0)
            goto out_free;
    }
    *out = tz;
    return OTS_OK;
out_free:
    ots_fmt_tz_free(tz);
    return rc;
}

static int is_utc_name(const char *name)
{
    return !name || !*name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
}

static int tz_utc(ots_tz **out)
{
    ots_tz *tz = tz_alloc("UTC");
    if (!tz)
        return OTS_ENOMEM;
    tz->off = ots_malloc(sizeof *tz->off);
    if (!tz->off) {
        ots_fmt_tz_free(tz);
        return OTS_ENOMEM;
    }
    tz->off[0] = 0;
    *out = tz;
    return OTS_OK;
}

__attribute__((format(printf, 3, 4))) static int tz_fail(ots_fmt_err *err, int rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->offset = 0;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int ots_fmt_tz_load(const char *name, ots_tz **out, ots_fmt_err *err)
{
    *out = NULL;
    if (is_utc_name(name))
        return tz_utc(out);
    if (name[0] == '/' || strstr(name, ".."))
        return tz_fail(err, OTS_ENOTFOUND, "invalid time zone name '%.100s'", name);
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return tz_fail(err, OTS_ENOTFOUND, "time zone name too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tz_fail(err, OTS_ENOTFOUND, "unknown time zone '%.100s': %s", name, strerror(errno));
    int rc;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = tz_fail(err, OTS_ENOTFOUND, "unknown time zone '%.100s': not a zone file", name);
        goto out_close;
    }
    if (st.st_size > (off_t)MAX_FILE_BYTES) {
        rc = corrupt(err, 0, "%.100s: zone file larger than %u bytes", path, MAX_FILE_BYTES);
        goto out_close;
    }
    size_t len = (size_t)st.st_size, got = 0;
    uint8_t *buf = ots_malloc(len ? len : 1);
    if (!buf) {
        rc = OTS_ENOMEM;
        goto out_close;
    }
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = tz_fail(err, OTS_EIO, "%.100s: read: %s", path, strerror(errno));
            goto out_buf;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    rc = ots_fmt_tz_parse(name, buf, got, out, err);
out_buf:
    ots_free(buf);
out_close:
    close(fd);
    return rc;
}
