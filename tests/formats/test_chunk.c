/*
 * test_chunk.c — column chunk codecs (formats/chunk.c, enc_*.c;
 * docs/formats/chunk.md): round trips of every encoding on edge values,
 * random data, meter-like data (encoding chosen, size within target),
 * corrupt and truncated input, allocation failures, and the golden files in
 * tests/golden/chunks/ (old formats keep decoding).
 *
 * OTS_GOLDEN_REGEN=1 rewrites the golden files instead of checking them (do
 * that only together with a format version bump: new files get a new
 * prefix, old ones stay).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "tests/testutil.h"

int run_chunk_tests(void);

/* ---- helpers ------------------------------------------------------------------------------ */
static uint64_t rng_state = 1;
static void rng_seed(uint64_t s) { rng_state = s; }
static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rnd(uint32_t n) { return (uint32_t)((rng() >> 11) % n); }

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static const int FLAGSETS[] = {0, OTS_FMT_NO_ZSTD, OTS_FMT_ZSTD_MAX};
#define NFLAGSETS (sizeof FLAGSETS / sizeof FLAGSETS[0])

static void check_err(const ots_fmt_err *err) { assert_memory_equal(err->msg, "expected", 8); }

/* Encode, peek, decode and compare; returns the encoder's stats and length. */
static ssize_t rt_i64(const int64_t *v, const uint8_t *valid, size_t n, int flags, ots_fmt_chunk_stats *st_out)
{
    size_t cap = ots_fmt_chunk_bound_i64(n);
    uint8_t *buf = malloc(cap);
    ots_fmt_chunk_stats st, ps;
    ots_fmt_err err;
    ssize_t len = ots_fmt_chunk_encode_i64(v, valid, n, flags, buf, cap, &st);
    assert_true(len >= 48);
    assert_true((size_t)len <= cap);
    assert_int_equal(ots_fmt_chunk_peek(buf, (size_t)len, &ps, &err), OTS_OK);
    assert_int_equal(ps.n, n);
    assert_int_equal(ps.encoding, st.encoding);
    assert_int_equal(ps.inner, st.inner);
    assert_int_equal(ps.zstd, st.zstd);
    assert_true(ps.min_i == st.min_i && ps.max_i == st.max_i);
    if (flags & OTS_FMT_NO_ZSTD)
        assert_int_equal(st.zstd, 0);
    int64_t *out = malloc((n + 1) * 8);
    uint8_t *vo = malloc(n + 1);
    memset(out, 0x5a, (n + 1) * 8);
    assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, vo, n, &err), (ssize_t)n);
    size_t nulls = 0;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i]) {
            nulls++;
            assert_int_equal(vo[i], 0);
            assert_true(out[i] == 0);
        } else {
            assert_int_equal(vo[i], 1);
            if (out[i] != v[i])
                fail_msg("i64 row %zu: got %" PRId64 " want %" PRId64 " (enc %u inner %u zstd %u)", i, out[i], v[i],
                         st.encoding, st.inner, st.zstd);
            mn = v[i] < mn ? v[i] : mn;
            mx = v[i] > mx ? v[i] : mx;
        }
    }
    assert_int_equal(st.null_count, nulls);
    if (nulls < n)
        assert_true(st.min_i == mn && st.max_i == mx);
    /* decoding without valid_out works too, and a short cap is refused */
    assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, NULL, n, &err), (ssize_t)n);
    if (n)
        assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, NULL, n - 1, &err), OTS_EINVAL);
    if (st_out)
        *st_out = st;
    free(out);
    free(vo);
    free(buf);
    return len;
}

static ssize_t rt_f64(const double *v, const uint8_t *valid, size_t n, int flags, ots_fmt_chunk_stats *st_out)
{
    size_t cap = ots_fmt_chunk_bound_f64(n);
    uint8_t *buf = malloc(cap);
    ots_fmt_chunk_stats st, ps;
    ots_fmt_err err;
    ssize_t len = ots_fmt_chunk_encode_f64(v, valid, n, flags, buf, cap, &st);
    assert_true(len >= 48);
    assert_true((size_t)len <= cap);
    assert_int_equal(ots_fmt_chunk_peek(buf, (size_t)len, &ps, &err), OTS_OK);
    assert_int_equal(ps.n, n);
    assert_int_equal(ps.encoding, st.encoding);
    assert_true(dbits(ps.min_f) == dbits(st.min_f) && dbits(ps.max_f) == dbits(st.max_f));
    double *out = malloc((n + 1) * 8);
    uint8_t *vo = malloc(n + 1);
    assert_int_equal(ots_fmt_chunk_decode_f64(buf, (size_t)len, out, vo, n, &err), (ssize_t)n);
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i]) {
            nulls++;
            assert_int_equal(vo[i], 0);
            assert_true(dbits(out[i]) == 0);
        } else {
            assert_int_equal(vo[i], 1);
            if (dbits(out[i]) != dbits(v[i]))
                fail_msg("f64 row %zu: got %016" PRIx64 " want %016" PRIx64 " (enc %u inner %u zstd %u)", i,
                         dbits(out[i]), dbits(v[i]), st.encoding, st.inner, st.zstd);
        }
    }
    assert_int_equal(st.null_count, nulls);
    if (st_out)
        *st_out = st;
    free(out);
    free(vo);
    free(buf);
    return len;
}

static ssize_t rt_bool(const uint8_t *v, const uint8_t *valid, size_t n, int flags, ots_fmt_chunk_stats *st_out)
{
    size_t cap = ots_fmt_chunk_bound_bool(n);
    uint8_t *buf = malloc(cap);
    ots_fmt_chunk_stats st;
    ots_fmt_err err;
    ssize_t len = ots_fmt_chunk_encode_bool(v, valid, n, flags, buf, cap, &st);
    assert_true(len >= 48);
    uint8_t *out = malloc(n + 1), *vo = malloc(n + 1);
    assert_int_equal(ots_fmt_chunk_decode_bool(buf, (size_t)len, out, vo, n, &err), (ssize_t)n);
    for (size_t i = 0; i < n; i++) {
        int present = !valid || valid[i];
        assert_int_equal(vo[i], present);
        assert_int_equal(out[i], present ? v[i] != 0 : 0);
    }
    if (st_out)
        *st_out = st;
    free(out);
    free(vo);
    free(buf);
    return len;
}

static ssize_t rt_str(const ots_fmt_str *v, const uint8_t *valid, size_t n, int flags, ots_fmt_chunk_stats *st_out)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].len;
    size_t cap = ots_fmt_chunk_bound_str(n, total);
    uint8_t *buf = malloc(cap);
    ots_fmt_chunk_stats st;
    ots_fmt_err err;
    ssize_t len = ots_fmt_chunk_encode_str(v, valid, n, flags, buf, cap, &st);
    assert_true(len >= 48);
    uint32_t *codes = malloc((n + 1) * 4);
    uint8_t *vo = malloc(n + 1);
    ots_fmt_strdict *d = NULL;
    assert_int_equal(ots_fmt_chunk_decode_str(buf, (size_t)len, codes, vo, n, &d, &err), (ssize_t)n);
    assert_non_null(d);
    for (size_t k = 0; k < d->size; k++)
        assert_int_equal(d->dict[k][d->lens[k]], 0); /* NUL-terminated */
    if (st.encoding == OTS_ENC_DICT) {               /* distinct values */
        for (size_t a = 0; a < d->size && d->size < 200; a++)
            for (size_t b = a + 1; b < d->size; b++)
                assert_false(d->lens[a] == d->lens[b] && memcmp(d->dict[a], d->dict[b], d->lens[a]) == 0);
    }
    for (size_t i = 0; i < n; i++) {
        int present = !valid || valid[i];
        assert_int_equal(vo[i], present);
        assert_true(codes[i] < d->size);
        const char *s = d->dict[codes[i]];
        uint32_t l = d->lens[codes[i]];
        if (present) {
            assert_int_equal(l, v[i].len);
            assert_memory_equal(s, v[i].len ? v[i].p : "", v[i].len);
        } else {
            assert_int_equal(l, 0);
            assert_int_equal(s[0], 0);
        }
    }
    ots_fmt_strdict_free(d);
    if (st_out)
        *st_out = st;
    free(codes);
    free(vo);
    free(buf);
    return len;
}

