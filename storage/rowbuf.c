/*
 * rowbuf.c — a partition's rows in memory, column by column: the write
 * buffer of the append path, and the working set of compaction and of scans
 * that must merge overlapping sources.  Rows carry a series id; the series
 * table holds each tag tuple once (as string-pool ids).
 *
 * ots_rowbuf_sort_dedup gives the (series, ts) order of segment files and
 * resolves duplicates: of rows with the same series and ts the one appended
 * last wins (DESIGN.md, "The write path").
 */
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

int ots_rowbuf_init(rowbuf *b, const tbl *t)
{
    memset(b, 0, sizeof *b);
    b->t = t;
    b->ncols = t->ncols;
    ots_pool_init(&b->pool);
    b->ts_min = INT64_MAX;
    b->ts_max = INT64_MIN;
    b->created_ms = ots_now_ms();
    return OTS_OK;
}

void ots_rowbuf_fini(rowbuf *b)
{
    if (!b->t)
        return;
    ots_pool_fini(&b->pool);
    ots_free(b->series_tags);
    ots_free(b->series_slots);
    ots_free(b->sid);
    ots_free(b->ts);
    for (size_t c = 0; c < b->ncols; c++) {
        ots_free(b->cols[c].data);
        ots_free(b->cols[c].valid);
    }
    memset(b, 0, sizeof *b);
}

static size_t field_width(ots_type t)
{
    switch (t) {
    case OTS_DOUBLE:
    case OTS_BIGINT: return 8;
    case OTS_BOOLEAN: return 1;
    case OTS_STRING: return 4;
    default: return 0; /* ts and tags live elsewhere */
    }
}

size_t ots_rowbuf_bytes(const rowbuf *b)
{
    size_t per = 12;
    for (size_t c = 0; c < b->t->ncols; c++)
        per += field_width(b->t->cols[c].type);
    return b->cap * per + b->pool.bytes + (size_t)b->cap_series * (size_t)b->t->ntags * 4;
}

int ots_rowbuf_reserve(rowbuf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return OTS_OK;
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->n + more)
        nc *= 2;
    uint32_t *sid = ots_realloc(b->sid, nc * sizeof *sid);
    if (!sid)
        return OTS_ENOMEM;
    b->sid = sid;
    int64_t *ts = ots_realloc(b->ts, nc * sizeof *ts);
    if (!ts)
        return OTS_ENOMEM;
    b->ts = ts;
    for (size_t c = 0; c < b->t->ncols; c++) {
        size_t w = field_width(b->t->cols[c].type);
        if (!w)
            continue;
        void *d = ots_realloc(b->cols[c].data, nc * w);
        if (!d)
            return OTS_ENOMEM;
        b->cols[c].data = d;
        if (b->cols[c].valid) {
            uint8_t *v = ots_realloc(b->cols[c].valid, nc);
            if (!v)
                return OTS_ENOMEM;
            memset(v + b->cap, 1, nc - b->cap);
            b->cols[c].valid = v;
        }
    }
    b->cap = nc;
    return OTS_OK;
}

int ots_rowbuf_set_null(rowbuf *b, int c, size_t r)
{
    if (!b->cols[c].valid) {
        uint8_t *v = ots_malloc(b->cap ? b->cap : 1);
        if (!v)
            return OTS_ENOMEM;
        memset(v, 1, b->cap);
        b->cols[c].valid = v;
    }
    b->cols[c].valid[r] = 0;
    return OTS_OK;
}

