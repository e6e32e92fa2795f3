/*
 * gen_meters.c — the synthetic smart-meter reading generator used by the
 * benchmarks, the demo and the tests.
 *
 *   gen_meters MINUTES [SEED] > meters.csv
 *
 * Its output is byte-for-byte the output of ../shared/tools/gen_meters.c (the
 * generator every benchmark in and outside the project runs on), so results
 * are comparable; tests/e2e/gen_meters.sh checks that.  The stream:
 *
 *   header   ts,city,zone,meter_id,kwh,voltage,status
 *   rows     one per meter per minute, in arrival order (minute, then meter),
 *            starting 2024-03-01 00:00:00 UTC; 10 cities x 20 zones x 50
 *            meters = 10,000 series; meter_id 1..10000 is global.
 *   kwh      per-meter random walk in hundredths, steps -0.05..+0.05,
 *            reflected at zero; starts at 0.50..5.00.
 *   voltage  230.0 plus the sum of four uniform integers in -17..17 tenths.
 *   status   fault (0.5 %), warn (1.5 %), ok.
 *
 * Randomness is splitmix64 (default seed 20261122); a draw below n is
 * (next >> 11) % n, and each row draws, in order: the kWh step, the four
 * voltage terms, the status.  MINUTES=144 is 1.44 M rows (about 73 MB) and
 * an exact prefix of MINUTES=1440 (one day, 14.4 M rows).
 *
 * MINUTES is at most 44640 (the 31 days of March 2024): the timestamps are
 * written as March dates only.  Exit status: 0 done, 1 write error, 2 usage.
 *
 * Speed: every row is assembled from precomputed pieces (timestamp per
 * minute, ",city,zone,meter_id," per series, voltage text per value) with
 * fixed-size copies into one large buffer, written with write(2).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NCITY 10
#define NZONE 20  /* zones per city */
#define NMETER 50 /* meters per zone */
#define NSERIES (NCITY * NZONE * NMETER)
#define MAX_MINUTES (31 * 1440)
#define DEFAULT_SEED 20261122u
#define VOLT_MIN_D10 (2300 - 4 * 17) /* lowest voltage, tenths of a volt */
#define VOLT_SPAN (4 * 34 + 1)       /* distinct voltages */
#define OUT_CAP (1u << 21)           /* output buffer, bytes */
#define ROW_MAX 128                  /* longest row plus copy overrun, bytes */

static const char *const city_names[NCITY] = {
    "amsterdam", "berlin", "copenhagen", "dublin", "helsinki", "lisbon", "madrid", "oslo", "prague", "vienna",
};

/* Status text, each followed by its newline; index 0 fault, 1 warn, 2 ok. */
static const char status_text[3][8] = {"fault\n", "warn\n", "ok\n"};
static const uint8_t status_len[3] = {6, 5, 3};

/* ",city,zNN,meter_id," for one series; copied 32 bytes at a time. */
typedef struct series_text {
    char s[32];
    uint8_t len; /* bytes used, <= 23 */
} series_text;

static series_text series[NSERIES];
static int32_t kwh_centi[NSERIES];   /* current reading, hundredths of kWh, >= 0 */
static char volt_text[VOLT_SPAN][8]; /* "NNN.N," for VOLT_MIN_D10 + i */
static char digits2[100][2];         /* "00".."99" */
static char out[OUT_CAP + ROW_MAX];

static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A draw in [0, n), as the shared generator makes it. */
static inline uint32_t rng_below(uint64_t *state, uint32_t n) { return (uint32_t)((rng_next(state) >> 11) % n); }