/* ---- integers ------------------------------------------------------------------------------ */
static void i64_each_encoding(void **state)
{
    (void)state;
    enum { N = 1000 };
    int64_t *v = malloc(N * sizeof *v);
    ots_fmt_chunk_stats st;
    rng_seed(7);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        for (int i = 0; i < N; i++)
            v[i] = -42;
        rt_i64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_CONST);
        for (int i = 0; i < N; i++)
            v[i] = 1000 + rnd(100);
        rt_i64(v, NULL, N, FLAGSETS[f] | OTS_FMT_NO_ZSTD, &st);
        assert_int_equal(st.encoding, OTS_ENC_FOR);
        v[0] = 0;
        for (int i = 1; i < N; i++)
            v[i] = v[i - 1] + (int64_t)rnd(7) - 3;
        rt_i64(v, NULL, N, FLAGSETS[f] | OTS_FMT_NO_ZSTD, &st);
        assert_int_equal(st.encoding, OTS_ENC_DELTA);
        for (int i = 0; i < N; i++)
            v[i] = (int64_t)i * i * 1000 + 17;
        rt_i64(v, NULL, N, FLAGSETS[f] | OTS_FMT_NO_ZSTD, &st);
        assert_int_equal(st.encoding, OTS_ENC_DOD);
        for (int i = 0; i < N; i++)
            v[i] = (int64_t)rng();
        rt_i64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_RAW);
        assert_int_equal(st.zstd, 0);
    }
    free(v);
}

static void i64_extremes(void **state)
{
    (void)state;
    static const int64_t ex[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1, INT64_MAX - 1};
    enum { N = 700 };
    int64_t *v = malloc(N * sizeof *v);
    rng_seed(11);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        /* alternating extremes: every delta wraps */
        for (int i = 0; i < N; i++)
            v[i] = ex[i % 7];
        rt_i64(v, NULL, N, FLAGSETS[f], NULL);
        /* a wrapping arithmetic sequence: DELTA with a constant step */
        for (int i = 0; i < N; i++)
            v[i] = (int64_t)((uint64_t)INT64_MIN + (uint64_t)i * ((uint64_t)1 << 62));
        rt_i64(v, NULL, N, FLAGSETS[f], NULL);
        /* small values with rare extreme outliers (block exceptions) */
        for (int i = 0; i < N; i++)
            v[i] = rnd(16);
        for (int i = 0; i < N; i += 97)
            v[i] = ex[rnd(7)];
        rt_i64(v, NULL, N, FLAGSETS[f], NULL);
        /* one and two rows, block boundaries */
        rt_i64(ex, NULL, 1, FLAGSETS[f], NULL);
        rt_i64(ex, NULL, 2, FLAGSETS[f], NULL);
        rt_i64(ex + 1, NULL, 2, FLAGSETS[f], NULL);
        static const size_t sizes[] = {3, 127, 128, 129, 130, 255, 256, 257, 258, 385};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (size_t i = 0; i < sizes[s]; i++)
                v[i] = (int64_t)i * 60 + (i % 128 == 127 ? 1000000 : 0);
            rt_i64(v, NULL, sizes[s], FLAGSETS[f], NULL);
        }
    }
    free(v);
}

static void i64_nulls_and_empty(void **state)
{
    (void)state;
    enum { N = 500 };
    int64_t v[N];
    uint8_t valid[N];
    ots_fmt_chunk_stats st;
    rng_seed(3);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        rt_i64(v, NULL, 0, FLAGSETS[f], &st); /* zero rows */
        assert_int_equal(st.n, 0);
        for (int i = 0; i < N; i++) {
            v[i] = (int64_t)rng(); /* garbage under NULLs is ignored */
            valid[i] = 0;
        }
        rt_i64(v, valid, N, FLAGSETS[f], &st); /* all NULL */
        assert_int_equal(st.null_count, N);
        for (int i = 0; i < N; i++) {
            valid[i] = rnd(4) != 0;
            v[i] = valid[i] ? 1700000000000000000 + (int64_t)i * 1000000000 : (int64_t)rng();
        }
        rt_i64(v, valid, N, FLAGSETS[f], &st);
        valid[0] = 1;
        for (int i = 1; i < N; i++)
            valid[i] = 0;
        rt_i64(v, valid, N, FLAGSETS[f], &st); /* one valid row */
        assert_int_equal(st.null_count, N - 1);
    }
}

static void i64_random(void **state)
{
    (void)state;
    rng_seed(12345);
    int64_t *v = malloc(5000 * sizeof *v);
    uint8_t *valid = malloc(5000);
    for (int rep = 0; rep < 60; rep++) {
        size_t n = rnd(5000);
        unsigned bits = rnd(65), kind = rnd(4);
        int64_t acc = (int64_t)rng();
        for (size_t i = 0; i < n; i++) {
            uint64_t r = bits == 64 ? rng() : rng() & (((uint64_t)1 << bits) - 1);
            if (kind == 0)
                v[i] = (int64_t)r;
            else if (kind == 1)
                v[i] = acc = (int64_t)((uint64_t)acc + r);
            else if (kind == 2)
                v[i] = (int64_t)i * 1000 + (int64_t)(r & 7) + (rnd(50) ? 0 : (int64_t)rng());
            else
                v[i] = (int64_t)(r % 5);
            valid[i] = rnd(10) != 0;
        }
        rt_i64(v, rep & 1 ? valid : NULL, n, FLAGSETS[rep % NFLAGSETS], NULL);
    }
    free(v);
    free(valid);
}

/* ---- doubles ------------------------------------------------------------------------------- */
static const uint64_t special_bits[] = {
    0x7ff8000000000000ull, /* quiet NaN */
    0xfff8000000000000ull, /* negative quiet NaN */
    0x7ff0000000000001ull, /* signalling NaN, payload 1 */
    0x7ff8dead0000beefull, /* NaN with payload */
    0xffffffffffffffffull, /* all-ones NaN */
    0x7ff0000000000000ull, /* +inf */
    0xfff0000000000000ull, /* -inf */
    0x8000000000000000ull, /* -0.0 */
    0x0000000000000000ull, /* +0.0 */
    0x0000000000000001ull, /* smallest denormal */
    0x800fffffffffffffull, /* largest negative denormal */
    0x0010000000000000ull, /* DBL_MIN */
    0x7fefffffffffffffull, /* DBL_MAX */
    0xffefffffffffffffull, /* -DBL_MAX */
    0x3ff0000000000001ull, /* 1 + ulp */
};
#define NSPECIAL (sizeof special_bits / sizeof special_bits[0])

static void f64_each_encoding(void **state)
{
    (void)state;
    enum { N = 1000 };
    double *v = malloc(N * sizeof *v);
    ots_fmt_chunk_stats st;
    rng_seed(5);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        for (int i = 0; i < N; i++)
            v[i] = -0.0;
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_CONST);
        for (int i = 0; i < N; i++)
            v[i] = bitsd(0x7ff8dead0000beefull);
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_CONST);
        assert_true(isnan(st.min_f) && isnan(st.max_f));
        /* two decimals, random walk: ALP over DELTA */
        int k = 300;
        for (int i = 0; i < N; i++) {
            k += (int)rnd(11) - 5;
            v[i] = (double)k / 100;
        }
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_ALP);
        assert_int_equal(st.inner, OTS_ENC_DELTA);
        /* one decimal, noise around a level: ALP over FOR */
        for (int i = 0; i < N; i++)
            v[i] = (double)(2300 + (int)rnd(41) - 20) / 10;
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_ALP);
        assert_int_equal(st.inner, OTS_ENC_FOR);
        /* binary fractions (no short decimal form), slowly changing: Gorilla */
        for (int i = 0; i < N; i++)
            v[i] = 1000.0 + (double)(i / 4) * 0x1p-30;
        rt_f64(v, NULL, N, FLAGSETS[f] | OTS_FMT_NO_ZSTD, &st);
        assert_int_equal(st.encoding, OTS_ENC_GORILLA);
        /* random bit patterns (NaNs, denormals, infinities included): RAW */
        for (int i = 0; i < N; i++)
            v[i] = bitsd(rng());
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_RAW);
    }
    free(v);
}

