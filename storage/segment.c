/*
 * segment.c — immutable segment files: one partition's rows, column by
 * column, sorted by (series, ts), with a checksummed footer holding the
 * column directory, per-chunk statistics, tag dictionaries and roaring
 * postings.  Spec: docs/formats/segment.md.
 *
 * Every read treats the file as untrusted: the tail, the footer checksum,
 * every length and offset, and each chunk's own XXH3 are checked before use;
 * a failure is OTS_ECORRUPT naming the file and byte offset.  Roaring
 * postings are deserialised only from a footer whose checksum matched
 * (DEPENDENCIES.md trap 2).
 */
#include <errno.h>
#include <fcntl.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage_int.h"

#define SEG_MAGIC "OTSSEG01"
#define SEG_TAIL_MAGIC "OTSSEGF1"
#define SEG_VERSION 1
#define SEG_HEADER_BYTES 16
#define SEG_TAIL_BYTES 32

int ots_io_read_multi(int fd, size_t n, const uint64_t *off, const uint32_t *len, uint8_t **bufs, size_t *bad);

/* ---- a growable byte buffer ------------------------------------------------- */
typedef struct obuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} obuf;

static uint8_t *ob_reserve(obuf *b, size_t more)
{
    if (b->oom)
        return NULL;
    if (b->n + more > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + more)
            nc *= 2;
        uint8_t *np = ots_realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return NULL;
        }
        b->p = np;
        b->cap = nc;
    }
    return b->p + b->n;
}
static void ob_put(obuf *b, const void *src, size_t n)
{
    uint8_t *d = ob_reserve(b, n);
    if (d) {
        memcpy(d, src, n);
        b->n += n;
    }
}
static void ob_u8(obuf *b, uint8_t v) { ob_put(b, &v, 1); }
static void ob_u16(obuf *b, uint16_t v)
{
    uint8_t t[2];
    ots_le16_put(t, v);
    ob_put(b, t, 2);
}
static void ob_u32(obuf *b, uint32_t v)
{
    uint8_t t[4];
    ots_le32_put(t, v);
    ob_put(b, t, 4);
}
static void ob_u64(obuf *b, uint64_t v)
{
    uint8_t t[8];
    ots_le64_put(t, v);
    ob_put(b, t, 8);
}
static void ob_f64(obuf *b, double v)
{
    uint8_t t[8];
    ots_f64_put(t, v);
    ob_put(b, t, 8);
}

/* ---- writer ---------------------------------------------------------------------- */

typedef struct dictw {
    int col;
    uint32_t n;
    uint32_t *ids; /* pool ids, sorted by string */
    roaring_bitmap_t **post;
} dictw;

static _Thread_local const strpool *cmp_pool;
static int pool_id_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const strpool *p = cmp_pool;
    uint32_t lx = p->len[x], ly = p->len[y];
    int c = memcmp(p->str[x], p->str[y], lx < ly ? lx : ly);
    return c ? c : (lx < ly ? -1 : lx > ly);
}

