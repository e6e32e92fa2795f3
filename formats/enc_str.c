/*
 * enc_str.c — string column chunks (docs/formats/chunk.md §7): DICT (the
 * distinct values once, then one integer code per row through the integer
 * block codec) or STRRAW (every value's length, then every value's bytes),
 * whichever is smaller; zstd over the body as for every chunk.
 *
 * Strings are arbitrary bytes (UTF-8, embedded NULs).  Dictionary codes are
 * given in order of first appearance.  Decoding returns an ots_fmt_strdict:
 * the distinct values (for STRRAW, one entry per non-NULL row), each
 * NUL-terminated, plus a code per row; NULL rows get the code of an ""
 * entry (added if the chunk has none).
 */
#include <stddef.h>

#include "formats/enc_int.h"

/* ---- dictionary building ------------------------------------------------------------------- */
typedef struct dent {
    const char *p;
    uint32_t len;
    uint64_t key; /* the first min(len, 8) bytes (see key8) */
    uint64_t h;   /* hash */
} dent;

#define DICT_TAB0 256 /* hash slots held in the dict itself */

typedef struct dict {
    dent *e;       /* distinct values, in order of first appearance (capacity: the rows) */
    size_t n;      /* entries */
    uint32_t *tab; /* open addressing: entry index + 1, 0 = empty; load <= 1/2 */
    size_t tcap;   /* power of two */
    uint32_t tab0[DICT_TAB0];
} dict;

/* Up to 8 bytes of p as an integer, built from overlapping loads; for len <=
 * 8 two strings of the same length are equal exactly when their keys are. */
static inline uint64_t key8(const char *p, uint32_t len)
{
    if (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        return k;
    }
    if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        return a | (uint64_t)b << ((len - 4) * 8);
    }
    if (!len)
        return 0;
    return (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[len / 2] << 8 | (uint64_t)(uint8_t)p[len - 1] << 16;
}

static inline uint64_t str_hash(const char *p, uint32_t len, uint64_t key)
{
    if (len <= 8) {
        uint64_t h = (key ^ ((uint64_t)len << 59)) * 0x9e3779b97f4a7c15ull;
        return h ^ (h >> 29);
    }
    return ots_fmt_hash64(p, len);
}

static inline int dent_eq(const dent *e, const char *p, uint32_t len, uint64_t key, uint64_t h)
{
    if (e->len != len || e->key != key)
        return 0;
    return len <= 8 || (e->h == h && memcmp(e->p + 8, p + 8, len - 8) == 0);
}

static int dict_init(dict *d, size_t rows)
{
    memset(d, 0, offsetof(dict, tab0));
    d->e = ots_enc_scratch(OTS_WS_DICT, (rows ? rows : 1) * sizeof *d->e);
    if (!d->e)
        return OTS_ENOMEM;
    d->tab = d->tab0;
    d->tcap = DICT_TAB0;
    memset(d->tab0, 0, sizeof d->tab0);
    return OTS_OK;
}

static int dict_grow(dict *d)
{
    size_t tcap = d->tcap * 2;
    uint32_t *tab = ots_enc_scratch(OTS_WS_DTAB, tcap * sizeof *tab);
    if (!tab)
        return OTS_ENOMEM;
    memset(tab, 0, tcap * sizeof *tab);
    for (size_t i = 0; i < d->n; i++) {
        size_t s = (size_t)d->e[i].h & (tcap - 1);
        while (tab[s])
            s = (s + 1) & (tcap - 1);
        tab[s] = (uint32_t)(i + 1);
    }
    d->tab = tab;
    d->tcap = tcap;
    return OTS_OK;
}

/* Code of s (adding it if new), or OTS_ENOMEM. */
static int64_t dict_code(dict *d, const char *p, uint32_t len)
{
    if (2 * (d->n + 1) > d->tcap && dict_grow(d))
        return OTS_ENOMEM;
    uint64_t key = key8(p, len), h = str_hash(p, len, key);
    size_t s = (size_t)h & (d->tcap - 1);
    for (;;) {
        uint32_t k = d->tab[s];
        if (!k)
            break;
        if (dent_eq(&d->e[k - 1], p, len, key, h))
            return k - 1;
        s = (s + 1) & (d->tcap - 1);
    }
    d->e[d->n] = (dent){p, len, key, h};
    d->tab[s] = (uint32_t)(d->n + 1);
    return (int64_t)d->n++;
}