static void f64_edge_values(void **state)
{
    (void)state;
    enum { N = 900 };
    double *v = malloc(N * sizeof *v);
    uint8_t valid[N];
    ots_fmt_chunk_stats st;
    rng_seed(9);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        /* every special value alone, and in pairs */
        for (size_t a = 0; a < NSPECIAL; a++) {
            v[0] = bitsd(special_bits[a]);
            rt_f64(v, NULL, 1, FLAGSETS[f], NULL);
            for (size_t b = 0; b < NSPECIAL; b++) {
                v[1] = bitsd(special_bits[b]);
                rt_f64(v, NULL, 2, FLAGSETS[f], NULL);
            }
        }
        /* decimal data with a few specials: ALP keeps them as exceptions */
        for (int i = 0; i < N; i++)
            v[i] = (double)(12345 + (int)rnd(200)) / 1000;
        for (size_t a = 0; a < NSPECIAL; a++)
            v[rnd(N)] = bitsd(special_bits[a]);
        rt_f64(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_ALP);
        assert_true(isinf(st.min_f) && st.min_f < 0 && isinf(st.max_f) && st.max_f > 0); /* NaN excluded */
        /* specials first (exceptions before any ALP integer), with NULLs */
        for (size_t a = 0; a < NSPECIAL; a++)
            v[a] = bitsd(special_bits[a]);
        for (int i = 0; i < N; i++)
            valid[i] = rnd(5) != 0;
        rt_f64(v, valid, N, FLAGSETS[f], NULL);
        /* only specials, cycled: Gorilla or RAW, bit-exact */
        for (int i = 0; i < N; i++)
            v[i] = bitsd(special_bits[rnd(NSPECIAL)]);
        rt_f64(v, NULL, N, FLAGSETS[f], NULL);
        /* large decimals near the ALP limit and values needing every exponent */
        for (int i = 0; i < N; i++) {
            int e = i % 19;
            v[i] = (double)(int64_t)(rng() % 100000) / pow(10, e);
            if (i % 50 == 0)
                v[i] = (double)(((int64_t)1 << 51) - 1 - i);
        }
        rt_f64(v, NULL, N, FLAGSETS[f], NULL);
        /* zero rows, all NULL */
        rt_f64(v, NULL, 0, FLAGSETS[f], &st);
        memset(valid, 0, sizeof valid);
        rt_f64(v, valid, N, FLAGSETS[f], &st);
        assert_true(isnan(st.min_f));
    }
    free(v);
}

static void f64_random(void **state)
{
    (void)state;
    rng_seed(777);
    double *v = malloc(5000 * sizeof *v);
    uint8_t *valid = malloc(5000);
    for (int rep = 0; rep < 60; rep++) {
        size_t n = 1 + rnd(4999);
        unsigned kind = rnd(5), dec = rnd(6);
        double x = (double)rnd(1000);
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
            case 0: v[i] = bitsd(rng()); break;
            case 1: v[i] = (double)((int64_t)rnd(2000000) - 1000000) / pow(10, dec); break;
            case 2:
                x += ((double)rnd(1000) - 500) / 1e3;
                v[i] = x;
                break;
            case 3: v[i] = rnd(3) ? (double)rnd(100) / 10 : bitsd(special_bits[rnd(NSPECIAL)]); break;
            default: v[i] = sin((double)i / 10) * 100; break;
            }
            valid[i] = rnd(8) != 0;
        }
        rt_f64(v, rep & 1 ? valid : NULL, n, FLAGSETS[rep % NFLAGSETS], NULL);
    }
    free(v);
    free(valid);
}

/* ---- booleans and strings ------------------------------------------------------------------ */
static void bool_round_trips(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint8_t v[N], valid[N];
    ots_fmt_chunk_stats st;
    rng_seed(4);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        for (int i = 0; i < N; i++)
            v[i] = (uint8_t)(rnd(3) ? 7 : 0); /* any non-zero is true */
        rt_bool(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_BITMAP);
        memset(v, 1, N);
        rt_bool(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_CONST);
        assert_true(st.min_i == 1 && st.max_i == 1);
        for (int i = 0; i < N; i++) {
            valid[i] = rnd(2);
            v[i] = (uint8_t)rnd(2);
        }
        rt_bool(v, valid, N, FLAGSETS[f], NULL);
        for (size_t n = 0; n < 20; n++)
            rt_bool(v, valid, n, FLAGSETS[f], NULL);
        memset(valid, 0, N);
        rt_bool(v, valid, N, FLAGSETS[f], &st);
        assert_int_equal(st.null_count, N);
    }
}

static void str_round_trips(void **state)
{
    (void)state;
    enum { N = 2000 };
    static const char *words[] = {"ok", "warn", "fault", "", "Zürich", "東京", "🙂 meter", "a\0b", "\0", "x"};
    static const uint32_t wlen[] = {2, 4, 5, 0, 7, 6, 9, 3, 1, 1};
    ots_fmt_str *v = malloc(N * sizeof *v);
    uint8_t *valid = malloc(N);
    char *pool = malloc(N * 16);
    ots_fmt_chunk_stats st;
    rng_seed(21);
    for (size_t f = 0; f < NFLAGSETS; f++) {
        for (int i = 0; i < N; i++) {
            int w = rnd(10);
            v[i] = (ots_fmt_str){words[w], wlen[w]};
            valid[i] = rnd(7) != 0;
        }
        rt_str(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_DICT);
        rt_str(v, valid, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_DICT);
        /* unique strings: STRRAW */
        for (int i = 0; i < N; i++) {
            char *p = pool + 16 * i;
            int l = snprintf(p, 16, "id-%08x", (unsigned)rng());
            p[3] = (char)(i & 1 ? 0 : 0xc3); /* embedded NUL or a UTF-8 lead byte */
            v[i] = (ots_fmt_str){p, (uint32_t)l};
        }
        rt_str(v, NULL, N, FLAGSETS[f] | OTS_FMT_NO_ZSTD, &st);
        assert_int_equal(st.encoding, OTS_ENC_STRRAW);
        rt_str(v, valid, N, FLAGSETS[f], NULL);
        /* NULLs in a chunk whose dictionary already has "" */
        for (int i = 0; i < N; i++)
            v[i] = (ots_fmt_str){"", 0};
        rt_str(v, valid, N, FLAGSETS[f], NULL);
        /* small sizes, zero rows, all NULL */
        for (size_t n = 0; n < 5; n++)
            rt_str(v, valid, n, FLAGSETS[f], NULL);
        memset(valid, 0, N);
        rt_str(v, valid, N, FLAGSETS[f], &st);
        assert_int_equal(st.null_count, N);
        /* many distinct values, each repeated: DICT with a wide code width */
        for (int i = 0; i < N; i++) {
            char *p = pool + 16 * i;
            int l = snprintf(p, 16, "meter-%d", (int)rnd(700));
            v[i] = (ots_fmt_str){p, (uint32_t)l};
        }
        rt_str(v, NULL, N, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_DICT);
    }
    free(v);
    free(valid);
    free(pool);
}

static void str_long_values(void **state)
{
    (void)state;
    size_t big = 1u << 20;
    char *a = malloc(big), *b = malloc(big);
    rng_seed(8);
    for (size_t i = 0; i < big; i++) {
        a[i] = (char)rng();
        b[i] = "abcdefgh"[i % 8];
    }
    ots_fmt_str v[5] = {{a, (uint32_t)big}, {"", 0}, {b, (uint32_t)big}, {a, (uint32_t)big}, {"\0\0", 2}};
    uint8_t valid[5] = {1, 1, 1, 1, 0};
    for (size_t f = 0; f < NFLAGSETS; f++) {
        rt_str(v, NULL, 5, FLAGSETS[f], NULL);
        rt_str(v, valid, 5, FLAGSETS[f], NULL);
        rt_str(v, NULL, 1, FLAGSETS[f], NULL);
    }
    ots_fmt_chunk_stats st;
    ssize_t len = rt_str(v + 2, NULL, 1, 0, &st); /* 1 MiB of a repeated pattern shrinks under zstd */
    assert_int_equal(st.zstd, 1);
    assert_true(len < 10000);
    free(a);
    free(b);
}

/* Equal strings at different addresses share a code, strings that differ in
 * any one byte do not (the dictionary compares short strings as integers);
 * (NULL, 0) is the empty string, (NULL, len > 0) is refused. */
