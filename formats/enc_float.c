/*
 * enc_float.c — double column chunks (docs/formats/chunk.md §5): ALP decimal
 * scaling, Gorilla XOR, CONST and RAW.
 *
 * ALP (after "ALP: Adaptive Lossless floating-Point Compression", SIGMOD
 * 2024): most sensor and meter data has a few decimals, so v = i / 10^e for
 * a small integer i.  The encoder picks e from a sample, computes
 * i = round(v * 10^e) for every value and keeps i only if the decoder's exact
 * formula, (double)i / 10^e (one correctly rounded IEEE division of two
 * exactly representable numbers, |i| < 2^51), gives back the same 64 bits;
 * every other value (NaN with any payload, ±inf, -0.0, denormals, too many
 * digits, too large) is an exception stored as position + raw bits.  The
 * integers then go through the integer block codec (enc_int.c).
 *
 * Gorilla (Pelkonen et al., VLDB 2015) XORs each value with the previous one
 * and stores the meaningful bits; it is the fallback when ALP finds no scale,
 * and RAW is the last resort.  Every encoding is bit-exact.
 */
#include <assert.h>
#include <math.h>

#include "formats/enc_int.h"

static const double P10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
#define ALP_EMAX 18
#define ALP_LIMIT 0x1p51   /* |i| bound: keeps (double)i exact */
#define ALP_ROUND 0x1.8p52 /* x + ALP_ROUND - ALP_ROUND rounds |x| < 2^51 to an integer */
#define ALP_SAMPLE 64      /* values sampled to choose e */
#define ALP_EXC_BYTES 10   /* rough bytes per exception, for choosing e */
#define CANON_NAN 0x7ff8000000000000ull

/* i = round(v * 10^e) if (double)i / 10^e reproduces v bit for bit. */
static inline int alp_try(double v, unsigned e, int64_t *out)
{
    double x = v * P10[e];
    if (!(fabs(x) < ALP_LIMIT))
        return 0; /* NaN, inf, too large */
    int64_t i = (int64_t)((x + ALP_ROUND) - ALP_ROUND);
    double back = (double)i / P10[e];
    if (ots_enc_dbits(back) != ots_enc_dbits(v))
        return 0;
    *out = i;
    return 1;
}

/* Choose e from a sample: minimise estimated bits a value, each extra decimal
 * costing log2(10) bits and each exception ~80 bits.  Returns -1 if most of
 * the sample has no exact decimal form. */
static int alp_choose_e(const double *v, size_t nv)
{
    unsigned hist[ALP_EMAX + 2] = {0}, s = 0;
    size_t step = nv > ALP_SAMPLE ? nv / ALP_SAMPLE : 1;
    for (size_t i = 0; i < nv && s < ALP_SAMPLE; i += step, s++) {
        unsigned e = 0;
        int64_t q;
        while (e <= ALP_EMAX && !alp_try(v[i], e, &q))
            e++;
        hist[e]++; /* e == ALP_EMAX + 1: no exact form */
    }
    double best = 1e300;
    int be = -1;
    unsigned ok = 0;
    for (unsigned e = 0; e <= ALP_EMAX; e++) {
        ok += hist[e];
        double cost = (double)(s - ok) / s * ALP_EXC_BYTES * 8 + e * 3.3219;
        if (cost < best) {
            best = cost;
            be = (int)e;
        }
    }
    unsigned okb = 0;
    for (int e = 0; e <= be; e++)
        okb += hist[e];
    return okb * 2 >= s ? be : -1;
}

/* ALP analysis of one column. */
typedef struct alp {
    unsigned e;
    int64_t *ints;    /* nv scaled integers (exceptions hold a neighbour's value) */
    uint32_t *xpos;   /* exception positions, ascending */
    uint64_t *xraw;   /* exception bits */
    size_t xc;        /* exceptions */
    int64_t min, max; /* over ints */
    size_t hdr;       /* bytes before the inner integer body */
} alp;

/* GCC/Clang vector extensions: two doubles at a time (SSE2 on x86-64, NEON on
 * arm64; lowered to scalar code elsewhere). */
typedef double v2d __attribute__((vector_size(16)));
typedef int64_t v2i __attribute__((vector_size(16)));
typedef uint64_t v2u __attribute__((vector_size(16)));

