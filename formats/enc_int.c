/*
 * enc_int.c — the integer block codec behind every column chunk
 * (docs/formats/chunk.md §4): RAW, CONST, FOR, DELTA and DOD bodies.
 *
 * FOR, DELTA and DOD bit-pack a stream of 64-bit values (the values
 * themselves, their differences, or their second differences, all in
 * wrapping uint64 arithmetic) in blocks of OTS_ENC_BLOCK values.  Each block
 * has its own base and bit width, and may list a few exceptions (position +
 * value) so that one outlier — the jump at a series boundary in a column
 * sorted by (series, ts) — costs a few bytes instead of widening the block.
 *
 * The encoder plans first, writes once.  Per block it looks at the three
 * smallest and three largest distinct values and picks the cheapest
 * (in-range window, exceptions) pair.  The window's base is kept from the
 * previous block when the new values fit (the header then shrinks to one
 * byte) or else centred on the values, so that a stationary column keeps
 * the same base — and the same byte symbols — block after block, which is
 * what zstd's Huffman stage needs.  Two plans are made: one with the
 * tightest bit widths (no zstd), one with widths of 0, 1, 2, 4 or whole
 * bytes, chosen by an entropy estimate, as the candidate to hand to zstd.
 * Long columns compare FOR, DELTA and DOD on every 8th block first and plan
 * in full only the transforms that come within 5% of the best.
 *
 * Decoding is per block: a fixed-width unpacker per bit width (offsets and
 * shifts are compile-time constants, no per-value branches) that also runs
 * the prefix sums of DELTA/DOD, writing straight into the caller's array
 * when it can; ALP doubles with a small integer range are read from a table
 * of exact quotients in the same pass.  Every byte read is bounds-checked
 * once per block.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "formats/enc_int.h"

#define B OTS_ENC_BLOCK
#define NEXT 3          /* distinct extremes examined on each side of a block */
#define HDR_REPEAT 0x7f /* block header: same width and base as the previous block */
#define HDR_EXC 0x80    /* block header: exceptions follow */

static_assert(B % 8 == 0 && B <= 256, "block size: whole bytes per width, exception positions fit a byte");
static_assert(B / 4 <= 255, "interleaved histogram counters are bytes");

int ots_enc_fail(ots_fmt_err *err, uint64_t off, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->offset = off;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return OTS_ECORRUPT;
}

static inline uint64_t wmask(unsigned w) { return w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1; }

/* ---- encoder: streams and per-block choice ------------------------------------------ */

#define WIDTHS(C)                                                                                                      \
    C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16) C(17) C(18) C(19)      \
    C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31) C(32) C(33) C(34) C(35) C(36) C(37)        \
    C(38) C(39) C(40) C(41) C(42) C(43) C(44) C(45) C(46) C(47) C(48) C(49) C(50) C(51) C(52) C(53) C(54) C(55)        \
    C(56) C(57) C(58) C(59) C(60) C(61) C(62) C(63) C(64)

enum { T_FOR = 0, T_DELTA = 1, T_DOD = 2 };

/* Length of the transformed stream of transform t over nv values. */
static size_t stream_len(int t, size_t nv) { return nv > (size_t)t ? nv - (size_t)t : 0; }

/* x[0..m) = block b of transform t's stream. */
static unsigned stream_block(int t, const int64_t *v, size_t nv, size_t b, uint64_t *x)
{
    size_t L = stream_len(t, nv), s = b * B;
    unsigned m = (unsigned)(L - s < B ? L - s : B);
    const int64_t *p = v + s;
    if (t == T_FOR) {
        for (unsigned i = 0; i < m; i++)
            x[i] = (uint64_t)p[i];
    } else if (t == T_DELTA) {
        for (unsigned i = 0; i < m; i++)
            x[i] = (uint64_t)p[i + 1] - (uint64_t)p[i];
    } else {
        for (unsigned i = 0; i < m; i++)
            x[i] = ((uint64_t)p[i + 2] - (uint64_t)p[i + 1]) - ((uint64_t)p[i + 1] - (uint64_t)p[i]);
    }
    return m;
}

typedef struct ext {
    int64_t v;
    uint32_t c;
} ext;

/* Insert s into the ascending (dir = 1) or descending (dir = -1) list of
 * the NEXT most extreme distinct values. */
static inline void ext_add(ext *e, unsigned *ne, int64_t s, uint32_t cnt, int dir)
{
    unsigned n = *ne, k = 0;
    while (k < n && (dir > 0 ? e[k].v < s : e[k].v > s))
        k++;
    if (k < n && e[k].v == s) {
        e[k].c += cnt;
        return;
    }
    if (k == NEXT)
        return;
    for (unsigned j = n < NEXT ? n : NEXT - 1; j > k; j--)
        e[j] = e[j - 1];
    e[k].v = s;
    e[k].c = cnt;
    if (n < NEXT)
        *ne = n + 1;
}