static void str_equality(void **state)
{
    (void)state;
    enum { MAXL = 20, COPIES = 3 };
    /* for each length l: the base string and l variants (byte j changed), each in COPIES places */
    size_t nd = 0, n = 0;
    char *pool = calloc(COPIES * (MAXL + 1) * (MAXL + 1), MAXL + 1);
    ots_fmt_str *v = calloc(COPIES * (MAXL + 1) * (MAXL + 1) * 2, sizeof *v);
    char *q = pool;
    for (int c = 0; c < COPIES; c++) {
        for (uint32_t l = 0; l <= MAXL; l++) {
            for (uint32_t j = 0; j <= l; j++) { /* j == l: the base string */
                for (uint32_t k = 0; k < l; k++)
                    q[k] = (char)('a' + k);
                if (j < l)
                    q[j] = 'Z';
                v[n++] = (ots_fmt_str){l ? q : NULL, l};
                v[n++] = (ots_fmt_str){l ? q : NULL, l}; /* a run of the same pointer */
                q += MAXL + 1;
                nd += c == 0;
            }
        }
    }
    ots_fmt_chunk_stats st;
    for (size_t f = 0; f < NFLAGSETS; f++) {
        rt_str(v, NULL, n, FLAGSETS[f], &st);
        assert_int_equal(st.encoding, OTS_ENC_DICT);
        assert_int_equal(st.max_i, (int64_t)nd - 1);
    }
    /* a pointer may be NULL only for an empty string, also inside a run */
    ots_fmt_str bad[3] = {{"ok", 2}, {"ok", 2}, {NULL, 2}};
    uint8_t buf[512];
    assert_int_equal(ots_fmt_chunk_encode_str(bad, NULL, 3, 0, buf, sizeof buf, NULL), OTS_EINVAL);
    ots_fmt_str empty[4] = {{NULL, 0}, {"ab", 2}, {NULL, 0}, {"", 0}};
    rt_str(empty, NULL, 4, 0, &st);
    free(pool);
    free(v);
}

/* ---- meter-like data: encoding chosen and size on target -------------------------------------- */
enum { MNM = 50, MMIN = 1440, MN = MNM * MMIN };

/* One partition of gen_meters-like readings, sorted by (series, ts). */
static void meter_data(double *kwh, double *volt, int64_t *ts, int64_t *tag, ots_fmt_str *status)
{
    int32_t k[MNM];
    rng_seed(20261122);
    for (int s = 0; s < MNM; s++)
        k[s] = 50 + (int32_t)rnd(451);
    for (int m = 0; m < MMIN; m++) {
        for (int s = 0; s < MNM; s++) {
            int i = s * MMIN + m;
            k[s] += (int32_t)rnd(11) - 5;
            if (k[s] < 0)
                k[s] = -k[s];
            int dv = 0;
            for (int q = 0; q < 4; q++)
                dv += (int)rnd(35) - 17;
            char buf[32];
            snprintf(buf, sizeof buf, "%d.%02d", k[s] / 100, k[s] % 100);
            kwh[i] = strtod(buf, NULL); /* as CSV ingest would parse it */
            snprintf(buf, sizeof buf, "%d.%d", (2300 + dv) / 10, (2300 + dv) % 10);
            volt[i] = strtod(buf, NULL);
            uint32_t r = rnd(1000);
            status[i] = r < 5 ? (ots_fmt_str){"fault", 5} : r < 20 ? (ots_fmt_str){"warn", 4} : (ots_fmt_str){"ok", 2};
            ts[i] = 1709251200000000000 + (int64_t)m * 60000000000;
            tag[i] = s;
        }
    }
}

static void meter_sizes(void **state)
{
    (void)state;
    double *kwh = malloc(MN * 8), *volt = malloc(MN * 8);
    int64_t *ts = malloc(MN * 8), *tag = malloc(MN * 8);
    ots_fmt_str *status = malloc(MN * sizeof *status);
    meter_data(kwh, volt, ts, tag, status);
    ots_fmt_chunk_stats st;
    double bpv;

    /* default policy: zstd only where it saves at least 1/6 (chunk.md §9) —
     * not over the noisy kwh/voltage bodies, always over ts, tags, status */
    bpv = (double)rt_f64(kwh, NULL, MN, 0, &st) / MN;
    print_message("meter kwh:     %.4f bytes/value (enc %u inner %u zstd %u)\n", bpv, st.encoding, st.inner, st.zstd);
    assert_int_equal(st.encoding, OTS_ENC_ALP);
    assert_int_equal(st.inner, OTS_ENC_DELTA);
    assert_int_equal(st.zstd, 0);
    assert_true(bpv <= 0.55);

    bpv = (double)rt_f64(volt, NULL, MN, 0, &st) / MN;
    print_message("meter voltage: %.4f bytes/value (enc %u inner %u zstd %u)\n", bpv, st.encoding, st.inner, st.zstd);
    assert_int_equal(st.encoding, OTS_ENC_ALP);
    assert_int_equal(st.inner, OTS_ENC_FOR);
    assert_int_equal(st.zstd, 0);
    assert_true(bpv <= 0.92);

    bpv = (double)rt_i64(ts, NULL, MN, 0, &st) / MN;
    print_message("meter ts:      %.4f bytes/value (enc %u zstd %u)\n", bpv, st.encoding, st.zstd);
    assert_true(st.encoding == OTS_ENC_DOD || st.encoding == OTS_ENC_DELTA);
    assert_int_equal(st.zstd, 1);
    assert_true(bpv <= 0.002);

    bpv = (double)rt_i64(tag, NULL, MN, 0, &st) / MN;
    print_message("meter tag:     %.4f bytes/value (enc %u zstd %u)\n", bpv, st.encoding, st.zstd);
    assert_int_equal(st.zstd, 1);
    assert_true(bpv <= 0.002);

    bpv = (double)rt_str(status, NULL, MN, 0, &st) / MN;
    print_message("meter status:  %.4f bytes/value (enc %u inner %u zstd %u)\n", bpv, st.encoding, st.inner, st.zstd);
    assert_int_equal(st.encoding, OTS_ENC_DICT);
    assert_int_equal(st.zstd, 1);
    assert_true(bpv <= 0.05);

    /* the archive tier keeps any frame that is smaller */
    bpv = (double)rt_f64(kwh, NULL, MN, OTS_FMT_ZSTD_MAX, &st) / MN;
    print_message("meter kwh max: %.4f bytes/value (enc %u inner %u zstd %u)\n", bpv, st.encoding, st.inner, st.zstd);
    assert_int_equal(st.zstd, 1);
    assert_true(bpv <= 0.47);
    bpv = (double)rt_f64(volt, NULL, MN, OTS_FMT_ZSTD_MAX, &st) / MN;
    print_message("meter volt max: %.4f bytes/value (enc %u inner %u zstd %u)\n", bpv, st.encoding, st.inner, st.zstd);
    assert_int_equal(st.zstd, 1);
    assert_true(bpv <= 0.85);

    /* without zstd the block codecs alone stay compact */
    assert_true((double)rt_f64(kwh, NULL, MN, OTS_FMT_NO_ZSTD, &st) / MN <= 0.55);
    assert_true((double)rt_f64(volt, NULL, MN, OTS_FMT_NO_ZSTD, &st) / MN <= 0.92);
    free(kwh);
    free(volt);
    free(ts);
    free(tag);
    free(status);
}

/* ---- argument and header checks ---------------------------------------------------------------- */
static void api_contract(void **state)
{
    (void)state;
    int64_t v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    uint8_t buf[512];
    ots_fmt_err err;
    ots_fmt_chunk_stats st;
    size_t bound = ots_fmt_chunk_bound_i64(10);
    assert_int_equal(ots_fmt_chunk_encode_i64(v, NULL, 10, 0, buf, bound - 1, &st), OTS_EINVAL);
    ssize_t len = ots_fmt_chunk_encode_i64(v, NULL, 10, 0, buf, bound, NULL);
    assert_true(len > 0);
    /* the wrong decoder for the kind */
    double d[10];
    assert_int_equal(ots_fmt_chunk_decode_f64(buf, (size_t)len, d, NULL, 10, &err), OTS_ECORRUPT);
    check_err(&err);
    assert_int_equal(err.offset, 1);
    /* a bad version */
    buf[0] = 9;
    assert_int_equal(ots_fmt_chunk_peek(buf, (size_t)len, &st, &err), OTS_ECORRUPT);
    check_err(&err);
    buf[0] = 1;
    /* a short header */
    assert_int_equal(ots_fmt_chunk_peek(buf, 47, &st, &err), OTS_ECORRUPT);
    /* trailing bytes are refused (chunks are exact) */
    int64_t out[10];
    assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len + 1, out, NULL, 10, NULL), OTS_ECORRUPT);
    assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, NULL, 10, NULL), 10);
}

