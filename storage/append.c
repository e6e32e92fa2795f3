/*
 * append.c — the append path: validate a batch whole, log it to the WAL,
 * route each row to its partition (table / city / zone / local day) and
 * add it to that partition's write buffer; flush buffers that are large,
 * old, or over the store's memory budget.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

#define MAX_STRING_BYTES (16u << 20)

int ots_batch_lens(const tbl *t, const ots_vec *cols, size_t nrows, uint32_t **lens, void **mem)
{
    size_t nstr = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        lens[c] = NULL;
        if (t->cols[c].type == OTS_TAG || t->cols[c].type == OTS_STRING)
            nstr++;
    }
    uint32_t *m = ots_malloc((nstr * nrows > 0 ? nstr * nrows : 1) * sizeof *m);
    *mem = m;
    if (!m)
        return OTS_ENOMEM;
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->cols[c].type != OTS_TAG && t->cols[c].type != OTS_STRING)
            continue;
        uint32_t *l = lens[c] = m;
        m += nrows;
        const char *const *v = cols[c].data;
        const uint8_t *valid = cols[c].valid;
        const char *prev = NULL;
        uint32_t prevlen = 0;
        for (size_t r = 0; r < nrows; r++) {
            const char *p = v ? v[r] : NULL;
            if (!p || (valid && !valid[r])) {
                l[r] = 0;
                continue;
            }
            if (p != prev) { /* the same pointer repeats often (interned tags) */
                size_t n = strlen(p);
                prevlen = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
                prev = p;
            }
            l[r] = prevlen;
        }
    }
    return OTS_OK;
}

/* Check every row before anything changes.  Returns OTS_OK or an error
 * naming the row and column. */
static int validate(struct ots_store *s, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const ots_column_def *cd = &t->cols[c];
        if (!cols[c].data && nrows)
            return ots_set_err(s, OTS_EINVAL, "column '%s': no data array", cd->name);
        const uint8_t *valid = cols[c].valid;
        for (size_t r = 0; r < nrows; r++) {
            int present = !valid || valid[r];
            if (valid && valid[r] > 1)
                return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': validity byte %u is not 0 or 1", r, cd->name,
                                   valid[r]);
            switch (cd->type) {
            case OTS_TIMESTAMP:
                if (!present)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column 'ts': NULL timestamp", r);
                break;
            case OTS_TAG: {
                const char *v = ((const char *const *)cols[c].data)[r];
                if (!present || !v)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': NULL in a TAG column", r, cd->name);
                if ((int)c == t->city_col || (int)c == t->zone_col) {
                    if (!*v)
                        return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': empty %s", r, cd->name, cd->name);
                }
                if (lens[c][r] > 65535)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': tag value over 65535 bytes", r, cd->name);
                break;
            }
            case OTS_BOOLEAN:
                if (present && ((const uint8_t *)cols[c].data)[r] > 1)
                    return ots_set_err(s, OTS_ETYPE, "row %zu, column '%s': BOOLEAN value %u is not 0 or 1", r,
                                       cd->name, ((const uint8_t *)cols[c].data)[r]);
                break;
            case OTS_STRING: {
                const char *v = ((const char *const *)cols[c].data)[r];
                if (present && !v)
                    return ots_set_err(s, OTS_EINVAL, "row %zu, column '%s': NULL pointer for a present value", r,
                                       cd->name);
                if (present && lens[c][r] > MAX_STRING_BYTES)
                    return ots_set_err(s, OTS_ELIMIT, "row %zu, column '%s': string over 16 MiB", r, cd->name);
                break;
            }
            default: break;
            }
        }
    }
    return OTS_OK;
}

/* What a batch changed in one buffer, to undo it if the batch fails midway. */
typedef struct undo {
    rowbuf *b;
    size_t n;
    uint64_t min_lsn, max_lsn;
    int64_t ts_min, ts_max;
} undo;

typedef struct undolog {
    undo *u;
    size_t n, cap;
} undolog;

static int undo_note(undolog *ul, rowbuf *b, uint64_t lsn)
{
    if (b->touched_lsn == lsn)
        return OTS_OK;
    if (ul->n == ul->cap) {
        size_t nc = ul->cap ? ul->cap * 2 : 16;
        undo *nu = ots_realloc(ul->u, nc * sizeof *nu);
        if (!nu)
            return OTS_ENOMEM;
        ul->u = nu;
        ul->cap = nc;
    }
    ul->u[ul->n++] = (undo){b, b->n, b->min_lsn, b->max_lsn, b->ts_min, b->ts_max};
    b->touched_lsn = lsn;
    return OTS_OK;
}