/* The NEXT smallest (lo, ascending) and largest (hi, descending) distinct
 * values of x[0..m) with their counts.  If the values span fewer than 256,
 * also returns 1 with h[v] = count of value mn + v (for v <= range). */
static int extremes(const uint64_t *x, unsigned m, ext *lo, unsigned *nlo, ext *hi, unsigned *nhi, uint32_t *h,
                    uint64_t *mn_out, uint64_t *range_out)
{
    int64_t mn = (int64_t)x[0], mx = mn;
    for (unsigned i = 1; i < m; i++) {
        int64_t s = (int64_t)x[i];
        mn = s < mn ? s : mn;
        mx = s > mx ? s : mx;
    }
    unsigned nl = 0, nh = 0;
    uint64_t range = (uint64_t)mx - (uint64_t)mn;
    *mn_out = (uint64_t)mn;
    *range_out = range;
    if (range == 0) {
        lo[0] = hi[0] = (ext){mn, m};
        *nlo = *nhi = 1;
        h[0] = m;
        return 1;
    }
    if (range < 256) {
        /* few values: a histogram (four interleaved, so runs of equal values
         * do not serialise on one counter), no branches per value */
        uint8_t h4[4][256]; /* B <= 256: a quarter of a block fits a byte */
        size_t r1 = (size_t)range + 1;
        for (unsigned k = 0; k < 4; k++)
            memset(h4[k], 0, r1);
        unsigned i = 0;
        for (; i + 4 <= m; i += 4) {
            h4[0][x[i] - (uint64_t)mn]++;
            h4[1][x[i + 1] - (uint64_t)mn]++;
            h4[2][x[i + 2] - (uint64_t)mn]++;
            h4[3][x[i + 3] - (uint64_t)mn]++;
        }
        for (; i < m; i++)
            h4[0][x[i] - (uint64_t)mn]++;
        for (size_t v = 0; v < r1; v++)
            h[v] = (uint32_t)h4[0][v] + h4[1][v] + h4[2][v] + h4[3][v];
        for (unsigned v = 0; v <= range && nl < NEXT; v++)
            if (h[v]) {
                lo[nl].v = (int64_t)((uint64_t)mn + v);
                lo[nl++].c = h[v];
            }
        for (unsigned v = (unsigned)range + 1; v-- > 0 && nh < NEXT;)
            if (h[v]) {
                hi[nh].v = (int64_t)((uint64_t)mn + v);
                hi[nh++].c = h[v];
            }
        *nlo = nl;
        *nhi = nh;
        return 1;
    }
    lo[0] = (ext){mn, 0};
    hi[0] = (ext){mx, 0};
    nl = nh = 1;
    for (unsigned i = 0; i < m; i++) {
        int64_t s = (int64_t)x[i];
        if (s <= lo[nl - 1].v || nl < NEXT)
            ext_add(lo, &nl, s, 1, 1);
        if (s >= hi[nh - 1].v || nh < NEXT)
            ext_add(hi, &nh, s, 1, -1);
    }
    *nlo = nl;
    *nhi = nh;
    return 0;
}

/* Widths zstd's byte-wise Huffman stage handles well: 0,1,2,4 or whole bytes. */
static unsigned align_width(unsigned w)
{
    if (w <= 2)
        return w;
    if (w <= 4)
        return 4;
    return (w + 7) & ~7u;
}

/* Bytes of one block with window (base, w), given that every value outside
 * lo[0..j) and hi[0..k) is in range (cost model == what the writer emits).
 * *exc_bytes gets the header + exception bytes (everything but the packing). */
static size_t block_cost(const ext *lo, unsigned j, const ext *hi, unsigned k, unsigned m, uint64_t base, unsigned w,
                         int repeat, size_t *exc_bytes)
{
    uint64_t mask = wmask(w);
    size_t c = 0, eb = 0;
    for (unsigned i = 0; i < j; i++) {
        uint64_t d = (uint64_t)lo[i].v - base;
        if (d > mask) {
            c += lo[i].c;
            eb += lo[i].c * (1 + ots_enc_vlen(ots_enc_zz(d)));
        }
    }
    for (unsigned i = 0; i < k; i++) {
        uint64_t d = (uint64_t)hi[i].v - base;
        if (d > mask) {
            c += hi[i].c;
            eb += hi[i].c * (1 + ots_enc_vlen(ots_enc_zz(d)));
        }
    }
    size_t h = (repeat ? 1 : 1 + ots_enc_vlen(ots_enc_zz(base))) + (c ? 1 + eb : 0);
    *exc_bytes = h;
    return h + ((size_t)m * w + 7) / 8;
}

/* Choose the cheapest window for a block in one mode (0 tight, 1 aligned
 * widths), given the previous block's decision (prev->w == 0xff: none). */