/* A zstd chunk whose header claims an enormous raw length is refused before
 * anything that size is allocated. */
static void zstd_raw_len_claims(void **state)
{
    (void)state;
    enum { N = 4000 };
    int64_t *v = malloc(N * 8), *out = malloc(N * 8);
    for (int i = 0; i < N; i++)
        v[i] = i % 3;
    size_t cap = ots_fmt_chunk_bound_i64(N);
    uint8_t *buf = malloc(cap);
    ots_fmt_chunk_stats st;
    ots_fmt_err err;
    ssize_t len = ots_fmt_chunk_encode_i64(v, NULL, N, 0, buf, cap, &st);
    assert_int_equal(st.zstd, 1);
    static const uint64_t claims[] = {0, 1, (uint64_t)1 << 40, UINT64_MAX, 8 * N + 65};
    for (size_t c = 0; c < sizeof claims / sizeof claims[0]; c++) {
        uint8_t save[8];
        memcpy(save, buf + 24, 8);
        ots_le64_put(buf + 24, claims[c]);
        assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, NULL, N, &err), OTS_ECORRUPT);
        check_err(&err);
        memcpy(buf + 24, save, 8);
    }
    assert_int_equal(ots_fmt_chunk_decode_i64(buf, (size_t)len, out, NULL, N, &err), N);
    free(v);
    free(out);
    free(buf);
}

/* An ALP chunk whose integers leave the header's [min, min + range] envelope is
 * refused, whichever decoding path (table lookups checked per value or
 * proven in range per group) a block takes. */
static void alp_range_checked(void **state)
{
    (void)state;
    enum { N = 4096 };
    double *v = malloc(N * 8), *out = malloc(N * 8);
    int64_t *iv = malloc(N * 8);
    size_t cap = ots_fmt_chunk_bound_f64(N);
    uint8_t *buf = malloc(cap);
    for (int variant = 0; variant < 2; variant++) {
        int k = 3000;
        for (int i = 0; i < N; i++) {
            k += variant ? (int)((((uint32_t)i * 2654435761u) >> 20) % 7) - 3 : 0;
            v[i] = variant ? (double)k / 100
                           : (double)(2000 + (int)(((uint32_t)i * 2654435761u) >> 22)) / 10; /* DELTA, FOR */
        }
        ots_fmt_chunk_stats st;
        ssize_t len = ots_fmt_chunk_encode_f64(v, NULL, N, OTS_FMT_NO_ZSTD, buf, cap, &st);
        assert_true(len > 0);
        assert_int_equal(st.encoding, OTS_ENC_ALP);
        assert_int_equal(st.inner, variant ? OTS_ENC_DELTA : OTS_ENC_FOR);
        assert_int_equal(ots_fmt_chunk_decode_f64(buf, (size_t)len, out, NULL, N, NULL), N);
        /* body: e, zz(imin), range: shrink the range (same varint length) */
        size_t pos = 49;
        uint64_t x;
        pos += ots_fmt_varint_get(buf + pos, (size_t)len - pos, &x);
        size_t rl = ots_fmt_varint_get(buf + pos, (size_t)len - pos, &x);
        assert_true(rl >= 1 && x > 8);
        /* a range of fewer bits than the real one: the largest integer is outside
         * (the decoder checks against the range's power-of-two envelope) */
        uint64_t half = 1;
        while (half * 2 <= x)
            half *= 2;
        for (uint64_t r = 0; r < half; r += half / 5 + 1) {
            uint8_t save[10];
            memcpy(save, buf + pos, rl);
            for (size_t b = 0; b < rl; b++) /* r as a varint padded to rl bytes */
                buf[pos + b] = (uint8_t)(((r >> (7 * b)) & 0x7f) | (b + 1 < rl ? 0x80 : 0));
            ots_fmt_err err;
            ssize_t rc = ots_fmt_chunk_decode_f64(buf, (size_t)len, out, NULL, N, &err);
            if (rc != OTS_ECORRUPT)
                fail_msg("variant %d range %llu (of %llu): decode returned %zd", variant, (unsigned long long)r,
                         (unsigned long long)x, rc);
            check_err(&err);
            memcpy(buf + pos, save, rl);
        }
        (void)iv;
    }
    free(v);
    free(out);
    free(iv);
    free(buf);
}

/* ---- corruption: flipped bytes, truncation, random mutation --------------------------------------- */
typedef struct enc_chunk {
    uint8_t *p;
    size_t len;
    int kind; /* 0 i64, 1 f64, 2 bool, 3 str */
    size_t n;
} enc_chunk;

/* Decode with any decoder; returns the result code. */
static ssize_t decode_any(const enc_chunk *c, const uint8_t *p, size_t len, ots_fmt_err *err)
{
    size_t n = c->n;
    ssize_t r;
    switch (c->kind) {
    case 0: {
        int64_t *o = malloc(n * 8 + 8);
        r = ots_fmt_chunk_decode_i64(p, len, o, NULL, n, err);
        free(o);
        break;
    }
    case 1: {
        double *o = malloc(n * 8 + 8);
        uint8_t *vo = malloc(n + 1);
        r = ots_fmt_chunk_decode_f64(p, len, o, vo, n, err);
        free(o);
        free(vo);
        break;
    }
    case 2: {
        uint8_t *o = malloc(n + 1);
        r = ots_fmt_chunk_decode_bool(p, len, o, NULL, n, err);
        free(o);
        break;
    }
    default: {
        uint32_t *o = malloc(n * 4 + 4);
        ots_fmt_strdict *d = NULL;
        r = ots_fmt_chunk_decode_str(p, len, o, NULL, n, &d, err);
        if (r >= 0) {
            assert_non_null(d);
            for (ssize_t i = 0; i < r; i++)
                assert_true(o[i] < d->size);
        } else {
            assert_null(d);
        }
        ots_fmt_strdict_free(d);
        free(o);
        break;
    }
    }
    return r;
}

static void expect_safe(const enc_chunk *c, const uint8_t *p, size_t len)
{
    ots_fmt_err err;
    memset(&err, 0, sizeof err);
    ssize_t r = decode_any(c, p, len, &err);
    if (r >= 0) {
        assert_true((size_t)r <= c->n);
        return;
    }
    if (r == OTS_EINVAL) { /* only for a row count over the caller's capacity */
        ots_fmt_chunk_stats st;
        assert_int_equal(ots_fmt_chunk_peek(p, len, &st, NULL), OTS_OK);
        assert_true(st.n > c->n);
        return;
    }
    if (r != OTS_ECORRUPT)
        fail_msg("decoder returned %zd", r);
    check_err(&err);
    assert_true(err.offset <= len || len < 48);
}

static void corrupt_one(const enc_chunk *c, int random_rounds)
{
    uint8_t *p = malloc(c->len + 1);
    /* truncation at every length: always refused */
    for (size_t l = 0; l < c->len; l++) {
        memcpy(p, c->p, l);
        ots_fmt_err err;
        assert_int_equal(decode_any(c, p, l, &err), OTS_ECORRUPT);
        check_err(&err);
    }
    /* every byte flipped with three patterns */
    static const uint8_t pats[] = {0xff, 0x01, 0x80};
    for (size_t i = 0; i < c->len; i++) {
        for (size_t k = 0; k < sizeof pats; k++) {
            memcpy(p, c->p, c->len);
            p[i] ^= pats[k];
            expect_safe(c, p, c->len);
        }
    }
    /* random multi-byte mutations */
    for (int r = 0; r < random_rounds; r++) {
        memcpy(p, c->p, c->len);
        int nm = 1 + (int)rnd(4);
        for (int k = 0; k < nm; k++)
            p[rnd((uint32_t)c->len)] = (uint8_t)rng();
        expect_safe(c, p, c->len);
    }
    free(p);
}

