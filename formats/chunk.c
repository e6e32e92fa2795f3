/*
 * chunk.c — column chunk framing (docs/formats/chunk.md §2–3): the 48-byte
 * header, the null bitmap, zstd over the body, the checks every decoder runs
 * before it trusts a byte, and the integer and boolean chunk codecs.
 * Doubles live in enc_float.c, strings in enc_str.c, the integer block codec
 * in enc_int.c.
 *
 * Encoders build the best body without zstd in place in dst, optionally a
 * second body with zstd-friendly (byte-aligned) bit widths, compress the
 * candidates that may pay and keep a frame only under the zstd policy
 * (enc_int.h: it must save a worthwhile fraction).  Decoders validate the
 * header and lengths, decompress into a per-thread buffer if needed, decode
 * the dense (non-NULL) values and spread them to their rows.
 *
 * Working memory (zstd contexts, buffers as large as a chunk) is kept per
 * thread and reused (ots_enc_scratch), so a call does not page-fault in
 * fresh allocations; it is freed when the thread exits.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem, ZSTD_decompressBound */
#include <zstd.h>
#include <zstd_errors.h>

#include <pthread.h>
#include <stdio.h>

#include "formats/enc_int.h"

static_assert(OTS_CHUNK_HDR == 48, "chunk header layout (chunk.md §2)");

/* ---- zstd through ots_malloc ------------------------------------------------------------ */
static void *zalloc(void *opaque, size_t n)
{
    (void)opaque;
    return ots_malloc(n);
}
static void zfree(void *opaque, void *p)
{
    (void)opaque;
    ots_free(p);
}
static const ZSTD_customMem zmem = {zalloc, zfree, NULL};

#define ZSTD_MIN_BODY 16 /* smaller bodies never shrink under a zstd frame */
/* Bodies larger than this are first tried on a prefix (1/ZSTD_PROBE_DIV of
 * the body, at least ZSTD_PROBE_MIN bytes) unless the encoder estimated the
 * outcome: level-1 zstd costs about as much per byte as encoding itself. */
#define ZSTD_PROBE_OVER 16384
#define ZSTD_PROBE_MIN 4096
#define ZSTD_PROBE_DIV 8
#define ZSTD_PROBE_SLACK 48 /* frame and Huffman table overhead of a prefix */

/* ---- per-thread workspace ------------------------------------------------------------------- */
typedef struct ws {
    void *p[OTS_WS_NSLOT];
    size_t cap[OTS_WS_NSLOT];
    ZSTD_CCtx *cc;
    ZSTD_DCtx *dc;
} ws;

static _Thread_local ws *tl_ws;
static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static int ws_key_ok;

static void ws_destroy(void *arg)
{
    ws *w = arg;
    if (!w)
        return;
    for (unsigned i = 0; i < OTS_WS_NSLOT; i++)
        ots_free(w->p[i]);
    ZSTD_freeCCtx(w->cc);
    ZSTD_freeDCtx(w->dc);
    ots_free(w);
    if (tl_ws == w)
        tl_ws = NULL;
}

static void ws_key_init(void) { ws_key_ok = pthread_key_create(&ws_key, ws_destroy) == 0; }

static ws *ws_get(void)
{
    ws *w = tl_ws;
    if (w)
        return w;
    pthread_once(&ws_once, ws_key_init);
    if (!(w = ots_calloc(1, sizeof *w)))
        return NULL;
    if (ws_key_ok && pthread_setspecific(ws_key, w) != 0) {
        ots_free(w);
        return NULL;
    }
    tl_ws = w;
    return w;
}

void *ots_enc_scratch(unsigned slot, size_t bytes)
{
    ws *w = ws_get();
    if (!w || slot >= OTS_WS_NSLOT)
        return NULL;
    if (w->p[slot] && w->cap[slot] >= bytes)
        return w->p[slot];
    if (bytes > SIZE_MAX / 2)
        return NULL;
    size_t cap = bytes + bytes / 4 + 64; /* headroom: chunks vary a little in size */
    void *p = ots_malloc(cap);
    if (!p)
        return NULL;
    ots_free(w->p[slot]);
    w->p[slot] = p;
    w->cap[slot] = cap;
    return p;
}