/* a < b ? a : b and a > b ? a : b lane by lane (so a NaN in a is skipped) */
#ifdef __SSE2__
#include <emmintrin.h>
static inline v2d vmin(v2d a, v2d b) { return (v2d)_mm_min_pd((__m128d)a, (__m128d)b); }
static inline v2d vmax(v2d a, v2d b) { return (v2d)_mm_max_pd((__m128d)a, (__m128d)b); }
#else
static inline v2d vmin(v2d a, v2d b)
{
    v2u l = (v2u)(a < b);
    return (v2d)(((v2u)a & l) | ((v2u)b & ~l));
}
static inline v2d vmax(v2d a, v2d b)
{
    v2u g = (v2u)(a > b);
    return (v2d)(((v2u)a & g) | ((v2u)b & ~g));
}
#endif

/* alp_try on v[0..8), branch-free: ints[k] = round(v[k] * 10^e) via the
 * 1.5 * 2^52 rounding constant (exact for |x| < 2^51: the sum lies in
 * [2^52, 2^53), where doubles are the integers, so its bits minus the
 * constant's bits are the integer and its value minus the constant is that
 * integer as a double, the decoder's (double)i).  Returns 0 if every value
 * round-trips. */
static inline uint64_t alp_group8(const double *v, double p10, int64_t *ints)
{
    const v2d R = {ALP_ROUND, ALP_ROUND}, P = {p10, p10}, L = {ALP_LIMIT, ALP_LIMIT};
    const v2u absm = {0x7fffffffffffffffull, 0x7fffffffffffffffull};
    const uint64_t rb0 = ots_enc_dbits(ALP_ROUND);
    const v2u RB = {rb0, rb0};
    v2u acc = {0, 0};
    for (unsigned k = 0; k < 8; k += 2) {
        v2d vv;
        memcpy(&vv, v + k, 16);
        v2d x = vv * P;
        v2d r = x + R;
        v2u q = (v2u)r - RB;
        memcpy(ints + k, &q, 16);
        v2d back = (r - R) / P;
        v2i inr = (v2d)((v2u)x & absm) < L;
        acc |= ((v2u)back ^ (v2u)vv) | ~(v2u)inr;
    }
    return acc[0] | acc[1];
}

/* Returns 1 viable, 0 not, or OTS_ENOMEM.  fmin, fmax: the smallest and
 * largest non-NaN value. */
static int alp_analyze(const double *v, size_t nv, double fmin, double fmax, alp *a)
{
    memset(a, 0, sizeof *a);
    int e = alp_choose_e(v, nv);
    if (e < 0)
        return 0;
    a->e = (unsigned)e;
    size_t xmax = nv / 4 + 16; /* more exceptions than xmax: ALP is not worth it */
    a->ints = ots_enc_scratch(OTS_WS_ALP_INTS, nv * sizeof *a->ints);
    a->xpos = ots_enc_scratch(OTS_WS_ALP_XPOS, xmax * sizeof *a->xpos);
    a->xraw = ots_enc_scratch(OTS_WS_ALP_XRAW, xmax * sizeof *a->xraw);
    if (!a->ints || !a->xpos || !a->xraw)
        return OTS_ENOMEM;
    const double p10 = P10[a->e];
    int64_t last = 0;
    size_t first_ok = nv, i = 0;
    for (;;) {
        /* groups of 8 that all round-trip: the common case */
        for (; i + 8 <= nv; i += 8) {
            if (alp_group8(v + i, p10, a->ints + i))
                break;
            if (first_ok == nv)
                first_ok = i;
            last = a->ints[i + 7];
        }
        if (i >= nv)
            break;
        /* a group with an exception, or the tail: one value at a time */
        size_t end = i + 8 <= nv ? i + 8 : nv;
        for (; i < end; i++) {
            int64_t q;
            if (alp_try(v[i], a->e, &q)) {
                a->ints[i] = last = q;
                if (first_ok == nv)
                    first_ok = i;
            } else {
                if (a->xc == xmax)
                    return 0;
                a->xpos[a->xc] = (uint32_t)i;
                a->xraw[a->xc++] = ots_enc_dbits(v[i]);
                a->ints[i] = last;
            }
        }
    }
    if (first_ok == nv)
        return 0;
    for (size_t k = 0; k < first_ok; k++)
        a->ints[k] = a->ints[first_ok];
    /* round(v * 10^e) is monotonic in v, so without exceptions the integers'
     * extremes are those of the smallest and largest value */
    int64_t qmn, qmx;
    if (!a->xc && alp_try(fmin, a->e, &qmn) && alp_try(fmax, a->e, &qmx)) {
        a->min = qmn;
        a->max = qmx;
    } else {
        ots_enc_minmax(a->ints, nv, &a->min, &a->max);
    }
    a->hdr = 1 + ots_enc_vlen(a->xc) + 8 * a->xc + ots_enc_vlen(ots_enc_zz((uint64_t)a->min)) +
             ots_enc_vlen((uint64_t)a->max - (uint64_t)a->min);
    for (size_t k = 0; k < a->xc; k++)
        a->hdr += ots_enc_vlen(k ? a->xpos[k] - a->xpos[k - 1] - 1 : a->xpos[0]);
    return 1;
}