/* ---- encoder --------------------------------------------------------------------------------- */
static size_t write_lens_bytes(const ots_fmt_str *v, const uint8_t *valid, size_t n, uint8_t *o)
{
    uint8_t *s = o;
    for (size_t i = 0; i < n; i++)
        if (!valid || valid[i])
            o += ots_fmt_varint_put(o, v[i].len);
    for (size_t i = 0; i < n; i++)
        if ((!valid || valid[i]) && v[i].len) {
            memcpy(o, v[i].p, v[i].len);
            o += v[i].len;
        }
    return (size_t)(o - s);
}

/* Give each non-NULL value of v[0..n) its dictionary code at *cp (advanced),
 * and sum the values' lengths (*total) and their varints' bytes (*lens).
 * Runs of one value are common (a status that rarely changes), so a value is
 * compared with the previous one before hashing, and lengths are summed per
 * run.  OTS_OK, OTS_EINVAL (a NULL pointer with a length) or OTS_ENOMEM.
 * (Inlined twice, so the valid == NULL loop has no check per value.) */
static inline __attribute__((always_inline)) int dict_codes(dict *d, const ots_fmt_str *v, const uint8_t *valid,
                                                            size_t n, int64_t **cpp, size_t *total_out,
                                                            size_t *lens_out)
{
    size_t total = 0, lens = 0, run_start = 0, run_len = 0;
    const char *pp = NULL;
    uint32_t pl = UINT32_MAX;
    uint64_t pkey = 0;
    int64_t pc = 0;
    int64_t *cp = *cpp, *c0 = cp;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i])
            continue;
        const char *p = v[i].p;
        uint32_t l = v[i].len;
        if (__builtin_expect(p != pp || l != pl, 0)) {
            if (l && !p)
                return OTS_EINVAL;
            uint64_t key = key8(p, l);
            if (l != pl || (l > 8 ? memcmp(p, pp, l) != 0 : key != pkey)) {
                run_len = (size_t)(cp - c0) - run_start;
                total += run_len * (pl == UINT32_MAX ? 0 : pl);
                lens += run_len * ots_enc_vlen(pl);
                run_start = (size_t)(cp - c0);
                if ((pc = dict_code(d, p, l)) < 0)
                    return OTS_ENOMEM;
                pl = l;
                pkey = key;
            }
            pp = p;
        }
        *cp++ = pc;
    }
    run_len = (size_t)(cp - c0) - run_start;
    if (run_len) {
        total += run_len * pl;
        lens += run_len * ots_enc_vlen(pl);
    }
    *cpp = cp;
    *total_out = total;
    *lens_out = lens;
    return OTS_OK;
}

/* The dictionary part of a DICT body (its size was computed as dict_bytes). */
static size_t write_dict(const dict *d, uint8_t *o)
{
    uint8_t *s = o;
    o += ots_fmt_varint_put(o, d->n);
    for (size_t k = 0; k < d->n; k++)
        o += ots_fmt_varint_put(o, d->e[k].len);
    for (size_t k = 0; k < d->n; k++)
        if (d->e[k].len) {
            memcpy(o, d->e[k].p, d->e[k].len);
            o += d->e[k].len;
        }
    return (size_t)(o - s);
}