static size_t block_choose(const ext *lo, unsigned nl, const ext *hi, unsigned nh, unsigned m, int mode,
                           const ots_enc_blk *prev, ots_enc_blk *d, size_t *hdr_bytes)
{
    size_t best = SIZE_MAX;
    for (unsigned j = 0; j < nl; j++) {
        for (unsigned k = 0; k < nh; k++) {
            if (hi[k].v < lo[j].v)
                break; /* hi descends: every later top is lower still */
            uint64_t range = (uint64_t)hi[k].v - (uint64_t)lo[j].v;
            unsigned w = ots_enc_bitwidth(range);
            if (mode)
                w = align_width(w);
            /* lower bound: packing + header (+ count, position, value if excepting) */
            if (((size_t)m * w + 7) / 8 + (j + k ? 4 : 1) >= best)
                continue;
            uint64_t mask = wmask(w);
            size_t hb, c;
            /* the previous block's window, if it holds [lo[j], hi[k]] */
            if (prev->w == w) {
                uint64_t pb = (uint64_t)prev->base;
                uint64_t dl = (uint64_t)lo[j].v - pb, dh = (uint64_t)hi[k].v - pb;
                if (dl <= dh && dh <= mask) {
                    c = block_cost(lo, j, hi, k, m, pb, w, 1, &hb);
                    if (c < best) {
                        best = c;
                        *d = *prev;
                        *hdr_bytes = hb;
                    }
                }
            }
            /* a window centred on [lo[j], hi[k]] (w < 64 leaves slack) */
            uint64_t base = (uint64_t)lo[j].v;
            if (w < 64)
                base -= (mask - range) / 2;
            c = block_cost(lo, j, hi, k, m, base, w, prev->w == w && (uint64_t)prev->base == base, &hb);
            if (c < best) {
                best = c;
                d->base = (int64_t)base;
                d->w = (uint8_t)w;
                *hdr_bytes = hb;
            }
        }
    }
    return best;
}

static size_t prefix_len(int t, const int64_t *v, size_t nv)
{
    size_t n = 0;
    if (t >= T_DELTA && nv >= 1)
        n += ots_enc_vlen(ots_enc_zz((uint64_t)v[0]));
    if (t == T_DOD && nv >= 2)
        n += ots_enc_vlen(ots_enc_zz((uint64_t)v[1] - (uint64_t)v[0]));
    return n;
}

/* Shannon estimate, in bytes, of coding hist[0..256) (total cnt symbols). */
static double entropy_bytes(const uint32_t *hist, uint64_t cnt)
{
    if (!cnt)
        return 0;
    double bits = 0, n = (double)cnt;
    for (unsigned s = 0; s < 256; s++)
        if (hist[s])
            bits += hist[s] * log2(n / hist[s]);
    return bits / 8;
}

/* Sizes of transform t's body over every step-th block: s[0] tight bytes,
 * s[1] aligned bytes, *est the aligned body's estimated size after entropy
 * coding.  With step 1 the decisions go to bt (tight) and ba (aligned). */
static void plan_transform(int t, const int64_t *v, size_t nv, int aligned, size_t step, ots_enc_blk *bt,
                           ots_enc_blk *ba, size_t *s, double *est)
{
    size_t nblk = (stream_len(t, nv) + B - 1) / B;
    size_t s0 = prefix_len(t, v, nv), s1 = s0;
    double other = (double)s0; /* mode 1 bytes not entropy-coded by symbol */
    uint32_t hist[256] = {0};
    uint64_t hcnt = 0;
    ots_enc_blk prev[2] = {{0, 0xff}, {0, 0xff}}, d[2];
    uint64_t x[B];
    for (size_t b = 0; b < nblk; b += step) {
        unsigned m = stream_block(t, v, nv, b, x);
        ext lo[NEXT], hi[NEXT];
        unsigned nl, nh;
        size_t hb;
        uint32_t h[256];
        uint64_t hmn, hrange;
        int have_h = extremes(x, m, lo, &nl, hi, &nh, h, &hmn, &hrange);
        s0 += block_choose(lo, nl, hi, nh, m, 0, &prev[0], &d[0], &hb);
        prev[0] = d[0];
        if (bt)
            bt[b] = d[0];
        if (!aligned) {
            if (ba)
                ba[b] = d[0];
            continue;
        }
        s1 += block_choose(lo, nl, hi, nh, m, 1, &prev[1], &d[1], &hb);
        prev[1] = d[1];
        if (ba)
            ba[b] = d[1];
        unsigned w = d[1].w;
        other += (double)hb;
        if (w > 8) {
            other += (double)(((size_t)m * w + 7) / 8);
        } else if (w > 0) {
            uint64_t base = (uint64_t)d[1].base, mask = wmask(w);
            uint64_t off = hmn - base;
            if (have_h && off <= mask && hrange <= mask - off) {
                /* every value in range: symbol = k + off */
                for (uint64_t k = 0; k <= hrange; k++)
                    hist[k + off] += h[k];
                hcnt += m;
            } else if (have_h) { /* symbol y = (hmn + k) - base, if in range */
                for (uint64_t k = 0; k <= hrange; k++) {
                    uint64_t y = off + k;
                    uint32_t c = y <= mask ? h[k] : 0;
                    hist[y & 255] += c;
                    hcnt += c;
                }
            } else {
                for (unsigned i = 0; i < m; i++) {
                    uint64_t y = x[i] - base;
                    if (y <= mask) {
                        hist[y]++;
                        hcnt++;
                    }
                }
            }
        }
    }
    s[0] = s0;
    s[1] = aligned ? s1 : s0;
    *est = aligned ? other + entropy_bytes(hist, hcnt) : (double)s0;
}