void ots_enc_ws_trim(void)
{
    ws *w = tl_ws;
    if (!w)
        return;
    for (unsigned i = 0; i < OTS_WS_NSLOT; i++) {
        if (w->cap[i] > OTS_ENC_WS_KEEP) {
            ots_free(w->p[i]);
            w->p[i] = NULL;
            w->cap[i] = 0;
        }
    }
}

static ZSTD_CCtx *ws_cctx(void)
{
    ws *w = ws_get();
    if (w && !w->cc)
        w->cc = ZSTD_createCCtx_advanced(zmem);
    return w ? w->cc : NULL;
}

static ZSTD_DCtx *ws_dctx(void)
{
    ws *w = ws_get();
    if (w && !w->dc)
        w->dc = ZSTD_createDCtx_advanced(zmem);
    return w ? w->dc : NULL;
}

/* ---- bounds -------------------------------------------------------------------------------- */
static size_t bitmap_bytes(size_t n) { return (n + 7) / 8; }

size_t ots_fmt_chunk_bound_i64(size_t n) { return OTS_CHUNK_HDR + bitmap_bytes(n) + 8 * n; }
size_t ots_fmt_chunk_bound_f64(size_t n) { return OTS_CHUNK_HDR + bitmap_bytes(n) + 8 * n; }
size_t ots_fmt_chunk_bound_bool(size_t n) { return OTS_CHUNK_HDR + 2 * bitmap_bytes(n) + 1; }
size_t ots_fmt_chunk_bound_str(size_t n, size_t total_bytes)
{
    return OTS_CHUNK_HDR + bitmap_bytes(n) + 5 * n + total_bytes;
}

/* ---- header ---------------------------------------------------------------------------------- */
static void hdr_put(uint8_t *p, const ots_enc_hdr *h)
{
    p[0] = h->version;
    p[1] = h->kind;
    p[2] = h->enc;
    p[3] = h->inner;
    p[4] = h->flags;
    p[5] = p[6] = p[7] = 0;
    ots_le32_put(p + 8, h->n);
    ots_le32_put(p + 12, h->null_count);
    ots_le64_put(p + 16, h->body_len);
    ots_le64_put(p + 24, h->raw_len);
    ots_le64_put(p + 32, h->min_bits);
    ots_le64_put(p + 40, h->max_bits);
}

static int is_int_enc(unsigned e)
{
    return e == OTS_ENC_RAW || e == OTS_ENC_CONST || e == OTS_ENC_FOR || e == OTS_ENC_DELTA || e == OTS_ENC_DOD;
}

static const char *kind_name(unsigned k)
{
    switch (k) {
    case OTS_KIND_I64: return "integer";
    case OTS_KIND_F64: return "double";
    case OTS_KIND_BOOL: return "boolean";
    case OTS_KIND_STR: return "string";
    }
    return "?";
}