static enc_chunk make_chunk(int kind, size_t n, int variant, int flags)
{
    enc_chunk c = {0};
    c.kind = kind;
    c.n = n;
    uint8_t *valid = malloc(n);
    for (size_t i = 0; i < n; i++)
        valid[i] = variant & 1 ? rnd(6) != 0 : 1;
    ots_fmt_chunk_stats st;
    ssize_t len;
    if (kind == 0) {
        int64_t *v = malloc(n * 8);
        for (size_t i = 0; i < n; i++)
            v[i] = variant & 2 ? (int64_t)(i / 100) * 86400 + (int64_t)(i % 100) * 60 : (int64_t)rnd(1000) - 500;
        size_t cap = ots_fmt_chunk_bound_i64(n);
        c.p = malloc(cap);
        len = ots_fmt_chunk_encode_i64(v, valid, n, flags, c.p, cap, &st);
        free(v);
    } else if (kind == 1) {
        double *v = malloc(n * 8);
        int k = 200;
        for (size_t i = 0; i < n; i++) {
            k += (int)rnd(11) - 5;
            v[i] = variant & 2 ? 1.0 + (double)i * 0x1p-40 : (double)k / 100;
            if (i % 61 == 7)
                v[i] = bitsd(special_bits[i % NSPECIAL]);
        }
        size_t cap = ots_fmt_chunk_bound_f64(n);
        c.p = malloc(cap);
        len = ots_fmt_chunk_encode_f64(v, valid, n, flags, c.p, cap, &st);
        free(v);
    } else if (kind == 2) {
        uint8_t *v = malloc(n);
        for (size_t i = 0; i < n; i++)
            v[i] = (uint8_t)rnd(2);
        size_t cap = ots_fmt_chunk_bound_bool(n);
        c.p = malloc(cap);
        len = ots_fmt_chunk_encode_bool(v, valid, n, flags, c.p, cap, &st);
        free(v);
    } else {
        static const char *w[] = {"ok", "warn", "fault", "", "Zürich"};
        ots_fmt_str *v = malloc(n * sizeof *v);
        char *pool = malloc(n * 12 + 1);
        for (size_t i = 0; i < n; i++) {
            if (variant & 2) {
                int l = snprintf(pool + 12 * i, 12, "s%x", (unsigned)rng());
                v[i] = (ots_fmt_str){pool + 12 * i, (uint32_t)l};
            } else {
                const char *s = w[rnd(5)];
                v[i] = (ots_fmt_str){s, (uint32_t)strlen(s)};
            }
        }
        size_t cap = ots_fmt_chunk_bound_str(n, n * 12);
        c.p = malloc(cap);
        len = ots_fmt_chunk_encode_str(v, valid, n, flags, c.p, cap, &st);
        free(v);
        free(pool);
    }
    assert_true(len > 0);
    c.len = (size_t)len;
    free(valid);
    return c;
}

static void corruption(void **state)
{
    (void)state;
    rng_seed(99);
    static const struct {
        int kind;
        size_t n;
    } cases[] = {{0, 600}, {1, 600}, {2, 300}, {3, 400}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int variant = 0; variant < 4; variant++) {
            for (int z = 0; z < 2; z++) {
                enc_chunk ch = make_chunk(cases[c].kind, cases[c].n, variant, z ? 0 : OTS_FMT_NO_ZSTD);
                corrupt_one(&ch, 300);
                free(ch.p);
            }
        }
    }
}

/* Chunk after chunk of growing size, with NULL rows at the end: the encoders'
 * reused scratch buffers meet every size relation to what they hold (the
 * sanitizer build checks no write lands past one).  In a thread of its own,
 * so its scratch starts empty. */
static void *scratch_sizes_thr(void *arg)
{
    (void)arg;
    enum { N = 700 };
    int64_t *v = malloc(N * 8);
    double *d = malloc(N * 8);
    uint8_t *valid = malloc(N);
    size_t cap = ots_fmt_chunk_bound_f64(N);
    uint8_t *buf = malloc(cap);
    for (size_t n = 1; n < N; n++) {
        for (size_t tail = 0; tail < 3 && tail < n; tail++) {
            for (size_t i = 0; i < n; i++) {
                v[i] = (int64_t)(i * 7 % 13);
                d[i] = (double)(i * 7 % 13) / 10;
                valid[i] = i + tail < n && i % 5 != 3;
            }
            rt_i64(v, valid, n, 0, NULL);
            rt_f64(d, valid, n, 0, NULL);
            rt_i64(v, valid, n, OTS_FMT_ZSTD_MAX, NULL);
        }
    }
    free(v);
    free(d);
    free(valid);
    free(buf);
    return NULL;
}

