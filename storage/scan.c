/*
 * scan.c — reading rows back: partitions pruned by table, city, zone and
 * day window; segments pruned by min/max ts and by tag postings (roaring);
 * only the requested columns decoded; rows returned in column batches.
 *
 * A partition whose sources (segments, write buffer) overlap in time may
 * hold several versions of a (series, ts): it is merged through a rowbuf and
 * deduplicated (last write wins) before rows are returned.  Otherwise each
 * source is scanned on its own, segments zero-copy from decoded chunks.
 */
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

int ots_seg_decode_column(struct ots_store *s, const seg *g, int c, const uint8_t *chunk, void *vals, uint8_t *valid,
                          ots_fmt_strdict **sd);

/* A reusable buffer: sources of a scan reuse their arrays instead of
 * allocating (and page-faulting) fresh ones per segment. */
typedef struct sbuf {
    void *p;
    size_t cap;
} sbuf;

static void *sbuf_get(sbuf *b, size_t bytes)
{
    if (!bytes)
        bytes = 1;
    if (b->cap < bytes) {
        ots_free(b->p);
        b->p = ots_malloc(bytes);
        b->cap = b->p ? bytes : 0;
    }
    return b->p;
}

typedef struct outcol { /* one requested column of the current source */
    int col;            /* schema index */
    void *data;         /* i64 / f64 / u8 values (in sb_data) */
    uint8_t *valid;     /* NULL = no NULLs (else in sb_valid) */
    uint32_t *codes;    /* TAG / STRING (in sb_codes) */
    const char **str;   /* per row (in sb_str) */
    sbuf sb_data, sb_valid, sb_codes, sb_str;
    const char **dict;
    size_t dict_size;
    ots_fmt_strdict *sd;   /* owned dictionary of a STRING chunk */
    const char **dict_own; /* owned dict array */
} outcol;

typedef struct pred {
    int col;
    char **vals;
    size_t n;
} pred;

struct ots_scan {
    struct ots_store *s;
    const tbl *t; /* valid while the table exists: see table_gone() */
    uint32_t table_id;
    uint64_t drop_gen; /* s->drop_gen when opened */
    int ncols;
    int cols[OTS_MAX_COLS];
    int64_t ts_min, ts_max;
    pred preds[OTS_MAX_COLS];
    int npreds;
    pred *city_pred, *zone_pred;
    uint32_t batch_rows;
    part **parts;
    size_t nparts, pi;
    /* sources of the current partition */
    seg **segs;
    size_t nsegs, si;
    rowbuf *pending_buf; /* buffer snapshot still to scan */
    const part *cur_part;
    /* current source */
    size_t n;      /* rows in arrays */
    uint32_t *sel; /* selected rows, NULL = all */
    size_t nsel, pos;
    outcol oc[OTS_MAX_COLS];
    rowbuf *src_rb; /* merged rows (owns strings) */
    /* batch */
    ots_column bcols[OTS_MAX_COLS];
    ots_batch batch;
    void *gather[OTS_MAX_COLS];
    uint8_t *gvalid[OTS_MAX_COLS];
    uint32_t *gcodes[OTS_MAX_COLS];
    const char **gstr[OTS_MAX_COLS];
    ots_scan_stats st;
    int err;
};

void ots_scan_spec_init(ots_scan_spec *spec, const char *table)
{
    memset(spec, 0, sizeof *spec);
    spec->table = table;
    spec->ts_min_ns = INT64_MIN;
    spec->ts_max_ns = INT64_MAX;
}

static void source_clear(ots_scan *sc)
{
    for (int i = 0; i < sc->ncols; i++) {
        outcol *o = &sc->oc[i];
        ots_free(o->dict_own);
        ots_fmt_strdict_free(o->sd);
        o->dict_own = NULL;
        o->sd = NULL;
        o->data = NULL;
        o->valid = NULL;
        o->codes = NULL;
        o->str = NULL;
        o->dict = NULL;
        o->dict_size = 0;
    }
    ots_free(sc->sel);
    sc->sel = NULL;
    sc->n = sc->nsel = sc->pos = 0;
    if (sc->src_rb) {
        ots_rowbuf_fini(sc->src_rb);
        ots_free(sc->src_rb);
        sc->src_rb = NULL;
    }
}