/* Parse and check the fixed header (not the lengths against len). */
static int hdr_get(const uint8_t *p, size_t len, ots_enc_hdr *h, ots_fmt_err *err)
{
    if (len < OTS_CHUNK_HDR)
        return ots_enc_fail(err, 0, "expected a %d-byte chunk header, found %zu bytes", OTS_CHUNK_HDR, len);
    h->version = p[0];
    h->kind = p[1];
    h->enc = p[2];
    h->inner = p[3];
    h->flags = p[4];
    h->n = ots_le32_get(p + 8);
    h->null_count = ots_le32_get(p + 12);
    h->body_len = ots_le64_get(p + 16);
    h->raw_len = ots_le64_get(p + 24);
    h->min_bits = ots_le64_get(p + 32);
    h->max_bits = ots_le64_get(p + 40);
    if (h->version != OTS_CHUNK_VERSION)
        return ots_enc_fail(err, 0, "expected chunk format version %d, found %u", OTS_CHUNK_VERSION, h->version);
    if (h->kind < OTS_KIND_I64 || h->kind > OTS_KIND_STR)
        return ots_enc_fail(err, 1, "expected column kind 1..4, found %u", h->kind);
    if (h->flags & ~OTS_CHUNK_F_MASK)
        return ots_enc_fail(err, 4, "expected flags within 0x%02x, found 0x%02x", OTS_CHUNK_F_MASK, h->flags);
    if (p[5] | p[6] | p[7])
        return ots_enc_fail(err, 5, "expected zero reserved bytes");
    if (h->null_count > h->n)
        return ots_enc_fail(err, 12, "expected null count <= %u rows, found %u", h->n, h->null_count);
    if (!(h->flags & OTS_CHUNK_F_NULLS) != !h->null_count)
        return ots_enc_fail(err, 4, "expected the null-bitmap flag exactly when the null count (%u) is non-zero",
                            h->null_count);
    int ok;
    switch (h->kind) {
    case OTS_KIND_I64: ok = is_int_enc(h->enc) && h->inner == 0; break;
    case OTS_KIND_F64:
        ok = h->enc == OTS_ENC_ALP
                 ? is_int_enc(h->inner)
                 : (h->enc == OTS_ENC_RAW || h->enc == OTS_ENC_CONST || h->enc == OTS_ENC_GORILLA) && h->inner == 0;
        break;
    case OTS_KIND_BOOL: ok = (h->enc == OTS_ENC_BITMAP || h->enc == OTS_ENC_CONST) && h->inner == 0; break;
    default: ok = h->enc == OTS_ENC_DICT ? is_int_enc(h->inner) : h->enc == OTS_ENC_STRRAW && h->inner == 0; break;
    }
    if (!ok)
        return ots_enc_fail(err, 2, "expected a %s encoding, found encoding %u (inner %u)", kind_name(h->kind), h->enc,
                            h->inner);
    if (!(h->flags & OTS_CHUNK_F_ZSTD) && h->raw_len != h->body_len)
        return ots_enc_fail(err, 24, "expected raw length == body length without zstd");
    return OTS_OK;
}

static void stats_from(ots_fmt_chunk_stats *st, uint8_t kind, uint32_t n, uint32_t nulls, uint64_t mn, uint64_t mx,
                       uint8_t enc, uint8_t inner, uint8_t z)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->null_count = nulls;
    if (kind == OTS_KIND_F64) {
        st->min_f = ots_enc_bitsd(mn);
        st->max_f = ots_enc_bitsd(mx);
    } else {
        st->min_i = (int64_t)mn;
        st->max_i = (int64_t)mx;
    }
    st->encoding = enc;
    st->inner = inner;
    st->zstd = z;
}

int ots_fmt_chunk_peek(const uint8_t *src, size_t len, ots_fmt_chunk_stats *st, ots_fmt_err *err)
{
    ots_enc_hdr h;
    if (!src)
        return ots_enc_fail(err, 0, "expected chunk bytes");
    int rc = hdr_get(src, len, &h, err);
    if (rc)
        return rc;
    if (st)
        stats_from(st, h.kind, h.n, h.null_count, h.min_bits, h.max_bits, h.enc, h.inner,
                   (h.flags & OTS_CHUNK_F_ZSTD) != 0);
    return OTS_OK;
}

/* ---- encode prologue / epilogue ------------------------------------------------------------ */
int ots_enc_begin(uint8_t kind, const uint8_t *valid, size_t n, uint8_t *dst, size_t dst_cap, size_t bound,
                  ots_enc_info *info)
{
    memset(info, 0, sizeof *info);
    if (n > UINT32_MAX || !dst || dst_cap < bound)
        return OTS_EINVAL;
    info->kind = kind;
    info->n = (uint32_t)n;
    info->body_off = OTS_CHUNK_HDR;
    if (!valid)
        return OTS_OK;
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++)
        nulls += !valid[i];
    if (!nulls)
        return OTS_OK;
    info->null_count = (uint32_t)nulls;
    uint8_t *bm = dst + OTS_CHUNK_HDR;
    size_t nb = bitmap_bytes(n);
    memset(bm, 0, nb);
    for (size_t i = 0; i < n; i++)
        bm[i >> 3] |= (uint8_t)((valid[i] != 0) << (i & 7));
    info->body_off = OTS_CHUNK_HDR + nb;
    return OTS_OK;
}