static uint32_t hash_tuple(const uint32_t *ids, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < n; i++) {
        h ^= ids[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    return (uint32_t)h;
}

static int series_grow(rowbuf *b)
{
    uint32_t ns = b->nslots ? b->nslots * 2 : 64;
    uint32_t *slots = ots_calloc(ns, sizeof *slots);
    if (!slots)
        return OTS_ENOMEM;
    int nt = b->t->ntags;
    for (uint32_t s = 0; s < b->nseries; s++) {
        uint32_t i = hash_tuple(&b->series_tags[(size_t)s * nt], nt) & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = s + 1;
    }
    ots_free(b->series_slots);
    b->series_slots = slots;
    b->nslots = ns;
    return OTS_OK;
}

int64_t ots_rowbuf_series(rowbuf *b, const uint32_t *tag_ids)
{
    int nt = b->t->ntags;
    if (b->nslots) {
        uint32_t mask = b->nslots - 1, i = hash_tuple(tag_ids, nt) & mask;
        for (;;) {
            uint32_t v = b->series_slots[i];
            if (!v)
                break;
            const uint32_t *st = &b->series_tags[(size_t)(v - 1) * nt];
            int k = 0;
            while (k < nt && st[k] == tag_ids[k])
                k++;
            if (k == nt)
                return v - 1;
            i = (i + 1) & mask;
        }
    }
    if ((b->nseries + 1) * 2 > b->nslots && series_grow(b) != OTS_OK)
        return -1;
    if (b->nseries == b->cap_series) {
        uint32_t nc = b->cap_series ? b->cap_series * 2 : 16;
        uint32_t *st = ots_realloc(b->series_tags, (size_t)nc * nt * 4);
        if (!st)
            return -1;
        b->series_tags = st;
        b->cap_series = nc;
    }
    uint32_t s = b->nseries++;
    memcpy(&b->series_tags[(size_t)s * nt], tag_ids, (size_t)nt * 4);
    uint32_t mask = b->nslots - 1, i = hash_tuple(tag_ids, nt) & mask;
    while (b->series_slots[i])
        i = (i + 1) & mask;
    b->series_slots[i] = s + 1;
    return s;
}

/* qsort context for series ranking (qsort has no context argument). */
static _Thread_local const rowbuf *sort_b;

static int series_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int nt = sort_b->t->ntags;
    const uint32_t *ta = &sort_b->series_tags[(size_t)a * nt], *tb = &sort_b->series_tags[(size_t)b * nt];
    for (int i = 0; i < nt; i++) {
        if (ta[i] == tb[i])
            continue;
        int c = strcmp(sort_b->pool.str[ta[i]], sort_b->pool.str[tb[i]]);
        if (c)
            return c;
    }
    return 0;
}

/* Stable merge sort of idx[0..n) by ts[idx]. */
static void merge_sort_ts(uint32_t *idx, uint32_t *tmp, size_t n, const int64_t *ts)
{
    if (n < 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = idx[i];
            size_t j = i;
            while (j > 0 && ts[idx[j - 1]] > ts[v]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort_ts(idx, tmp, h, ts);
    merge_sort_ts(idx + h, tmp, n - h, ts);
    if (ts[idx[h - 1]] <= ts[idx[h]])
        return;
    memcpy(tmp, idx, h * sizeof *idx);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        idx[k++] = (ts[idx[j]] < ts[tmp[i]]) ? idx[j++] : tmp[i++];
    while (i < h)
        idx[k++] = tmp[i++];
}

int ots_rowbuf_sort_dedup(const rowbuf *b, uint32_t **perm_out, size_t *n_out)
{
    size_t n = b->n;
    uint32_t ns = b->nseries;
    uint32_t *order = ots_malloc((ns ? ns : 1) * sizeof *order);
    uint32_t *rank = ots_malloc((ns ? ns : 1) * sizeof *rank);
    uint32_t *start = ots_calloc((size_t)ns + 1, sizeof *start);
    uint32_t *perm = ots_malloc((n ? n : 1) * sizeof *perm);
    uint32_t *tmp = ots_malloc((n / 2 + 1) * sizeof *tmp);
    if (!order || !rank || !start || !perm || !tmp) {
        ots_free(order), ots_free(rank), ots_free(start), ots_free(perm), ots_free(tmp);
        return OTS_ENOMEM;
    }
    for (uint32_t i = 0; i < ns; i++)
        order[i] = i;
    sort_b = b;
    qsort(order, ns, sizeof *order, series_cmp);
    for (uint32_t i = 0; i < ns; i++)
        rank[order[i]] = i;
    /* counting sort by series rank (stable: arrival order kept) */
    for (size_t r = 0; r < n; r++)
        start[rank[b->sid[r]] + 1]++;
    for (uint32_t i = 0; i < ns; i++)
        start[i + 1] += start[i];
    uint32_t *cursor = order; /* order[] is no longer needed: per-rank write cursor */
    for (uint32_t i = 0; i < ns; i++)
        cursor[i] = start[i];
    for (size_t r = 0; r < n; r++)
        perm[cursor[rank[b->sid[r]]]++] = (uint32_t)r;
    /* within each series: sort by ts if needed, then keep the last of equal ts */
    size_t out = 0;
    for (uint32_t g = 0; g < ns; g++) {
        size_t lo = start[g], hi = start[g + 1];
        int sorted = 1;
        for (size_t i = lo + 1; i < hi; i++)
            if (b->ts[perm[i]] < b->ts[perm[i - 1]]) {
                sorted = 0;
                break;
            }
        if (!sorted)
            merge_sort_ts(perm + lo, tmp, hi - lo, b->ts);
        for (size_t i = lo; i < hi; i++) {
            if (i + 1 < hi && b->ts[perm[i + 1]] == b->ts[perm[i]])
                continue; /* a later write of the same (series, ts) follows */
            perm[out++] = perm[i];
        }
    }
    ots_free(order), ots_free(rank), ots_free(start), ots_free(tmp);
    *perm_out = perm;
    *n_out = out;
    return OTS_OK;
}