/* Chunks of at least this many blocks choose their transforms on a sample
 * of every SAMPLE_STEP-th block and plan in full only those within 5% of
 * the best (per mode). */
#define SAMPLE_MIN_BLOCKS 24
#define SAMPLE_STEP 8

int ots_enc_int_plan_make(const int64_t *v, size_t nv, int aligned, ots_enc_int_plan *p)
{
    memset(p, 0, sizeof *p);
    p->nv = nv;
    if (nv == 0) {
        p->enc[0] = p->enc[1] = OTS_ENC_RAW;
        return OTS_OK;
    }
    int64_t mn = v[0], mx = v[0];
    for (size_t i = 1; i < nv; i++) {
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    p->min = mn;
    p->max = mx;
    if (mn == mx && ots_enc_vlen(ots_enc_zz((uint64_t)mn)) <= nv * 8) {
        p->enc[0] = p->enc[1] = OTS_ENC_CONST;
        p->size[0] = p->size[1] = ots_enc_vlen(ots_enc_zz((uint64_t)mn));
        return OTS_OK;
    }
    size_t tot = 0;
    for (int t = 0; t < 3; t++) {
        p->nblk[t] = (stream_len(t, nv) + B - 1) / B;
        tot += p->nblk[t];
    }
    int want[3] = {1, 1, 1};
    if (p->nblk[0] >= SAMPLE_MIN_BLOCKS) {
        size_t s[3][2];
        double e[3], b0 = 1e300, b1 = 1e300;
        for (int t = 0; t < 3; t++) {
            plan_transform(t, v, nv, aligned, SAMPLE_STEP, NULL, NULL, s[t], &e[t]);
            b0 = (double)s[t][0] < b0 ? (double)s[t][0] : b0;
            b1 = e[t] < b1 ? e[t] : b1;
        }
        for (int t = 0; t < 3; t++)
            want[t] = (double)s[t][0] <= b0 * 1.05 || (aligned && e[t] <= b1 * 1.05);
    }
    p->blk = ots_malloc(tot * 2 * sizeof *p->blk);
    if (!p->blk)
        return OTS_ENOMEM;
    ots_enc_blk *bp = p->blk;
    for (int t = 0; t < 3; t++) {
        if (want[t]) {
            plan_transform(t, v, nv, aligned, 1, bp, bp + p->nblk[t], p->tsize[t], &p->test[t]);
        } else {
            p->tsize[t][0] = p->tsize[t][1] = SIZE_MAX;
            p->test[t] = 1e300;
        }
        bp += 2 * p->nblk[t];
    }
    /* RAW is the fallback: a body never exceeds 8 bytes a value. */
    static const uint8_t tenc[3] = {OTS_ENC_FOR, OTS_ENC_DELTA, OTS_ENC_DOD};
    p->enc[0] = p->enc[1] = OTS_ENC_RAW;
    p->size[0] = p->size[1] = nv * 8;
    double best1 = (double)nv * 8;
    for (int t = 0; t < 3; t++) {
        if (p->tsize[t][0] < p->size[0]) {
            p->enc[0] = tenc[t];
            p->size[0] = p->tsize[t][0];
        }
        if (p->test[t] < best1 && p->tsize[t][1] <= nv * 8) {
            best1 = p->test[t];
            p->enc[1] = tenc[t];
            p->size[1] = p->tsize[t][1];
        }
    }
    return OTS_OK;
}

void ots_enc_int_plan_free(ots_enc_int_plan *p)
{
    if (p) {
        ots_free(p->blk);
        p->blk = NULL;
    }
}

/* Bit-pack B values (each < 2^w) LSB-first into out (B*w/8 bytes + 8 bytes of
 * slack that may be overwritten).  w is a compile-time constant in each
 * instantiation: every group of 8 values becomes w bytes built in registers. */
static inline __attribute__((always_inline)) void pack_t(const uint64_t *y, uint8_t *out, const unsigned w)
{
    for (unsigned g = 0; g < B / 8; g++) {
        const uint64_t *v = y + (size_t)g * 8;
        uint8_t *q = out + (size_t)g * w;
        uint64_t wd[9] = {0};
#define PACK1(j)                                                                                                       \
    do {                                                                                                               \
        const unsigned bit_ = (j)*w, k_ = bit_ >> 6, sh_ = bit_ & 63;                                                  \
        if (w) {                                                                                                       \
            wd[k_] |= v[j] << sh_;                                                                                     \
            if (sh_ + w > 64)                                                                                          \
                wd[k_ + 1] |= v[j] >> ((64 - sh_) & 63);                                                               \
        }                                                                                                              \
    } while (0)
        PACK1(0);
        PACK1(1);
        PACK1(2);
        PACK1(3);
        PACK1(4);
        PACK1(5);
        PACK1(6);
        PACK1(7);
#undef PACK1
        for (unsigned k = 0; k < (w + 7) / 8; k++)
            ots_enc_st64(q + 8 * k, wd[k]);
    }
}

/* Bit-pack y[0..B) (each < 2^w) LSB-first; writes ceil(m*w/8) bytes. */
static size_t pack(const uint64_t *y, unsigned m, unsigned w, uint8_t *dst)
{
    size_t nbytes = ((size_t)m * w + 7) / 8;
    if (w == 0)
        return 0;
    uint8_t buf[B / 8 * 64 + 8];
    switch (w) {
#define C(W)                                                                                                           \
    case W: pack_t(y, buf, W); break;
        WIDTHS(C)
#undef C
    default: break;
    }
    memcpy(dst, buf, nbytes);
    return nbytes;
}

static size_t write_block(const uint64_t *x, unsigned m, const ots_enc_blk *d, int repeat, uint8_t *dst)
{
    uint8_t *o = dst;
    uint64_t y[B];
    uint8_t epos[B];
    unsigned ne = 0;
    uint64_t base = (uint64_t)d->base, mask = wmask(d->w);
    for (unsigned i = 0; i < m; i++) {
        uint64_t r = x[i] - base;
        if (r > mask) {
            epos[ne++] = (uint8_t)i;
            r = 0;
        }
        y[i] = r;
    }
    for (unsigned i = m; i < B; i++)
        y[i] = 0;
    *o++ = (uint8_t)((repeat ? HDR_REPEAT : d->w) | (ne ? HDR_EXC : 0));
    if (!repeat)
        o += ots_fmt_varint_put(o, ots_enc_zz(base));
    if (ne) {
        *o++ = (uint8_t)(ne - 1);
        for (unsigned k = 0; k < ne; k++) {
            *o++ = epos[k];
            o += ots_fmt_varint_put(o, ots_enc_zz(x[epos[k]] - base));
        }
    }
    o += pack(y, m, d->w, o);
    return (size_t)(o - dst);
}

size_t ots_enc_int_write(const ots_enc_int_plan *p, const int64_t *v, int mode, uint8_t *dst)
{
    uint8_t *o = dst;
    size_t nv = p->nv;
    switch (p->enc[mode]) {
    case OTS_ENC_RAW:
        for (size_t i = 0; i < nv; i++)
            ots_le64_put(o + 8 * i, (uint64_t)v[i]);
        return nv * 8;
    case OTS_ENC_CONST:
        return ots_fmt_varint_put(o, ots_enc_zz((uint64_t)v[0]));
    default:
        break;
    }
    int t = p->enc[mode] == OTS_ENC_FOR ? T_FOR : p->enc[mode] == OTS_ENC_DELTA ? T_DELTA : T_DOD;
    if (t >= T_DELTA && nv >= 1)
        o += ots_fmt_varint_put(o, ots_enc_zz((uint64_t)v[0]));
    if (t == T_DOD && nv >= 2)
        o += ots_fmt_varint_put(o, ots_enc_zz((uint64_t)v[1] - (uint64_t)v[0]));
    const ots_enc_blk *bp = p->blk;
    for (int k = 0; k < t; k++)
        bp += 2 * p->nblk[k];
    bp += mode ? p->nblk[t] : 0;
    uint64_t x[B];
    for (size_t b = 0; b < p->nblk[t]; b++) {
        unsigned m = stream_block(t, v, nv, b, x);
        int repeat = b > 0 && bp[b].w == bp[b - 1].w && bp[b].base == bp[b - 1].base;
        o += write_block(x, m, &bp[b], repeat, o);
    }
    assert((size_t)(o - dst) == p->tsize[t][mode]);
    return (size_t)(o - dst);
}

/* ---- decoder ---------------------------------------------------------------------------- */

/* Unpack B values of w bits from in (which has >= B*w/8 + 8 readable bytes)
 * and store, per mode: 0 (FOR) out[i] = base + v; 1 (DELTA) the running sum
 * of base + v; 2 (DOD) the running sum of the running sum.  w and mode are
 * compile-time constants in each instantiation, so every shift and offset
 * below is an immediate. */
static inline __attribute__((always_inline)) void unpack_t(const uint8_t *in, uint64_t base, uint64_t *out,
                                                           uint64_t *accp, uint64_t *dlp, const unsigned w,
                                                           const int mode)
{
    const uint64_t mask = w >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << (w & 63)) - 1);
    uint64_t acc = *accp, dl = *dlp;
    for (unsigned g = 0; g < B / 8; g++) {
        const uint8_t *q = in + (size_t)g * w;
        uint64_t *o = out + (size_t)g * 8;
#define UNPACK1(j)                                                                                                     \
    do {                                                                                                               \
        const unsigned bit_ = (j)*w, off_ = bit_ >> 3, sh_ = bit_ & 7;                                                 \
        uint64_t x_ = w ? ots_enc_ld64(q + off_) >> sh_ : 0;                                                           \
        if (sh_ + w > 64)                                                                                              \
            x_ |= (uint64_t)q[off_ + 8] << ((64 - sh_) & 63);                                                          \
        x_ = base + (x_ & mask);                                                                                       \
        if (mode == 0) {                                                                                               \
            o[j] = x_;                                                                                                 \
        } else if (mode == 1) {                                                                                        \
            acc += x_;                                                                                                 \
            o[j] = acc;                                                                                                \
        } else {                                                                                                       \
            dl += x_;                                                                                                  \
            acc += dl;                                                                                                 \
            o[j] = acc;                                                                                                \
        }                                                                                                              \
    } while (0)
        UNPACK1(0);
        UNPACK1(1);
        UNPACK1(2);
        UNPACK1(3);
        UNPACK1(4);
        UNPACK1(5);
        UNPACK1(6);
        UNPACK1(7);
#undef UNPACK1
    }
    *accp = acc;
    *dlp = dl;
}