int ots_enc_gather(const void *v, size_t size, const uint8_t *valid, size_t n, size_t nv, const void **dense)
{
    *dense = v;
    if (!valid || nv == n)
        return OTS_OK;
    uint8_t *d = ots_enc_scratch(OTS_WS_DENSE, (nv + 1) * size); /* + 1: the loop below stores before it skips */
    if (!d)
        return OTS_ENOMEM;
    const uint8_t *s = v;
    size_t k = 0;
    if (size == 8) { /* branch-free: every value is stored, only the valid ones advance */
        for (size_t i = 0; i < n; i++) {
            memcpy(d + 8 * k, s + 8 * i, 8);
            k += valid[i] != 0;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if (valid[i])
                memcpy(d + size * k++, s + size * i, size);
    }
    *dense = d;
    return OTS_OK;
}

/* Compress src into dst (capacity ZSTD_compressBound(len)) at level; returns
 * the frame size if it is at most want, 0 if larger (not worth keeping), or
 * OTS_ENOMEM.  (A tighter capacity would not do: zstd may refuse a block
 * whose result would fit when the capacity leaves it no headroom.) */
static ssize_t zcompress(ZSTD_CCtx *cc, uint8_t *dst, size_t want, const uint8_t *src, size_t len, int level)
{
    size_t r = ZSTD_compressCCtx(cc, dst, ZSTD_compressBound(len), src, len, level);
    if (!ZSTD_isError(r))
        return r <= want ? (ssize_t)r : 0;
    return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? OTS_ENOMEM : 0;
}

ssize_t ots_enc_finish(const ots_enc_info *info, const ots_enc_body *cand, size_t ncand, int flags, uint8_t *dst,
                       ots_fmt_chunk_stats *st)
{
    size_t best = 0, best_len = cand[0].len;
    const uint8_t *zbest = NULL;
    int zmode = ots_enc_zmode(flags);
    if (zmode != OTS_ENC_Z_NONE) {
        int level = zmode == OTS_ENC_Z_MAX ? 19 : 1;
        size_t nv = info->n - info->null_count;
        int numeric = info->kind == OTS_KIND_I64 || info->kind == OTS_KIND_F64;
        /* a frame must come out at or under `keep` bytes to be kept */
        size_t keep = zmode == OTS_ENC_Z_MAX ? cand[0].len - (cand[0].len > 0) : ots_enc_zstd_keep(cand[0].len);
        ZSTD_CCtx *cc = NULL;
        unsigned zbest_slot = OTS_WS_NSLOT;
        for (size_t i = 0; i < ncand; i++) {
            const ots_enc_body *c = &cand[i];
            size_t want = zbest ? best_len - 1 : keep; /* largest useful frame */
            if (c->len < ZSTD_MIN_BODY || want < 8 || (numeric && c->len > OTS_ENC_NUM_BODY_MAX(nv)))
                continue;
            if (zmode == OTS_ENC_Z_POLICY && c->zest > (double)want * OTS_ENC_ZEST_SLACK)
                continue; /* the entropy estimate says it cannot get there */
            if (!cc && !(cc = ws_cctx()))
                return OTS_ENOMEM;
            unsigned zslot = zbest_slot == OTS_WS_Z0 ? OTS_WS_Z1 : OTS_WS_Z0; /* keep the best so far */
            uint8_t *zb = ots_enc_scratch(zslot, ZSTD_compressBound(c->len));
            if (!zb)
                return OTS_ENOMEM;
            if (zmode == OTS_ENC_Z_POLICY && c->zest <= 0 && c->len > ZSTD_PROBE_OVER) {
                /* try a prefix first: most bodies this large are noisy */
                size_t pl = c->len / ZSTD_PROBE_DIV > ZSTD_PROBE_MIN ? c->len / ZSTD_PROBE_DIV : ZSTD_PROBE_MIN;
                size_t pwant = (size_t)((double)pl * (double)want / (double)c->len) + ZSTD_PROBE_SLACK;
                ssize_t pr = zcompress(cc, zb, pwant, c->p, pl, level);
                if (pr < 0)
                    return pr;
                if (pr == 0)
                    continue;
            }
            ssize_t r = zcompress(cc, zb, want, c->p, c->len, level);
            if (r < 0)
                return r;
            if (r > 0 && (size_t)r <= want) {
                zbest = zb;
                zbest_slot = zslot;
                best = i;
                best_len = (size_t)r;
            }
        }
    }
    uint8_t *body = dst + info->body_off;
    if (zbest)
        memcpy(body, zbest, best_len);
    else if (cand[0].p != body)
        memmove(body, cand[0].p, best_len);
    ots_enc_hdr h = {
        .version = OTS_CHUNK_VERSION,
        .kind = info->kind,
        .enc = cand[best].enc,
        .inner = cand[best].inner,
        .flags = (uint8_t)((info->null_count ? OTS_CHUNK_F_NULLS : 0) | (zbest ? OTS_CHUNK_F_ZSTD : 0)),
        .n = info->n,
        .null_count = info->null_count,
        .body_len = best_len,
        .raw_len = cand[best].len,
        .min_bits = info->min_bits,
        .max_bits = info->max_bits,
    };
    hdr_put(dst, &h);
    if (st)
        stats_from(st, h.kind, h.n, h.null_count, h.min_bits, h.max_bits, h.enc, h.inner, zbest != NULL);
    ots_enc_ws_trim();
    return (ssize_t)(info->body_off + best_len);
}

/* ---- decode prologue ------------------------------------------------------------------------- */
int ots_enc_open(const uint8_t *src, size_t len, uint8_t kind, size_t cap, ots_enc_chunk *c, ots_fmt_err *err)
{
    memset(c, 0, sizeof *c);
    if (!src)
        return ots_enc_fail(err, 0, "expected chunk bytes");
    int rc = hdr_get(src, len, &c->h, err);
    if (rc)
        return rc;
    const ots_enc_hdr *h = &c->h;
    if (h->kind != kind)
        return ots_enc_fail(err, 1, "expected a %s chunk, found a %s chunk", kind_name(kind), kind_name(h->kind));
    size_t bm = h->null_count ? bitmap_bytes(h->n) : 0;
    if (bm > len - OTS_CHUNK_HDR)
        return ots_enc_fail(err, OTS_CHUNK_HDR, "expected a %zu-byte null bitmap, %zu bytes left", bm,
                            len - OTS_CHUNK_HDR);
    c->body_off = OTS_CHUNK_HDR + bm;
    if (h->body_len != len - c->body_off)
        return ots_enc_fail(err, 16, "expected body length %zu (chunk of %zu bytes), found %llu", len - c->body_off,
                            len, (unsigned long long)h->body_len);
    if (h->n > cap) {
        if (err) {
            err->offset = 8;
            snprintf(err->msg, sizeof err->msg, "expected at most %zu rows (the caller's capacity), found %u", cap,
                     h->n);
        }
        return OTS_EINVAL;
    }
    c->nv = h->n - h->null_count;
    if (bm) {
        const uint8_t *b = src + OTS_CHUNK_HDR;
        size_t ones = 0;
        for (size_t i = 0; i + 1 < bm; i++)
            ones += (size_t)__builtin_popcount(b[i]);
        unsigned tail = h->n & 7;
        uint8_t last = b[bm - 1];
        if (tail && (last >> tail))
            return ots_enc_fail(err, OTS_CHUNK_HDR + bm - 1, "expected zero padding bits in the null bitmap");
        ones += (size_t)__builtin_popcount(last);
        if (ones != c->nv)
            return ots_enc_fail(err, OTS_CHUNK_HDR, "expected %zu valid rows in the null bitmap, found %zu", c->nv,
                                ones);
        c->bitmap = b;
    }
    c->body = src + c->body_off;
    c->body_len = (size_t)h->body_len;
    if (!(h->flags & OTS_CHUNK_F_ZSTD))
        return OTS_OK;

    /* zstd: the frame must announce exactly raw_len bytes, and could really
     * produce that many (so a hostile size cannot make us allocate more than
     * the frame expands to), and numeric bodies are bounded by their rows. */
    uint64_t raw = h->raw_len;
    unsigned long long fcs = ZSTD_getFrameContentSize(c->body, c->body_len);
    if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN || fcs != raw)
        return ots_enc_fail(err, c->body_off, "expected a zstd frame of %llu content bytes", (unsigned long long)raw);
    unsigned long long zb = ZSTD_decompressBound(c->body, c->body_len);
    if (zb == ZSTD_CONTENTSIZE_ERROR || zb < raw)
        return ots_enc_fail(err, c->body_off, "expected a well-formed zstd frame");
    uint64_t lim = kind == OTS_KIND_BOOL  ? c->nv / 8 + 64
                   : kind == OTS_KIND_STR ? UINT64_MAX
                                          : OTS_ENC_NUM_BODY_MAX(c->nv);
    if (raw > lim || raw > SIZE_MAX - 8)
        return ots_enc_fail(err, 24, "expected at most %llu body bytes for %zu values, found %llu",
                            (unsigned long long)lim, c->nv, (unsigned long long)raw);
    uint8_t *buf = ots_enc_scratch(OTS_WS_BODY, (size_t)raw + 8);
    ZSTD_DCtx *dc = ws_dctx();
    if (!buf || !dc)
        return OTS_ENOMEM;
    size_t r = ZSTD_decompressDCtx(dc, buf, (size_t)raw, c->body, c->body_len);
    if (ZSTD_isError(r) || r != raw) {
        if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
            return OTS_ENOMEM;
        return ots_enc_fail(err, c->body_off, "expected a zstd frame that decompresses to %llu bytes",
                            (unsigned long long)raw);
    }
    c->unzstd = 1;
    c->body = buf;
    c->body_len = (size_t)raw;
    return OTS_OK;
}