static void part_sources_clear(ots_scan *sc)
{
    pthread_mutex_lock(&sc->s->mu);
    for (size_t i = sc->si; i < sc->nsegs; i++)
        ots_seg_unref(sc->s, sc->segs[i]);
    pthread_mutex_unlock(&sc->s->mu);
    ots_free(sc->segs);
    sc->segs = NULL;
    sc->nsegs = sc->si = 0;
    if (sc->pending_buf) {
        ots_rowbuf_fini(sc->pending_buf);
        ots_free(sc->pending_buf);
        sc->pending_buf = NULL;
    }
}

void ots_scan_close(ots_scan *sc)
{
    if (!sc)
        return;
    source_clear(sc);
    part_sources_clear(sc);
    for (int i = 0; i < sc->npreds; i++) {
        for (size_t k = 0; k < sc->preds[i].n; k++)
            ots_free(sc->preds[i].vals[k]);
        ots_free(sc->preds[i].vals);
    }
    for (int i = 0; i < sc->ncols; i++) {
        ots_free(sc->gather[i]), ots_free(sc->gvalid[i]), ots_free(sc->gcodes[i]), ots_free(sc->gstr[i]);
        outcol *o = &sc->oc[i];
        ots_free(o->sb_data.p), ots_free(o->sb_valid.p), ots_free(o->sb_codes.p), ots_free(o->sb_str.p);
    }
    ots_free(sc->parts);
    ots_free(sc);
}

void ots_scan_stats_get(const ots_scan *sc, ots_scan_stats *out) { *out = sc->st; }

static int pred_has(const pred *p, const char *v)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->vals[i], v))
            return 1;
    return 0;
}

int ots_scan_open(ots_store *s, const ots_scan_spec *spec, ots_scan **out)
{
    *out = NULL;
    if (!s || !spec || !spec->table)
        return OTS_EINVAL;
    ots_scan *sc = ots_calloc(1, sizeof *sc);
    if (!sc)
        return OTS_ENOMEM;
    sc->s = s;
    sc->ts_min = spec->ts_min_ns;
    sc->ts_max = spec->ts_max_ns;
    sc->batch_rows = spec->batch_rows ? spec->batch_rows : 4096;
    int rc = OTS_OK;
    pthread_mutex_lock(&s->mu);
    const tbl *t = ots_catalog_table(&s->cat, spec->table);
    if (!t) {
        rc = ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", spec->table);
        goto out_unlock;
    }
    sc->t = t;
    sc->table_id = t->id;
    sc->drop_gen = s->drop_gen;
    if (spec->columns) {
        if (spec->ncolumns > OTS_MAX_COLS) {
            rc = ots_set_err(s, OTS_EINVAL, "too many columns requested");
            goto out_unlock;
        }
        for (size_t i = 0; i < spec->ncolumns; i++) {
            int found = -1;
            for (size_t c = 0; c < t->ncols; c++)
                if (!strcmp(t->cols[c].name, spec->columns[i]))
                    found = (int)c;
            if (found < 0) {
                rc = ots_set_err(s, OTS_ENOTFOUND, "table '%s' has no column '%s'", t->name, spec->columns[i]);
                goto out_unlock;
            }
            sc->cols[sc->ncols++] = found;
        }
    } else {
        for (size_t c = 0; c < t->ncols; c++)
            sc->cols[sc->ncols++] = (int)c;
    }
    for (size_t i = 0; i < spec->npreds; i++) {
        const ots_tag_pred *tp = &spec->preds[i];
        int found = -1;
        for (size_t c = 0; c < t->ncols; c++)
            if (tp->column && !strcmp(t->cols[c].name, tp->column))
                found = (int)c;
        if (found < 0 || t->cols[found].type != OTS_TAG) {
            rc = ots_set_err(s, OTS_EINVAL, "'%s' is not a TAG column of '%s'", tp->column ? tp->column : "(null)",
                             t->name);
            goto out_unlock;
        }
        pred *p = &sc->preds[sc->npreds++];
        p->col = found;
        p->vals = ots_calloc(tp->nvalues ? tp->nvalues : 1, sizeof *p->vals);
        if (!p->vals) {
            rc = OTS_ENOMEM;
            goto out_unlock;
        }
        for (size_t k = 0; k < tp->nvalues; k++) {
            if (!(p->vals[k] = ots_strdup(tp->values[k] ? tp->values[k] : ""))) {
                rc = OTS_ENOMEM;
                goto out_unlock;
            }
            p->n++;
        }
        if (found == t->city_col)
            sc->city_pred = p;
        if (found == t->zone_col)
            sc->zone_pred = p;
    }
    for (int i = 0; i < sc->ncols; i++)
        sc->oc[i].col = sc->cols[i];
    part **all;
    size_t nall;
    if ((rc = ots_parts_sorted(s, t, &all, &nall)) != OTS_OK)
        goto out_unlock;
    size_t k = 0;
    for (size_t i = 0; i < nall; i++) {
        part *p = all[i];
        sc->st.partitions_total++;
        int keep = p->day_end_ns > sc->ts_min && p->day_start_ns < sc->ts_max;
        /* every predicate on city or zone must admit the partition */
        for (int q = 0; q < sc->npreds && keep; q++) {
            if (sc->preds[q].col == t->city_col && !pred_has(&sc->preds[q], p->city))
                keep = 0;
            if (sc->preds[q].col == t->zone_col && !pred_has(&sc->preds[q], p->zone))
                keep = 0;
        }
        if (keep)
            all[k++] = p;
        else
            sc->st.partitions_pruned++;
    }
    sc->parts = all;
    sc->nparts = k;
out_unlock:
    pthread_mutex_unlock(&s->mu);
    if (rc != OTS_OK) {
        ots_scan_close(sc);
        return rc;
    }
    *out = sc;
    return OTS_OK;
}