static void undo_all(undolog *ul)
{
    while (ul->n) {
        undo *u = &ul->u[--ul->n];
        u->b->n = u->n;
        u->b->min_lsn = u->min_lsn;
        u->b->max_lsn = u->max_lsn;
        u->b->ts_min = u->ts_min;
        u->b->ts_max = u->ts_max;
        u->b->touched_lsn = 0;
    }
}

static int buf_for(struct ots_store *s, part *p, uint64_t lsn, undolog *ul)
{
    if (!p->buf) {
        p->buf = ots_malloc(sizeof *p->buf);
        if (!p->buf)
            return OTS_ENOMEM;
        ots_rowbuf_init(p->buf, p->t);
        s->buffered_bytes += ots_rowbuf_bytes(p->buf);
    }
    if (undo_note(ul, p->buf, lsn) != OTS_OK)
        return OTS_ENOMEM;
    if (!p->buf->min_lsn)
        p->buf->min_lsn = lsn;
    if (lsn > p->buf->max_lsn)
        p->buf->max_lsn = lsn;
    return OTS_OK;
}

/* Per-call cache: (column, caller pointer, buffer) -> pool id.  Within one
 * call the caller's strings do not change, so a pointer seen before needs no
 * hashing of its bytes. */
#define PCACHE 512 /* small enough to stay in L1: catches repeated pointers */
typedef struct pcache_ent {
    const char *ptr;
    const rowbuf *b;
    uint32_t col;
    uint32_t id;
    uint32_t gen;
} pcache_ent;

typedef struct pcache {
    pcache_ent *e;
    uint32_t gen;
} pcache;

static int64_t intern_cached(pcache *pc, rowbuf *b, uint32_t col, const char *v, uint32_t len)
{
    uintptr_t h = ((uintptr_t)v >> 3) ^ ((uintptr_t)v >> 17) ^ ((uintptr_t)col * 0x9E37u);
    pcache_ent *e = pc->e ? &pc->e[h & (PCACHE - 1)] : NULL;
    if (e && e->ptr == v && e->b == b && e->col == col && e->gen == pc->gen)
        return e->id;
    int64_t id = ots_pool_intern(&b->pool, v, len);
    if (id >= 0 && e) {
        e->ptr = v;
        e->b = b;
        e->col = col;
        e->id = (uint32_t)id;
        e->gen = pc->gen;
    }
    return id;
}

/* Copy rows [r0, r1) of field column col into b at row `at`. */
static int copy_field(rowbuf *b, const ots_vec *v, const uint32_t *lens, pcache *pc, int col, ots_type ty, size_t r0,
                      size_t r1, size_t at)
{
    size_t n = r1 - r0;
    switch (ty) {
    case OTS_DOUBLE:
    case OTS_BIGINT: memcpy((uint64_t *)b->cols[col].data + at, (const uint64_t *)v->data + r0, n * 8); break;
    case OTS_BOOLEAN: memcpy((uint8_t *)b->cols[col].data + at, (const uint8_t *)v->data + r0, n); break;
    case OTS_STRING: {
        const char *const *sv = v->data;
        uint32_t *dst = (uint32_t *)b->cols[col].data + at;
        for (size_t r = r0; r < r1; r++) {
            if (v->valid && !v->valid[r]) {
                dst[r - r0] = 0;
                continue;
            }
            int64_t id = intern_cached(pc, b, (uint32_t)col, sv[r], lens[r]);
            if (id < 0)
                return OTS_ENOMEM;
            dst[r - r0] = (uint32_t)id;
        }
        break;
    }
    default: return OTS_OK;
    }
    if (v->valid) {
        for (size_t r = r0; r < r1; r++) {
            if (v->valid[r])
                continue;
            if (ty != OTS_STRING) /* a NULL stores 0 (the encoder ignores it anyway) */
                memset((uint8_t *)b->cols[col].data + (at + r - r0) * (ty == OTS_BOOLEAN ? 1 : 8), 0,
                       ty == OTS_BOOLEAN ? 1 : 8);
            if (ots_rowbuf_set_null(b, col, at + r - r0) != OTS_OK)
                return OTS_ENOMEM;
        }
    }
    return OTS_OK;
}