int ots_enc_fix_err(const ots_enc_chunk *c, int rc, ots_fmt_err *err)
{
    if (rc != OTS_ECORRUPT || !c->unzstd || !err)
        return rc;
    uint64_t rel = err->offset - c->body_off;
    size_t l = strlen(err->msg);
    snprintf(err->msg + l, sizeof err->msg - l, " (byte %llu of the zstd-decompressed body)", (unsigned long long)rel);
    err->offset = c->body_off;
    return rc;
}

void ots_enc_close(ots_enc_chunk *c)
{
    c->unzstd = 0;
    ots_enc_ws_trim();
}

/* out[i] = bit i of the LSB-first bit string b, for i < n: eight bits at a
 * time (the byte replicated, each lane keeping its own bit, then every
 * non-zero lane made 1). */
static void bits_to_bytes(const uint8_t *b, size_t n, uint8_t *out)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = (b[i >> 3] * 0x0101010101010101ull) & 0x8040201008040201ull;
        x = ((x + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
        ots_enc_st64(out + i, x);
    }
    for (; i < n; i++)
        out[i] = (b[i >> 3] >> (i & 7)) & 1;
}

void ots_enc_valid_out(const ots_enc_chunk *c, uint8_t *valid_out)
{
    if (!valid_out)
        return;
    size_t n = c->h.n;
    if (!c->bitmap) {
        memset(valid_out, 1, n);
        return;
    }
    bits_to_bytes(c->bitmap, n, valid_out);
}