/* ---- one segment --------------------------------------------------------------- */

/* Rows of g matching the tag predicates (other than city/zone, already
 * applied to the partition), as a bitmap; *none = 1 if nothing matches;
 * *out = NULL if there is no such predicate. */
static int seg_tag_filter(ots_scan *sc, const seg *g, roaring_bitmap_t **out, int *none)
{
    *out = NULL;
    *none = 0;
    for (int q = 0; q < sc->npreds; q++) {
        const pred *p = &sc->preds[q];
        if (p->col == sc->t->city_col || p->col == sc->t->zone_col)
            continue;
        const segdict *d = ots_seg_dict(g, p->col);
        roaring_bitmap_t *u = roaring_bitmap_create();
        if (!u)
            return OTS_ENOMEM;
        for (size_t v = 0; d && v < p->n; v++) {
            /* dictionary is sorted: binary search */
            size_t lo = 0, hi = d->n, len = strlen(p->vals[v]);
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                size_t ml = d->vlen[mid];
                int c = memcmp(d->val[mid], p->vals[v], ml < len ? ml : len);
                if (!c)
                    c = (ml > len) - (ml < len);
                if (c == 0) {
                    roaring_bitmap_t *pb;
                    int rc = ots_seg_postings(sc->s, g, d, (uint32_t)mid, &pb);
                    if (rc != OTS_OK) {
                        roaring_bitmap_free(u);
                        if (*out)
                            roaring_bitmap_free(*out);
                        *out = NULL;
                        return rc;
                    }
                    roaring_bitmap_or_inplace(u, pb);
                    roaring_bitmap_free(pb);
                    break;
                }
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
        if (*out) {
            roaring_bitmap_and_inplace(*out, u);
            roaring_bitmap_free(u);
        } else {
            *out = u;
        }
        if (roaring_bitmap_is_empty(*out)) {
            *none = 1;
            return OTS_OK;
        }
    }
    return OTS_OK;
}

static int alloc_outcol(outcol *o, ots_type ty, size_t n, int want_valid)
{
    size_t w = ty == OTS_BOOLEAN ? 1 : 8;
    o->data = sbuf_get(&o->sb_data, n * w);
    o->valid = want_valid ? sbuf_get(&o->sb_valid, n) : NULL;
    if (!o->data || (want_valid && !o->valid))
        return OTS_ENOMEM;
    return OTS_OK;
}

static int load_segment(ots_scan *sc, seg *g)
{
    struct ots_store *s = sc->s;
    const tbl *t = sc->t;
    if (g->ts_max < sc->ts_min || g->ts_min >= sc->ts_max) {
        sc->st.segments_pruned++;
        return OTS_OK;
    }
    roaring_bitmap_t *bm = NULL;
    int none;
    int rc = seg_tag_filter(sc, g, &bm, &none);
    if (rc != OTS_OK)
        return rc;
    if (none) {
        sc->st.segments_pruned++;
        if (bm)
            roaring_bitmap_free(bm);
        return OTS_OK;
    }
    int partial_ts = !(g->ts_min >= sc->ts_min && g->ts_max < sc->ts_max);
    /* chunks to read: requested columns, plus ts when the range cuts the segment */
    int need[OTS_MAX_COLS], nneed = 0, idx_of[OTS_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++)
        idx_of[c] = -1;
    for (int i = 0; i < sc->ncols; i++)
        if (idx_of[sc->cols[i]] < 0) {
            idx_of[sc->cols[i]] = nneed;
            need[nneed++] = sc->cols[i];
        }
    if (partial_ts && idx_of[t->ts_col] < 0) {
        idx_of[t->ts_col] = nneed;
        need[nneed++] = t->ts_col;
    }
    uint8_t *bufs[OTS_MAX_COLS];
    if ((rc = ots_seg_read_chunks(s, g, need, nneed, bufs)) != OTS_OK) {
        if (bm)
            roaring_bitmap_free(bm);
        return rc;
    }
    for (int i = 0; i < nneed; i++) {
        sc->st.bytes_read += g->cols[need[i]].len;
        /* the chunk must hold the footer's row count before we size arrays by it */
        ots_fmt_chunk_stats cst;
        ots_fmt_err e = {0};
        if (ots_fmt_chunk_peek(bufs[i], g->cols[need[i]].len, &cst, &e) != OTS_OK || cst.n != g->nrows) {
            rc = ots_set_err(s, OTS_ECORRUPT, "%s: corrupt segment at byte %llu: %s", g->path,
                             (unsigned long long)(g->cols[need[i]].off + e.offset),
                             e.msg[0] ? e.msg : "chunk row count differs from the footer's");
            for (int k = 0; k < nneed; k++)
                ots_free(bufs[k]);
            if (bm)
                roaring_bitmap_free(bm);
            sc->err = rc;
            return rc;
        }
    }
    size_t n = g->nrows;
    sc->n = n;
    int64_t *tsv = NULL, *ts_own = NULL;
    for (int i = 0; i < sc->ncols && rc == OTS_OK; i++) {
        outcol *o = &sc->oc[i];
        int c = o->col;
        ots_type ty = t->cols[c].type;
        int has_nulls = g->cols[c].st.null_count != 0;
        if ((rc = alloc_outcol(o, ty, n, has_nulls)) != OTS_OK)
            break;
        ots_fmt_strdict *sd = NULL;
        void *dst = ty == OTS_STRING ? (void *)(o->codes = sbuf_get(&o->sb_codes, n * 4)) : o->data;
        if (!dst) {
            rc = OTS_ENOMEM;
            break;
        }
        rc = ots_seg_decode_column(s, g, c, bufs[idx_of[c]], dst, o->valid, &sd);
        if (rc != OTS_OK)
            break;
        if (ty == OTS_TIMESTAMP)
            tsv = o->data;
        if (ty == OTS_TAG) {
            const segdict *d = ots_seg_dict(g, c);
            const int64_t *c64 = o->data;
            o->codes = sbuf_get(&o->sb_codes, n * 4);
            o->str = sbuf_get(&o->sb_str, n * sizeof *o->str);
            if (!o->codes || !o->str) {
                rc = OTS_ENOMEM;
                break;
            }
            for (size_t r = 0; r < n; r++) {
                o->codes[r] = (uint32_t)c64[r];
                o->str[r] = d->val[c64[r]];
            }
            o->dict = d->val;
            o->dict_size = d->n;
        } else if (ty == OTS_STRING) {
            o->sd = sd;
            o->dict = sd->dict;
            o->dict_size = sd->size;
            o->str = sbuf_get(&o->sb_str, n * sizeof *o->str);
            if (!o->str) {
                rc = OTS_ENOMEM;
                break;
            }
            for (size_t r = 0; r < n; r++)
                o->str[r] = o->codes[r] < sd->size ? sd->dict[o->codes[r]] : "";
        }
    }
    if (rc == OTS_OK && partial_ts && !tsv) {
        ts_own = ots_malloc((n ? n : 1) * 8);
        rc = ts_own ? ots_seg_decode_column(s, g, t->ts_col, bufs[idx_of[t->ts_col]], ts_own, NULL, NULL) : OTS_ENOMEM;
        tsv = ts_own;
    }
    for (int i = 0; i < nneed; i++)
        ots_free(bufs[i]);
    if (rc == OTS_OK) {
        sc->st.rows_read += n;
        if (bm || partial_ts) {
            size_t cnt = bm ? roaring_bitmap_get_cardinality(bm) : n;
            sc->sel = ots_malloc((cnt ? cnt : 1) * 4);
            if (!sc->sel)
                rc = OTS_ENOMEM;
            else if (bm) {
                roaring_bitmap_to_uint32_array(bm, sc->sel);
                sc->nsel = cnt;
            } else {
                for (size_t r = 0; r < n; r++)
                    sc->sel[r] = (uint32_t)r;
                sc->nsel = n;
            }
            if (rc == OTS_OK && partial_ts) {
                size_t k = 0;
                for (size_t i = 0; i < sc->nsel; i++) {
                    int64_t v = tsv[sc->sel[i]];
                    if (v >= sc->ts_min && v < sc->ts_max)
                        sc->sel[k++] = sc->sel[i];
                }
                sc->nsel = k;
            }
        }
    }
    ots_free(ts_own);
    if (bm) /* CRoaring 0.2.66 does not accept NULL */
        roaring_bitmap_free(bm);
    if (rc == OTS_ECORRUPT)
        sc->err = rc;
    return rc;
}

/* ---- merged / buffered rows ---------------------------------------------------------- */

/* Append rows [0, src->n) of src to dst (same table), mapping strings. */
static int rowbuf_append(rowbuf *dst, const rowbuf *src)
{
    const tbl *t = src->t;
    if (ots_rowbuf_reserve(dst, src->n) != OTS_OK)
        return OTS_ENOMEM;
    uint32_t *map = ots_malloc((src->pool.n ? src->pool.n : 1) * 4);
    uint32_t *smap = ots_malloc((src->nseries ? src->nseries : 1) * 4);
    if (!map || !smap) {
        ots_free(map), ots_free(smap);
        return OTS_ENOMEM;
    }
    int rc = OTS_OK;
    for (uint32_t i = 0; i < src->pool.n && rc == OTS_OK; i++) {
        int64_t id = ots_pool_intern(&dst->pool, src->pool.str[i], src->pool.len[i]);
        if (id < 0)
            rc = OTS_ENOMEM;
        else
            map[i] = (uint32_t)id;
    }
    uint32_t tuple[OTS_MAX_COLS];
    for (uint32_t sid = 0; sid < src->nseries && rc == OTS_OK; sid++) {
        for (int k = 0; k < t->ntags; k++)
            tuple[k] = map[src->series_tags[(size_t)sid * t->ntags + k]];
        int64_t d = ots_rowbuf_series(dst, tuple);
        if (d < 0)
            rc = OTS_ENOMEM;
        else
            smap[sid] = (uint32_t)d;
    }
    size_t base = dst->n;
    for (size_t r = 0; r < src->n && rc == OTS_OK; r++) {
        dst->sid[base + r] = smap[src->sid[r]];
        dst->ts[base + r] = src->ts[r];
    }
    for (size_t c = 0; c < t->ncols && rc == OTS_OK; c++) {
        ots_type ty = t->cols[c].type;
        if (ty == OTS_TIMESTAMP || ty == OTS_TAG)
            continue;
        size_t w = ty == OTS_BOOLEAN ? 1 : (ty == OTS_STRING ? 4 : 8);
        if (ty == OTS_STRING) {
            const uint32_t *sv = src->cols[c].data;
            uint32_t *dv = dst->cols[c].data;
            for (size_t r = 0; r < src->n; r++)
                dv[base + r] = map[sv[r]];
        } else {
            memcpy((uint8_t *)dst->cols[c].data + base * w, src->cols[c].data, src->n * w);
        }
        if (src->cols[c].valid)
            for (size_t r = 0; r < src->n && rc == OTS_OK; r++)
                if (!src->cols[c].valid[r])
                    rc = ots_rowbuf_set_null(dst, (int)c, base + r);
    }
    if (rc == OTS_OK) {
        dst->n += src->n;
        if (src->ts_min < dst->ts_min)
            dst->ts_min = src->ts_min;
        if (src->ts_max > dst->ts_max)
            dst->ts_max = src->ts_max;
    }
    ots_free(map), ots_free(smap);
    return rc;
}

/* Make the current source from a rowbuf (taking ownership): sort, dedup,
 * filter, materialise the requested columns. */
static int load_rowbuf(ots_scan *sc, rowbuf *rb)
{
    const tbl *t = sc->t;
    sc->src_rb = rb;
    uint32_t *perm;
    size_t n;
    int rc = ots_rowbuf_sort_dedup(rb, &perm, &n);
    if (rc != OTS_OK)
        return rc;
    sc->st.rows_read += rb->n;
    /* filter: ts range and tag predicates (by pool id sets) */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = perm[i];
        int64_t v = rb->ts[r];
        if (v < sc->ts_min || v >= sc->ts_max)
            continue;
        int ok = 1;
        for (int q = 0; q < sc->npreds && ok; q++) {
            int slot = t->tag_slot[sc->preds[q].col];
            const char *tv = rb->pool.str[rb->series_tags[(size_t)rb->sid[r] * t->ntags + slot]];
            ok = pred_has(&sc->preds[q], tv);
        }
        if (ok)
            perm[k++] = r;
    }
    n = k;
    sc->n = n;
    for (int i = 0; i < sc->ncols && rc == OTS_OK; i++) {
        outcol *o = &sc->oc[i];
        int c = o->col;
        ots_type ty = t->cols[c].type;
        const uint8_t *sv = rb->cols[c].valid;
        if ((rc = alloc_outcol(o, ty, n, sv != NULL)) != OTS_OK)
            break;
        int anynull = 0;
        for (size_t r = 0; sv && r < n; r++) {
            o->valid[r] = sv[perm[r]];
            anynull |= !o->valid[r];
        }
        if (!anynull)
            o->valid = NULL;
        switch (ty) {
        case OTS_TIMESTAMP:
            for (size_t r = 0; r < n; r++)
                ((int64_t *)o->data)[r] = rb->ts[perm[r]];
            break;
        case OTS_DOUBLE:
        case OTS_BIGINT:
            for (size_t r = 0; r < n; r++)
                ((uint64_t *)o->data)[r] = ((const uint64_t *)rb->cols[c].data)[perm[r]];
            break;
        case OTS_BOOLEAN:
            for (size_t r = 0; r < n; r++)
                ((uint8_t *)o->data)[r] = ((const uint8_t *)rb->cols[c].data)[perm[r]];
            break;
        case OTS_TAG:
        case OTS_STRING: {
            o->codes = sbuf_get(&o->sb_codes, n * 4);
            o->str = sbuf_get(&o->sb_str, n * sizeof *o->str);
            if (!o->codes || !o->str) {
                rc = OTS_ENOMEM;
                break;
            }
            int slot = t->tag_slot[c];
            for (size_t r = 0; r < n; r++) {
                uint32_t id = ty == OTS_TAG ? rb->series_tags[(size_t)rb->sid[perm[r]] * t->ntags + slot]
                                            : ((const uint32_t *)rb->cols[c].data)[perm[r]];
                if (ty == OTS_STRING && o->valid && !o->valid[r])
                    id = 0;
                o->codes[r] = id;
                o->str[r] = (o->valid && !o->valid[r]) ? "" : rb->pool.str[id];
            }
            o->dict = (const char **)rb->pool.str;
            o->dict_size = rb->pool.n;
            break;
        }
        }
    }
    ots_free(perm);
    return rc;
}