int ots_apply_batch(struct ots_store *s, const tbl *t, const ots_vec *cols, uint32_t *const *lens, size_t nrows,
                    uint64_t lsn, int replay)
{
    /* The cache lives with the store (s->mu held); a new generation per call
     * means no entry from an earlier call (whose memory may be reused) matches. */
    if (!s->pcache)
        s->pcache = ots_calloc(PCACHE, sizeof(pcache_ent)); /* NULL: work without it */
    pcache pcs = {s->pcache, ++s->pcache_gen}, *pc = &pcs;
    if (pcs.gen == 0 && pcs.e) { /* wrapped: forget everything */
        memset(pcs.e, 0, PCACHE * sizeof(pcache_ent));
        pcs.gen = s->pcache_gen = 1;
    }
    int rc = OTS_OK;
    undolog ul = {0};
    const char *const *cityv = cols[t->city_col].data;
    const char *const *zonev = cols[t->zone_col].data;
    const int64_t *tsv = cols[t->ts_col].data;
    city *c = NULL;
    uint32_t tuple[OTS_MAX_COLS];
    size_t r0 = 0;
    while (r0 < nrows) {
        /* route row r0, then extend the run of rows with the same partition */
        const char *cv = cityv[r0], *zv = zonev[r0];
        if (!c || (c->id != cv && strcmp(c->id, cv) != 0)) {
            c = ots_catalog_city(&s->cat, cv);
            if (!c && (rc = ots_catalog_add_city_utc(s, cv, &c)) != OTS_OK)
                goto out;
        }
        int64_t day_lo, day_hi;
        int64_t day = ots_city_day(c, tsv[r0], &day_lo, &day_hi);
        size_t r1 = r0 + 1;
        while (r1 < nrows && tsv[r1] >= day_lo && tsv[r1] < day_hi && (cityv[r1] == cv || !strcmp(cityv[r1], cv)) &&
               (zonev[r1] == zv || !strcmp(zonev[r1], zv)))
            r1++;
        part *p;
        if ((rc = ots_part_get(s, t, cv, zv, day, 1, &p)) != OTS_OK)
            goto out;
        if (replay && lsn <= p->flushed_lsn) { /* already in a segment */
            r0 = r1;
            continue;
        }
        if ((rc = buf_for(s, p, lsn, &ul)) != OTS_OK)
            goto out;
        rowbuf *b = p->buf;
        size_t n = r1 - r0;
        if (b->n + n > b->cap) {
            size_t before = ots_rowbuf_bytes(b);
            if (ots_rowbuf_reserve(b, n) != OTS_OK)
                goto out_nomem;
            s->buffered_bytes += ots_rowbuf_bytes(b) - before;
        }
        int64_t ci = ots_pool_intern(&b->pool, cv, lens[t->city_col][r0]);
        int64_t zi = ots_pool_intern(&b->pool, zv, lens[t->zone_col][r0]);
        if (ci < 0 || zi < 0)
            goto out_nomem;
        size_t at = b->n;
        /* series ids and timestamps */
        for (size_t r = r0; r < r1; r++) {
            for (int k = 0; k < t->ntags; k++) {
                int col = t->tag_cols[k];
                if (col == t->city_col)
                    tuple[k] = (uint32_t)ci;
                else if (col == t->zone_col)
                    tuple[k] = (uint32_t)zi;
                else {
                    const char *v = ((const char *const *)cols[col].data)[r];
                    int64_t id = intern_cached(pc, b, (uint32_t)col, v, lens[col][r]);
                    if (id < 0)
                        goto out_nomem;
                    tuple[k] = (uint32_t)id;
                }
            }
            int64_t sid = ots_rowbuf_series(b, tuple);
            if (sid < 0)
                goto out_nomem;
            b->sid[at + r - r0] = (uint32_t)sid;
            int64_t ts = tsv[r];
            b->ts[at + r - r0] = ts;
            if (ts < b->ts_min)
                b->ts_min = ts;
            if (ts > b->ts_max)
                b->ts_max = ts;
        }
        for (size_t col = 0; col < t->ncols; col++) {
            ots_type ty = t->cols[col].type;
            if (ty == OTS_TIMESTAMP || ty == OTS_TAG)
                continue;
            if ((rc = copy_field(b, &cols[col], lens[col], pc, (int)col, ty, r0, r1, at)) != OTS_OK)
                goto out;
        }
        b->n += n;
        r0 = r1;
    }
out:
    if (rc != OTS_OK)
        undo_all(&ul); /* never half-apply: every buffer back to before the batch */
    ots_free(ul.u);
    return rc;
out_nomem:
    rc = OTS_ENOMEM;
    goto out;
}