static void unpack_for(const uint8_t *in, uint64_t base, uint64_t *out, unsigned w)
{
    uint64_t a = 0, d = 0;
    switch (w) {
#define C(W)                                                                                                           \
    case W: unpack_t(in, base, out, &a, &d, W, 0); break;
        WIDTHS(C)
#undef C
    default: break; /* callers check w <= 64 */
    }
}

static void unpack_delta(const uint8_t *in, uint64_t base, uint64_t *out, unsigned w, uint64_t *acc)
{
    uint64_t d = 0;
    switch (w) {
#define C(W)                                                                                                           \
    case W: unpack_t(in, base, out, acc, &d, W, 1); break;
        WIDTHS(C)
#undef C
    default: break;
    }
}

static void unpack_dod(const uint8_t *in, uint64_t base, uint64_t *out, unsigned w, uint64_t *acc, uint64_t *dl)
{
    switch (w) {
#define C(W)                                                                                                           \
    case W: unpack_t(in, base, out, acc, dl, W, 2); break;
        WIDTHS(C)
#undef C
    default: break;
    }
}

/* ALP fast path: unpack B values and store doubles straight from the decoding
 * table.  mode 0 (FOR): x = base + v; mode 1 (DELTA): x = running sum.  idx
 * = x - imin indexes the table (masked, so never out of bounds); *chk
 * accumulates every idx so the caller can tell whether one exceeded pmask
 * (a corrupt chunk).  *accp holds the running sum for DELTA. */
