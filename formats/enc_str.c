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
#include "formats/enc_int.h"

/* ---- dictionary building ------------------------------------------------------------------- */
typedef struct dent {
    const char *p;
    uint32_t len;
    uint64_t h;
} dent;

typedef struct dict {
    dent *e;       /* distinct values, in order of first appearance */
    size_t n, cap; /* entries, capacity */
    uint32_t *tab; /* open addressing: entry index + 1, 0 = empty */
    size_t tcap;   /* power of two */
} dict;

static void dict_free(dict *d)
{
    ots_free(d->e);
    ots_free(d->tab);
}

static int dict_grow(dict *d)
{
    size_t tcap = d->tcap ? d->tcap * 2 : 256;
    uint32_t *tab = ots_calloc(tcap, sizeof *tab);
    dent *e = ots_realloc(d->e, tcap / 2 * sizeof *e);
    if (!tab || !e) {
        ots_free(tab);
        if (e)
            d->e = e;
        return OTS_ENOMEM;
    }
    d->e = e;
    d->cap = tcap / 2;
    for (size_t i = 0; i < d->n; i++) {
        size_t s = (size_t)e[i].h & (tcap - 1);
        while (tab[s])
            s = (s + 1) & (tcap - 1);
        tab[s] = (uint32_t)(i + 1);
    }
    ots_free(d->tab);
    d->tab = tab;
    d->tcap = tcap;
    return OTS_OK;
}

/* Code of s (adding it if new), or OTS_ENOMEM. */
static int64_t dict_code(dict *d, const char *p, uint32_t len)
{
    if (d->n >= d->cap && dict_grow(d))
        return OTS_ENOMEM;
    uint64_t h = ots_fmt_hash64(p, len);
    size_t s = (size_t)h & (d->tcap - 1);
    for (;;) {
        uint32_t k = d->tab[s];
        if (!k)
            break;
        const dent *e = &d->e[k - 1];
        if (e->h == h && e->len == len && (len == 0 || memcmp(e->p, p, len) == 0))
            return k - 1;
        s = (s + 1) & (d->tcap - 1);
    }
    d->e[d->n] = (dent){p, len, h};
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

static size_t write_dict(const dict *d, const ots_enc_int_plan *plan, const int64_t *codes, int mode, uint8_t *o)
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
    o += ots_enc_int_write(plan, codes, mode, o);
    return (size_t)(o - s);
}

ssize_t ots_fmt_chunk_encode_str(const ots_fmt_str *v, const uint8_t *valid, size_t n, int flags, uint8_t *dst,
                                 size_t dst_cap, ots_fmt_chunk_stats *st)
{
    if (!v && n)
        return OTS_EINVAL;
    size_t total = 0, lens = 0, nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i])
            continue;
        if (v[i].len && !v[i].p)
            return OTS_EINVAL;
        total += v[i].len;
        lens += ots_enc_vlen(v[i].len);
        nv++;
    }
    ots_enc_info info;
    int rc = ots_enc_begin(OTS_KIND_STR, valid, n, dst, dst_cap, ots_fmt_chunk_bound_str(n, total), &info);
    if (rc)
        return rc;
    uint8_t *body = dst + info.body_off;
    ots_enc_body cand[2];
    size_t ncand = 1;
    if (nv == 0) {
        cand[0] = (ots_enc_body){OTS_ENC_STRRAW, 0, body, 0};
        return ots_enc_finish(&info, cand, 1, flags, dst, st);
    }

    ssize_t out = OTS_ENOMEM;
    dict d = {0};
    ots_enc_int_plan plan;
    memset(&plan, 0, sizeof plan);
    uint8_t *alt = NULL;
    int64_t *codes = ots_malloc(nv * sizeof *codes);
    if (!codes)
        goto out_free;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i])
            continue;
        int64_t c = dict_code(&d, v[i].p, v[i].len);
        if (c < 0)
            goto out_free;
        codes[k++] = c;
    }
    int aligned = !(flags & OTS_FMT_NO_ZSTD);
    if (ots_enc_int_plan_make(codes, nv, aligned, &plan))
        goto out_free;
    size_t dict_bytes = ots_enc_vlen(d.n);
    for (size_t j = 0; j < d.n; j++)
        dict_bytes += ots_enc_vlen(d.e[j].len) + d.e[j].len;
    size_t dsize = dict_bytes + plan.size[0], rsize = lens + total;
    if (dsize < rsize) {
        cand[0] = (ots_enc_body){OTS_ENC_DICT, plan.enc[0], body, write_dict(&d, &plan, codes, 0, body)};
        info.max_bits = (uint64_t)(d.n - 1);
    } else {
        cand[0] = (ots_enc_body){OTS_ENC_STRRAW, 0, body, write_lens_bytes(v, valid, n, body)};
        info.max_bits = (uint64_t)(nv - 1);
    }
    if (aligned && (cand[0].enc != OTS_ENC_DICT || plan.size[1] != plan.size[0] || plan.enc[1] != plan.enc[0])) {
        if (!(alt = ots_malloc(dict_bytes + plan.size[1])))
            goto out_free;
        cand[ncand++] = (ots_enc_body){OTS_ENC_DICT, plan.enc[1], alt, write_dict(&d, &plan, codes, 1, alt)};
    }
    out = ots_enc_finish(&info, cand, ncand, flags, dst, st);
    /* min/max are codes as the decoder returns them; STRRAW vs DICT may have
     * changed under zstd. */
    if (out > 0 && cand[0].enc != ((const uint8_t *)dst)[2]) {
        uint64_t mx = dst[2] == OTS_ENC_DICT ? d.n - 1 : nv - 1;
        ots_le64_put(dst + 40, mx);
        if (st)
            st->max_i = (int64_t)mx;
    }
out_free:
    ots_free(alt);
    ots_enc_int_plan_free(&plan);
    ots_free(codes);
    dict_free(&d);
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
static int read_lens(const uint8_t *b, size_t len, size_t *pos, size_t cnt, size_t *sum, uint64_t off,
                     ots_fmt_err *err)
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
        return ots_enc_fail(err, off + *pos, "expected %llu string bytes, %zu left", (unsigned long long)s,
                            len - *pos);
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