void ots_enc_expand(const ots_enc_chunk *c, void *out, size_t size, uint32_t zero_val)
{
    if (!c->bitmap)
        return;
    const uint8_t *bm = c->bitmap;
    size_t k = c->nv;
    uint8_t *o = out;
    for (size_t i = c->h.n; i-- > 0;) {
        int valid = (bm[i >> 3] >> (i & 7)) & 1;
        if (size == 8) {
            if (valid)
                memmove(o + 8 * i, o + 8 * --k, 8);
            else
                memset(o + 8 * i, 0, 8);
        } else if (size == 4) {
            if (valid)
                memmove(o + 4 * i, o + 4 * --k, 4);
            else
                memcpy(o + 4 * i, &zero_val, 4);
        } else {
            o[i] = valid ? o[--k] : 0;
        }
    }
}

/* ---- integers -------------------------------------------------------------------------------- */
ssize_t ots_fmt_chunk_encode_i64(const int64_t *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st)
{
    ots_enc_info info;
    int rc = ots_enc_begin(OTS_KIND_I64, valid, n, dst, dst_cap, ots_fmt_chunk_bound_i64(n), &info);
    if (rc)
        return rc;
    if (!v && n)
        return OTS_EINVAL;
    size_t nv = n - info.null_count;
    const void *dv;
    if ((rc = ots_enc_gather(v, 8, valid, n, nv, &dv)))
        return rc;
    const int64_t *d = dv;
    int64_t mn, mx;
    ots_enc_minmax(d, nv, &mn, &mx);
    info.min_bits = (uint64_t)mn;
    info.max_bits = (uint64_t)mx;
    uint8_t *body = dst + info.body_off;
    ots_enc_int_res r;
    if (ots_enc_int_encode(d, nv, mn, mx, ots_enc_zmode(flags), 0, body, dst_cap - info.body_off, &r))
        return OTS_ENOMEM;
    ots_enc_body cand[2];
    size_t ncand = 1;
    cand[0] = (ots_enc_body){r.enc[0], 0, body, r.size[0], 0};
    if (r.size[1])
        cand[ncand++] = (ots_enc_body){r.enc[1], 0, r.alt, r.size[1], r.zest};
    return ots_enc_finish(&info, cand, ncand, flags, dst, st);
}