#define TAB_WMAX 20 /* a table spans < 2^16 values, so valid FOR/DELTA widths are <= 17 */
static inline __attribute__((always_inline)) void unpack_tab_t(const uint8_t *in, uint64_t base, double *out,
                                                               uint64_t *accp, const double *tab, uint64_t imin,
                                                               uint64_t pmask, uint64_t *chkp, const unsigned w,
                                                               const int mode)
{
    const uint64_t mask = ((uint64_t)1 << w) - 1;
    uint64_t acc = *accp - imin, chk = 0, bo = base - imin;
    for (unsigned g = 0; g < B / 8; g++) {
        const uint8_t *q = in + (size_t)g * w;
        double *o = out + (size_t)g * 8;
#define UNPACK1(j)                                                                                                     \
    do {                                                                                                               \
        const unsigned bit_ = (j)*w, off_ = bit_ >> 3, sh_ = bit_ & 7;                                                 \
        uint64_t x_ = w ? (ots_enc_ld64(q + off_) >> sh_) & mask : 0;                                                  \
        uint64_t i_;                                                                                                   \
        if (mode == 0) {                                                                                               \
            i_ = x_ + bo;                                                                                              \
        } else {                                                                                                       \
            acc += x_ + base;                                                                                          \
            i_ = acc;                                                                                                  \
        }                                                                                                              \
        chk |= i_;                                                                                                     \
        o[j] = tab[i_ & pmask];                                                                                        \
    } while (0)
        UNPACK1(0);
        UNPACK1(1);
        UNPACK1(2);
        UNPACK1(3);
        UNPACK1(4);
        UNPACK1(5);
        UNPACK1(6);
        UNPACK1(7);
#undef UNPACK1
    }
    *accp = acc + imin;
    *chkp |= chk;
}