/* ---- driving ------------------------------------------------------------------------ */

static int open_partition(ots_scan *sc, part *p)
{
    struct ots_store *s = sc->s;
    int rc = OTS_OK;
    pthread_mutex_lock(&s->mu);
    sc->cur_part = p;
    sc->segs = ots_malloc((p->nsegs ? p->nsegs : 1) * sizeof *sc->segs);
    if (!sc->segs) {
        pthread_mutex_unlock(&s->mu);
        return OTS_ENOMEM;
    }
    for (size_t i = 0; i < p->nsegs; i++) {
        sc->segs[i] = p->segs[i];
        p->segs[i]->refs++;
    }
    sc->nsegs = p->nsegs;
    sc->si = 0;
    sc->st.segments_total += p->nsegs;
    rowbuf *snap = NULL;
    if (p->buf && p->buf->n && p->buf->ts_max >= sc->ts_min && p->buf->ts_min < sc->ts_max) {
        snap = ots_malloc(sizeof *snap);
        if (!snap)
            rc = OTS_ENOMEM;
        else {
            ots_rowbuf_init(snap, p->t);
            rc = rowbuf_append(snap, p->buf);
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != OTS_OK) {
        if (snap) {
            ots_rowbuf_fini(snap);
            ots_free(snap);
        }
        return rc;
    }
    /* overlapping sources may hold duplicates: merge them */
    int overlap = 0;
    for (size_t i = 0; i < sc->nsegs && !overlap; i++) {
        for (size_t j = i + 1; j < sc->nsegs; j++)
            if (sc->segs[i]->ts_min <= sc->segs[j]->ts_max && sc->segs[j]->ts_min <= sc->segs[i]->ts_max)
                overlap = 1;
        if (snap && sc->segs[i]->ts_min <= snap->ts_max && snap->ts_min <= sc->segs[i]->ts_max)
            overlap = 1;
    }
    if (overlap) {
        rowbuf *m = ots_malloc(sizeof *m);
        if (!m)
            rc = OTS_ENOMEM;
        else {
            ots_rowbuf_init(m, p->t);
            for (size_t i = 0; i < sc->nsegs && rc == OTS_OK; i++) {
                rc = ots_seg_load_rowbuf(s, p->t, sc->segs[i], m);
                sc->st.bytes_read += sc->segs[i]->file_bytes;
            }
            if (rc == OTS_OK && snap)
                rc = rowbuf_append(m, snap);
        }
        if (snap) {
            ots_rowbuf_fini(snap);
            ots_free(snap);
        }
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < sc->nsegs; i++)
            ots_seg_unref(s, sc->segs[i]);
        pthread_mutex_unlock(&s->mu);
        sc->nsegs = sc->si = 0;
        if (rc == OTS_OK)
            sc->pending_buf = m;
        else if (m) {
            ots_rowbuf_fini(m);
            ots_free(m);
        }
        return rc;
    }
    sc->pending_buf = snap;
    return OTS_OK;
}