int ots_maybe_flush(struct ots_store *s)
{
    int rc = OTS_OK;
    uint64_t now = ots_now_ms();
    int check_age = now - s->last_age_check_ms >= 1000;
    if (check_age)
        s->last_age_check_ms = now;
    int flushed = 0;
    for (size_t i = 0; i < s->cap_parts && rc == OTS_OK; i++) {
        part *p = s->parts[i];
        if (!p || !p->buf || !p->buf->n)
            continue;
        if (p->buf->n >= s->opts.flush_rows || (check_age && now - p->buf->created_ms >= s->opts.flush_age_ms)) {
            rc = ots_part_flush(s, p);
            flushed = 1;
        }
    }
    while (rc == OTS_OK && s->buffered_bytes > s->opts.buffer_limit_bytes) {
        part *big = NULL;
        for (size_t i = 0; i < s->cap_parts; i++) {
            part *p = s->parts[i];
            if (p && p->buf && p->buf->n && (!big || p->buf->n > big->buf->n))
                big = p;
        }
        if (!big)
            break;
        rc = ots_part_flush(s, big);
        flushed = 1;
    }
    if (flushed) {
        s->last_part = NULL;
        if (rc == OTS_OK)
            rc = ots_wal_retire(s);
    }
    return rc;
}

int ots_append(ots_store *s, const char *table, const ots_vec *cols, size_t nrows)
{
    if (!s || !table || (!cols && nrows))
        return OTS_EINVAL;
    if (s->opts.read_only)
        return ots_set_err(s, OTS_EREADONLY, "store is read-only");
    uint32_t *lens[OTS_MAX_COLS];
    void *lmem = NULL;
    pthread_mutex_lock(&s->mu);
    int rc;
    if (s->fatal) {
        rc = ots_set_err(s, OTS_EFATAL, "an earlier WAL write or fsync failed; reopen the store");
        goto out_unlock;
    }
    tbl *t = ots_catalog_table(&s->cat, table);
    if (!t) {
        rc = ots_set_err(s, OTS_ENOTFOUND, "no table '%s'", table);
        goto out_unlock;
    }
    if (nrows == 0) {
        rc = OTS_OK;
        goto out_unlock;
    }
    if ((rc = ots_batch_lens(t, cols, nrows, lens, &lmem)) != OTS_OK)
        goto out_unlock;
    if ((rc = validate(s, t, cols, lens, nrows)) != OTS_OK)
        goto out_unlock;
    /* cities first (a durable catalog change), so the WAL never names an unknown city */
    const char *const *cityv = cols[t->city_col].data;
    const char *lastc = NULL;
    for (size_t r = 0; r < nrows; r++) {
        if (lastc && (cityv[r] == lastc || !strcmp(cityv[r], lastc)))
            continue;
        lastc = cityv[r];
        if (!ots_catalog_city(&s->cat, lastc)) {
            city *c;
            if ((rc = ots_catalog_add_city_utc(s, lastc, &c)) != OTS_OK)
                goto out_unlock;
        }
    }
    uint64_t lsn;
    if ((rc = ots_wal_append(s, t, cols, lens, nrows, &lsn)) != OTS_OK)
        goto out_unlock;
    if ((rc = ots_apply_batch(s, t, cols, lens, nrows, lsn, 0)) != OTS_OK) {
        /* the WAL holds the batch but memory does not: only a reopen (replay) is consistent */
        s->fatal = 1;
        rc = ots_set_err(s, rc, "applying a logged batch failed (%s); the store refuses writes until reopened",
                         ots_strerror(rc));
        goto out_unlock;
    }
    rc = ots_maybe_flush(s);
    pthread_mutex_unlock(&s->mu);
    ots_free(lmem);
    if (rc == OTS_OK && s->opts.fsync == OTS_FSYNC_ALWAYS)
        rc = ots_wal_sync(s, lsn);
    return rc;
out_unlock:
    pthread_mutex_unlock(&s->mu);
    ots_free(lmem);
    return rc;
}