#define TAB_WIDTHS(C)                                                                                                  \
    C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16) C(17) C(18) C(19) C(20)

/* Returns 0 if w has no fast path. */
static int unpack_tab(const uint8_t *in, uint64_t base, double *out, uint64_t *acc, const ots_enc_sink *s, uint64_t *chk,
                      unsigned w, int t)
{
    const double *tab = s->tab;
    uint64_t imin = s->imin, pmask = s->pmask;
    if (t == T_FOR) {
        switch (w) {
#define C(W)                                                                                                           \
    case W: unpack_tab_t(in, base, out, acc, tab, imin, pmask, chk, W, 0); return 1;
            TAB_WIDTHS(C)
#undef C
        default: return 0;
        }
    }
    switch (w) {
#define C(W)                                                                                                           \
    case W: unpack_tab_t(in, base, out, acc, tab, imin, pmask, chk, W, 1); return 1;
        TAB_WIDTHS(C)
#undef C
    default: return 0;
    }
}

/* Store m decoded values x[0..m) at out index `at` of a non-int64 sink.
 * *bad gets set if a value is out of the sink's range. */
static inline void emit(const ots_enc_sink *s, size_t at, const uint64_t *x, unsigned m, uint64_t *bad)
{
    if (s->f64) {
        double *o = s->f64 + at;
        const uint64_t imin = s->imin;
        uint64_t chk = 0;
        if (m == B) {
            for (unsigned i = 0; i < B; i++) /* constant trip count: vectorised */
                chk |= x[i] - imin;
        } else {
            for (unsigned i = 0; i < m; i++)
                chk |= x[i] - imin;
        }
        if (chk > s->pmask) {
            *bad |= 1;
            return;
        }
        if (s->tab) {
            const double *tab = s->tab;
            for (unsigned i = 0; i < m; i++)
                o[i] = tab[x[i] - imin];
        } else {
            const double dv = s->div;
            for (unsigned i = 0; i < m; i++)
                o[i] = (double)(int64_t)x[i] / dv;
        }
    } else if (s->u32) {
        uint32_t *o = s->u32 + at;
        const uint64_t lim = s->limit;
        uint64_t b = 0;
        for (unsigned i = 0; i < m; i++) {
            b |= x[i] >= lim;
            o[i] = (uint32_t)x[i];
        }
        *bad |= b;
    } else {
        memcpy(s->i64 + at, x, (size_t)m * 8);
    }
}

static int sink_check(uint64_t bad, const ots_enc_sink *s, uint64_t off, ots_fmt_err *err)
{
    if (!bad)
        return OTS_OK;
    if (s->f64)
        return ots_enc_fail(err, off, "expected ALP integers within [min, min + %llu]",
                            (unsigned long long)s->pmask);
    return ots_enc_fail(err, off, "expected dictionary codes below %llu", (unsigned long long)s->limit);
}

static int get_varint(const uint8_t *src, size_t len, size_t *pos, uint64_t *v, uint64_t off, ots_fmt_err *err,
                      const char *what)
{
    size_t k = ots_fmt_varint_get(src + *pos, len - *pos, v);
    if (!k)
        return ots_enc_fail(err, off + *pos, "expected %s (varint)", what);
    *pos += k;
    return OTS_OK;
}