ssize_t ots_fmt_chunk_encode_str(const ots_fmt_str *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st)
{
    if (!v && n)
        return OTS_EINVAL;
    /* one pass: check the values, sum their lengths and give each its
     * dictionary code; runs of one value are common (a status that rarely
     * changes), so a value is compared with the previous one before hashing */
    dict d;
    int64_t *codes = ots_enc_scratch(OTS_WS_AUX, (n ? n : 1) * sizeof *codes);
    if (!codes || dict_init(&d, n))
        return OTS_ENOMEM;
    size_t total = 0, lens = 0;
    int64_t *cp = codes;
    int rc0 = valid ? dict_codes(&d, v, valid, n, &cp, &total, &lens) : dict_codes(&d, v, NULL, n, &cp, &total, &lens);
    if (rc0)
        return rc0;
    size_t nv = (size_t)(cp - codes);
    ots_enc_info info;
    int rc = ots_enc_begin(OTS_KIND_STR, valid, n, dst, dst_cap, ots_fmt_chunk_bound_str(n, total), &info);
    if (rc)
        return rc;
    uint8_t *body = dst + info.body_off;
    size_t bodycap = dst_cap - info.body_off;
    ots_enc_body cand[2];
    size_t ncand = 1;
    if (nv == 0) {
        cand[0] = (ots_enc_body){OTS_ENC_STRRAW, 0, body, 0, 0};
        return ots_enc_finish(&info, cand, 1, flags, dst, st);
    }
    size_t dict_bytes = ots_enc_vlen(d.n);
    for (size_t j = 0; j < d.n; j++)
        dict_bytes += ots_enc_vlen(d.e[j].len) + d.e[j].len;
    size_t rsize = lens + total, dsize = SIZE_MAX;
    int zmode = ots_enc_zmode(flags);
    ots_enc_int_res ir;
    memset(&ir, 0, sizeof ir);
    if (dict_bytes < rsize) { /* DICT written in place: dictionary, then the codes */
        write_dict(&d, body);
        if (ots_enc_int_encode(codes, nv, 0, (int64_t)d.n - 1, zmode, dict_bytes, body + dict_bytes,
                               bodycap - dict_bytes, &ir))
            return OTS_ENOMEM;
        if (ir.size[0] != SIZE_MAX)
            dsize = dict_bytes + ir.size[0];
    }
    if (dsize < rsize) {
        cand[0] = (ots_enc_body){OTS_ENC_DICT, ir.enc[0], body, dsize, 0};
        info.max_bits = (uint64_t)(d.n - 1);
    } else {
        cand[0] = (ots_enc_body){OTS_ENC_STRRAW, 0, body, write_lens_bytes(v, valid, n, body), 0};
        info.max_bits = (uint64_t)(nv - 1);
    }
    /* the dictionary with zstd-friendly codes (written only if zstd over it
     * may pay; the dictionary's bytes count as they are) */
    if (ir.size[1]) {
        uint8_t *ab = ir.alt - dict_bytes;
        write_dict(&d, ab);
        cand[ncand++] =
            (ots_enc_body){OTS_ENC_DICT, ir.enc[1], ab, dict_bytes + ir.size[1], ir.zest + (double)dict_bytes};
    }
    ssize_t out = ots_enc_finish(&info, cand, ncand, flags, dst, st);
    /* min/max are codes as the decoder returns them; STRRAW vs DICT may have
     * changed under zstd. */
    if (out > 0 && cand[0].enc != dst[2]) {
        uint64_t mx = dst[2] == OTS_ENC_DICT ? d.n - 1 : nv - 1;
        ots_le64_put(dst + 40, mx);
        if (st)
            st->max_i = (int64_t)mx;
    }
    return out;
}

/* ---- decoder --------------------------------------------------------------------------------- */
void ots_fmt_strdict_free(ots_fmt_strdict *d)
{
    if (!d)
        return;
    ots_free(d->dict);
    ots_free(d->lens);
    ots_free(d->mem_);
    ots_free(d);
}

/* Read cnt varint lengths at b[*pos..len); their sum must fit in what is left
 * after them.  Returns OTS_OK and the sum, or OTS_ECORRUPT. */
static int read_lens(const uint8_t *b, size_t len, size_t *pos, size_t cnt, size_t *sum, uint64_t off, ots_fmt_err *err)
{
    uint64_t s = 0;
    for (size_t i = 0; i < cnt; i++) {
        uint64_t l;
        size_t k = ots_fmt_varint_get(b + *pos, len - *pos, &l);
        if (!k || l > UINT32_MAX)
            return ots_enc_fail(err, off + *pos, "expected a string length (varint < 2^32)");
        *pos += k;
        s += l;
        if (s > len - *pos)
            return ots_enc_fail(err, off + *pos, "expected string bytes within the body");
    }
    if (s > len - *pos)
        return ots_enc_fail(err, off + *pos, "expected %llu string bytes, %zu left", (unsigned long long)s, len - *pos);
    *sum = (size_t)s;
    return OTS_OK;
}