static int next_source(ots_scan *sc)
{
    for (;;) {
        source_clear(sc);
        if (sc->si < sc->nsegs) {
            seg *g = sc->segs[sc->si++];
            int rc = load_segment(sc, g);
            pthread_mutex_lock(&sc->s->mu);
            ots_seg_unref(sc->s, g);
            pthread_mutex_unlock(&sc->s->mu);
            if (rc != OTS_OK)
                return rc;
            if ((sc->sel ? sc->nsel : sc->n) > 0)
                return 1;
            continue;
        }
        if (sc->pending_buf) {
            rowbuf *rb = sc->pending_buf;
            sc->pending_buf = NULL;
            int rc = load_rowbuf(sc, rb);
            if (rc != OTS_OK)
                return rc;
            if (sc->n > 0)
                return 1;
            continue;
        }
        part_sources_clear(sc);
        if (sc->pi >= sc->nparts)
            return 0;
        int rc = open_partition(sc, sc->parts[sc->pi++]);
        if (rc != OTS_OK)
            return rc;
    }
}

static int ensure_gather(ots_scan *sc, int i, ots_type ty)
{
    if (sc->gather[i] || sc->gcodes[i])
        return OTS_OK;
    size_t n = sc->batch_rows;
    sc->gvalid[i] = ots_malloc(n);
    if (ty == OTS_TAG || ty == OTS_STRING) {
        sc->gcodes[i] = ots_malloc(n * 4);
        sc->gstr[i] = ots_malloc(n * sizeof(char *));
        sc->gather[i] = NULL;
        return sc->gvalid[i] && sc->gcodes[i] && sc->gstr[i] ? OTS_OK : OTS_ENOMEM;
    }
    sc->gather[i] = ots_malloc(n * 8);
    return sc->gvalid[i] && sc->gather[i] ? OTS_OK : OTS_ENOMEM;
}