static int encode_column(const rowbuf *b, const uint32_t *perm, size_t n, int c, int flags, obuf *out, segcol *sc,
                         dictw *dw, void *scratch, uint8_t *vscratch)
{
    const tbl *t = b->t;
    ots_type ty = t->cols[c].type;
    const rcol *rc = &b->cols[c];
    const uint8_t *valid = NULL;
    if (rc->valid) {
        for (size_t i = 0; i < n; i++)
            vscratch[i] = rc->valid[perm[i]];
        valid = vscratch;
    }
    ssize_t w = OTS_EINVAL;
    size_t bound;
    switch (ty) {
    case OTS_TIMESTAMP: {
        int64_t *v = scratch;
        for (size_t i = 0; i < n; i++)
            v[i] = b->ts[perm[i]];
        bound = ots_fmt_chunk_bound_i64(n);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_i64(v, NULL, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    case OTS_TAG: {
        int slot = t->tag_slot[c], nt = t->ntags;
        uint32_t *code_of = ots_malloc((b->pool.n ? b->pool.n : 1) * sizeof *code_of);
        if (!code_of)
            return OTS_ENOMEM;
        memset(code_of, 0xff, (size_t)b->pool.n * sizeof *code_of);
        /* distinct values used by the written rows */
        dw->col = c;
        dw->n = 0;
        dw->ids = ots_malloc((b->nseries ? b->nseries : 1) * sizeof *dw->ids);
        if (!dw->ids) {
            ots_free(code_of);
            return OTS_ENOMEM;
        }
        for (uint32_t s = 0; s < b->nseries; s++) {
            uint32_t id = b->series_tags[(size_t)s * nt + slot];
            if (code_of[id] == UINT32_MAX) {
                code_of[id] = 0;
                dw->ids[dw->n++] = id;
            }
        }
        cmp_pool = &b->pool;
        qsort(dw->ids, dw->n, sizeof *dw->ids, pool_id_cmp);
        for (uint32_t k = 0; k < dw->n; k++)
            code_of[dw->ids[k]] = k;
        dw->post = ots_calloc(dw->n ? dw->n : 1, sizeof *dw->post);
        int64_t *v = scratch;
        int rc2 = dw->post ? OTS_OK : OTS_ENOMEM;
        for (uint32_t k = 0; k < dw->n && rc2 == OTS_OK; k++)
            if (!(dw->post[k] = roaring_bitmap_create()))
                rc2 = OTS_ENOMEM;
        if (rc2 != OTS_OK) {
            ots_free(code_of);
            return rc2;
        }
        size_t run = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = code_of[b->series_tags[(size_t)b->sid[perm[i]] * nt + slot]];
            if (i > 0 && v[i] != v[i - 1]) {
                roaring_bitmap_add_range(dw->post[v[i - 1]], run, i);
                run = i;
            }
        }
        if (n)
            roaring_bitmap_add_range(dw->post[v[n - 1]], run, n);
        for (uint32_t k = 0; k < dw->n; k++)
            roaring_bitmap_run_optimize(dw->post[k]);
        ots_free(code_of);
        bound = ots_fmt_chunk_bound_i64(n);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_i64(v, NULL, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    case OTS_DOUBLE: {
        double *v = scratch;
        const double *src = rc->data;
        for (size_t i = 0; i < n; i++)
            v[i] = src[perm[i]];
        bound = ots_fmt_chunk_bound_f64(n);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_f64(v, valid, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    case OTS_BIGINT: {
        int64_t *v = scratch;
        const int64_t *src = rc->data;
        for (size_t i = 0; i < n; i++)
            v[i] = src[perm[i]];
        bound = ots_fmt_chunk_bound_i64(n);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_i64(v, valid, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    case OTS_BOOLEAN: {
        uint8_t *v = scratch;
        const uint8_t *src = rc->data;
        for (size_t i = 0; i < n; i++)
            v[i] = src[perm[i]];
        bound = ots_fmt_chunk_bound_bool(n);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_bool(v, valid, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    case OTS_STRING: {
        ots_fmt_str *v = scratch;
        const uint32_t *src = rc->data;
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t id = src[perm[i]];
            if (valid && !valid[i]) {
                v[i].p = "";
                v[i].len = 0;
                continue;
            }
            v[i].p = b->pool.str[id];
            v[i].len = b->pool.len[id];
            total += v[i].len;
        }
        bound = ots_fmt_chunk_bound_str(n, total);
        if (!ob_reserve(out, bound))
            return OTS_ENOMEM;
        w = ots_fmt_chunk_encode_str(v, valid, n, flags, out->p + out->n, bound, &sc->st);
        break;
    }
    }
    if (w < 0)
        return (int)w;
    sc->type = (uint8_t)ty;
    sc->off = out->n;
    sc->len = (uint32_t)w;
    sc->hash = ots_fmt_hash64(out->p + out->n, (size_t)w);
    out->n += (size_t)w;
    return OTS_OK;
}

int ots_seg_write(struct ots_store *s, const rowbuf *b, const uint32_t *perm, size_t n, const char *path,
                  uint64_t seq_lo, uint64_t seq_hi, uint64_t lsn_hi, int64_t day, const char *cityname,
                  const char *zonename, int zstd_flags)
{
    const tbl *t = b->t;
    obuf out = {0};
    segcol cols[OTS_MAX_COLS];
    dictw dicts[OTS_MAX_COLS];
    int ndicts = 0;
    memset(cols, 0, sizeof cols);
    memset(dicts, 0, sizeof dicts);
    void *scratch = ots_malloc((n ? n : 1) * 16);
    uint8_t *vscratch = ots_malloc(n ? n : 1);
    int rc = OTS_ENOMEM;
    if (!scratch || !vscratch)
        goto out_free;
    ob_put(&out, SEG_MAGIC, 8);
    ob_u32(&out, SEG_VERSION);
    ob_u32(&out, SEG_HEADER_BYTES);
    int64_t ts_min = INT64_MAX, ts_max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        int64_t v = b->ts[perm[i]];
        if (v < ts_min)
            ts_min = v;
        if (v > ts_max)
            ts_max = v;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        dictw *dw = t->cols[c].type == OTS_TAG ? &dicts[ndicts++] : NULL;
        rc = encode_column(b, perm, n, (int)c, zstd_flags, &out, &cols[c], dw, scratch, vscratch);
        if (rc != OTS_OK) {
            ots_set_err(s, rc, "%s: encoding column '%s' failed: %s", path, t->cols[c].name, ots_strerror(rc));
            goto out_free;
        }
    }
    /* footer */
    uint64_t footer_off = out.n;
    ob_u32(&out, t->id);
    ob_u32(&out, (uint32_t)t->ncols);
    ob_u64(&out, seq_lo);
    ob_u64(&out, seq_hi);
    ob_u64(&out, lsn_hi);
    ob_u32(&out, (uint32_t)n);
    ob_u64(&out, (uint64_t)ts_min);
    ob_u64(&out, (uint64_t)ts_max);
    ob_u64(&out, (uint64_t)day);
    ob_u16(&out, (uint16_t)strlen(cityname));
    ob_put(&out, cityname, strlen(cityname));
    ob_u16(&out, (uint16_t)strlen(zonename));
    ob_put(&out, zonename, strlen(zonename));
    for (size_t c = 0; c < t->ncols; c++) {
        const segcol *sc = &cols[c];
        size_t nl = strlen(t->cols[c].name);
        ob_u8(&out, sc->type);
        ob_u8(&out, (uint8_t)nl);
        ob_put(&out, t->cols[c].name, nl);
        ob_u64(&out, sc->off);
        ob_u32(&out, sc->len);
        ob_u64(&out, sc->hash);
        ob_u32(&out, sc->st.null_count);
        ob_u64(&out, (uint64_t)sc->st.min_i);
        ob_u64(&out, (uint64_t)sc->st.max_i);
        ob_f64(&out, sc->st.min_f);
        ob_f64(&out, sc->st.max_f);
        ob_u8(&out, sc->st.encoding);
        ob_u8(&out, sc->st.inner);
        ob_u8(&out, sc->st.zstd);
    }
    ob_u32(&out, (uint32_t)ndicts);
    for (int d = 0; d < ndicts; d++) {
        dictw *dw = &dicts[d];
        ob_u32(&out, (uint32_t)dw->col);
        ob_u32(&out, dw->n);
        for (uint32_t k = 0; k < dw->n; k++) {
            ob_u32(&out, b->pool.len[dw->ids[k]]);
            ob_put(&out, b->pool.str[dw->ids[k]], b->pool.len[dw->ids[k]]);
        }
        for (uint32_t k = 0; k < dw->n; k++) {
            size_t sz = roaring_bitmap_portable_size_in_bytes(dw->post[k]);
            ob_u32(&out, (uint32_t)sz);
            uint8_t *dst = ob_reserve(&out, sz);
            if (dst) {
                roaring_bitmap_portable_serialize(dw->post[k], (char *)dst);
                out.n += sz;
            }
        }
    }
    uint64_t footer_len = out.n - footer_off;
    uint64_t fh = ots_fmt_hash64(out.p + footer_off, footer_len);
    ob_u64(&out, footer_off);
    ob_u32(&out, (uint32_t)footer_len);
    ob_u32(&out, SEG_VERSION);
    ob_u64(&out, fh);
    ob_put(&out, SEG_TAIL_MAGIC, 8);
    if (out.oom) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    rc = ots_write_file_atomic(path, out.p, out.n);
    if (rc != OTS_OK)
        ots_set_err(s, rc, "%s: cannot write segment: %s", path, strerror(errno));
out_free:
    for (int d = 0; d < ndicts; d++) {
        if (dicts[d].post)
            for (uint32_t k = 0; k < dicts[d].n; k++)
                if (dicts[d].post[k])
                    roaring_bitmap_free(dicts[d].post[k]);
        ots_free(dicts[d].post);
        ots_free(dicts[d].ids);
    }
    ots_free(out.p);
    ots_free(scratch);
    ots_free(vscratch);
    return rc;
}

/* ---- reader ------------------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    int bad;
} rd;
static int rd_need(rd *r, size_t k)
{
    if (r->bad || r->n - r->off < k) {
        r->bad = 1;
        return 0;
    }
    return 1;
}
static uint8_t rd_u8(rd *r) { return rd_need(r, 1) ? r->p[r->off++] : 0; }
static uint16_t rd_u16(rd *r)
{
    if (!rd_need(r, 2))
        return 0;
    uint16_t v = ots_le16_get(r->p + r->off);
    r->off += 2;
    return v;
}
static uint32_t rd_u32(rd *r)
{
    if (!rd_need(r, 4))
        return 0;
    uint32_t v = ots_le32_get(r->p + r->off);
    r->off += 4;
    return v;
}
static uint64_t rd_u64(rd *r)
{
    if (!rd_need(r, 8))
        return 0;
    uint64_t v = ots_le64_get(r->p + r->off);
    r->off += 8;
    return v;
}
static double rd_f64(rd *r)
{
    if (!rd_need(r, 8))
        return 0;
    double v = ots_f64_get(r->p + r->off);
    r->off += 8;
    return v;
}
static const uint8_t *rd_bytes(rd *r, size_t k)
{
    if (!rd_need(r, k))
        return NULL;
    const uint8_t *p = r->p + r->off;
    r->off += k;
    return p;
}

static void seg_free(seg *g)
{
    if (!g)
        return;
    for (uint32_t d = 0; g->dicts && d < g->ndicts; d++) { /* dicts may be unallocated after a bad count */
        for (uint32_t k = 0; k < g->dicts[d].nowned; k++)
            ots_free((char *)g->dicts[d].val[k]);
        ots_free(g->dicts[d].val);
        ots_free(g->dicts[d].vlen);
        ots_free(g->dicts[d].post_off);
        ots_free(g->dicts[d].post_len);
    }
    ots_free(g->dicts);
    ots_free(g->cols);
    ots_free(g->footer);
    ots_free(g->path);
    ots_free(g);
}

void ots_seg_unref(struct ots_store *s, seg *g)
{
    (void)s;
    if (!g || --g->refs > 0)
        return;
    if (g->obsolete)
        unlink(g->path);
    seg_free(g);
}

static int seg_corrupt(struct ots_store *s, const char *path, uint64_t off, const char *what)
{
    return ots_set_err(s, OTS_ECORRUPT, "%s: corrupt segment at byte %llu: %s", path, (unsigned long long)off, what);
}

int ots_seg_open(struct ots_store *s, const tbl *t, const char *path, seg **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ots_set_err(s, OTS_EIO, "%s: %s", path, strerror(errno));
    int rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = ots_set_err(s, OTS_EIO, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < SEG_HEADER_BYTES + SEG_TAIL_BYTES) {
        rc = seg_corrupt(s, path, size, "file too short for a segment header and tail");
        goto out_close;
    }
    uint8_t head[SEG_HEADER_BYTES], tail[SEG_TAIL_BYTES];
    if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
        pread(fd, tail, sizeof tail, (off_t)(size - SEG_TAIL_BYTES)) != (ssize_t)sizeof tail) {
        rc = ots_set_err(s, OTS_EIO, "%s: read failed: %s", path, strerror(errno));
        goto out_close;
    }
    if (memcmp(head, SEG_MAGIC, 8) != 0) {
        rc = seg_corrupt(s, path, 0, "expected magic OTSSEG01");
        goto out_close;
    }
    if (ots_le32_get(head + 8) != SEG_VERSION || ots_le32_get(head + 12) != SEG_HEADER_BYTES) {
        rc = seg_corrupt(s, path, 8, "unsupported segment version or header size");
        goto out_close;
    }
    if (memcmp(tail + 24, SEG_TAIL_MAGIC, 8) != 0) {
        rc = seg_corrupt(s, path, size - 8, "expected tail magic OTSSEGF1 (file truncated?)");
        goto out_close;
    }
    uint64_t foff = ots_le64_get(tail);
    uint32_t flen = ots_le32_get(tail + 8);
    uint64_t fhash = ots_le64_get(tail + 16);
    if (ots_le32_get(tail + 12) != SEG_VERSION) {
        rc = seg_corrupt(s, path, size - SEG_TAIL_BYTES + 12, "unsupported segment tail version");
        goto out_close;
    }
    if (foff < SEG_HEADER_BYTES || foff + flen + SEG_TAIL_BYTES != size) {
        rc = seg_corrupt(s, path, size - SEG_TAIL_BYTES, "footer offset and length do not match the file size");
        goto out_close;
    }
    seg *g = ots_calloc(1, sizeof *g);
    if (!g) {
        rc = OTS_ENOMEM;
        goto out_close;
    }
    g->refs = 1;
    g->path = ots_strdup(path);
    g->footer = ots_malloc(flen ? flen : 1);
    g->footer_len = flen;
    g->file_bytes = size;
    if (!g->path || !g->footer) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    if (pread(fd, g->footer, flen, (off_t)foff) != (ssize_t)flen) {
        rc = ots_set_err(s, OTS_EIO, "%s: read failed: %s", path, strerror(errno));
        goto out_free;
    }
    if (ots_fmt_hash64(g->footer, flen) != fhash) {
        rc = seg_corrupt(s, path, foff, "footer checksum mismatch");
        goto out_free;
    }
    rd r = {g->footer, flen, 0, 0};
    uint32_t tid = rd_u32(&r);
    g->ncols = rd_u32(&r);
    g->seq_lo = rd_u64(&r);
    g->seq_hi = rd_u64(&r);
    g->lsn_hi = rd_u64(&r);
    g->nrows = rd_u32(&r);
    g->ts_min = (int64_t)rd_u64(&r);
    g->ts_max = (int64_t)rd_u64(&r);
    rd_u64(&r); /* day: derived from the path too */
    uint16_t cl = rd_u16(&r);
    rd_bytes(&r, cl);
    uint16_t zl = rd_u16(&r);
    rd_bytes(&r, zl);
    if (!r.bad && g->nrows > OTS_SEG_MAX_ROWS) {
        rc = seg_corrupt(s, path, foff + 32, "row count over the 2^27 rows a segment may hold");
        goto out_free;
    }
    if (r.bad || tid != t->id || g->ncols != t->ncols || g->seq_lo > g->seq_hi) {
        rc = seg_corrupt(s, path, foff, "footer does not describe this table's schema");
        goto out_free;
    }
    g->cols = ots_calloc(g->ncols ? g->ncols : 1, sizeof *g->cols);
    if (!g->cols) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    for (uint32_t c = 0; c < g->ncols; c++) {
        segcol *sc = &g->cols[c];
        sc->type = rd_u8(&r);
        uint8_t nl = rd_u8(&r);
        const uint8_t *nm = rd_bytes(&r, nl);
        sc->off = rd_u64(&r);
        sc->len = rd_u32(&r);
        sc->hash = rd_u64(&r);
        sc->st.n = g->nrows;
        sc->st.null_count = rd_u32(&r);
        sc->st.min_i = (int64_t)rd_u64(&r);
        sc->st.max_i = (int64_t)rd_u64(&r);
        sc->st.min_f = rd_f64(&r);
        sc->st.max_f = rd_f64(&r);
        sc->st.encoding = rd_u8(&r);
        sc->st.inner = rd_u8(&r);
        sc->st.zstd = rd_u8(&r);
        if (r.bad || sc->type != t->cols[c].type || !nm || nl != strlen(t->cols[c].name) ||
            memcmp(nm, t->cols[c].name, nl) != 0 || sc->off < SEG_HEADER_BYTES || sc->off > foff ||
            sc->len > foff - sc->off) {
            rc = seg_corrupt(s, path, foff + r.off, "column directory entry does not match the schema or file");
            goto out_free;
        }
    }
    g->ndicts = rd_u32(&r);
    if (r.bad || g->ndicts > g->ncols) {
        rc = seg_corrupt(s, path, foff + r.off, "bad dictionary count");
        goto out_free;
    }
    g->dicts = ots_calloc(g->ndicts ? g->ndicts : 1, sizeof *g->dicts);
    if (!g->dicts) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    for (uint32_t d = 0; d < g->ndicts; d++) {
        segdict *sd = &g->dicts[d];
        sd->col = (int)rd_u32(&r);
        sd->n = rd_u32(&r);
        if (r.bad || sd->col < 0 || (uint32_t)sd->col >= g->ncols || t->cols[sd->col].type != OTS_TAG ||
            sd->n > flen / 8) {
            rc = seg_corrupt(s, path, foff + r.off, "bad tag dictionary header");
            goto out_free;
        }
        sd->val = ots_calloc(sd->n ? sd->n : 1, sizeof *sd->val);
        sd->vlen = ots_calloc(sd->n ? sd->n : 1, sizeof *sd->vlen);
        sd->post_off = ots_calloc(sd->n ? sd->n : 1, sizeof *sd->post_off);
        sd->post_len = ots_calloc(sd->n ? sd->n : 1, sizeof *sd->post_len);
        if (!sd->val || !sd->vlen || !sd->post_off || !sd->post_len) {
            rc = OTS_ENOMEM;
            goto out_free;
        }
        for (uint32_t k = 0; k < sd->n; k++) {
            sd->vlen[k] = rd_u32(&r);
            sd->val[k] = (const char *)rd_bytes(&r, sd->vlen[k]);
        }
        for (uint32_t k = 0; k < sd->n; k++) {
            sd->post_len[k] = rd_u32(&r);
            sd->post_off[k] = r.off;
            rd_bytes(&r, sd->post_len[k]);
        }
        if (r.bad) {
            rc = seg_corrupt(s, path, foff + r.off, "tag dictionary runs past the footer");
            goto out_free;
        }
    }
    /* dictionary strings are not NUL-terminated in the footer: copy them */
    for (uint32_t d = 0; d < g->ndicts; d++) {
        segdict *sd = &g->dicts[d];
        for (uint32_t k = 0; k < sd->n; k++) {
            char *cp = ots_malloc(sd->vlen[k] + 1);
            if (!cp) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
            memcpy(cp, sd->val[k], sd->vlen[k]);
            cp[sd->vlen[k]] = 0;
            sd->val[k] = cp;
            sd->nowned = k + 1;
        }
    }
    close(fd);
    *out = g;
    return OTS_OK;
out_free:
    seg_free(g);
out_close:
    close(fd);
    return rc;
}

const segdict *ots_seg_dict(const seg *g, int col)
{
    for (uint32_t d = 0; d < g->ndicts; d++)
        if (g->dicts[d].col == col)
            return &g->dicts[d];
    return NULL;
}

int ots_seg_postings(struct ots_store *s, const seg *g, const segdict *d, uint32_t k, roaring_bitmap_t **out)
{
    *out = roaring_bitmap_portable_deserialize_safe((const char *)g->footer + d->post_off[k], d->post_len[k]);
    if (!*out)
        return seg_corrupt(s, g->path, d->post_off[k], "tag postings do not deserialize");
    if (roaring_bitmap_get_cardinality(*out) && roaring_bitmap_maximum(*out) >= g->nrows) {
        roaring_bitmap_free(*out);
        *out = NULL;
        return seg_corrupt(s, g->path, d->post_off[k], "tag postings name rows past the segment");
    }
    return OTS_OK;
}

int ots_seg_read_chunks(struct ots_store *s, const seg *g, const int *cols, int ncols, uint8_t **bufs)
{
    uint64_t off[OTS_MAX_COLS];
    uint32_t len[OTS_MAX_COLS];
    int rc = OTS_OK;
    for (int i = 0; i < ncols; i++)
        bufs[i] = NULL;
    for (int i = 0; i < ncols; i++) {
        off[i] = g->cols[cols[i]].off;
        len[i] = g->cols[cols[i]].len;
        if (!(bufs[i] = ots_malloc(len[i] ? len[i] : 1))) {
            rc = OTS_ENOMEM;
            goto out_free;
        }
    }
    int fd = open(g->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = ots_set_err(s, OTS_EIO, "%s: %s", g->path, strerror(errno));
        goto out_free;
    }
    size_t bad = 0;
    rc = ots_io_read_multi(fd, (size_t)ncols, off, len, bufs, &bad);
    close(fd);
    if (rc == OTS_ECORRUPT) {
        seg_corrupt(s, g->path, off[bad], "file ends inside a column chunk");
        goto out_free;
    }
    if (rc != OTS_OK) {
        ots_set_err(s, rc, "%s: read failed: %s", g->path, strerror(errno));
        goto out_free;
    }
    for (int i = 0; i < ncols; i++)
        if (ots_fmt_hash64(bufs[i], len[i]) != g->cols[cols[i]].hash) {
            rc = seg_corrupt(s, g->path, off[i], "column chunk checksum mismatch");
            goto out_free;
        }
    return OTS_OK;
out_free:
    for (int i = 0; i < ncols; i++) {
        ots_free(bufs[i]);
        bufs[i] = NULL;
    }
    return rc;
}

int ots_seg_read_chunk(struct ots_store *s, const seg *g, int c, uint8_t **buf)
{
    return ots_seg_read_chunks(s, g, &c, 1, buf);
}

/* Decode column c's chunk (already read) into typed arrays of g->nrows. */
static int decode_into(struct ots_store *s, const seg *g, int c, const uint8_t *chunk, void *vals, uint8_t *valid,
                       ots_fmt_strdict **sd)
{
    ots_fmt_err e = {0};
    ssize_t n = -1;
    const segcol *sc = &g->cols[c];
    switch ((ots_type)sc->type) {
    case OTS_TIMESTAMP:
    case OTS_BIGINT:
    case OTS_TAG: n = ots_fmt_chunk_decode_i64(chunk, sc->len, vals, valid, g->nrows, &e); break;
    case OTS_DOUBLE: n = ots_fmt_chunk_decode_f64(chunk, sc->len, vals, valid, g->nrows, &e); break;
    case OTS_BOOLEAN: n = ots_fmt_chunk_decode_bool(chunk, sc->len, vals, valid, g->nrows, &e); break;
    case OTS_STRING: n = ots_fmt_chunk_decode_str(chunk, sc->len, vals, valid, g->nrows, sd, &e); break;
    }
    if (n < 0)
        return n == OTS_ENOMEM ? OTS_ENOMEM : seg_corrupt(s, g->path, sc->off + e.offset, e.msg);
    if ((size_t)n != g->nrows)
        return seg_corrupt(s, g->path, sc->off, "chunk row count differs from the footer's");
    return OTS_OK;
}

int ots_seg_decode_column(struct ots_store *s, const seg *g, int c, const uint8_t *chunk, void *vals, uint8_t *valid,
                          ots_fmt_strdict **sd);
int ots_seg_decode_column(struct ots_store *s, const seg *g, int c, const uint8_t *chunk, void *vals, uint8_t *valid,
                          ots_fmt_strdict **sd)
{
    int rc = decode_into(s, g, c, chunk, vals, valid, sd);
    if (rc == OTS_OK && g->cols[c].type == OTS_TAG) {
        const segdict *d = ots_seg_dict(g, c);
        const int64_t *codes = vals;
        uint32_t nd = d ? d->n : 0;
        for (uint32_t i = 0; i < g->nrows; i++)
            if ((uint64_t)codes[i] >= nd)
                return seg_corrupt(s, g->path, g->cols[c].off, "tag code outside its dictionary");
    }
    return rc;
}

int ots_seg_load_rowbuf(struct ots_store *s, const tbl *t, const seg *g, rowbuf *b)
{
    int cols[OTS_MAX_COLS];
    uint8_t *bufs[OTS_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++)
        cols[c] = (int)c;
    int rc = ots_seg_read_chunks(s, g, cols, (int)t->ncols, bufs);
    if (rc != OTS_OK)
        return rc;
    for (size_t c = 0; c < t->ncols; c++) { /* row counts agree before anything is sized by them */
        ots_fmt_chunk_stats cst;
        ots_fmt_err e = {0};
        if (ots_fmt_chunk_peek(bufs[c], g->cols[c].len, &cst, &e) != OTS_OK || cst.n != g->nrows) {
            for (size_t k = 0; k < t->ncols; k++)
                ots_free(bufs[k]);
            return seg_corrupt(s, g->path, g->cols[c].off + e.offset,
                               e.msg[0] ? e.msg : "chunk row count differs from the footer's");
        }
    }
    size_t n = g->nrows;
    int64_t *tmp64 = ots_malloc((n ? n : 1) * 8);
    uint8_t *valid = ots_malloc(n ? n : 1);
    int64_t **tagcodes = ots_calloc((size_t)t->ntags, sizeof *tagcodes);
    uint32_t **tagmap = ots_calloc((size_t)t->ntags, sizeof *tagmap);
    if (!tmp64 || !valid || !tagcodes || !tagmap || ots_rowbuf_reserve(b, n) != OTS_OK) {
        rc = OTS_ENOMEM;
        goto out_free;
    }
    size_t base = b->n;
    /* tags: codes -> pool ids of b */
    for (int k = 0; k < t->ntags; k++) {
        int c = t->tag_cols[k];
        const segdict *d = ots_seg_dict(g, c);
        if (!d) {
            rc = seg_corrupt(s, g->path, 0, "a tag column has no dictionary");
            goto out_free;
        }
        tagcodes[k] = ots_malloc((n ? n : 1) * 8);
        tagmap[k] = ots_malloc((d->n ? d->n : 1) * 4);
        if (!tagcodes[k] || !tagmap[k]) {
            rc = OTS_ENOMEM;
            goto out_free;
        }
        if ((rc = ots_seg_decode_column(s, g, c, bufs[c], tagcodes[k], NULL, NULL)) != OTS_OK)
            goto out_free;
        for (uint32_t q = 0; q < d->n; q++) {
            int64_t id = ots_pool_intern(&b->pool, d->val[q], d->vlen[q]);
            if (id < 0) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
            tagmap[k][q] = (uint32_t)id;
        }
    }
    uint32_t tuple[OTS_MAX_COLS], last[OTS_MAX_COLS];
    int64_t last_sid = -1;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < t->ntags; k++)
            tuple[k] = tagmap[k][tagcodes[k][i]];
        if (last_sid < 0 || memcmp(tuple, last, (size_t)t->ntags * 4) != 0) {
            last_sid = ots_rowbuf_series(b, tuple);
            if (last_sid < 0) {
                rc = OTS_ENOMEM;
                goto out_free;
            }
            memcpy(last, tuple, (size_t)t->ntags * 4);
        }
        b->sid[base + i] = (uint32_t)last_sid;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        ots_type ty = t->cols[c].type;
        if (ty == OTS_TAG)
            continue;
        if (ty == OTS_TIMESTAMP) {
            if ((rc = ots_seg_decode_column(s, g, (int)c, bufs[c], b->ts + base, NULL, NULL)) != OTS_OK)
                goto out_free;
            continue;
        }
        ots_fmt_strdict *sd = NULL;
        void *dst = ty == OTS_STRING ? (void *)tmp64
                                     : (void *)((uint8_t *)b->cols[c].data + base * (ty == OTS_BOOLEAN ? 1 : 8));
        if ((rc = ots_seg_decode_column(s, g, (int)c, bufs[c], dst, valid, &sd)) != OTS_OK)
            goto out_free;
        if (ty == OTS_STRING) {
            const uint32_t *codes = (const uint32_t *)tmp64;
            uint32_t *ids = b->cols[c].data;
            uint32_t *map = ots_malloc((sd->size ? sd->size : 1) * 4);
            if (!map) {
                ots_fmt_strdict_free(sd);
                rc = OTS_ENOMEM;
                goto out_free;
            }
            for (size_t q = 0; q < sd->size; q++) {
                int64_t id = ots_pool_intern(&b->pool, sd->dict[q], sd->lens[q]);
                if (id < 0) {
                    ots_free(map);
                    ots_fmt_strdict_free(sd);
                    rc = OTS_ENOMEM;
                    goto out_free;
                }
                map[q] = (uint32_t)id;
            }
            for (size_t i = 0; i < n; i++)
                ids[base + i] = codes[i] < sd->size ? map[codes[i]] : 0;
            ots_free(map);
            ots_fmt_strdict_free(sd);
        }
        if (g->cols[c].st.null_count)
            for (size_t i = 0; i < n; i++)
                if (!valid[i] && ots_rowbuf_set_null(b, (int)c, base + i) != OTS_OK) {
                    rc = OTS_ENOMEM;
                    goto out_free;
                }
    }
    for (size_t i = 0; i < n; i++) {
        int64_t v = b->ts[base + i];
        if (v < b->ts_min)
            b->ts_min = v;
        if (v > b->ts_max)
            b->ts_max = v;
    }
    b->n += n;
out_free:
    for (int k = 0; k < t->ntags; k++) {
        if (tagcodes)
            ots_free(tagcodes[k]);
        if (tagmap)
            ots_free(tagmap[k]);
    }
    ots_free(tagcodes), ots_free(tagmap), ots_free(tmp64), ots_free(valid);
    for (size_t c = 0; c < t->ncols; c++)
        ots_free(bufs[c]);
    return rc;
}