/* Build a strdict of cnt entries whose lengths are the cnt varints at
 * b[lpos..] and whose bytes start at b[bpos]; add an "" entry if need_empty
 * and none exists (its index in *empty_code). */
static int make_dict(const uint8_t *b, size_t len, size_t lpos, size_t bpos, size_t cnt, size_t sum, int need_empty,
                     ots_fmt_strdict **out, uint32_t *empty_code)
{
    ots_fmt_strdict *d = ots_calloc(1, sizeof *d);
    if (!d)
        return OTS_ENOMEM;
    size_t ent = cnt + (need_empty ? 1 : 0);
    d->dict = ots_malloc(ent * sizeof *d->dict);
    d->lens = ots_malloc(ent * sizeof *d->lens);
    char *mem = ots_malloc(sum + ent);
    d->mem_ = mem;
    if (!d->dict || !d->lens || !mem) {
        ots_fmt_strdict_free(d);
        return OTS_ENOMEM;
    }
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < cnt; i++) {
        uint64_t l;
        lpos += ots_fmt_varint_get(b + lpos, len - lpos, &l); /* already validated */
        memcpy(mem, b + bpos, (size_t)l);
        mem[l] = 0;
        d->dict[i] = mem;
        d->lens[i] = (uint32_t)l;
        if (!l && found == SIZE_MAX)
            found = i;
        mem += l + 1;
        bpos += (size_t)l;
    }
    d->size = cnt;
    if (need_empty) {
        if (found == SIZE_MAX) {
            *mem = 0;
            d->dict[cnt] = mem;
            d->lens[cnt] = 0;
            found = cnt;
            d->size = cnt + 1;
        }
        *empty_code = (uint32_t)found;
    }
    *out = d;
    return OTS_OK;
}

ssize_t ots_fmt_chunk_decode_str(const uint8_t *src, size_t len, uint32_t *codes_out, uint8_t *valid_out, size_t cap,
                                 ots_fmt_strdict **dict_out, ots_fmt_err *err)
{
    if (!dict_out || !codes_out)
        return OTS_EINVAL;
    *dict_out = NULL;
    ots_enc_chunk c;
    int rc = ots_enc_open(src, len, OTS_KIND_STR, cap, &c, err);
    if (rc)
        return rc;
    const uint8_t *b = c.body;
    size_t blen = c.body_len, nv = c.nv, pos = 0, sum = 0, cnt;
    uint32_t empty = 0;
    int need_empty = c.h.null_count > 0;
    ots_fmt_strdict *d = NULL;
    if (c.h.enc == OTS_ENC_DICT) {
        uint64_t dn;
        size_t k = ots_fmt_varint_get(b, blen, &dn);
        if (!k || dn == 0 || dn > nv) {
            rc = ots_enc_fail(err, c.body_off, "expected a dictionary size 1..%zu", nv);
            goto out_close;
        }
        pos = k;
        cnt = (size_t)dn;
        size_t lpos = pos;
        if ((rc = read_lens(b, blen, &pos, cnt, &sum, c.body_off, err)))
            goto out_close;
        size_t bpos = pos;
        pos += sum;
        ots_enc_sink sink = {.u32 = codes_out, .limit = dn};
        if ((rc = ots_enc_int_decode(b + pos, blen - pos, c.h.inner, nv, &sink, c.body_off + pos, err)))
            goto out_close;
        if ((rc = make_dict(b, blen, lpos, bpos, cnt, sum, need_empty, &d, &empty)))
            goto out_close;
    } else {
        cnt = nv;
        if ((rc = read_lens(b, blen, &pos, cnt, &sum, c.body_off, err)))
            goto out_close;
        if (pos + sum != blen) {
            rc = ots_enc_fail(err, c.body_off + pos + sum, "expected end of STRRAW body");
            goto out_close;
        }
        if ((rc = make_dict(b, blen, 0, pos, cnt, sum, need_empty, &d, &empty)))
            goto out_close;
        for (size_t i = 0; i < nv; i++)
            codes_out[i] = (uint32_t)i;
    }
    ots_enc_expand(&c, codes_out, 4, empty);
    ots_enc_valid_out(&c, valid_out);
    *dict_out = d;
out_close:
    ots_enc_fix_err(&c, rc, err);
    ots_enc_close(&c);
    return rc ? rc : (ssize_t)c.h.n;
}