/* Decimal digits of v, no padding; returns the end. */
static char *put_dec(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static void tables_init(void)
{
    for (int i = 0; i < 100; i++) {
        digits2[i][0] = (char)('0' + i / 10);
        digits2[i][1] = (char)('0' + i % 10);
    }
    for (int i = 0; i < VOLT_SPAN; i++) {
        uint32_t v = (uint32_t)(VOLT_MIN_D10 + i);
        char *p = put_dec(volt_text[i], v / 10);
        *p++ = '.';
        *p++ = (char)('0' + v % 10);
        *p = ',';
    }
    for (int s = 0; s < NSERIES; s++) {
        int city = s / (NZONE * NMETER), zone = (s / NMETER) % NZONE;
        char *p = series[s].s;
        size_t cl = strlen(city_names[city]);
        *p++ = ',';
        memcpy(p, city_names[city], cl);
        p += cl;
        *p++ = ',';
        *p++ = 'z';
        memcpy(p, digits2[zone + 1], 2);
        p += 2;
        *p++ = ',';
        p = put_dec(p, (uint32_t)s + 1);
        *p++ = ',';
        series[s].len = (uint8_t)(p - series[s].s);
    }
}

/* Write all n bytes to fd 1; 0 on success, -1 (errno set) on failure. */
static int write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* "2024-03-DD HH:MM:SS," for minute m of March 2024 (m < MAX_MINUTES). */
static void minute_text(int m, char ts[32])
{
    memcpy(ts, "2024-03-", 8);
    memcpy(ts + 8, digits2[1 + m / 1440], 2);
    ts[10] = ' ';
    memcpy(ts + 11, digits2[(m % 1440) / 60], 2);
    ts[13] = ':';
    memcpy(ts + 14, digits2[m % 60], 2);
    memcpy(ts + 16, ":00", 3);
    memset(ts + 19, 0, 13);
}

/* Emit rows for `minutes` minutes; 0 on success, -1 on a write error. */
static int generate(int minutes, uint64_t seed)
{
    static const char header[] = "ts,city,zone,meter_id,kwh,voltage,status\n";
    uint64_t rng = seed;
    char *p = out, *const flush_at = out + OUT_CAP;

    for (int s = 0; s < NSERIES; s++)
        kwh_centi[s] = 50 + (int32_t)rng_below(&rng, 451);
    memcpy(p, header, sizeof header - 1);
    p += sizeof header - 1;

    for (int m = 0; m < minutes; m++) {
        char ts[32];
        minute_text(m, ts);
        for (int s = 0; s < NSERIES; s++) {
            int32_t kwh = kwh_centi[s] + (int32_t)rng_below(&rng, 11) - 5;
            if (kwh < 0)
                kwh = -kwh;
            kwh_centi[s] = kwh;
            int dv = 0;
            for (int k = 0; k < 4; k++)
                dv += (int)rng_below(&rng, 35);
            uint32_t r = rng_below(&rng, 1000);
            int st = r < 5 ? 0 : (r < 20 ? 1 : 2);

            memcpy(p, ts, 32); /* 19 used; the rest is overwritten */
            p += 19;
            memcpy(p, series[s].s, 32);
            p += series[s].len;
            if (kwh < 1000) {
                *p = (char)('0' + kwh / 100);
                p += 1;
            } else {
                p = put_dec(p, (uint32_t)kwh / 100);
            }
            *p++ = '.';
            memcpy(p, digits2[kwh % 100], 2);
            p += 2;
            *p++ = ',';
            /* dv is the sum of four draws in 0..34, so 2300 - 68 + dv */
            memcpy(p, volt_text[dv], 8);
            p += 6;
            memcpy(p, status_text[st], 8);
            p += status_len[st];
            if (p >= flush_at) {
                if (write_all(out, (size_t)(p - out)) < 0)
                    return -1;
                p = out;
            }
        }
    }
    return write_all(out, (size_t)(p - out));
}

/* Parse a decimal number of digits only, at most max; 0 on success. */
static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    uint64_t r = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (r > (max - d) / 10)
            return -1;
        r = r * 10 + d;
    }
    *v = r;
    return 0;
}

static int usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s MINUTES [SEED] > meters.csv\n"
            "  MINUTES  0..%d minutes of readings from 2024-03-01 00:00 UTC\n"
            "           (10,000 meters, one row each per minute)\n"
            "  SEED     0..18446744073709551615, default %u\n",
            prog, MAX_MINUTES, DEFAULT_SEED);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : "gen_meters";
    uint64_t minutes, seed = DEFAULT_SEED;

    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
        return usage(stdout, prog);
    if (argc < 2 || argc > 3)
        return usage(stderr, prog);
    if (parse_u64(argv[1], MAX_MINUTES, &minutes) < 0) {
        fprintf(stderr, "%s: MINUTES must be an integer in 0..%d, not '%s'\n", prog, MAX_MINUTES, argv[1]);
        return 2;
    }
    if (argc == 3 && parse_u64(argv[2], UINT64_MAX, &seed) < 0) {
        fprintf(stderr, "%s: SEED must be an unsigned 64-bit decimal integer, not '%s'\n", prog, argv[2]);
        return 2;
    }
    tables_init();
    if (generate((int)minutes, seed) < 0) {
        fprintf(stderr, "%s: write to stdout: %s\n", prog, strerror(errno));
        return 1;
    }
    return 0;
}