/* Was the scanned table dropped since the scan opened?  Its schema and
 * partitions are gone then; the scan must stop before touching them. */
static int table_gone(ots_scan *sc)
{
    pthread_mutex_lock(&sc->s->mu);
    int gone = sc->s->drop_gen != sc->drop_gen && !ots_catalog_table_by_id(&sc->s->cat, sc->table_id);
    pthread_mutex_unlock(&sc->s->mu);
    return gone;
}

int ots_scan_next(ots_scan *sc, const ots_batch **out)
{
    if (sc->err)
        return sc->err;
    if (table_gone(sc)) {
        /* its partitions are freed: forget them without touching them */
        sc->nparts = sc->pi = 0;
        sc->cur_part = NULL;
        return sc->err = ots_set_err(sc->s, OTS_ENOTFOUND, "table was dropped while being scanned");
    }
    size_t avail = sc->sel ? sc->nsel : sc->n;
    if (sc->pos >= avail) {
        int rc = next_source(sc);
        if (rc <= 0) {
            if (rc < 0)
                sc->err = rc;
            return rc;
        }
        avail = sc->sel ? sc->nsel : sc->n;
    }
    size_t k = avail - sc->pos < sc->batch_rows ? avail - sc->pos : sc->batch_rows;
    const tbl *t = sc->t;
    for (int i = 0; i < sc->ncols; i++) {
        outcol *o = &sc->oc[i];
        ots_column *bc = &sc->bcols[i];
        ots_type ty = t->cols[o->col].type;
        memset(bc, 0, sizeof *bc);
        bc->type = ty;
        bc->name = t->cols[o->col].name;
        if (!sc->sel) { /* zero copy */
            size_t p = sc->pos;
            switch (ty) {
            case OTS_TIMESTAMP:
            case OTS_BIGINT: bc->i64 = (const int64_t *)o->data + p; break;
            case OTS_DOUBLE: bc->f64 = (const double *)o->data + p; break;
            case OTS_BOOLEAN: bc->b = (const uint8_t *)o->data + p; break;
            case OTS_TAG:
            case OTS_STRING:
                bc->str = o->str + p;
                bc->codes = o->codes + p;
                bc->dict = o->dict;
                bc->dict_size = o->dict_size;
                break;
            }
            bc->valid = o->valid ? o->valid + p : NULL;
            continue;
        }
        int rc = ensure_gather(sc, i, ty);
        if (rc != OTS_OK)
            return sc->err = rc;
        const uint32_t *sel = sc->sel + sc->pos;
        switch (ty) {
        case OTS_TIMESTAMP:
        case OTS_BIGINT:
        case OTS_DOUBLE: {
            uint64_t *g = sc->gather[i];
            const uint64_t *d = o->data;
            for (size_t r = 0; r < k; r++)
                g[r] = d[sel[r]];
            if (ty == OTS_DOUBLE)
                bc->f64 = (const double *)(void *)g;
            else
                bc->i64 = (const int64_t *)(void *)g;
            break;
        }
        case OTS_BOOLEAN: {
            uint8_t *g = sc->gather[i];
            const uint8_t *d = o->data;
            for (size_t r = 0; r < k; r++)
                g[r] = d[sel[r]];
            bc->b = g;
            break;
        }
        case OTS_TAG:
        case OTS_STRING:
            for (size_t r = 0; r < k; r++) {
                sc->gcodes[i][r] = o->codes[sel[r]];
                sc->gstr[i][r] = o->str[sel[r]];
            }
            bc->codes = sc->gcodes[i];
            bc->str = sc->gstr[i];
            bc->dict = o->dict;
            bc->dict_size = o->dict_size;
            break;
        }
        if (o->valid) {
            for (size_t r = 0; r < k; r++)
                sc->gvalid[i][r] = o->valid[sel[r]];
            bc->valid = sc->gvalid[i];
        }
    }
    sc->pos += k;
    sc->batch.nrows = k;
    sc->batch.ncols = (size_t)sc->ncols;
    sc->batch.cols = sc->bcols;
    sc->batch.city = sc->cur_part->city;
    sc->batch.zone = sc->cur_part->zone;
    ots_fmt_day_format(sc->cur_part->day, sc->batch.day);
    sc->st.rows_returned += k;
    *out = &sc->batch;
    return 1;
}
