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
 * Per block the encoder looks at the three smallest and three largest
 * distinct values (a histogram when the block spans fewer than 256 values)
 * and picks the cheapest (in-range window, exceptions) pair, pruned by a
 * lower bound on each pair's cost.  The window's base is kept from the
 * previous block when the new values fit (the header then shrinks to one
 * byte) or else centred on the values, so that a stationary column keeps
 * the same base — and the same byte symbols — block after block, which is
 * what zstd's Huffman stage needs.  Two bodies can be written: one with the
 * tightest bit widths, and one with widths of 0, 1, 2, 4 or whole bytes as
 * the candidate to hand to zstd, the latter only when an entropy estimate
 * says zstd over it may pass the zstd policy (enc_int.h).  Long columns
 * compare FOR, DELTA and DOD on a sample of every 8th block, then analyse
 * and write each block of the chosen transform in one pass (those within 5%
 * of the best are all written and the smallest kept); short columns are
 * analysed in full first.  Working arrays are per-thread scratch.
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

/* clang-format off */
#define WIDTHS(C)                                                                                  \
    C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)   \
    C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31)     \
    C(32) C(33) C(34) C(35) C(36) C(37) C(38) C(39) C(40) C(41) C(42) C(43) C(44) C(45) C(46)     \
    C(47) C(48) C(49) C(50) C(51) C(52) C(53) C(54) C(55) C(56) C(57) C(58) C(59) C(60) C(61)     \
    C(62) C(63) C(64)
/* clang-format on */

enum { T_FOR = 0, T_DELTA = 1, T_DOD = 2 };

/* Length of the transformed stream of transform t over nv values. */
static size_t stream_len(int t, size_t nv) { return nv > (size_t)t ? nv - (size_t)t : 0; }

/* x[0..m) = block b of transform t's stream.  (Full blocks have a constant
 * trip count, so the compiler vectorises them.) */
static inline unsigned stream_block(int t, const int64_t *restrict v, size_t nv, size_t b, uint64_t *restrict x)
{
    size_t L = stream_len(t, nv), s = b * B;
    unsigned m = (unsigned)(L - s < B ? L - s : B);
    const int64_t *restrict p = v + s;
    if (t == T_FOR) {
        memcpy(x, p, (size_t)m * 8);
    } else if (t == T_DELTA) {
        if (m == B) {
            for (unsigned i = 0; i < B; i++)
                x[i] = (uint64_t)p[i + 1] - (uint64_t)p[i];
        } else {
            for (unsigned i = 0; i < m; i++)
                x[i] = (uint64_t)p[i + 1] - (uint64_t)p[i];
        }
    } else {
        if (m == B) {
            for (unsigned i = 0; i < B; i++)
                x[i] = ((uint64_t)p[i + 2] - (uint64_t)p[i + 1]) - ((uint64_t)p[i + 1] - (uint64_t)p[i]);
        } else {
            for (unsigned i = 0; i < m; i++)
                x[i] = ((uint64_t)p[i + 2] - (uint64_t)p[i + 1]) - ((uint64_t)p[i + 1] - (uint64_t)p[i]);
        }
    }
    return m;
}

/* Signed min and max of a full block.  The compiler vectorises the constant
 * trip count where the target has 64-bit compares (AVX2), so x86-64 builds
 * carry an AVX2 copy chosen at run time. */
static inline __attribute__((always_inline)) void minmax_b_body(const uint64_t *x, int64_t *mn_out, int64_t *mx_out)
{
    int64_t mn = (int64_t)x[0], mx = mn;
    for (unsigned i = 0; i < B; i++) {
        int64_t s = (int64_t)x[i];
        mn = s < mn ? s : mn;
        mx = s > mx ? s : mx;
    }
    *mn_out = mn;
    *mx_out = mx;
}