/* The ALP header (a->hdr bytes) before the inner integer body. */
static size_t alp_hdr_put(const alp *a, uint8_t *dst)
{
    uint8_t *o = dst;
    *o++ = (uint8_t)a->e;
    o += ots_fmt_varint_put(o, ots_enc_zz((uint64_t)a->min));
    o += ots_fmt_varint_put(o, (uint64_t)a->max - (uint64_t)a->min);
    o += ots_fmt_varint_put(o, a->xc);
    for (size_t k = 0; k < a->xc; k++)
        o += ots_fmt_varint_put(o, k ? a->xpos[k] - a->xpos[k - 1] - 1 : a->xpos[0]);
    for (size_t k = 0; k < a->xc; k++, o += 8)
        ots_le64_put(o, a->xraw[k]);
    assert((size_t)(o - dst) == a->hdr);
    return (size_t)(o - dst);
}

/* ---- Gorilla ---------------------------------------------------------------------------------- */
typedef struct bitw {
    uint8_t *p, *end; /* end: last position a 64-bit store may start */
    uint64_t acc;
    unsigned nb;
} bitw;

static inline void bw_put(bitw *w, uint64_t v, unsigned n) /* v < 2^n, 1 <= n <= 64 */
{
    w->acc |= v << w->nb;
    if (w->nb + n >= 64) {
        ots_enc_st64(w->p, w->acc);
        w->p += 8;
        unsigned used = 64 - w->nb;
        w->acc = used < 64 ? v >> used : 0;
        w->nb = w->nb + n - 64;
    } else {
        w->nb += n;
    }
}

/* Encode into dst (capacity cap + 8 slack); returns bytes, or 0 if the body
 * would not be smaller than cap. */
static size_t gorilla_encode(const double *v, size_t nv, uint8_t *dst, size_t cap)
{
    if (cap < 16)
        return 0;
    bitw w = {dst, dst + cap - 16, 0, 0};
    uint64_t prev = ots_enc_dbits(v[0]);
    bw_put(&w, prev, 64);
    unsigned wl = 65, wt = 0; /* window: leading / trailing zeros; 65 = none yet */
    for (size_t i = 1; i < nv; i++) {
        if (w.p > w.end)
            return 0;
        uint64_t cur = ots_enc_dbits(v[i]), x = cur ^ prev;
        prev = cur;
        if (!x) {
            bw_put(&w, 0, 1);
            continue;
        }
        unsigned lead = (unsigned)__builtin_clzll(x), trail = (unsigned)__builtin_ctzll(x);
        if (wl <= 64 && lead >= wl && trail >= wt) {
            bw_put(&w, 1, 2); /* bits 1,0 */
            bw_put(&w, x >> wt, 64 - wl - wt);
        } else {
            unsigned len = 64 - lead - trail;
            bw_put(&w, 3 | (lead << 2) | ((len - 1) << 8), 14); /* bits 1,1 + 6-bit lead + 6-bit len-1 */
            bw_put(&w, x >> trail, len);
            wl = lead;
            wt = trail;
        }
    }
    size_t tail = (w.nb + 7) / 8;
    for (size_t k = 0; k < tail; k++)
        w.p[k] = (uint8_t)(w.acc >> (8 * k));
    size_t n = (size_t)(w.p - dst) + tail;
    return n < cap ? n : 0;
}

typedef struct bitr {
    const uint8_t *p;
    size_t len;   /* bytes */
    uint64_t bit; /* next bit */
    uint64_t end; /* 8 * len */
} bitr;