static void scratch_sizes(void **state)
{
    (void)state;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scratch_sizes_thr, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

/* ---- per-thread scratch: threads encode and decode at once, and what a thread
 * kept is freed when it exits (the sanitizer build's leak check sees it) -------------------------- */
typedef struct thr_arg {
    int id;
    int ok;
} thr_arg;

static void *thr_codec(void *p)
{
    thr_arg *a = p;
    enum { N = 20000 };
    double *v = malloc(N * 8), *out = malloc(N * 8);
    int64_t *iv = malloc(N * 8), *io = malloc(N * 8);
    uint8_t *valid = malloc(N);
    size_t cap = ots_fmt_chunk_bound_f64(N);
    uint8_t *buf = malloc(cap);
    a->ok = 1;
    for (int r = 0; r < 6 && a->ok; r++) {
        int k = 300 + a->id;
        for (int i = 0; i < N; i++) {
            k += (i * 7 + r + a->id) % 11 - 5;
            v[i] = (double)k / 100;
            iv[i] = (int64_t)(i / 100) * (a->id + 1) + r;
            valid[i] = (i + r) % 13 != 0;
        }
        int flags = r % 3 == 0 ? 0 : r % 3 == 1 ? OTS_FMT_ZSTD_MAX : OTS_FMT_NO_ZSTD;
        ssize_t len = ots_fmt_chunk_encode_f64(v, r & 1 ? valid : NULL, N, flags, buf, cap, NULL);
        if (len <= 0 || ots_fmt_chunk_decode_f64(buf, (size_t)len, out, NULL, N, NULL) != N) {
            a->ok = 0;
            break;
        }
        for (int i = 0; i < N; i++)
            if ((r & 1) && !valid[i] ? out[i] != 0 : out[i] != v[i])
                a->ok = 0;
        len = ots_fmt_chunk_encode_i64(iv, NULL, N, flags, buf, cap, NULL);
        if (len <= 0 || ots_fmt_chunk_decode_i64(buf, (size_t)len, io, NULL, N, NULL) != N ||
            memcmp(io, iv, N * 8) != 0)
            a->ok = 0;
    }
    free(v);
    free(out);
    free(iv);
    free(io);
    free(valid);
    free(buf);
    return NULL;
}

static void threads_scratch(void **state)
{
    (void)state;
    enum { T = 4 };
    for (int round = 0; round < 2; round++) {
        pthread_t th[T];
        thr_arg args[T];
        for (int i = 0; i < T; i++) {
            args[i] = (thr_arg){i, 0};
            assert_int_equal(pthread_create(&th[i], NULL, thr_codec, &args[i]), 0);
        }
        for (int i = 0; i < T; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
            assert_true(args[i].ok);
        }
    }
}

/* ---- allocation failures: every allocation may fail, nothing leaks ---------------------------------- */
static void alloc_failures(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *v = malloc(N * 8), *out = malloc(N * 8);
    ots_fmt_str *s = malloc(N * sizeof *s);
    static const char *w[] = {"ok", "warn", "fault"};
    for (int i = 0; i < N; i++) {
        v[i] = (double)(i % 300) / 10;
        s[i] = (ots_fmt_str){w[i % 3], (uint32_t)strlen(w[i % 3])};
    }
    v[5] = NAN;
    size_t cap = ots_fmt_chunk_bound_str(N, N * 5);
    uint8_t *buf = malloc(cap);
    uint32_t *codes = malloc(N * 4);
    for (int sticky = 0; sticky < 2; sticky++) {
        for (uint64_t k = 1; k < 40; k++) {
            ots_alloc_fail_after(k, sticky);
            ssize_t len = ots_fmt_chunk_encode_f64(v, NULL, N, 0, buf, cap, NULL);
            assert_true(len > 0 || len == OTS_ENOMEM);
            ots_alloc_fail_after(0, 0);
            len = ots_fmt_chunk_encode_f64(v, NULL, N, 0, buf, cap, NULL);
            ots_alloc_fail_after(k, sticky);
            ssize_t r = ots_fmt_chunk_decode_f64(buf, (size_t)len, out, NULL, N, NULL);
            assert_true(r == N || r == OTS_ENOMEM);
            ots_alloc_fail_after(k, sticky);
            len = ots_fmt_chunk_encode_str(s, NULL, N, 0, buf, cap, NULL);
            assert_true(len > 0 || len == OTS_ENOMEM);
            ots_alloc_fail_after(0, 0);
            len = ots_fmt_chunk_encode_str(s, NULL, N, 0, buf, cap, NULL);
            ots_alloc_fail_after(k, sticky);
            ots_fmt_strdict *d = NULL;
            r = ots_fmt_chunk_decode_str(buf, (size_t)len, codes, NULL, N, &d, NULL);
            assert_true(r == N || r == OTS_ENOMEM);
            ots_fmt_strdict_free(d);
            ots_alloc_fail_after(0, 0);
        }
    }
    free(v);
    free(out);
    free(s);
    free(buf);
    free(codes);
}

/* ---- golden files ---------------------------------------------------------------------------------- */
#define GOLDEN_DIR "tests/golden/chunks"

static const char *enc_name(unsigned e)
{
    static const char *names[] = {"RAW", "FOR", "DELTA", "DOD", "ALP", "GORILLA", "DICT", "BITMAP", "CONST", "STRRAW"};
    return e < sizeof names / sizeof names[0] ? names[e] : "?";
}

/* The values of one golden chunk, as generated (for OTS_GOLDEN_REGEN) or as
 * read back from its .txt file. */
typedef struct golden {
    const char *name;
    int kind; /* 0 i64, 1 f64, 2 bool, 3 str */
    size_t n;
    int flags;
    int64_t *i;
    double *f;
    uint8_t *b;
    ots_fmt_str *s;
    uint8_t *valid;
    char *pool;
} golden;

static void golden_free(golden *g)
{
    free(g->i);
    free(g->f);
    free(g->b);
    free(g->s);
    free(g->valid);
    free(g->pool);
}

/* Build golden chunk number idx; returns 0 past the last. */
static int golden_make(int idx, golden *g)
{
    memset(g, 0, sizeof *g);
    static const struct {
        const char *name;
        int kind;
        size_t n;
        int flags;
    } specs[] = {
        {"v1_i64_const", 0, 10, OTS_FMT_NO_ZSTD},
        {"v1_i64_for_exc", 0, 300, OTS_FMT_NO_ZSTD},
        {"v1_i64_delta", 0, 300, OTS_FMT_NO_ZSTD},
        {"v1_i64_dod", 0, 300, OTS_FMT_NO_ZSTD},
        {"v1_i64_raw", 0, 20, OTS_FMT_NO_ZSTD},
        {"v1_i64_ts_nulls_zstd", 0, 1000, 0},
        {"v1_i64_empty", 0, 0, 0},
        {"v1_f64_alp_exc", 1, 300, OTS_FMT_NO_ZSTD},
        {"v1_f64_alp_zstd", 1, 1000, 0},
        {"v1_f64_gorilla", 1, 200, OTS_FMT_NO_ZSTD},
        {"v1_f64_raw", 1, 20, OTS_FMT_NO_ZSTD},
        {"v1_f64_const_nan", 1, 7, 0},
        {"v1_f64_all_null", 1, 9, 0},
        {"v1_bool_bitmap_nulls", 2, 100, OTS_FMT_NO_ZSTD},
        {"v1_bool_const", 2, 50, 0},
        {"v1_str_dict_nulls", 3, 200, OTS_FMT_NO_ZSTD},
        {"v1_str_dict_zstd", 3, 1000, 0},
        {"v1_str_raw", 3, 12, OTS_FMT_NO_ZSTD},
    };
    if (idx >= (int)(sizeof specs / sizeof specs[0]))
        return 0;
    g->name = specs[idx].name;
    g->kind = specs[idx].kind;
    g->n = specs[idx].n;
    g->flags = specs[idx].flags;
    size_t n = g->n;
    rng_seed(1000 + (uint64_t)idx);
    g->valid = calloc(n + 1, 1);
    memset(g->valid, 1, n);
    const char *nm = g->name;
    if (g->kind == 0) {
        g->i = calloc(n + 1, 8);
        for (size_t i = 0; i < n; i++) {
            if (strstr(nm, "const"))
                g->i[i] = -123456789;
            else if (strstr(nm, "for_exc"))
                g->i[i] = i % 50 == 49 ? INT64_MIN + (int64_t)i : 5000 + (int64_t)rnd(30);
            else if (strstr(nm, "delta"))
                g->i[i] = i ? g->i[i - 1] + (int64_t)rnd(9) - 4 : 1000;
            else if (strstr(nm, "dod"))
                g->i[i] = (int64_t)(i * i) * 7 - 3;
            else if (strstr(nm, "raw"))
                g->i[i] = (int64_t)rng();
            else { /* timestamps of 3 series, sorted by (series, ts), with NULLs */
                g->i[i] = 1709251200000000000 + (int64_t)(i % 400) * 60000000000;
                g->valid[i] = rnd(10) != 0;
            }
        }
    } else if (g->kind == 1) {
        g->f = calloc(n + 1, 8);
        int k = 250;
        for (size_t i = 0; i < n; i++) {
            k += (int)rnd(11) - 5;
            if (strstr(nm, "alp_exc"))
                g->f[i] = i % 37 == 0 ? bitsd(special_bits[(i / 37) % NSPECIAL]) : (double)(2300 + (int)rnd(40)) / 10;
            else if (strstr(nm, "alp_zstd"))
                g->f[i] = (double)k / 100;
            else if (strstr(nm, "gorilla"))
                g->f[i] = 1.0 + (double)(i / 3) * 0x1p-36;
            else if (strstr(nm, "raw"))
                g->f[i] = bitsd(rng());
            else if (strstr(nm, "const_nan"))
                g->f[i] = bitsd(0x7ff4000000000123ull);
            else {
                g->f[i] = 1.5;
                g->valid[i] = 0;
            }
        }
    } else if (g->kind == 2) {
        g->b = calloc(n + 1, 1);
        for (size_t i = 0; i < n; i++) {
            g->b[i] = strstr(nm, "const") ? 1 : (uint8_t)rnd(2);
            if (strstr(nm, "nulls"))
                g->valid[i] = rnd(5) != 0;
        }
    } else {
        static const char *w[] = {"ok", "warn", "fault", "", "Zürich", "東京"};
        g->s = calloc(n + 1, sizeof *g->s);
        g->pool = calloc(n * 16 + 1, 1);
        for (size_t i = 0; i < n; i++) {
            if (strstr(nm, "raw")) {
                char *p = g->pool + 16 * i;
                int l = snprintf(p, 16, "%s-%u", w[i % 6], (unsigned)rnd(100000));
                p[0] = i % 4 == 1 ? '\0' : p[0];
                g->s[i] = (ots_fmt_str){p, (uint32_t)l};
            } else {
                const char *s = w[rnd(1000) < 980 ? 0 : 1 + rnd(5)];
                g->s[i] = (ots_fmt_str){s, (uint32_t)strlen(s)};
                if (strstr(nm, "nulls"))
                    g->valid[i] = rnd(8) != 0;
            }
        }
    }
    return 1;
}

static void write_value(FILE *f, const golden *g, size_t i)
{
    if (!g->valid[i]) {
        fputs("null\n", f);
        return;
    }
    switch (g->kind) {
    case 0: fprintf(f, "%" PRId64 "\n", g->i[i]); break;
    case 1: fprintf(f, "0x%016" PRIx64 "\n", dbits(g->f[i])); break;
    case 2: fprintf(f, "%u\n", g->b[i] != 0); break;
    default:
        fputs("s:", f);
        for (uint32_t k = 0; k < g->s[i].len; k++)
            fprintf(f, "%02x", (unsigned char)g->s[i].p[k]);
        fputc('\n', f);
    }
}

static ssize_t golden_encode(const golden *g, uint8_t **out)
{
    size_t cap;
    ssize_t len;
    ots_fmt_chunk_stats st;
    switch (g->kind) {
    case 0:
        *out = malloc(cap = ots_fmt_chunk_bound_i64(g->n));
        len = ots_fmt_chunk_encode_i64(g->i, g->valid, g->n, g->flags, *out, cap, &st);
        break;
    case 1:
        *out = malloc(cap = ots_fmt_chunk_bound_f64(g->n));
        len = ots_fmt_chunk_encode_f64(g->f, g->valid, g->n, g->flags, *out, cap, &st);
        break;
    case 2:
        *out = malloc(cap = ots_fmt_chunk_bound_bool(g->n));
        len = ots_fmt_chunk_encode_bool(g->b, g->valid, g->n, g->flags, *out, cap, &st);
        break;
    default:
        *out = malloc(cap = ots_fmt_chunk_bound_str(g->n, g->n * 16));
        len = ots_fmt_chunk_encode_str(g->s, g->valid, g->n, g->flags, *out, cap, &st);
    }
    return len;
}

static void golden_regen(void)
{
    FILE *man = fopen(GOLDEN_DIR "/MANIFEST", "w");
    assert_non_null(man);
    fputs("# Golden column chunks (docs/formats/chunk.md).  One line per file:\n"
          "#   file kind rows encoding inner zstd\n"
          "# <name>.chunk holds the encoded chunk; <name>.txt its values, one row a line:\n"
          "#   null | i64 decimal | f64 0x<IEEE-754 bits> | bool 0/1 | str s:<hex bytes>\n"
          "# Written by OTS_GOLDEN_REGEN=1 build/tests/test_formats; never edit by hand.\n"
          "# Files of older format versions stay and must keep decoding.\n",
          man);
    static const char *kinds[] = {"i64", "f64", "bool", "str"};
    golden g;
    for (int idx = 0; golden_make(idx, &g); idx++) {
        uint8_t *buf;
        ssize_t len = golden_encode(&g, &buf);
        assert_true(len > 0);
        ots_fmt_chunk_stats st;
        assert_int_equal(ots_fmt_chunk_peek(buf, (size_t)len, &st, NULL), OTS_OK);
        char path[256];
        snprintf(path, sizeof path, GOLDEN_DIR "/%s.chunk", g.name);
        assert_int_equal(tu_write_file(path, buf, (size_t)len), 0);
        snprintf(path, sizeof path, GOLDEN_DIR "/%s.txt", g.name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i < g.n; i++)
            write_value(f, &g, i);
        fclose(f);
        fprintf(man, "%s.chunk %s %zu %s %s %u\n", g.name, kinds[g.kind], g.n, enc_name(st.encoding),
                st.encoding == OTS_ENC_ALP || st.encoding == OTS_ENC_DICT ? enc_name(st.inner) : "-", st.zstd);
        free(buf);
        golden_free(&g);
    }
    fclose(man);
}

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Check one value line against row i of the decoded chunk. */
static void check_line(const char *line, int kind, size_t i, const void *out, const uint8_t *vo,
                       const ots_fmt_strdict *d, const char *file)
{
    if (strcmp(line, "null") == 0) {
        if (vo[i] != 0)
            fail_msg("%s row %zu: expected NULL", file, i);
        return;
    }
    if (vo[i] != 1)
        fail_msg("%s row %zu: unexpected NULL", file, i);
    switch (kind) {
    case 0:
        if (((const int64_t *)out)[i] != strtoll(line, NULL, 10))
            fail_msg("%s row %zu: want %s", file, i, line);
        break;
    case 1:
        if (dbits(((const double *)out)[i]) != strtoull(line, NULL, 16))
            fail_msg("%s row %zu: want %s got %016" PRIx64, file, i, line, dbits(((const double *)out)[i]));
        break;
    case 2:
        if (((const uint8_t *)out)[i] != (uint8_t)atoi(line))
            fail_msg("%s row %zu: want %s", file, i, line);
        break;
    default: {
        assert_memory_equal(line, "s:", 2);
        size_t hl = strlen(line + 2);
        uint32_t c = ((const uint32_t *)out)[i];
        assert_true(c < d->size);
        if (d->lens[c] != hl / 2)
            fail_msg("%s row %zu: length %u, want %zu", file, i, d->lens[c], hl / 2);
        for (size_t k = 0; k < hl / 2; k++)
            assert_int_equal((unsigned char)d->dict[c][k], hexval(line[2 + 2 * k]) * 16 + hexval(line[3 + 2 * k]));
    }
    }
}

static void golden_files(void **state)
{
    (void)state;
    const char *regen = getenv("OTS_GOLDEN_REGEN");
    if (regen && *regen && *regen != '0') {
        golden_regen();
        print_message("golden chunks rewritten in %s\n", GOLDEN_DIR);
    }
    FILE *man = fopen(GOLDEN_DIR "/MANIFEST", "r");
    assert_non_null(man);
    char line[512];
    int files = 0;
    while (fgets(line, sizeof line, man)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char file[128], kind[8], enc[16], inner[16];
        size_t rows;
        unsigned z;
        assert_int_equal(sscanf(line, "%127s %7s %zu %15s %15s %u", file, kind, &rows, enc, inner, &z), 6);
        char path[256];
        snprintf(path, sizeof path, GOLDEN_DIR "/%s", file);
        size_t len;
        unsigned char *buf = tu_read_file(path, &len);
        if (!buf)
            fail_msg("cannot read %s", path);
        ots_fmt_chunk_stats st;
        ots_fmt_err err;
        assert_int_equal(ots_fmt_chunk_peek(buf, len, &st, &err), OTS_OK);
        assert_int_equal(st.n, rows);
        assert_string_equal(enc_name(st.encoding), enc);
        if (strcmp(inner, "-") != 0)
            assert_string_equal(enc_name(st.inner), inner);
        assert_int_equal(st.zstd, z);
        int k = strcmp(kind, "i64") == 0 ? 0 : strcmp(kind, "f64") == 0 ? 1 : strcmp(kind, "bool") == 0 ? 2 : 3;
        void *out = malloc(rows * 8 + 8);
        uint8_t *vo = malloc(rows + 1);
        ots_fmt_strdict *d = NULL;
        ssize_t r;
        switch (k) {
        case 0: r = ots_fmt_chunk_decode_i64(buf, len, out, vo, rows, &err); break;
        case 1: r = ots_fmt_chunk_decode_f64(buf, len, out, vo, rows, &err); break;
        case 2: r = ots_fmt_chunk_decode_bool(buf, len, out, vo, rows, &err); break;
        default: r = ots_fmt_chunk_decode_str(buf, len, out, vo, rows, &d, &err); break;
        }
        if (r != (ssize_t)rows)
            fail_msg("%s: decode returned %zd (%s at %" PRIu64 ")", file, r, err.msg, err.offset);
        /* the values file */
        snprintf(path + strlen(path) - strlen(".chunk"), 16, ".txt");
        FILE *vf = fopen(path, "r");
        if (!vf)
            fail_msg("cannot read %s", path);
        char vline[1 << 12];
        size_t i = 0;
        while (fgets(vline, sizeof vline, vf)) {
            vline[strcspn(vline, "\n")] = 0;
            assert_true(i < rows);
            check_line(vline, k, i, out, vo, d, file);
            i++;
        }
        assert_int_equal(i, rows);
        fclose(vf);
        ots_fmt_strdict_free(d);
        free(out);
        free(vo);
        free(buf);
        files++;
    }
    fclose(man);
    assert_true(files >= 18);
}

int run_chunk_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(i64_each_encoding),   cmocka_unit_test(i64_extremes),
        cmocka_unit_test(i64_nulls_and_empty), cmocka_unit_test(i64_random),
        cmocka_unit_test(f64_each_encoding),   cmocka_unit_test(f64_edge_values),
        cmocka_unit_test(f64_random),          cmocka_unit_test(bool_round_trips),
        cmocka_unit_test(str_round_trips),     cmocka_unit_test(str_long_values),
        cmocka_unit_test(str_equality),        cmocka_unit_test(meter_sizes),
        cmocka_unit_test(api_contract),        cmocka_unit_test(zstd_raw_len_claims),
        cmocka_unit_test(alp_range_checked),   cmocka_unit_test(corruption),
        cmocka_unit_test(scratch_sizes),       cmocka_unit_test(threads_scratch),
        cmocka_unit_test(alloc_failures),      cmocka_unit_test(golden_files),
    };
    return cmocka_run_group_tests_name("chunk", tests, NULL, NULL);
}