static void minmax_b_generic(const uint64_t *x, int64_t *mn, int64_t *mx) { minmax_b_body(x, mn, mx); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static void minmax_b_avx2(const uint64_t *x, int64_t *mn, int64_t *mx)
{
    minmax_b_body(x, mn, mx);
}
static void minmax_b(const uint64_t *x, int64_t *mn, int64_t *mx)
{
    if (__builtin_cpu_supports("avx2"))
        minmax_b_avx2(x, mn, mx);
    else
        minmax_b_generic(x, mn, mx);
}
#else
#define minmax_b minmax_b_generic
#endif

typedef struct ext {
    int64_t v;
    uint32_t c;
} ext;

typedef uint64_t v2u_t __attribute__((vector_size(16)));

/* What the window choice needs to know about one block's values. */
typedef struct blkan {
    unsigned m;             /* values */
    unsigned nl, nh;        /* entries in lo / hi */
    ext lo[NEXT], hi[NEXT]; /* the NEXT smallest (ascending) / largest (descending) distinct values, with counts */
    uint64_t mn, range;     /* smallest value, largest - smallest */
    int hist;               /* 0 < range < 256: h4 holds the counts (value mn + k in h4[k][0..3]) */
    union {                 /* four interleaved histograms (B <= 256: a quarter of a block fits a byte) */
        uint8_t h4[256][4];
        uint32_t h32[256];
        v2u_t h128[64];
    };
} blkan;

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

/* Count of value mn + k: the four byte counters (each <= B / 4) summed by a
 * multiply into the top byte. */
static inline unsigned h4_count(const blkan *a, unsigned k) { return (a->h32[k] * 0x01010101u) >> 24; }

/* Fill a from x[0..m): extremes, and a histogram if the values span fewer
 * than 256. */
static void analyze(const uint64_t *x, unsigned m, blkan *a)
{
    a->m = m;
    int64_t mn, mx;
    unsigned i;
    if (m == B) {
        minmax_b(x, &mn, &mx);
    } else {
        mn = mx = (int64_t)x[0];
        for (i = 1; i < m; i++) {
            int64_t s = (int64_t)x[i];
            mn = s < mn ? s : mn;
            mx = s > mx ? s : mx;
        }
    }
    uint64_t range = (uint64_t)mx - (uint64_t)mn;
    a->mn = (uint64_t)mn;
    a->range = range;
    a->hist = 0;
    if (range == 0) {
        a->lo[0] = a->hi[0] = (ext){mn, m};
        a->nl = a->nh = 1;
        return;
    }
    unsigned nl = 0, nh = 0;
    if (range < 256) {
        /* few values: a histogram (four interleaved, so runs of equal values
         * do not serialise on one counter), no branches per value */
        /* 16-byte stores (the empty asm keeps the compiler from turning
         * this into a memset call or rep stos, both slow at this size) */
        for (unsigned k = 0, nw = ((unsigned)range + 4) / 4; k < nw; k++) {
            a->h128[k] = (v2u_t){0, 0};
            __asm__("" ::: "memory");
        }
        const uint64_t b = (uint64_t)mn;
        for (i = 0; i + 4 <= m; i += 4) {
            a->h4[x[i] - b][0]++;
            a->h4[x[i + 1] - b][1]++;
            a->h4[x[i + 2] - b][2]++;
            a->h4[x[i + 3] - b][3]++;
        }
        for (; i < m; i++)
            a->h4[x[i] - b][0]++;
        a->hist = 1;
        /* only the ends are needed: the extremes are found from each side */
        for (unsigned v = 0; v <= range && nl < NEXT; v++) {
            unsigned c = h4_count(a, v);
            if (c) {
                a->lo[nl].v = (int64_t)(b + v);
                a->lo[nl++].c = c;
            }
        }
        for (unsigned v = (unsigned)range + 1; v-- > 0 && nh < NEXT;) {
            unsigned c = h4_count(a, v);
            if (c) {
                a->hi[nh].v = (int64_t)(b + v);
                a->hi[nh++].c = c;
            }
        }
        a->nl = nl;
        a->nh = nh;
        return;
    }
    a->lo[0] = (ext){mn, 0};
    a->hi[0] = (ext){mx, 0};
    nl = nh = 1;
    for (i = 0; i < m; i++) {
        int64_t s = (int64_t)x[i];
        if (s <= a->lo[nl - 1].v || nl < NEXT)
            ext_add(a->lo, &nl, s, 1, 1);
        if (s >= a->hi[nh - 1].v || nh < NEXT)
            ext_add(a->hi, &nh, s, 1, -1);
    }
    a->nl = nl;
    a->nh = nh;
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
 * *hdr_bytes gets the header + exception bytes (everything but the packing),
 * *nexc the number of exceptions. */
static size_t block_cost(const blkan *a, unsigned j, unsigned k, uint64_t base, unsigned w, int repeat,
                         size_t *hdr_bytes, unsigned *nexc)
{
    uint64_t mask = wmask(w);
    size_t c = 0, eb = 0;
    for (unsigned i = 0; i < j; i++) {
        uint64_t d = (uint64_t)a->lo[i].v - base;
        if (d > mask) {
            c += a->lo[i].c;
            eb += a->lo[i].c * (1 + ots_enc_vlen(ots_enc_zz(d)));
        }
    }
    for (unsigned i = 0; i < k; i++) {
        uint64_t d = (uint64_t)a->hi[i].v - base;
        if (d > mask) {
            c += a->hi[i].c;
            eb += a->hi[i].c * (1 + ots_enc_vlen(ots_enc_zz(d)));
        }
    }
    size_t h = (repeat ? 1 : 1 + ots_enc_vlen(ots_enc_zz(base))) + (c ? 1 + eb : 0);
    *hdr_bytes = h;
    *nexc = (unsigned)c;
    return h + ((size_t)a->m * w + 7) / 8;
}

/* A block decision with what the writer needs to know. */
typedef struct choice {
    ots_enc_blk d; /* window */
    size_t bytes;  /* block bytes */
    size_t hdr;    /* header + exception bytes */
    unsigned nexc; /* exceptions */
} choice;

/* Choose the cheapest window for a block in one mode (0 tight, 1 aligned
 * widths), given the previous block's decision (prev->w == 0xff: none). */
static void block_choose(const blkan *a, int mode, const ots_enc_blk *prev, choice *ch)
{
    size_t best = SIZE_MAX;
    unsigned m = a->m;
    unsigned w00 = ots_enc_bitwidth(a->range);
    if (mode)
        w00 = align_width(w00);
    for (unsigned j = 0; j < a->nl; j++) {
        for (unsigned k = 0; k < a->nh; k++) {
            if (a->hi[k].v < a->lo[j].v)
                break; /* hi descends: every later top is lower still */
            uint64_t range = (uint64_t)a->hi[k].v - (uint64_t)a->lo[j].v;
            unsigned w = ots_enc_bitwidth(range);
            if (mode)
                w = align_width(w);
            /* lower bound: packing + header (+ count, position, value if
             * excepting).  A window narrower than the whole block cannot
             * hold both lo[0] and hi[0] (unless it wraps around 2^64, which
             * needs a block range of 2^63 or more): one of them (the one not
             * kept by j == 0 or k == 0) is an exception, 2 bytes at least
             * each. */
            size_t lb = ((size_t)m * w + 7) / 8 + 1;
            if (j + k) {
                size_t c = 0;
                if (w < w00 && w00 < 64)
                    c = !j ? a->hi[0].c : !k ? a->lo[0].c : a->lo[0].c < a->hi[0].c ? a->lo[0].c : a->hi[0].c;
                lb = ((size_t)m * w + 7) / 8 + (c > 1 ? 2 + 2 * c : 4);
            }
            if (lb >= best)
                continue;
            uint64_t mask = wmask(w);
            size_t hb, c;
            unsigned ne;
            /* the previous block's window, if it holds [lo[j], hi[k]] */
            if (prev->w == w) {
                uint64_t pb = (uint64_t)prev->base;
                uint64_t dl = (uint64_t)a->lo[j].v - pb, dh = (uint64_t)a->hi[k].v - pb;
                if (dl <= dh && dh <= mask) {
                    c = block_cost(a, j, k, pb, w, 1, &hb, &ne);
                    if (c < best) {
                        best = c;
                        *ch = (choice){*prev, c, hb, ne};
                    }
                }
            }
            /* a window centred on [lo[j], hi[k]] (w < 64 leaves slack) */
            uint64_t base = (uint64_t)a->lo[j].v;
            if (w < 64)
                base -= (mask - range) / 2;
            c = block_cost(a, j, k, base, w, prev->w == w && (uint64_t)prev->base == base, &hb, &ne);
            if (c < best) {
                best = c;
                *ch = (choice){{(int64_t)base, (uint8_t)w}, c, hb, ne};
            }
        }
    }
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

static size_t prefix_put(int t, const int64_t *v, size_t nv, uint8_t *o)
{
    size_t n = 0;
    if (t >= T_DELTA && nv >= 1)
        n += ots_fmt_varint_put(o + n, ots_enc_zz((uint64_t)v[0]));
    if (t == T_DOD && nv >= 2)
        n += ots_fmt_varint_put(o + n, ots_enc_zz((uint64_t)v[1] - (uint64_t)v[0]));
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

/* The estimate of an aligned (mode 1) body after zstd's entropy stage: the
 * symbols of blocks of width <= 8 go to a histogram, every other byte counts
 * as it is. */
typedef struct zest_acc {
    uint32_t hist[256];
    uint64_t cnt;
    double other;
} zest_acc;

static void zest_add(zest_acc *z, const blkan *a, const uint64_t *x, const choice *ch)
{
    unsigned w = ch->d.w, m = a->m;
    z->other += (double)ch->hdr;
    if (w == 0)
        return;
    uint64_t base = (uint64_t)ch->d.base, mask = wmask(w);
    if (w > 8) { /* whole bytes (aligned widths): zstd's Huffman table codes each byte of each value */
        unsigned nb = (w + 7) / 8;
        if (a->hist) {
            for (uint64_t k = 0; k <= a->range; k++) {
                uint64_t y = a->mn + k - base;
                uint32_t c = y <= mask ? h4_count(a, (unsigned)k) : 0;
                for (unsigned b = 0; b < nb; b++)
                    z->hist[(y >> (8 * b)) & 255] += c;
                z->cnt += (uint64_t)c * nb;
            }
        } else { /* every 4th value stands for four: the histogram adds up over the blocks */
            for (unsigned i = 0; i < m; i += 4) {
                uint64_t y = x[i] - base;
                if (y > mask)
                    continue;
                for (unsigned b = 0; b < nb; b++)
                    z->hist[(y >> (8 * b)) & 255] += 4;
                z->cnt += 4 * nb;
            }
        }
        return;
    }
    uint64_t off = a->mn - base;
    if (a->range == 0) {
        if (off <= mask) {
            z->hist[off] += m;
            z->cnt += m;
        }
    } else if (a->hist) {
        int all = off <= mask && a->range <= mask - off;
        for (uint64_t k = 0; k <= a->range; k++) { /* symbol y = (mn + k) - base, if in range */
            uint64_t y = off + k;
            uint32_t c = all || y <= mask ? h4_count(a, (unsigned)k) : 0;
            z->hist[y & 255] += c;
            z->cnt += c;
        }
    } else {
        for (unsigned i = 0; i < m; i++) {
            uint64_t y = x[i] - base;
            if (y <= mask) {
                z->hist[y]++;
                z->cnt++;
            }
        }
    }
}

static double zest_bytes(const zest_acc *z) { return z->other + entropy_bytes(z->hist, z->cnt); }

/* Sizes of transform t's body over every step-th block (the decisions are
 * not kept): s[0] tight bytes, s[1] aligned bytes (if aligned, else s[0]),
 * *est the aligned body's estimated size after zstd's entropy stage. */
static void plan_transform(int t, const int64_t *v, size_t nv, int aligned, size_t step, size_t *s, double *est)
{
    size_t nblk = (stream_len(t, nv) + B - 1) / B;
    size_t s0 = prefix_len(t, v, nv), s1 = s0;
    zest_acc z;
    memset(&z, 0, sizeof z);
    z.other = (double)s0;
    ots_enc_blk prev[2] = {{0, 0xff}, {0, 0xff}};
    uint64_t x[B];
    blkan a;
    choice ch;
    for (size_t b = 0; b < nblk; b += step) {
        unsigned m = stream_block(t, v, nv, b, x);
        analyze(x, m, &a);
        block_choose(&a, 0, &prev[0], &ch);
        s0 += ch.bytes;
        prev[0] = ch.d;
        if (!aligned)
            continue;
        block_choose(&a, 1, &prev[1], &ch);
        s1 += ch.bytes;
        prev[1] = ch.d;
        zest_add(&z, &a, x, &ch);
    }
    s[0] = s0;
    s[1] = aligned ? s1 : s0;
    *est = aligned ? zest_bytes(&z) : (double)s0;
}

/* ---- encoder: writing ----------------------------------------------------------------------- */

/* Bit-pack B values (each < 2^w) LSB-first into out (B*w/8 bytes + 8 bytes of
 * slack that may be overwritten).  w is a compile-time constant in each
 * instantiation: every group of 8 values becomes w bytes built in registers. */
static inline __attribute__((always_inline)) void pack_t(const uint64_t *y, uint64_t base, uint8_t *out,
                                                         const unsigned w)
{
    for (unsigned g = 0; g < B / 8; g++) {
        const uint64_t *v = y + (size_t)g * 8;
        uint8_t *q = out + (size_t)g * w;
        uint64_t wd[9] = {0};
#define PACK1(j)                                                      \
    do {                                                              \
        const unsigned bit_ = (j)*w, k_ = bit_ >> 6, sh_ = bit_ & 63; \
        if (w) {                                                      \
            const uint64_t y_ = v[j] - base;                          \
            wd[k_] |= y_ << sh_;                                      \
            if (sh_ + w > 64)                                         \
                wd[k_ + 1] |= y_ >> ((64 - sh_) & 63);                \
        }                                                             \
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

/* Pack y[0..B) - base (each < 2^w) LSB-first into out (B*w/8 bytes + 8 of slack). */
static void pack_full(const uint64_t *y, uint64_t base, unsigned w, uint8_t *out)
{
    switch (w) {
#define C(W) \
    case W: pack_t(y, base, out, W); break;
        WIDTHS(C)
#undef C
    default: break;
    }
}

/* Bit-pack y[0..B) - base (each < 2^w; zero from m on) LSB-first; writes
 * ceil(m*w/8) bytes at dst; room: bytes dst may take (>= that).  */
static size_t pack(const uint64_t *y, uint64_t base, unsigned m, unsigned w, uint8_t *dst, size_t room)
{
    size_t nbytes = ((size_t)m * w + 7) / 8;
    if (w == 0)
        return 0;
    if (room >= (size_t)B / 8 * w + 8) { /* straight into dst: the slack is overwritten later or unused */
        pack_full(y, base, w, dst);
        return nbytes;
    }
    uint8_t buf[B / 8 * 64 + 8];
    pack_full(y, base, w, buf);
    memcpy(dst, buf, nbytes);
    return nbytes;
}

/* Write one block of m values x with the chosen window; room: bytes dst may take. */
static size_t write_block(const uint64_t *x, unsigned m, const choice *ch, int repeat, uint8_t *dst, size_t room)
{
    uint8_t *o = dst;
    uint64_t y[B];
    uint64_t base = (uint64_t)ch->d.base, mask = wmask(ch->d.w);
    unsigned ne = ch->nexc;
    *o++ = (uint8_t)((repeat ? HDR_REPEAT : ch->d.w) | (ne ? HDR_EXC : 0));
    if (!repeat)
        o += ots_fmt_varint_put(o, ots_enc_zz(base));
    if (!ne) {
        if (ch->d.w && m == B) /* pack straight from x */
            return (size_t)(o - dst) + pack(x, base, m, ch->d.w, o, room - (size_t)(o - dst));
        if (ch->d.w) {
            for (unsigned i = 0; i < m; i++)
                y[i] = x[i] - base;
        }
    } else if (!ch->d.w) { /* nothing packed: only the exceptions (values other than base) */
        *o++ = (uint8_t)(ne - 1);
        for (unsigned i = 0; i < m; i++) {
            uint64_t r = x[i] - base;
            if (r) {
                *o++ = (uint8_t)i;
                o += ots_fmt_varint_put(o, ots_enc_zz(r));
            }
        }
        return (size_t)(o - dst);
    } else {
        *o++ = (uint8_t)(ne - 1);
        for (unsigned i = 0; i < m; i++) {
            uint64_t r = x[i] - base;
            if (r > mask) {
                *o++ = (uint8_t)i;
                o += ots_fmt_varint_put(o, ots_enc_zz(r));
                r = 0;
            }
            y[i] = r;
        }
    }
    if (ch->d.w) {
        for (unsigned i = m; i < B; i++)
            y[i] = 0;
        o += pack(y, 0, m, ch->d.w, o, room - (size_t)(o - dst));
    }
    return (size_t)(o - dst);
}

/* One body being written by encode_pass. */
typedef struct bodyw {
    uint8_t *p;       /* output */
    size_t cap;       /* its capacity */
    size_t len;       /* bytes written */
    int over;         /* did not fit in cap */
    ots_enc_blk prev; /* the previous block's window */
    zest_acc *z;      /* mode 1: estimate accumulated here */
} bodyw;

/* The most bytes one block of m values can take (the chooser never picks
 * worse than w = 64 without exceptions), plus packing slack. */
#define BLOCK_WORST(m) ((size_t)(m)*8 + 12 + 8)

/* Write transform t's body in mode 0 to w0 and/or mode 1 to w1 (either may
 * be NULL), analysing each block once. */
static void encode_pass(int t, const int64_t *v, size_t nv, bodyw *w0, bodyw *w1)
{
    bodyw *w[2] = {w0, w1};
    for (int k = 0; k < 2; k++) {
        if (!w[k])
            continue;
        w[k]->len = 0;
        w[k]->over = w[k]->cap < prefix_len(t, v, nv);
        w[k]->prev = (ots_enc_blk){0, 0xff};
        if (!w[k]->over)
            w[k]->len = prefix_put(t, v, nv, w[k]->p);
        if (w[k]->z) {
            memset(w[k]->z, 0, sizeof *w[k]->z);
            w[k]->z->other = (double)w[k]->len;
        }
    }
    size_t nblk = (stream_len(t, nv) + B - 1) / B;
    uint64_t x[B];
    blkan a;
    choice ch;
    for (size_t b = 0; b < nblk; b++) {
        unsigned m = stream_block(t, v, nv, b, x);
        analyze(x, m, &a);
        for (int k = 0; k < 2; k++) {
            bodyw *o = w[k];
            if (!o || o->over)
                continue;
            size_t room = o->cap - o->len;
            block_choose(&a, k, &o->prev, &ch);
            int repeat = o->prev.w == ch.d.w && o->prev.base == ch.d.base;
            if (room >= BLOCK_WORST(m)) {
                o->len += write_block(x, m, &ch, repeat, o->p + o->len, room);
            } else { /* near the end of the room: through a buffer */
                uint8_t tmp[BLOCK_WORST(B)];
                size_t l = write_block(x, m, &ch, repeat, tmp, sizeof tmp);
                if (l > room) {
                    o->over = 1;
                    continue;
                }
                memcpy(o->p + o->len, tmp, l);
                o->len += l;
            }
            o->prev = ch.d;
            if (o->z)
                zest_add(o->z, &a, x, &ch);
        }
    }
}

/* Chunks of at least this many blocks choose their transforms on a sample
 * of every SAMPLE_STEP-th block and write in full only those within 5% of
 * the best; smaller ones are analysed in full first. */
#define SAMPLE_MIN_BLOCKS 24
#define SAMPLE_STEP 8
#define SAMPLE_STEP_LONG 16 /* from SAMPLE_LONG blocks on: 32 or more blocks sampled */
#define SAMPLE_LONG 512

static const uint8_t tenc[3] = {OTS_ENC_FOR, OTS_ENC_DELTA, OTS_ENC_DOD};

void ots_enc_minmax(const int64_t *v, size_t nv, int64_t *mn_out, int64_t *mx_out)
{
    if (!nv) {
        *mn_out = *mx_out = 0;
        return;
    }
    int64_t mn = v[0], mx = v[0];
    size_t i = 0;
    for (; i + B <= nv; i += B) { /* whole blocks: the vectorised kernel */
        int64_t bmn, bmx;
        minmax_b((const uint64_t *)(v + i), &bmn, &bmx);
        mn = bmn < mn ? bmn : mn;
        mx = bmx > mx ? bmx : mx;
    }
    for (; i < nv; i++) {
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    *mn_out = mn;
    *mx_out = mx;
}

int ots_enc_int_encode(const int64_t *v, size_t nv, int64_t mn, int64_t mx, int zmode, size_t extra, uint8_t *dst,
                       size_t cap, ots_enc_int_res *r)
{
    memset(r, 0, sizeof *r);
    r->min = mn;
    r->max = mx;
    r->enc[0] = r->enc[1] = OTS_ENC_RAW;
    if (nv == 0)
        return OTS_OK;
    if (mn == mx && ots_enc_vlen(ots_enc_zz((uint64_t)mn)) <= (nv * 8 < cap ? nv * 8 : cap)) {
        r->enc[0] = r->enc[1] = OTS_ENC_CONST;
        r->size[0] = ots_fmt_varint_put(dst, ots_enc_zz((uint64_t)mn));
        return OTS_OK;
    }
    int aligned = zmode != OTS_ENC_Z_NONE;
    size_t s[3][2];
    double e[3];
    int want0[3] = {0, 0, 0}, want1[3] = {0, 0, 0}; /* transforms to write in mode 0 / mode 1 */
    int any1 = 0; /* a transform's mode-1 body is estimated below RAW (even if not written) */
    size_t nblk = (nv + B - 1) / B;
    if (nblk >= SAMPLE_MIN_BLOCKS) {
        size_t step = nblk >= SAMPLE_LONG ? SAMPLE_STEP_LONG : SAMPLE_STEP;
        double b0 = 1e300, b1 = 1e300;
        for (int t = 0; t < 3; t++) {
            plan_transform(t, v, nv, aligned, step, s[t], &e[t]);
            b0 = (double)s[t][0] < b0 ? (double)s[t][0] : b0;
            b1 = e[t] < b1 ? e[t] : b1;
        }
        /* an aligned body is only worth writing if zstd over it could pass
         * the policy (the estimate is what zstd's entropy stage reaches; LZ
         * matches help the tight body as much) */
        double ex = (double)extra / (double)step;
        if (zmode == OTS_ENC_Z_POLICY && b1 + ex > OTS_ENC_ZEST_SLACK * (double)ots_enc_zstd_keep((size_t)(b0 + ex)))
            aligned = 0;
        int t1 = 0;
        for (int t = 0; t < 3; t++) {
            int near0 = (double)s[t][0] <= b0 * 1.05, near1 = aligned && e[t] <= b1 * 1.05;
            /* the archive tier writes every near candidate in full */
            want0[t] = near0 || (zmode == OTS_ENC_Z_MAX && near1);
            want1[t] = zmode == OTS_ENC_Z_MAX && (near0 || near1);
            t1 = e[t] < e[t1] ? t : t1;
        }
        if (aligned && zmode == OTS_ENC_Z_POLICY)
            want1[t1] = 1;
        any1 = !aligned || zmode == OTS_ENC_Z_POLICY; /* the sampled policy path offers no raw bytes */
    } else {
        int t0 = 0, t1 = -1;
        double best1 = (double)nv * 8;
        for (int t = 0; t < 3; t++) {
            plan_transform(t, v, nv, aligned, 1, s[t], &e[t]);
            t0 = s[t][0] < s[t0][0] ? t : t0;
            if (aligned && e[t] < best1 && s[t][1] <= nv * 8) {
                best1 = e[t];
                t1 = t;
            }
        }
        want0[t0] = 1;
        any1 = t1 >= 0;
        if (t1 >= 0 && !(t1 == t0 && s[t1][1] == s[t0][0]) &&
            !(zmode == OTS_ENC_Z_POLICY &&
              e[t1] + (double)extra >
                  OTS_ENC_ZEST_SLACK * (double)ots_enc_zstd_keep((s[t0][0] < nv * 8 ? s[t0][0] : nv * 8) + extra)))
            want1[t1] = 1;
    }
    /* write the candidates: the smallest mode-0 body ends in dst, the mode-1
     * body with the smallest estimate in scratch (ALT or ALT2) */
    size_t best = SIZE_MAX, acap = nv * 8 + nblk * 12 + 64, ocap = cap < nv * 8 + 64 ? cap : nv * 8 + 64;
    int tbest = -1, abest = -1;
    double zbest = (double)nv * 8;
    uint8_t *other = NULL, *alts[2] = {NULL, NULL};
    zest_acc z;
    size_t alen = 0;
    for (int t = 0; t < 3; t++) {
        if (!want0[t] && !want1[t])
            continue;
        bodyw bw = {dst, cap, 0, 0, {0, 0}, NULL}, aw = {NULL, acap, 0, 0, {0, 0}, &z};
        if (want0[t] && tbest >= 0) { /* a second candidate goes to scratch first */
            if (!other && !(other = ots_enc_scratch(OTS_WS_INT2, ocap)))
                return OTS_ENOMEM;
            bw.p = other;
            bw.cap = ocap;
        }
        if (want1[t]) {
            int k = abest >= 0 && alts[0] + extra == r->alt; /* keep the best so far */
            if (!alts[k] && !(alts[k] = ots_enc_scratch(k ? OTS_WS_ALT2 : OTS_WS_ALT, extra + acap)))
                return OTS_ENOMEM;
            aw.p = alts[k] + extra;
        }
        encode_pass(t, v, nv, want0[t] ? &bw : NULL, want1[t] ? &aw : NULL);
        if (want0[t] && !bw.over && bw.len < best && bw.len < nv * 8) {
            if (bw.p != dst)
                memcpy(dst, bw.p, bw.len);
            best = bw.len;
            tbest = t;
        }
        if (want1[t] && !aw.over && aw.len <= nv * 8) {
            double ze = zest_bytes(&z);
            if (ze < zbest) {
                zbest = ze;
                abest = t;
                alen = aw.len;
                r->alt = aw.p;
            }
        }
    }
    if (tbest >= 0) {
        r->enc[0] = tenc[tbest];
        r->size[0] = best;
    } else if (nv * 8 <= cap) {
        for (size_t i = 0; i < nv; i++)
            ots_le64_put(dst + 8 * i, (uint64_t)v[i]);
        r->size[0] = nv * 8;
    } else {
        r->size[0] = SIZE_MAX;
    }
    if (abest >= 0 && (tenc[abest] != r->enc[0] || alen != r->size[0])) {
        r->enc[1] = tenc[abest];
        r->size[1] = alen;
        r->zest = zbest;
    } else if (abest < 0 && aligned && !any1 && r->enc[0] != OTS_ENC_RAW) {
        /* no transform promises anything to zstd: offer it the raw bytes */
        uint8_t *ab = ots_enc_scratch(OTS_WS_ALT, extra + nv * 8);
        if (!ab)
            return OTS_ENOMEM;
        r->alt = ab + extra;
        for (size_t i = 0; i < nv; i++)
            ots_le64_put(r->alt + 8 * i, (uint64_t)v[i]);
        r->enc[1] = OTS_ENC_RAW;
        r->size[1] = nv * 8;
        r->zest = 0;
    } else {
        r->alt = NULL;
    }
    return OTS_OK;
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
        const uint64_t word = w && w <= 8 ? ots_enc_ld64(q) : 0; /* the whole group in one load */
#define UNPACK1(j)                                                                           \
    do {                                                                                     \
        const unsigned bit_ = (j)*w, off_ = bit_ >> 3, sh_ = bit_ & 7;                       \
        uint64_t x_ = !w ? 0 : w <= 8 ? word >> (bit_ & 63) : ots_enc_ld64(q + off_) >> sh_; \
        if (w > 8 && sh_ + w > 64)                                                           \
            x_ |= (uint64_t)q[off_ + 8] << ((64 - sh_) & 63);                                \
        x_ = base + (x_ & mask);                                                             \
        if (mode == 0) {                                                                     \
            o[j] = x_;                                                                       \
        } else if (mode == 1) {                                                              \
            acc += x_;                                                                       \
            o[j] = acc;                                                                      \
        } else {                                                                             \
            dl += x_;                                                                        \
            acc += dl;                                                                       \
            o[j] = acc;                                                                      \
        }                                                                                    \
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
#define C(W) \
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
#define C(W) \
    case W: unpack_t(in, base, out, acc, &d, W, 1); break;
        WIDTHS(C)
#undef C
    default: break;
    }
}

static void unpack_dod(const uint8_t *in, uint64_t base, uint64_t *out, unsigned w, uint64_t *acc, uint64_t *dl)
{
    switch (w) {
#define C(W) \
    case W: unpack_t(in, base, out, acc, dl, W, 2); break;
        WIDTHS(C)
#undef C
    default: break;
    }
}

/* ALP fast path: unpack B values and store doubles straight from the decoding
 * table.  mode 0 (FOR): x = base + v; mode 1 (DELTA): x = running sum.  idx
 * = x - imin indexes the table.  Where the block's (FOR) or a group of 8's
 * (DELTA) indices provably stay within [0, pmask] — from the base, the width
 * and the running sum at the group's start — the values are looked up
 * directly; elsewhere each index is masked (so never out of bounds) and
 * accumulated in *chk so the caller can tell whether one exceeded pmask (a
 * corrupt chunk).  *accp holds the running sum for DELTA. */
#define TAB_WMAX 20 /* a table spans < 2^16 values, so valid FOR/DELTA widths are <= 17 */
static inline __attribute__((always_inline)) void unpack_tab_t(const uint8_t *in, uint64_t base, double *out,
                                                               uint64_t *accp, const double *tab, uint64_t imin,
                                                               uint64_t pmask, uint64_t *chkp, const unsigned w,
                                                               const int mode)
{
    const uint64_t mask = ((uint64_t)1 << w) - 1;
    uint64_t acc = *accp - imin, chk = 0, bo = base - imin;
    /* FOR: every index is bo + v with v <= mask */
    const int for_safe = mode == 0 && bo <= pmask && bo + mask <= pmask;
    /* DELTA: over 8 steps of base + v (v <= mask) the sum moves by at least
     * lo8 (<= 0) and at most hi8 (>= 0), when base is small enough to bound */
    const int64_t sb = (int64_t)base;
    const int small = sb > -((int64_t)1 << 31) && sb < ((int64_t)1 << 31);
    const uint64_t lo8 = small && sb < 0 ? (uint64_t)(-8 * sb) : 0;
    const uint64_t hi8 = small && sb + (int64_t)mask > 0 ? (uint64_t)(8 * (sb + (int64_t)mask)) : 0;
    for (unsigned g = 0; g < B / 8; g++) {
        const uint8_t *q = in + (size_t)g * w;
        double *o = out + (size_t)g * 8;
        const uint64_t word = w && w <= 8 ? ots_enc_ld64(q) : 0; /* the whole group in one load */
        const int safe = mode == 0 ? for_safe : small && acc >= lo8 && acc <= pmask && acc + hi8 <= pmask;
#define UNPACK1(j)                                                                                             \
    do {                                                                                                       \
        const unsigned bit_ = (j)*w, off_ = bit_ >> 3, sh_ = bit_ & 7;                                         \
        uint64_t x_ = !w ? 0 : w <= 8 ? (word >> (bit_ & 63)) & mask : (ots_enc_ld64(q + off_) >> sh_) & mask; \
        uint64_t i_;                                                                                           \
        if (mode == 0) {                                                                                       \
            i_ = x_ + bo;                                                                                      \
        } else {                                                                                               \
            acc += x_ + base;                                                                                  \
            i_ = acc;                                                                                          \
        }                                                                                                      \
        if (safe) {                                                                                            \
            o[j] = tab[i_];                                                                                    \
        } else {                                                                                               \
            chk |= i_;                                                                                         \
            o[j] = tab[i_ & pmask];                                                                            \
        }                                                                                                      \
    } while (0)
        if (safe) {
            UNPACK1(0);
            UNPACK1(1);
            UNPACK1(2);
            UNPACK1(3);
            UNPACK1(4);
            UNPACK1(5);
            UNPACK1(6);
            UNPACK1(7);
        } else {
            UNPACK1(0);
            UNPACK1(1);
            UNPACK1(2);
            UNPACK1(3);
            UNPACK1(4);
            UNPACK1(5);
            UNPACK1(6);
            UNPACK1(7);
        }
#undef UNPACK1
    }
    *accp = acc + imin;
    *chkp |= chk;
}

#define TAB_WIDTHS(C) \
    C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16) C(17) C(18) C(19) C(20)

/* Returns 0 if w has no fast path. */
static int unpack_tab(const uint8_t *in, uint64_t base, double *out, uint64_t *acc, const ots_enc_sink *s,
                      uint64_t *chk, unsigned w, int t)
{
    const double *tab = s->tab;
    uint64_t imin = s->imin, pmask = s->pmask;
    if (t == T_FOR) {
        switch (w) {
#define C(W) \
    case W: unpack_tab_t(in, base, out, acc, tab, imin, pmask, chk, W, 0); return 1;
            TAB_WIDTHS(C)
#undef C
        default: return 0;
        }
    }
    switch (w) {
#define C(W) \
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
        return ots_enc_fail(err, off, "expected ALP integers within [min, min + %llu]", (unsigned long long)s->pmask);
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
    case OTS_ENC_DOD: break;
    default: return ots_enc_fail(err, off, "expected an integer encoding, found %u", enc);
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
            uint64_t a = acc, d = dl; /* locals: acc's address is taken above */
            if (t == T_DELTA && sink->tab && o == tmp) {
                /* running sum and table lookup in one pass */
                const double *tab = sink->tab;
                double *of = sink->f64 + at;
                const uint64_t imin = sink->imin, pmask = sink->pmask;
                uint64_t chk = 0;
                for (unsigned i = 0; i < m; i++) {
                    a += o[i];
                    uint64_t idx = a - imin;
                    chk |= idx;
                    of[i] = tab[idx & pmask];
                }
                acc = a;
                bad |= chk > pmask;
                at += m;
                continue;
            }
            if (t == T_DELTA) {
                for (unsigned i = 0; i < m; i++) {
                    a += o[i];
                    o[i] = a;
                }
            } else if (t == T_DOD) {
                for (unsigned i = 0; i < m; i++) {
                    d += o[i];
                    a += d;
                    o[i] = a;
                }
            }
            acc = a;
            dl = d;
        }
        if (o == tmp)
            emit(sink, at, tmp, m, &bad);
        at += m;
    }
    if (pos != len)
        return ots_enc_fail(err, off + pos, "expected end of integer body, %zu bytes remain", len - pos);
    return sink_check(bad, sink, off, err);
}