/* n <= 57 bits; caller has checked bit + n <= end. */
static inline uint64_t br_get(bitr *r, unsigned n)
{
    size_t byte = (size_t)(r->bit >> 3);
    uint64_t word;
    if (byte + 8 <= r->len) {
        word = ots_enc_ld64(r->p + byte);
    } else {
        uint8_t tmp[8] = {0};
        memcpy(tmp, r->p + byte, r->len - byte);
        word = ots_enc_ld64(tmp);
    }
    word >>= r->bit & 7;
    r->bit += n;
    return n ? word & (~(uint64_t)0 >> (64 - n)) : 0;
}

static inline uint64_t br_get64(bitr *r, unsigned n) /* n <= 64 */
{
    if (n <= 57)
        return br_get(r, n);
    uint64_t lo = br_get(r, 32);
    return lo | (br_get(r, n - 32) << 32);
}

static int gorilla_decode(const uint8_t *src, size_t len, size_t nv, double *out, uint64_t off, ots_fmt_err *err)
{
    bitr r = {src, len, 0, (uint64_t)len * 8};
    if (!nv)
        return len ? ots_enc_fail(err, off, "expected an empty Gorilla body") : OTS_OK;
    if (r.end < 64)
        return ots_enc_fail(err, off, "expected a 64-bit first value");
    uint64_t prev = br_get64(&r, 64);
    out[0] = ots_enc_bitsd(prev);
    unsigned wl = 65, wt = 0;
    for (size_t i = 1; i < nv; i++) {
        if (r.end - r.bit < 1)
            goto out_trunc;
        if (br_get(&r, 1)) {
            if (r.end - r.bit < 1)
                goto out_trunc;
            unsigned len_bits;
            if (!br_get(&r, 1)) {
                if (wl > 64)
                    return ots_enc_fail(err, off + (r.bit >> 3), "expected a new window before value %zu", i);
                len_bits = 64 - wl - wt;
            } else {
                if (r.end - r.bit < 12)
                    goto out_trunc;
                unsigned lead = (unsigned)br_get(&r, 6), n1 = (unsigned)br_get(&r, 6) + 1;
                if (lead + n1 > 64)
                    return ots_enc_fail(err, off + (r.bit >> 3), "expected leading zeros + length <= 64");
                wl = lead;
                wt = 64 - lead - n1;
                len_bits = n1;
            }
            if (r.end - r.bit < len_bits)
                goto out_trunc;
            prev ^= br_get64(&r, len_bits) << wt;
        }
        out[i] = ots_enc_bitsd(prev);
    }
    if ((r.bit + 7) / 8 != len)
        return ots_enc_fail(err, off + (r.bit + 7) / 8, "expected end of Gorilla body");
    if ((r.bit & 7) && (src[len - 1] >> (r.bit & 7)))
        return ots_enc_fail(err, off + len - 1, "expected zero padding bits after the last Gorilla value");
    return OTS_OK;
out_trunc:
    return ots_enc_fail(err, off + len, "expected more Gorilla bits (truncated body)");
}