int ots_enc_int_decode(const uint8_t *src, size_t len, uint8_t enc, size_t nv, const ots_enc_sink *sink, uint64_t off,
                       ots_fmt_err *err)
{
    uint64_t tmp[B], bad = 0;
    size_t pos = 0;
    int rc;
    switch (enc) {
    case OTS_ENC_RAW: {
        if (len / 8 != nv || len % 8)
            return ots_enc_fail(err, off, "expected RAW integer body of %zu bytes, found %zu", nv * 8, len);
        for (size_t i = 0; i < nv; i += B) {
            unsigned m = (unsigned)(nv - i < B ? nv - i : B);
            for (unsigned k = 0; k < m; k++)
                tmp[k] = ots_enc_ld64(src + 8 * (i + k));
            emit(sink, i, tmp, m, &bad);
        }
        return sink_check(bad, sink, off, err);
    }
    case OTS_ENC_CONST: {
        uint64_t c;
        if ((rc = get_varint(src, len, &pos, &c, off, err, "CONST value")))
            return rc;
        if (pos != len)
            return ots_enc_fail(err, off + pos, "expected end of CONST body");
        for (unsigned k = 0; k < B; k++)
            tmp[k] = ots_enc_unzz(c);
        for (size_t i = 0; i < nv; i += B)
            emit(sink, i, tmp, (unsigned)(nv - i < B ? nv - i : B), &bad);
        return sink_check(bad, sink, off, err);
    }
    case OTS_ENC_FOR:
    case OTS_ENC_DELTA:
    case OTS_ENC_DOD:
        break;
    default:
        return ots_enc_fail(err, off, "expected an integer encoding, found %u", enc);
    }
    int t = enc == OTS_ENC_FOR ? T_FOR : enc == OTS_ENC_DELTA ? T_DELTA : T_DOD;
    uint64_t acc = 0, dl = 0;
    size_t at = 0;
    if (t >= T_DELTA && nv >= 1) {
        if ((rc = get_varint(src, len, &pos, &acc, off, err, "first value")))
            return rc;
        acc = ots_enc_unzz(acc);
        emit(sink, at++, &acc, 1, &bad);
    }
    if (t == T_DOD && nv >= 2) {
        if ((rc = get_varint(src, len, &pos, &dl, off, err, "first delta")))
            return rc;
        dl = ots_enc_unzz(dl);
        acc += dl;
        emit(sink, at++, &acc, 1, &bad);
    }
    size_t L = stream_len(t, nv);
    uint8_t pad[B / 8 * 64 + 8];
    uint8_t epos[B];
    uint64_t eval[B];
    uint64_t base = 0;
    unsigned w = 0;
    int have_prev = 0;
    for (size_t s = 0; s < L; s += B) {
        unsigned m = (unsigned)(L - s < B ? L - s : B);
        if (pos >= len)
            return ots_enc_fail(err, off + pos, "expected block header for values %zu..", s);
        unsigned hb = src[pos++];
        if ((hb & 0x7f) == HDR_REPEAT) {
            if (!have_prev)
                return ots_enc_fail(err, off + pos - 1, "expected a full header in the first block");
        } else {
            w = hb & 0x7f;
            if (w > 64)
                return ots_enc_fail(err, off + pos - 1, "expected bit width <= 64, found %u", w);
            if ((rc = get_varint(src, len, &pos, &base, off, err, "block base")))
                return rc;
            base = ots_enc_unzz(base);
        }
        have_prev = 1;
        unsigned ne = 0;
        if (hb & HDR_EXC) {
            if (pos >= len)
                return ots_enc_fail(err, off + pos, "expected exception count");
            ne = (unsigned)src[pos++] + 1;
            if (ne > m)
                return ots_enc_fail(err, off + pos - 1, "expected at most %u exceptions, found %u", m, ne);
            for (unsigned k = 0; k < ne; k++) {
                if (pos >= len)
                    return ots_enc_fail(err, off + pos, "expected exception position");
                epos[k] = src[pos++];
                if (epos[k] >= m)
                    return ots_enc_fail(err, off + pos - 1, "expected exception position < %u", m);
                if ((rc = get_varint(src, len, &pos, &eval[k], off, err, "exception value")))
                    return rc;
            }
        }
        size_t nbytes = ((size_t)m * w + 7) / 8;
        if (nbytes > len - pos)
            return ots_enc_fail(err, off + pos, "expected %zu packed bytes, %zu left", nbytes, len - pos);
        const uint8_t *in = src + pos;
        if (m < B || len - pos < nbytes + 8) {
            memcpy(pad, in, nbytes);
            memset(pad + nbytes, 0, (size_t)B / 8 * w + 8 - nbytes);
            in = pad;
        }
        pos += nbytes;
        /* full blocks of ALP doubles with a table, or of an int64 sink, are
         * written in place */
        if (!ne && m == B && sink->tab && t != T_DOD && w <= TAB_WMAX) {
            uint64_t chk = 0;
            if (unpack_tab(in, base, sink->f64 + at, &acc, sink, &chk, w, t)) {
                bad |= chk > sink->pmask;
                at += m;
                continue;
            }
        }
        uint64_t *o = sink->i64 && m == B ? (uint64_t *)sink->i64 + at : tmp;
        if (!ne) {
            if (t == T_FOR)
                unpack_for(in, base, o, w);
            else if (t == T_DELTA)
                unpack_delta(in, base, o, w, &acc);
            else
                unpack_dod(in, base, o, w, &acc, &dl);
        } else {
            unpack_for(in, base, o, w);
            for (unsigned k = 0; k < ne; k++)
                o[epos[k]] = base + ots_enc_unzz(eval[k]);
            if (t == T_DELTA) {
                for (unsigned i = 0; i < m; i++) {
                    acc += o[i];
                    o[i] = acc;
                }
            } else if (t == T_DOD) {
                for (unsigned i = 0; i < m; i++) {
                    dl += o[i];
                    acc += dl;
                    o[i] = acc;
                }
            }
        }
        if (o == tmp)
            emit(sink, at, tmp, m, &bad);
        at += m;
    }
    if (pos != len)
        return ots_enc_fail(err, off + pos, "expected end of integer body, %zu bytes remain", len - pos);
    return sink_check(bad, sink, off, err);
}