ssize_t ots_fmt_chunk_decode_i64(const uint8_t *src, size_t len, int64_t *out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_err *err)
{
    ots_enc_chunk c;
    int rc = ots_enc_open(src, len, OTS_KIND_I64, cap, &c, err);
    if (rc)
        return rc;
    ots_enc_sink sink = {.i64 = out};
    rc = ots_enc_int_decode(c.body, c.body_len, c.h.enc, c.nv, &sink, c.body_off, err);
    if (!rc) {
        ots_enc_expand(&c, out, 8, 0);
        ots_enc_valid_out(&c, valid_out);
    }
    ots_enc_fix_err(&c, rc, err);
    ots_enc_close(&c);
    return rc ? rc : (ssize_t)c.h.n;
}

/* ---- booleans -------------------------------------------------------------------------------- */
ssize_t ots_fmt_chunk_encode_bool(const uint8_t *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                  size_t dst_cap, ots_fmt_chunk_stats *st)
{
    ots_enc_info info;
    int rc = ots_enc_begin(OTS_KIND_BOOL, valid, n, dst, dst_cap, ots_fmt_chunk_bound_bool(n), &info);
    if (rc)
        return rc;
    if (!v && n)
        return OTS_EINVAL;
    uint8_t *body = dst + info.body_off;
    size_t nv = n - info.null_count, k = 0, ones = 0;
    memset(body, 0, bitmap_bytes(nv));
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i])
            continue;
        unsigned b = v[i] != 0;
        ones += b;
        body[k >> 3] |= (uint8_t)(b << (k & 7));
        k++;
    }
    ots_enc_body cand = {OTS_ENC_BITMAP, 0, body, bitmap_bytes(nv), 0};
    if (nv && (ones == 0 || ones == nv)) {
        body[0] = ones != 0;
        cand = (ots_enc_body){OTS_ENC_CONST, 0, body, 1, 0};
    }
    info.min_bits = nv && ones == nv;
    info.max_bits = ones != 0;
    return ots_enc_finish(&info, &cand, 1, flags, dst, st);
}

ssize_t ots_fmt_chunk_decode_bool(const uint8_t *src, size_t len, uint8_t *out, uint8_t *valid_out, size_t cap,
                                  ots_fmt_err *err)
{
    ots_enc_chunk c;
    int rc = ots_enc_open(src, len, OTS_KIND_BOOL, cap, &c, err);
    if (rc)
        return rc;
    const uint8_t *b = c.body;
    size_t nv = c.nv;
    if (c.h.enc == OTS_ENC_CONST) {
        if (c.body_len != 1 || b[0] > 1 || !nv) {
            rc = ots_enc_fail(err, c.body_off, "expected a CONST boolean body of one byte 0 or 1 and rows");
            goto out_close;
        }
        memset(out, b[0], nv);
    } else {
        if (c.body_len != bitmap_bytes(nv)) {
            rc = ots_enc_fail(err, c.body_off, "expected a %zu-byte boolean bitmap, found %zu", bitmap_bytes(nv),
                              c.body_len);
            goto out_close;
        }
        if ((nv & 7) && (b[nv >> 3] >> (nv & 7))) {
            rc = ots_enc_fail(err, c.body_off + (nv >> 3), "expected zero padding bits in the boolean bitmap");
            goto out_close;
        }
        bits_to_bytes(b, nv, out);
    }
    ots_enc_expand(&c, out, 1, 0);
    ots_enc_valid_out(&c, valid_out);
out_close:
    ots_enc_fix_err(&c, rc, err);
    ots_enc_close(&c);
    return rc ? rc : (ssize_t)c.h.n;
}