/* ---- chunk codec -------------------------------------------------------------------------------- */
ssize_t ots_fmt_chunk_encode_f64(const double *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st)
{
    ots_enc_info info;
    int rc = ots_enc_begin(OTS_KIND_F64, valid, n, dst, dst_cap, ots_fmt_chunk_bound_f64(n), &info);
    if (rc)
        return rc;
    if (!v && n)
        return OTS_EINVAL;
    size_t nv = n - info.null_count;
    const void *dv;
    if ((rc = ots_enc_gather(v, 8, valid, n, nv, &dv)))
        return rc;
    const double *d = dv;

    /* min/max over non-NaN values (a NaN compares false and is skipped
     * without a branch; four accumulators, k = i % 4, in two vectors); all
     * NaN or none: NaN */
    int have = 0, same = 1;
    double m4[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, x4[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    uint64_t b0 = nv ? ots_enc_dbits(d[0]) : 0;
    size_t i = 0;
    {
        v2d mlo = {INFINITY, INFINITY}, mhi = mlo, xlo = {-INFINITY, -INFINITY}, xhi = xlo;
        v2u diff = {0, 0}, B0 = {b0, b0}, nan = {0, 0};
        for (; i + 4 <= nv; i += 4) {
            v2d a0, a1;
            memcpy(&a0, d + i, 16);
            memcpy(&a1, d + i + 2, 16);
            diff |= ((v2u)a0 ^ B0) | ((v2u)a1 ^ B0);
            nan |= (v2u)(a0 == a0) | (v2u)(a1 == a1);
            mlo = vmin(a0, mlo);
            mhi = vmin(a1, mhi);
            xlo = vmax(a0, xlo);
            xhi = vmax(a1, xhi);
        }
        same = !(diff[0] | diff[1]);
        have = (nan[0] | nan[1]) != 0;
        m4[0] = mlo[0], m4[1] = mlo[1], m4[2] = mhi[0], m4[3] = mhi[1];
        x4[0] = xlo[0], x4[1] = xlo[1], x4[2] = xhi[0], x4[3] = xhi[1];
    }
    for (; i < nv; i++) {
        double x = d[i];
        same &= ots_enc_dbits(x) == b0;
        have |= x == x;
        m4[0] = x < m4[0] ? x : m4[0];
        x4[0] = x > x4[0] ? x : x4[0];
    }
    double mn = m4[0], mx = x4[0];
    for (unsigned k = 1; k < 4; k++) {
        mn = m4[k] < mn ? m4[k] : mn;
        mx = x4[k] > mx ? x4[k] : mx;
    }
    info.min_bits = have ? ots_enc_dbits(mn) : CANON_NAN;
    info.max_bits = have ? ots_enc_dbits(mx) : CANON_NAN;

    uint8_t *body = dst + info.body_off;
    size_t bodycap = dst_cap - info.body_off; /* >= 8 * nv */
    ots_enc_body cand[2];
    size_t ncand = 1;
    alp a;
    if (nv == 0) {
        cand[0] = (ots_enc_body){OTS_ENC_RAW, 0, body, 0, 0};
    } else if (same) {
        ots_le64_put(body, b0);
        cand[0] = (ots_enc_body){OTS_ENC_CONST, 0, body, 8, 0};
    } else {
        int zmode = ots_enc_zmode(flags);
        int viable = alp_analyze(d, nv, mn, mx, &a);
        if (viable < 0)
            return OTS_ENOMEM;
        size_t best = nv * 8;
        uint8_t enc = OTS_ENC_RAW, inner = 0;
        ots_enc_int_res ir;
        memset(&ir, 0, sizeof ir);
        if (viable && a.hdr < best) { /* ALP written in place: header, then the integers */
            alp_hdr_put(&a, body);
            if (ots_enc_int_encode(a.ints, nv, a.min, a.max, zmode, a.hdr, body + a.hdr, bodycap - a.hdr, &ir))
                return OTS_ENOMEM;
            if (ir.size[0] != SIZE_MAX && a.hdr + ir.size[0] < best) {
                best = a.hdr + ir.size[0];
                enc = OTS_ENC_ALP;
                inner = ir.enc[0];
            }
        }
        if (!viable || best > nv * 3 / 2) { /* Gorilla rarely beats 1.5 bytes a value */
            uint8_t *gbuf = ots_enc_scratch(OTS_WS_AUX, nv * 8 + 16);
            if (!gbuf)
                return OTS_ENOMEM;
            size_t gsize = gorilla_encode(d, nv, gbuf, nv * 8);
            if (gsize && gsize < best) {
                best = gsize;
                enc = OTS_ENC_GORILLA;
                inner = 0;
                memcpy(body, gbuf, gsize);
            }
        }
        if (enc == OTS_ENC_RAW) {
            for (size_t k = 0; k < nv; k++)
                ots_le64_put(body + 8 * k, ots_enc_dbits(d[k]));
        }
        cand[0] = (ots_enc_body){enc, inner, body, best, 0};
        /* zstd-friendly ALP as a second candidate (written only if zstd over
         * it may pay) */
        if (viable && ir.size[1]) {
            uint8_t *ab = ir.alt - a.hdr;
            alp_hdr_put(&a, ab);
            cand[ncand++] = (ots_enc_body){OTS_ENC_ALP, ir.enc[1], ab, a.hdr + ir.size[1], ir.zest + (double)a.hdr};
        }
    }
    return ots_enc_finish(&info, cand, ncand, flags, dst, st);
}

/* A decoding table is built when the integers span at most this many values
 * (and no more than twice the rows): one exact division per entry instead of
 * one per row. */
#define ALP_TABLE_MAX 65536

static int alp_decode(const uint8_t *b, size_t len, uint8_t inner, size_t nv, double *out, uint64_t off,
                      ots_fmt_err *err)
{
    size_t pos = 0;
    if (len < 1 || b[0] > ALP_EMAX)
        return ots_enc_fail(err, off, "expected an ALP exponent 0..%d", ALP_EMAX);
    unsigned e = b[pos++];
    uint64_t imin, range, xc;
    size_t k = ots_fmt_varint_get(b + pos, len - pos, &imin);
    if (!k)
        return ots_enc_fail(err, off + pos, "expected the smallest ALP integer (varint)");
    pos += k;
    k = ots_fmt_varint_get(b + pos, len - pos, &range);
    if (!k)
        return ots_enc_fail(err, off + pos, "expected the ALP integer range (varint)");
    pos += k;
    k = ots_fmt_varint_get(b + pos, len - pos, &xc);
    if (!k || xc > nv)
        return ots_enc_fail(err, off + pos, "expected an exception count <= %zu", nv);
    pos += k;
    size_t pos_list = pos;
    uint64_t p = 0;
    for (uint64_t i = 0; i < xc; i++) {
        uint64_t dlt;
        k = ots_fmt_varint_get(b + pos, len - pos, &dlt);
        uint64_t room = nv - (i ? p + 1 : 0); /* positions left */
        if (!k || dlt >= room)
            return ots_enc_fail(err, off + pos, "expected an exception position below %zu", nv);
        p = i ? p + 1 + dlt : dlt;
        pos += k;
    }
    if (xc > (len - pos) / 8)
        return ots_enc_fail(err, off + pos, "expected %llu exception values", (unsigned long long)xc);
    size_t raw_at = pos;
    pos += 8 * (size_t)xc;

    imin = ots_enc_unzz(imin);
    unsigned rw = ots_enc_bitwidth(range);
    uint64_t pmask = rw >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << rw) - 1;
    double *tab = NULL;
    if (pmask < ALP_TABLE_MAX && pmask / 2 <= nv &&
        (tab = ots_enc_scratch(OTS_WS_TAB, (size_t)(pmask + 1) * sizeof *tab))) {
        for (uint64_t i = 0; i <= pmask; i++)
            tab[i] = (double)(int64_t)(imin + i) / P10[e];
    }
    ots_enc_sink sink = {.f64 = out, .div = P10[e], .tab = tab, .imin = imin, .pmask = pmask};
    int rc = ots_enc_int_decode(b + pos, len - pos, inner, nv, &sink, off + pos, err);
    if (rc)
        return rc;
    size_t q = pos_list;
    p = 0;
    for (uint64_t i = 0; i < xc; i++) {
        uint64_t dlt;
        q += ots_fmt_varint_get(b + q, len - q, &dlt);
        p = i ? p + 1 + dlt : dlt;
        out[p] = ots_enc_bitsd(ots_le64_get(b + raw_at + 8 * i));
    }
    return OTS_OK;
}

ssize_t ots_fmt_chunk_decode_f64(const uint8_t *src, size_t len, double *out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_err *err)
{
    ots_enc_chunk c;
    int rc = ots_enc_open(src, len, OTS_KIND_F64, cap, &c, err);
    if (rc)
        return rc;
    const uint8_t *b = c.body;
    size_t nv = c.nv;
    switch (c.h.enc) {
    case OTS_ENC_RAW:
        if (c.body_len / 8 != nv || c.body_len % 8) {
            rc = ots_enc_fail(err, c.body_off, "expected a RAW body of %zu bytes", nv * 8);
            break;
        }
        for (size_t i = 0; i < nv; i++)
            out[i] = ots_enc_bitsd(ots_enc_ld64(b + 8 * i));
        break;
    case OTS_ENC_CONST:
        if (c.body_len != 8 || !nv) {
            rc = ots_enc_fail(err, c.body_off, "expected an 8-byte CONST body and rows");
            break;
        }
        for (size_t i = 0; i < nv; i++)
            out[i] = ots_enc_bitsd(ots_enc_ld64(b));
        break;
    case OTS_ENC_GORILLA: rc = gorilla_decode(b, c.body_len, nv, out, c.body_off, err); break;
    default: rc = alp_decode(b, c.body_len, c.h.inner, nv, out, c.body_off, err); break;
    }
    if (!rc) {
        ots_enc_expand(&c, out, 8, 0);
        ots_enc_valid_out(&c, valid_out);
    }
    ots_enc_fix_err(&c, rc, err);
    ots_enc_close(&c);
    return rc ? rc : (ssize_t)c.h.n;
}
